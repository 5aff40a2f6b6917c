// A full disk pauses the session instead of killing it (issue 11, item 1).
// The run folder lives on a small tmpfs the test mounts (root only; skipped
// with the reason otherwise). After the agents' first tool call the test
// fills the disk: the session pauses with an alert, events.jsonl keeps only
// whole lines, the control API still answers; once the ballast is removed
// the session continues by itself, ends, and writes its report. Every wait
// keys on events or on the API's answer.

import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/io/controlClient.js';
import { BUILT, killAgentsOf, eventsOf, readEvents, runHeadless, sessionArgs, type RunningCli, waitForEventWhileRunning } from '../helpers/cli.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { suiteTmpfs } from '../helpers/tmpfs.js';

const CONFIG = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'disk-full.toml');

/** Writes zeros until the disk refuses; returns the ballast file. */
function fillDisk(dir: string): string {
  const file = path.join(dir, 'ballast');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(256 * 1024);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return file;
}

/** Polls the API (the status file cannot be written while the disk is full). */
async function waitForStatus(client: ControlClient, want: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if ((await client.status()).status === want) return;
    if (Date.now() > deadline) throw new Error(`the session never became ${want}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const mount = BUILT ? suiteTmpfs(40, 'megatest-diskfull-') : { skip: 'dist/ is not built', dir: '' };
const skipReason = mount.skip;

describe.skipIf(skipReason !== '')(`a full disk${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const runsDir = mount.dir;
  const runDir = path.join(runsDir, 'full');
  let run: RunningCli | undefined;

  afterAll(() => {
    if (run && run.child.exitCode === null) run.child.kill('SIGKILL');
    if (process.env.KEEP_DISKFULL) {
      execFileSync('cp', ['-a', runDir, process.env.KEEP_DISKFULL]);
    }
    killAgentsOf(runDir);
    // The tmpfs goes in suiteTmpfs's afterAll, which runs after this one.
  });

  it('pauses with an alert, tears no line, continues by itself once there is room, and ends with its report', async () => {
    run = runHeadless(sessionArgs(runsDir, 'full', CONFIG, ['--duration', '60s']), { timeoutMs: 400_000 });
    await waitForEventWhileRunning(run, runDir, 'tool_call', () => true, 240_000);
    const client = await ControlClient.fromRunDir(runDir, { source: 'cli', timeoutMs: 30_000 });

    const ballast = fillDisk(runsDir);
    // The orchestrator notices at its next write and pauses; the API (in memory) still answers.
    await waitForStatus(client, 'paused');
    const text = readFileSync(path.join(runDir, 'events.jsonl'), 'utf8');
    expect(text.endsWith('\n'), 'events.jsonl ends with a whole line').toBe(true);
    for (const line of text.trimEnd().split('\n')) expect(() => JSON.parse(line)).not.toThrow();

    unlinkSync(ballast);
    const ended = await run.done;
    // It ends on its merits (its tasks done, or its duration reached while the agents were slowed by the full disk).
    expect([0, 1, 124], ended.stderr.slice(-2000)).toContain(ended.code);

    const events = readEvents(runDir);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    // Whichever write met the full disk first (the event log's, or an agent's in project/) says so.
    expect(eventsOf(events, 'error').some((e) => e.class === 'disk_full' && /ENOSPC/.test(e.message))).toBe(true);
    const commands = eventsOf(events, 'command').filter((e) => e.source === 'engine');
    expect(commands.map((e) => e.name)).toEqual(expect.arrayContaining(['pause', 'continue']));
    expect(eventsOf(events, 'alert').some((e) => /the disk takes writes again/.test(e.message))).toBe(true);
    expect(eventsOf(events, 'alert').some((e) => e.level === 'critical' && /disk/.test(e.message))).toBe(true);
    expect(eventsOf(events, 'session_ended')).toHaveLength(1);
    expect(readFileSync(path.join(runDir, 'status'), 'utf8').trim()).toMatch(/completed|failed|timeout/);
    expect(JSON.parse(readFileSync(path.join(runDir, 'final_report.json'), 'utf8'))).toHaveProperty('verdict');
  }, 420_000);

  it('filled at a phase gate, where the phase checkpoint meets the full disk: the session pauses for the disk, and the orchestrator never ends', async () => {
    const gateDir = path.join(runsDir, 'gate');
    const gate = runHeadless(sessionArgs(runsDir, 'gate', CONFIG, ['--duration', '60s']), { timeoutMs: 400_000 });
    run = gate;
    // The first phase's gate has built: its phase-end checkpoint comes next.
    await waitForEventWhileRunning(gate, gateDir, 'build', () => true, 240_000);
    const client = await ControlClient.fromRunDir(gateDir, { source: 'cli', timeoutMs: 30_000 });
    const ballast = fillDisk(runsDir);
    await waitForStatus(client, 'paused');
    expect(gate.child.exitCode, 'the orchestrator is still running').toBeNull();
    unlinkSync(ballast);
    const ended = await gate.done;
    expect([0, 1, 124], ended.stderr.slice(-2000)).toContain(ended.code);
    expect(ended.stderr).not.toMatch(/\n\s+at /);
    const events = readEvents(gateDir);
    expect(eventsOf(events, 'error').some((e) => e.class === 'disk_full')).toBe(true);
    expect(eventsOf(events, 'session_ended')).toHaveLength(1);
    expect(JSON.parse(readFileSync(path.join(gateDir, 'final_report.json'), 'utf8'))).toHaveProperty('verdict');
  }, 420_000);
});
