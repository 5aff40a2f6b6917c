// A run given N seconds ends within N and a few seconds, on the clock of its
// own events (session_started → session_ended): the README's headless quick
// start, shortened, finishes its four phases and exits on its merits (0 or
// 1, never 124); and a run whose phase-end tests would outlast its duration
// is cut short at the deadline and ends 124, its junit.xml saying so. A
// warning goes to stderr, never among the progress lines on stdout.

import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT, eventsOf, readEvents, readReport, removeDir, runHeadless, tempRunsDir } from '../helpers/cli.js';

/** The seconds a run's end takes after its deadline: stopping agents, the final checkpoint, the report. */
const END_MARGIN_SECONDS = 8;
const SIM_AGENT = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'sim-agent.mjs');

function sessionSeconds(runDir: string): number {
  const events = readEvents(runDir);
  const started = eventsOf(events, 'session_started')[0]!;
  const ended = eventsOf(events, 'session_ended')[0]!;
  return (Date.parse(ended.ts) - Date.parse(started.ts)) / 1000;
}

describe.skipIf(!BUILT)(`a run ends within its duration${BUILT ? '' : ' (skipped: dist/ is not built; npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-duration-');
  afterAll(() => removeDir(runsDir));

  it('the README quick start, 30 s: all four phases end, exit 0 or 1 on the merits, within 30 s + a few; warnings on stderr', async () => {
    // The control port is taken: the run warns, on stderr, and goes on on the next one.
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(18710, '127.0.0.1', resolve));
    const result = await runHeadless(
      ['run', 'task_queue', '--duration', '30s', '--agents', '4', '--headless', '--runs-dir', runsDir, '--session-id', 'quick', '--port', '18710'],
      { timeoutMs: 120_000 },
    ).done.finally(() => squatter.close());
    expect(result.stderr).toMatch(/^megatest: warning: control port 18710 is taken/m);
    expect(result.stdout).not.toMatch(/taken|WARNING/);
    const runDir = path.join(runsDir, 'quick');
    const events = readEvents(runDir);
    const ended = eventsOf(events, 'session_ended')[0]!;
    expect(ended.status, `${result.stdout}\n${result.stderr}`).toBe('completed');
    expect([0, 1]).toContain(result.code);
    expect(ended.exit_code).toBe(result.code);
    expect(eventsOf(events, 'phase_ended').map((e) => e.phase)).toEqual(['bootstrap', 'development', 'refinement', 'finalization']);
    expect(sessionSeconds(runDir)).toBeLessThanOrEqual(30 + END_MARGIN_SECONDS);
    // session.log tells the run as it goes (the console's log pane reads it): a line per task done, build and test run.
    const log = readFileSync(path.join(runDir, 'session.log'), 'utf8');
    expect((log.match(/\] completed: /g) ?? []).length).toBe(eventsOf(events, 'task_completed').length);
    expect((log.match(/\[build\] build (ok|FAILED) in /g) ?? []).length).toBe(eventsOf(events, 'build').length);
    expect((log.match(/\[tests\] \d+ passed, \d+ failed, \d+ skipped/g) ?? []).length).toBe(eventsOf(events, 'test_run').length);
    // The 5,000-line target is scaled to 30 s of the phases' nominal length, and the report says so.
    const report = readReport(runDir);
    expect(report.loc_target_scale).not.toBeNull();
    expect(readFileSync(path.join(runDir, 'final_report.md'), 'utf8')).toMatch(/Lines-of-code targets are scaled to the run's length/);
  }, 150_000);

  it('a phase-end test run that would outlast the duration is cut short: exit 124 within 15 s + a few, and junit.xml fails the run', async () => {
    // The sim's project measured by a test command that sleeps a minute first (as test/fixtures/e2e/slow-tests.toml).
    const config = path.join(runsDir, 'slow-gate.toml');
    writeFileSync(
      config,
      [
        '[projects.task_queue]',
        'build_command = "node scripts/build.mjs"',
        'test_command = "sleep 60"',
        'coverage_command = "sleep 60"',
        'test_format = "node-tap"',
        'test_report = ""',
        'coverage_report = "coverage/lcov.info"',
        'coverage_format = "lcov"',
        '[monitoring]',
        'health_check_interval = 600',
        '',
      ].join('\n'),
    );
    const result = await runHeadless(
      [
        'run', 'task_queue', '--duration', '15s', '--agents', '2', '--headless', '--config', config,
        '--agent', 'command', '--agent-cmd', `${JSON.stringify(process.execPath)} ${JSON.stringify(SIM_AGENT)}`,
        '--runs-dir', runsDir, '--session-id', 'slow-gate', '--port', '18720',
      ],
      { timeoutMs: 120_000 },
    ).done;
    const runDir = path.join(runsDir, 'slow-gate');
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(124);
    expect(eventsOf(readEvents(runDir), 'session_ended')[0]).toMatchObject({ status: 'timeout', exit_code: 124 });
    expect(sessionSeconds(runDir)).toBeLessThanOrEqual(15 + END_MARGIN_SECONDS);
    const junit = readFileSync(path.join(runDir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<testcase classname="megatest\.run"[^>]*>\s*<failure [^>]*type="timeout"/);
  }, 150_000);
});
