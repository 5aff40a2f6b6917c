// `megatest replay` through the built CLI (npm run build first): --frame on a
// run folder made from a recorded event log prints the same frame as the
// console's golden frames, with no terminal; bad input exits 2 with one line.

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT, runCli } from '../helpers/cli.js';

const FIXTURES = path.join(PACKAGE_ROOT, 'test', 'fixtures');
const GOLDEN = (name: string) => readFileSync(path.join(FIXTURES, 'replay', name), 'utf8');
const UTF8 = { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };

describe.skipIf(!BUILT)(`megatest replay${BUILT ? '' : ' (skipped: run npm run build first)'}`, () => {
  const root = mkdtempSync(path.join(tmpdir(), 'megatest-replay-'));
  // A run folder needs its events.jsonl; session.log when there is one (the index goes beside them).
  const runDir = path.join(root, 'rec');
  mkdirSync(runDir);
  copyFileSync(path.join(FIXTURES, 'events', 'restore_session.jsonl'), path.join(runDir, 'events.jsonl'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('--frame --at SEQ prints the golden frame (100x40 by default) and exits 0', async () => {
    const result = await runCli(['replay', runDir, '--frame', '--at', '130'], { env: UTF8 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(GOLDEN('restore_session.seq130.100x40.txt'));
  });

  it('--frame defaults to the end; --width/--height/--ascii size and draw it', async () => {
    const result = await runCli(['replay', runDir, '--frame', '--width', '80', '--height', '24', '--ascii'], { env: UTF8 });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(GOLDEN('restore_session.seq421.80x24.txt'));
  });

  it('a run killed before its end (its orchestrator gone, no session_ended): its end says so, with how to resume; earlier frames do not', async () => {
    const killed = path.join(root, 'killed');
    mkdirSync(killed);
    const lines = readFileSync(path.join(FIXTURES, 'events', 'restore_session.jsonl'), 'utf8').trim().split('\n');
    // Killed in its refinement phase: its last 120 events never written.
    writeFileSync(path.join(killed, 'events.jsonl'), lines.slice(0, 300).join('\n') + '\n');
    // A pid no process has: the orchestrator that wrote it is gone.
    writeFileSync(path.join(killed, 'control.json'), JSON.stringify({ pid: 2 ** 22 + 7, host: '127.0.0.1', port: 1, started_at: new Date().toISOString() }));
    const end = await runCli(['replay', killed, '--frame', '--width', '120'], { env: UTF8 });
    expect(end.stdout.split('\n')[0]).toMatch(/ running\? /);
    expect(end.stdout).toContain(`orchestrator not running — megatest resume ${killed}`);
    const earlier = await runCli(['replay', killed, '--frame', '--width', '120', '--at', '130'], { env: UTF8 });
    expect(earlier.stdout).not.toContain('orchestrator not running');
  });

  it('--at takes an offset from the start or an ISO time', async () => {
    const first = JSON.parse(readFileSync(path.join(runDir, 'events.jsonl'), 'utf8').split('\n')[0]!) as { ts: string };
    const offset = await runCli(['replay', runDir, '--frame', '--at', '20s'], { env: UTF8 });
    expect(offset.code).toBe(0);
    expect(offset.stdout).toMatch(/paused 1x {2}\d\d:\d\d:\d\d {2}\+20s \/ /);
    const iso = new Date(Date.parse(first.ts) + 20_000).toISOString();
    const byTime = await runCli(['replay', runDir, '--frame', '--at', iso], { env: UTF8 });
    expect(byTime.code).toBe(0);
    expect(byTime.stdout).toBe(offset.stdout);
  });

  it('--at outside the run: shows its end (or start) and says so on stderr, exit 0', async () => {
    const events = readFileSync(path.join(runDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number; ts: string });
    const lastSeq = events.at(-1)!.seq;
    const end = await runCli(['replay', runDir, '--frame'], { env: UTF8 });
    const pastSeq = await runCli(['replay', runDir, '--frame', '--at', String(lastSeq + 1000)], { env: UTF8 });
    expect(pastSeq.code).toBe(0);
    expect(pastSeq.stdout).toBe(end.stdout);
    expect(pastSeq.stderr).toBe(`megatest replay: --at ${lastSeq + 1000}: past the run's last event (seq ${lastSeq}); showing its end\n`);
    const atLast = await runCli(['replay', runDir, '--frame', '--at', String(lastSeq)], { env: UTF8 });
    expect(atLast.stderr).toBe('');
    const before = new Date(Date.parse(events[0]!.ts) - 3_600_000).toISOString();
    const beforeStart = await runCli(['replay', runDir, '--frame', '--at', before], { env: UTF8 });
    expect(beforeStart.code).toBe(0);
    expect(beforeStart.stderr).toBe(`megatest replay: --at ${before}: before the run's first event (${new Date(Date.parse(events[0]!.ts)).toISOString()}); showing its start\n`);
  });

  const bad: { name: string; args: () => string[]; message: RegExp }[] = [
    { name: 'a folder that does not exist', args: () => ['replay', path.join(root, 'nope'), '--frame'], message: /nope is not a run folder/ },
    { name: 'a folder that is not a run folder', args: () => ['replay', root, '--frame'], message: /is not a run folder/ },
    {
      name: 'a file, named as the run folder',
      args: () => {
        const file = path.join(root, 'a-file');
        writeFileSync(file, 'x');
        return ['replay', file, '--frame'];
      },
      message: /a-file is not a run folder \(a file, not a folder; give the folder that holds events\.jsonl\)$/,
    },
    { name: 'interactive without a terminal', args: () => ['replay', runDir], message: /^megatest: replay needs a terminal; use --frame$/ },
    { name: '--speed out of range', args: () => ['replay', runDir, '--speed', '0'], message: /--speed 0: must be from 1 to 1000/ },
    { name: '--speed with a space', args: () => ['replay', runDir, '--frame', '--speed', ' 5'], message: /^megatest: --speed " 5": must be a whole number from 1 to 1000$/ },
    { name: '--at that is neither', args: () => ['replay', runDir, '--frame', '--at', 'soon'], message: /--at "soon": expected a seq/ },
    { name: 'an unknown theme', args: () => ['replay', runDir, '--theme', 'neon'], message: /--theme "neon": unknown theme/ },
    { name: 'no folder', args: () => ['replay', '--frame'], message: /expected one run folder/ },
  ];
  for (const { name, args, message } of bad) {
    it(`${name}: exit 2 and one line`, async () => {
      const result = await runCli(args());
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    });
  }

  it('--help says what --at takes and lists the keys; megatest --help lists replay', async () => {
    const help = await runCli(['replay', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--at SEQ .*seq/);
    expect(help.stdout).toMatch(/--at TIME .*ISO time/);
    expect(help.stdout).toMatch(/offset from the first event/);
    expect(help.stdout).toMatch(/n\/N next\/previous checkpoint/);
    expect((await runCli(['--help'])).stdout).toMatch(/^ {2}replay DIR/m);
  });
});
