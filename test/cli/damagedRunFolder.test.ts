// A run folder damaged after the run (config.json not JSON, checkpoints/ a
// file, events.jsonl garbage) given to report, resume and checkpoints
// verify: one line naming the file and what is wrong, no stack trace, and
// nothing the run wrote is lost (a good report is not replaced by one of nothing).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILT, runCli } from '../helpers/cli.js';
import { fingerprintTree } from '../helpers/checkpointTree.js';
import { recordedRunFolder } from '../legacy/legacyFixtures.js';

let base: string;
let runDir: string;

beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'megatest-damaged-'));
  runDir = recordedRunFolder(path.join(base, 'runs'), 'damaged');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

/** One line on stderr, no stack trace ("    at …"). */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  return lines[0]!;
}

describe.skipIf(!BUILT)(`a damaged run folder${BUILT ? '' : ' (skipped: dist/ is not built; npm run build)'}`, () => {
  it('config.json that is not JSON: report and resume say so in one line naming it, exit 2, and write nothing', async () => {
    const config = path.join(runDir, 'config.json');
    writeFileSync(config, '{not json');
    const before = fingerprintTree(runDir);
    for (const args of [['report', runDir], ['resume', runDir, '--headless']]) {
      const result = await runCli(args);
      expect(result.code, result.stderr).toBe(2);
      expect(oneLine(result.stderr)).toMatch(new RegExp(`^megatest: ${config.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not valid JSON \\(.+\\); the run folder's config is damaged$`));
    }
    expect(fingerprintTree(runDir)).toEqual(before);
  });

  it('config.json that is JSON of another shape: report, resume and compare name what it lacks in one line, exit 2, and write nothing', async () => {
    const config = path.join(runDir, 'config.json');
    const info = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
    const { config: _dropped, ...withoutConfig } = info;
    const shapes: [unknown, string][] = [
      [withoutConfig, 'no "config" object'],
      [{ ...info, config: { ...(info.config as object), phases: 'all' } }, 'no "config.phases" list'],
      [{ ...info, template: null }, 'no "template" object'],
      [[info], 'not a JSON object'],
    ];
    for (const [shape, lacks] of shapes) {
      writeFileSync(config, JSON.stringify(shape));
      const before = fingerprintTree(runDir);
      for (const args of [['report', runDir], ['resume', runDir, '--headless'], ['compare', runDir, runDir]]) {
        const result = await runCli(args);
        expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
        expect(oneLine(result.stderr)).toContain(`${config}: ${lacks}; the run folder's config is damaged`);
      }
      expect(fingerprintTree(runDir)).toEqual(before);
    }
  });

  it('config.json that holds binary bytes: the message names what is there, never the bytes themselves', async () => {
    writeFileSync(path.join(runDir, 'config.json'), Buffer.from([0x8b, 0x00, 0x76, 0xff, 0x60, 0x30]));
    const result = await runCli(['report', runDir]);
    expect(result.code).toBe(2);
    expect(oneLine(result.stderr)).toMatch(/: not valid JSON \(unexpected bytes that are not UTF-8 text\); the run folder's config is damaged$/);
    expect(result.stderr).not.toMatch(/[\u0000\u0080-\u009f\ufffd]/);
  });

  it('checkpoints/ that is a file: checkpoints verify, report and resume say so in one line, exit 1, and change nothing', async () => {
    const checkpoints = path.join(runDir, 'checkpoints');
    rmSync(checkpoints, { recursive: true });
    writeFileSync(checkpoints, 'not a folder\n');
    const before = fingerprintTree(runDir);
    for (const args of [['checkpoints', 'verify', runDir], ['report', runDir], ['resume', runDir, '--headless']]) {
      const result = await runCli(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(1);
      expect(oneLine(result.stderr)).toBe(`megatest: ${checkpoints}: is a file, not a folder; no checkpoint of the run can be read`);
    }
    expect(fingerprintTree(runDir)).toEqual(before);
  });

  it('checkpoints/ that is a file or gone: status says so, with the newest checkpoint the event log records, not "none"', async () => {
    const checkpoints = path.join(runDir, 'checkpoints');
    const logged = readFileSync(path.join(runDir, 'events.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line))
      .filter((event) => event.type === 'checkpoint_created');
    expect(logged.length).toBeGreaterThan(0);
    const newest = logged.at(-1);
    const expectLine = (stdout: string, why: string) => {
      const line = stdout.split('\n').find((l) => l.startsWith('checkpoint '));
      expect(line).toBe(`checkpoint ${newest.id}  phase ${newest.phase}  ${newest.trigger}  ${newest.ts}  (${why}; as the event log records it)`);
    };
    rmSync(checkpoints, { recursive: true });
    expectLine((await runCli(['status', runDir])).stdout, 'checkpoints is missing');
    writeFileSync(checkpoints, 'not a folder\n');
    const result = await runCli(['status', runDir]);
    expect(result.code, result.stderr).toBe(0);
    expectLine(result.stdout, 'checkpoints is a file, not a folder');
    const json = JSON.parse((await runCli(['status', runDir, '--json'])).stdout);
    expect(json.checkpoints_unreadable).toBe('checkpoints is a file, not a folder');
    expect(json.last_checkpoint).toEqual({ id: newest.id, phase: newest.phase, timestamp: newest.ts, trigger: newest.trigger });
  });

  it('events.jsonl turned to garbage: report refuses, naming it, and leaves the report the run had', async () => {
    const written = await runCli(['report', runDir, '--format', 'json']);
    expect(written.stderr).toBe('');
    const reports = ['final_report.json', 'final_report.md', 'junit.xml'].map((name) => path.join(runDir, name));
    const good = reports.map((file) => readFileSync(file));
    // Bytes with no newline-separated JSON object in them: no event of the log can be read.
    const garbage = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) % 251));
    writeFileSync(path.join(runDir, 'events.jsonl'), garbage);
    const lines = garbage.toString('latin1').split('\n').filter((line) => line.trim() !== '').length;
    const result = await runCli(['report', runDir]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(oneLine(result.stderr)).toBe(
      `megatest report: ${path.join(runDir, 'events.jsonl')}: ${lines} unreadable line${lines === 1 ? '' : 's'}, no session_started event: nothing to report; final_report.* left as they were`,
    );
    expect(reports.map((file) => readFileSync(file))).toEqual(good);
  });
});

describe.skipIf(!BUILT)(`damaged event logs beside good runs${BUILT ? '' : ' (skipped: dist/ is not built; npm run build)'}`, () => {
  it('a metrics line without its metrics is a damaged line: status, report and replay read the rest, no stack trace', async () => {
    const events = path.join(runDir, 'events.jsonl');
    const lines = readFileSync(events, 'utf8').split('\n').filter(Boolean);
    const seq = lines.length + 1;
    writeFileSync(events, [...lines, JSON.stringify({ seq, ts: '2026-12-06T13:22:22Z', type: 'metrics', metrics: null })].join('\n') + '\n');
    rmSync(path.join(runDir, 'events.idx'), { force: true });
    for (const args of [['status', runDir], ['report', runDir, '--format', 'json'], ['replay', runDir, '--frame']]) {
      const result = await runCli(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBeLessThanOrEqual(1);
      expect(result.stderr, args.join(' ')).not.toMatch(/TypeError|\n\s+at /);
    }
    const frame = await runCli(['replay', runDir, '--frame', '--width', '160']);
    expect(frame.stdout).toContain(`events.jsonl: line ${seq} not an event (its metrics body is missing what readers need)`);
  });

  it('events.jsonl that is a folder: ls lists every run, that one unreadable and why on stderr; clean keeps it; replay says so', async () => {
    const runsDir = path.dirname(runDir);
    const good = recordedRunFolder(runsDir, 'good');
    const events = path.join(runDir, 'events.jsonl');
    rmSync(events);
    rmSync(path.join(runDir, 'events.idx'), { force: true });
    mkdirSync(events);
    const listed = await runCli(['ls', '--runs-dir', runsDir, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const runs = JSON.parse(listed.stdout) as Array<{ id: string; status: string; problem?: string }>;
    expect(runs.map((run) => [run.id, run.status]).sort()).toEqual([['damaged', 'unreadable'], [path.basename(good), expect.not.stringMatching(/^unreadable$/)]]);
    expect(runs.find((run) => run.id === 'damaged')!.problem).toBe(`cannot read ${events} (EISDIR)`);
    expect(oneLine(listed.stderr)).toBe(`megatest ls: ${runDir}: cannot read ${events} (EISDIR)`);
    const cleaned = await runCli(['clean', '--older-than', '1s', '--runs-dir', runsDir]);
    expect(cleaned.stdout).toContain(`keeping ${runDir} (unreadable: cannot read ${events} (EISDIR))`);
    expect(existsSync(runDir)).toBe(true);
    const replayed = await runCli(['replay', runDir, '--frame', '--width', '160']);
    expect(replayed.code).toBe(1);
    expect(oneLine(replayed.stderr)).toBe(`megatest replay: cannot read ${events} (EISDIR); nothing to replay`);
  });

  it('events.jsonl or session.log that is a FIFO: replay says so at once (one line, exit 1; the log as damage) instead of waiting for a writer for ever', async () => {
    const events = path.join(runDir, 'events.jsonl');
    const sessionLog = path.join(runDir, 'session.log');
    rmSync(sessionLog, { force: true });
    execFileSync('mkfifo', [sessionLog]);
    // A hang would be killed at the timeout and fail on its exit code, never waited out.
    const logFifo = await runCli(['replay', runDir, '--frame', '--width', '160'], { timeoutMs: 30_000 });
    expect(logFifo.code, logFifo.stderr).toBe(0);
    expect(logFifo.stdout).toContain('session.log: cannot be read (not a regular file)');
    rmSync(events);
    rmSync(path.join(runDir, 'events.idx'), { force: true });
    execFileSync('mkfifo', [events]);
    const replayed = await runCli(['replay', runDir, '--frame'], { timeoutMs: 30_000 });
    expect(replayed.code).toBe(1);
    expect(oneLine(replayed.stderr)).toBe(`megatest replay: cannot read ${events} (not a regular file); nothing to replay`);
  });

  it('compare of a run whose events.jsonl is a FIFO: one line, exit 1 (damage, as status says it), not exit 2 (usage)', async () => {
    const other = recordedRunFolder(path.join(base, 'runs'), 'other');
    const events = path.join(runDir, 'events.jsonl');
    rmSync(events);
    rmSync(path.join(runDir, 'events.idx'), { force: true });
    execFileSync('mkfifo', [events]);
    const compared = await runCli(['compare', other, runDir], { timeoutMs: 30_000 });
    expect(compared.code, compared.stderr).toBe(1);
    expect(oneLine(compared.stderr)).toMatch(/^megatest compare: .*damaged: cannot read .*events\.jsonl \(not a regular file\)/);
  });
});
