// `megatest clean`: a run's age is its recorded end (never the folder's
// mtime), a running run is never deleted, --dry-run deletes nothing.

import { existsSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGE_MAX } from '../../src/cli/commandArgs.js';
import { deadPid, makeRun } from '../control/runFixtures.js';
import { copyLegacyFixtures, LEGACY_NAMES, makeBashRunGoing, recordedRunFolder } from '../legacy/legacyFixtures.js';
import { captureCli } from './captureCli.js';

const DAY = 86_400_000;
let runs: string;

/** Drops the session_ended line: a run that never recorded its end. */
function withoutEnd(dir: string): void {
  const file = path.join(dir, 'events.jsonl');
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.includes('"type":"session_ended"'));
  writeFileSync(file, lines.join('\n') + '\n');
}

beforeEach(() => {
  runs = copyLegacyFixtures('megatest-clean-');
  // ended an hour ago, but its folder looks ancient: kept
  const recent = recordedRunFolder(runs, 'recent', 3_600_000);
  utimesSync(recent, new Date('2000-01-01'), new Date('2000-01-01'));
  // ended 30 days ago
  recordedRunFolder(runs, 'old', 30 * DAY);
  // crashed 30 days ago: no end recorded, its orchestrator's pid is gone
  const crashed = recordedRunFolder(runs, 'crashed', 30 * DAY);
  withoutEnd(crashed);
  writeFileSync(path.join(crashed, 'control.json'), JSON.stringify({ pid: deadPid(), host: '127.0.0.1', port: 1, started_at: '2025-01-01T00:00:00Z' }));
  // not ended, no orchestrator named yet, last event a minute ago: may still be starting
  withoutEnd(recordedRunFolder(runs, 'starting', 60_000));
  // a live orchestrator, however old its record
  makeRun(runs, 'live', { createdAt: '2025-01-01T00:00:00Z', control: { pid: process.pid } });
  // a legacy run still going: its monitor is alive (and began with it: a pid reused since does not count)
  makeBashRunGoing(path.join(runs, 'bash-complete'), process.pid);
  // legacy runs from March 2026 whose folders were just touched: still old
  for (const name of LEGACY_NAMES) utimesSync(path.join(runs, name), new Date(), new Date());
});
afterEach(() => rmSync(runs, { recursive: true, force: true }));

// 'crashed' never finished: megatest resume could carry it on, so it goes only with --include-unfinished (no terminal here to ask on).
const OLD = [...LEGACY_NAMES.filter((n) => n !== 'bash-complete'), 'old'].sort();
const KEPT = ['bash-complete', 'crashed', 'live', 'recent', 'starting'].sort();

function mentioned(stdout: string, verb: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith(verb))
    .map((l) => path.basename(l.slice(verb.length + 1).split(' (')[0]!))
    .sort();
}

describe('megatest clean', () => {
  it('--dry-run lists the runs whose recorded end is older than the age, and deletes nothing', async () => {
    const before = readdirSync(runs).sort();
    const result = await captureCli(['clean', '--older-than', '7d', '--dry-run', '--runs-dir', runs]);
    expect(result.code).toBe(0);
    expect(mentioned(result.stdout, 'would delete')).toEqual(OLD);
    expect(result.stdout).toMatch(new RegExp(`^${OLD.length} runs would be deleted \\(ended before \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\)$`, 'm'));
    expect(result.stdout).toMatch(/keeping \S+live \(running\)/);
    expect(result.stdout).toMatch(/keeping \S+bash-complete \(running\)/);
    expect(result.stdout).toMatch(/keeping \S+starting \(not ended, and may still be starting\)/);
    expect(result.stdout).toMatch(/^keeping \S+crashed \(megatest, unfinished: \w+, never recorded its end.*megatest resume can carry it on\): add --include-unfinished to delete it$/m);
    expect(readdirSync(runs).sort()).toEqual(before);
  });

  it('deletes them for real, and keeps the running, the recent and the starting ones', async () => {
    const result = await captureCli(['clean', '--older-than', '7d', '--runs-dir', runs]);
    expect(result.code).toBe(0);
    expect(mentioned(result.stdout, 'deleting')).toEqual(OLD);
    for (const name of OLD) expect(existsSync(path.join(runs, name)), name).toBe(false);
    expect(readdirSync(runs).filter((n) => n !== 'test_session.log').sort()).toEqual(KEPT);
  });

  it('an unfinished run (killed, or interrupted) is kept without a terminal, one line each, and deleted with --include-unfinished', async () => {
    const interrupted = recordedRunFolder(runs, 'interrupted', 30 * DAY);
    const file = path.join(interrupted, 'events.jsonl');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/("type":"session_ended","status":)"\w+"/, '$1"interrupted"'));
    const kept = await captureCli(['clean', '--older-than', '7d', '--runs-dir', runs]);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout.split('\n').filter((l) => l.includes('--include-unfinished'))).toHaveLength(2);
    expect(existsSync(path.join(runs, 'crashed'))).toBe(true);
    expect(existsSync(path.join(runs, 'interrupted'))).toBe(true);
    const gone = await captureCli(['clean', '--older-than', '7d', '--include-unfinished', '--runs-dir', runs]);
    expect(gone.code, gone.stderr).toBe(0);
    expect(mentioned(gone.stdout, 'deleting')).toEqual(['crashed', 'interrupted']);
    expect(existsSync(path.join(runs, 'crashed'))).toBe(false);
  });

  it('a shorter age reaches the recent run; a running one is still kept', async () => {
    const result = await captureCli(['clean', '--older-than', '30m', '--runs-dir', runs]);
    expect(mentioned(result.stdout, 'deleting')).toEqual([...OLD, 'recent'].sort());
    expect(existsSync(path.join(runs, 'live'))).toBe(true);
    expect(existsSync(path.join(runs, 'bash-complete'))).toBe(true);
  });

  it('the largest age names its cutoff, a date before year 0, to the minute', async () => {
    const ageMs = AGE_MAX * 86_400_000;
    const minute = (ms: number) => {
      const [date, time] = new Date(ms).toISOString().split('T');
      return `${date} ${time!.slice(0, 5)}`;
    };
    const start = Date.now();
    const result = await captureCli(['clean', '--older-than', `${AGE_MAX}d`, '--dry-run', '--runs-dir', runs]);
    const cutoffs = new Set([minute(start - ageMs), minute(Date.now() - ageMs)]);
    expect(result.code, result.stderr).toBe(0);
    const last = result.stdout.trimEnd().split('\n').at(-1)!;
    expect([...cutoffs].map((cutoff) => `0 runs would be deleted (ended before ${cutoff} UTC)`)).toContain(last);
  });

  it('bad input exits 2 with one line', async () => {
    for (const args of [[], ['--older-than', '7x'], ['--older-than', '7d', '--frob'], ['--older-than', '7d', 'extra']]) {
      const result = await captureCli(['clean', '--runs-dir', runs, ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr, args.join(' ')).toMatch(/^megatest clean: /);
    }
    expect(readdirSync(runs)).toHaveLength(LEGACY_NAMES.length + 6);
  });
});
