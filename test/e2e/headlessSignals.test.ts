// Signals a person sends a headless run from its terminal. SIGQUIT
// (Ctrl-\): the stop that does not wait. The terminal's SIGQUIT reaches the
// orchestrator's job, not its agents, which lead process groups of their
// own: before, they went on working (and spending) with nobody watching.
// Now they are killed with it, what was queued is written, and the run is
// left to `megatest resume`, which carries it on. A second SIGINT while the
// stop is under way: one stop recorded, and the way to quit at once said.
// Keyed on the first tool call, on files the held tests write and on the
// process's exit.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { isPidAlive, readControlFile } from '../../src/io/sessions.js';
import { agentPidsOf, BUILT, eventsOf, readEvents, readStatusWord, removeDir, runCli, runHeadless, tempRunsDir, waitFor, waitForEventWhileRunning } from '../helpers/cli.js';

describe.skipIf(!BUILT)(`signals to a headless run${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-quit-signal-');
  afterAll(() => removeDir(runsDir));

  it('SIGQUIT kills its agents with it, writes what was queued, exits 131, and the run resumes', async () => {
    const runDir = path.join(runsDir, 'quit');
    const config = path.join('test', 'fixtures', 'e2e', 'fast.toml');
    const run = runHeadless(['run', 'task_queue', '--headless', '--agents', '2', '--duration', '10m', '--config', config, '--runs-dir', runsDir, '--session-id', 'quit', '--port', '18642'], { timeoutMs: 120_000 });
    let agents: number[] = [];
    try {
      await waitForEventWhileRunning(run, runDir, 'tool_call');
      agents = agentPidsOf(runDir);
      expect(agents).toHaveLength(2);
      run.child.kill('SIGQUIT');
      const result = await run.done;
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(131);
      expect(result.stderr).toContain(`quit (SIGQUIT): its agents are killed, with no final checkpoint or report; carry the run on with: megatest resume ${runDir}`);
    } finally {
      run.child.kill('SIGKILL');
      for (const pid of agentPidsOf(runDir)) process.kill(pid, 'SIGKILL');
    }
    // No agent is left working: each is gone (reaped by init once its orchestrator exited).
    for (const pid of agents) await waitFor(() => !isPidAlive(pid) || undefined, `agent ${pid} gone`, 30_000, 50);
    expect(readFileSync(path.join(runDir, 'session.log'), 'utf8')).toMatch(/SIGQUIT: quit at once, 2 agent process groups killed/);
    // As after a kill -9: no session_ended, the status still says running, nothing runs it.
    const events = readEvents(runDir);
    expect(eventsOf(events, 'session_ended')).toEqual([]);
    expect(readStatusWord(runDir)).toBe('running');
    expect(isPidAlive(readControlFile(runDir)!.pid)).toBe(false);

    // megatest resume carries it on; stopped once it runs again.
    const resumed = runHeadless(['resume', runDir, '--headless'], { timeoutMs: 120_000 });
    try {
      await waitFor(() => eventsOf(readEvents(runDir), 'command').some((c) => c.name === 'resume' && c.source === 'cli') || undefined, 'the resume', 60_000, 100);
      const stop = await runCli(['stop', runDir]);
      expect(stop.code, stop.stderr).toBe(0);
      const result = await resumed.done;
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(130);
    } finally {
      resumed.child.kill('SIGKILL');
    }
    expect(readEvents(runDir).at(-1)).toMatchObject({ type: 'session_ended', status: 'interrupted' });
  }, 240_000);

  it('a second SIGINT while the stop is under way records no second stop, and says Ctrl-\\ quits at once', async () => {
    const runDir = path.join(runsDir, 'twice');
    const [hold, held, release] = ['hold', 'held', 'release'].map((name) => path.join(runsDir, name));
    // Tests that pass at once, until `hold` exists: then they wait for `release` (the stop's final measurement runs them).
    const script = path.join(runsDir, 'held-tests.mjs');
    writeFileSync(
      script,
      [
        "import { existsSync, writeFileSync } from 'node:fs';",
        `const [hold, held, release] = ${JSON.stringify([hold, held, release])};`,
        "const done = () => process.stdout.write('TAP version 13\\n1..0\\n');",
        'if (!existsSync(hold)) done();',
        // Bounded, as every helper a test starts: a test that failed before its release leaves nothing waiting.
        "else { writeFileSync(held, ''); const until = Date.now() + 150000; const timer = setInterval(() => { if (existsSync(release) || Date.now() > until) { clearInterval(timer); done(); } }, 50); }",
        '',
      ].join('\n'),
    );
    const config = path.join(runsDir, 'held-tests.toml');
    writeFileSync(
      config,
      [
        '[projects.task_queue]',
        'build_command = "node scripts/build.mjs"',
        `test_command = ${JSON.stringify(`node ${script}`)}`,
        `coverage_command = ${JSON.stringify(`node ${script}`)}`,
        'test_format = "node-tap"',
        'test_report = ""',
        'coverage_report = "coverage/lcov.info"',
        'coverage_format = "lcov"',
        '[monitoring]',
        'health_check_interval = 1',
        '',
      ].join('\n'),
    );
    // A command agent (the sim's project commands are its own, not the config's).
    const simAgent = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'sim-agent.mjs');
    const run = runHeadless(
      ['run', 'task_queue', '--headless', '--agents', '1', '--duration', '10m', '--config', config, '--agent', 'command', '--agent-cmd', `${JSON.stringify(process.execPath)} ${JSON.stringify(simAgent)}`, '--runs-dir', runsDir, '--session-id', 'twice', '--port', '18643'],
      { timeoutMs: 180_000 },
    );
    try {
      await waitForEventWhileRunning(run, runDir, 'tool_call');
      writeFileSync(hold, '');
      run.child.kill('SIGINT');
      await waitFor(() => eventsOf(readEvents(runDir), 'command').some((c) => c.name === 'stop') || undefined, 'the stop', 60_000, 50);
      // The stop cannot end before `release`: its final measurement's tests wait for it.
      await waitFor(() => existsSync(held) || undefined, 'the held tests', 120_000, 50);
      run.child.kill('SIGINT');
      await waitFor(() => run.output.stderr.includes('SIGINT: a stop is already under way and goes on') || undefined, 'the second SIGINT answered', 60_000, 50);
      expect(run.output.stderr).toContain('Ctrl-\\ (SIGQUIT) quits at once');
      writeFileSync(release, '');
      const result = await run.done;
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(130);
    } finally {
      run.child.kill('SIGKILL');
      writeFileSync(release, '');
    }
    const stops = eventsOf(readEvents(runDir), 'command').filter((c) => c.name === 'stop');
    expect(stops).toEqual([expect.objectContaining({ source: 'signal', detail: 'SIGINT' })]);
    expect(readEvents(runDir).at(-1)).toMatchObject({ type: 'session_ended', status: 'interrupted', exit_code: 130 });
  }, 240_000);
});
