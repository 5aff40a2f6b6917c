// A resume reads the whole event log or stops (issue 13 §4): a log the disk
// will not give back, or one with lines but no session_started, stops it
// with one line and a non-zero exit, and nothing is appended (never a second
// session_started, never a silent start from phase 1). A resume starts from
// the events.idx the orchestrators keep, reading only what followed it. A
// line that is not an event is skipped, and said in an alert.

import { copyFileSync, mkdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldEventFile, foldRunFolder } from '../../src/io/foldLog.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import {
  BUILT,
  eventsOf,
  readEvents,
  removeDir,
  runCli,
  runHeadless,
  sessionArgs,
  tempRunsDir,
  waitFor,
  waitForEventWhileRunning,
} from '../helpers/cli.js';

const CONFIG = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'resume', 'resumeLog.toml');
const oneLine = (text: string) => text.trim().split('\n').length === 1;
const countMatches = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

describe.skipIf(!BUILT)('resume reads the whole log or stops (needs npm run build)', () => {
  const runsDir = tempRunsDir('megatest-resumelog-');
  const runDir = path.join(runsDir, 'resume-log');
  const events = path.join(runDir, 'events.jsonl');
  let crashedLog = '';

  beforeAll(async () => {
    const run = runHeadless(sessionArgs(runsDir, 'resume-log', CONFIG, ['--duration', '90s']), { timeoutMs: 120_000 });
    try {
      await waitForEventWhileRunning(run, runDir, 'checkpoint_created', () => true, 100_000);
    } finally {
      run.child.kill('SIGKILL');
    }
    await run.done;
    crashedLog = readFileSync(events, 'utf8');
  }, 130_000);
  afterAll(() => removeDir(runsDir));

  it('a folder in place of events.jsonl: exit 1, one line naming it, nothing written', async () => {
    renameSync(events, `${events}.kept`);
    mkdirSync(events);
    try {
      const resumed = await runCli(['resume', runDir, '--headless']);
      expect(resumed.code, resumed.stderr).toBe(1);
      expect(oneLine(resumed.stderr), resumed.stderr).toBe(true);
      expect(resumed.stderr).toMatch(/^megatest resume: cannot read .*events\.jsonl \(EISDIR\); the session was not resumed\n$/);
      // The console's detached orchestrator has no preflight before it: it stops on the same failure, in one line.
      const orchestrated = await runCli(['orchestrate', runDir, '--resume']);
      expect(orchestrated.code, orchestrated.stderr).toBe(1);
      expect(oneLine(orchestrated.stderr), orchestrated.stderr).toBe(true);
      expect(orchestrated.stderr).toMatch(/cannot open .*events\.jsonl \(EISDIR\)/);
    } finally {
      rmdirSync(events);
      renameSync(`${events}.kept`, events);
    }
    expect(readFileSync(events, 'utf8')).toBe(crashedLog);
  });

  it('a log with lines but no session_started: exit 2, and the log is left as it was (no second start in it)', async () => {
    copyFileSync(events, `${events}.kept`);
    const foreign = 'this is not\nan event log\n';
    writeFileSync(events, foreign);
    try {
      const resumed = await runCli(['resume', runDir, '--headless']);
      expect(resumed.code, resumed.stderr).toBe(2);
      expect(oneLine(resumed.stderr), resumed.stderr).toBe(true);
      expect(resumed.stderr).toMatch(new RegExp(`events\\.jsonl holds ${Buffer.byteLength(foreign)} bytes but no readable session_started; refusing to start the session over in it`));
      expect(readFileSync(events, 'utf8')).toBe(foreign);
    } finally {
      renameSync(`${events}.kept`, events);
    }
  });

  it('resumes from the index kept beside the log, reading only what followed it; one session_started throughout', async () => {
    expect(countMatches(crashedLog, /"type":"session_started"/g)).toBe(1);
    // First resume: the index the killed orchestrator kept is carried on; then killed again once it resumed.
    const first = runHeadless(['resume', runDir, '--headless'], { timeoutMs: 120_000 });
    try {
      await waitFor(() => eventsOf(readEvents(runDir), 'command').some((c) => c.name === 'resume'), 'the first resume', 100_000);
      await waitFor(() => readFileSync(path.join(runDir, 'session.log'), 'utf8').includes('log folded'), 'its fold said in session.log', 60_000);
    } finally {
      first.child.kill('SIGKILL');
    }
    await first.done;
    const before = readEvents(runDir).length;
    // Second resume, stopped (SIGTERM) once it resumed: it ends interrupted, with its report.
    const second = runHeadless(['resume', runDir, '--headless'], { timeoutMs: 120_000 });
    await waitFor(() => eventsOf(readEvents(runDir), 'command').filter((c) => c.name === 'resume').length === 2 || second.output.stderr !== '', 'the second resume', 100_000);
    second.child.kill('SIGTERM');
    await second.done;

    const sessionLog = readFileSync(path.join(runDir, 'session.log'), 'utf8');
    // The first resume may have built the index again (the refused resume above indexed the foreign log); the second carries it on.
    const folds = [...sessionLog.matchAll(/log folded (?:the whole log read \(events\.idx built\)|from events\.idx): (\d+) events read from events\.jsonl in \d+ ms, (\d+) in all/g)];
    expect(folds, sessionLog).toHaveLength(2);
    expect(folds[1]![0]).toMatch(/from events\.idx:/);
    // The second resume read only what the first wrote after its index was last written, not the whole log.
    const [, read, all] = folds[1]!;
    expect(Number(all)).toBe(before);
    expect(Number(read)).toBeLessThan(before);

    const log = readEvents(runDir);
    log.forEach((event, index) => expect(event.seq).toBe(index + 1));
    expect(eventsOf(log, 'session_started')).toHaveLength(1);
    expect(log.at(-1)?.type).toBe('session_ended');
    // The orchestrator left the index covering the whole log: the next reader (status, report) reads nothing more.
    const fromIndex = await foldRunFolder(runDir);
    expect(fromIndex.from).toBe('index');
    expect(fromIndex.state).toEqual((await foldEventFile(events)).state);
    const report = await runCli(['report', runDir, '--format', 'json']);
    expect(JSON.parse(report.stdout).event_log.events).toBe(countMatches(readFileSync(events, 'utf8'), /^\{"seq":/gm));
  });

  it('a line of the log that is not an event: the resume goes on, and says so in an alert right after its own event', async () => {
    // Bytes a disk damaged, put between two events (an event overwritten would also leave a gap in seq).
    const lines = readFileSync(events, 'utf8').split('\n');
    const at = Math.floor(lines.length / 2);
    lines.splice(at, 0, '{"seq":\u0000\u0000 damaged');
    writeFileSync(events, lines.join('\n'));
    const resumed = runHeadless(['resume', runDir, '--headless'], { timeoutMs: 120_000 });
    const eventsNow = () => readFileSync(events, 'utf8').split('\n').flatMap((line) => (line.startsWith('{"seq":') && line.endsWith('}') ? [JSON.parse(line) as { type: string; name?: string; message?: string }] : []));
    await waitFor(() => eventsNow().filter((e) => e.type === 'command' && e.name === 'resume').length === 3 || resumed.output.stderr !== '', 'the third resume', 100_000);
    resumed.child.kill('SIGTERM');
    await resumed.done;
    const log = eventsNow();
    const resume = log.map((e) => e.type === 'command' && e.name === 'resume').lastIndexOf(true);
    expect(log[resume + 1]).toMatchObject({ type: 'alert', level: 'warning' });
    expect(log[resume + 1]!.message).toMatch(/^events\.jsonl: 1 line is not an event( \(line \d+\))?, skipped by the resume; the report lists it as damage, and an event it held as lost \(a gap in seq\)$/);
    if (/\(line/.test(log[resume + 1]!.message!)) expect(log[resume + 1]!.message).toContain(`(line ${at + 1})`);
    expect(readFileSync(path.join(runDir, 'session.log'), 'utf8')).toContain(log[resume + 1]!.message);
  });
});
