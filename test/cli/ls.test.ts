// `megatest ls`: a header row, one row per run (megatest's and legacy ones,
// marked), --json; bad options exit 2.

import { copyFileSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRecordedRun } from '../../src/importer/importRun.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { makeRun } from '../control/runFixtures.js';
import { copyLegacyFixtures, LEGACY_NAMES, readJson, recordedRunFolder } from '../legacy/legacyFixtures.js';
import { readEvents } from '../helpers/cli.js';
import { captureCli } from './captureCli.js';

let runs: string;
beforeAll(async () => {
  runs = copyLegacyFixtures('megatest-ls-');
  recordedRunFolder(runs, 'recorded', 3_600_000);
  makeRun(runs, 'live', { createdAt: '2025-01-01T00:00:00Z', control: { pid: process.pid } });
  // A run megatest did not run: `megatest import` of a recorded transcript, made last but recorded in 2024
  // (a file in line order ends at its modification time).
  const transcript = path.join(runs, '..', `${path.basename(runs)}-transcript.jsonl`);
  copyFileSync(path.join(PACKAGE_ROOT, 'test', 'fixtures', 'importer', 'protocol.transcript.jsonl'), transcript);
  utimesSync(transcript, new Date('2024-06-01T00:00:00Z'), new Date('2024-06-01T00:00:00Z'));
  await importRecordedRun({ kind: 'command', files: [transcript], runsDir: runs, sessionId: 'imported' });
  rmSync(transcript);
});
afterAll(() => rmSync(runs, { recursive: true, force: true }));

describe('megatest ls', () => {
  it('prints a header row and one row per run, legacy folders marked', async () => {
    const result = await captureCli(['ls', '--runs-dir', runs]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['ID', 'STATUS', 'EXIT', 'LIVE', 'STARTED', 'DURATION', 'AGENT', 'PHASE', 'KIND']);
    const ids = [...LEGACY_NAMES, 'recorded', 'live', 'imported'];
    expect(lines).toHaveLength(ids.length + 1);
    const rowOf = (id: string) => lines.find((l) => l.startsWith(`${id} `))!;
    for (const name of LEGACY_NAMES) expect(rowOf(name), name).toMatch(/legacy-(python|bash)/);
    expect(rowOf('bash-complete')).toMatch(/legacy-bash$/);
    // The exit code the recorded session's end gives, read from its log here; none for a run that has not ended.
    const recordedEnd = readEvents(path.join(runs, 'recorded')).find((e) => e.type === 'session_ended') as { exit_code: number } | undefined;
    expect(recordedEnd).toBeDefined();
    expect(rowOf('recorded')).toMatch(new RegExp(`\\bcompleted\\s+${recordedEnd!.exit_code}\\s+no\\b.*\\bsim \\(simulated\\).*megatest$`));
    expect(rowOf('live')).toMatch(/\brunning\s+—\s+yes\b/);
    expect(rowOf('imported')).toMatch(/^imported\s+interrupted\s+130\s+no\b/);
    expect(rowOf('imported')).toMatch(/\bcommand\s+imported\s+import$/);
    // 14 problems in 13 files (by hand: config.json, status, .monitor_pid, 4 metrics files (one with two bad fields),
    // metrics_current.json, 2 checkpoints, final_report.json (recovered), and the counts of checkpoints/ and metrics/):
    // counted as problems, never as "damaged files"
    expect(rowOf('torn-garbage')).toMatch(/legacy-python \(14 problems\)$/);
    expect(rowOf('torn-garbage')).not.toMatch(/damaged/);
  });

  it('newest start first, by the start it shows: an import sits at its recording\'s time, not at when it was imported', async () => {
    const result = await captureCli(['ls', '--runs-dir', runs, '--json']);
    const rows = JSON.parse(result.stdout) as { id: string; started_at: string | null }[];
    const starts = rows.map((r) => (r.started_at === null ? Number.NEGATIVE_INFINITY : Date.parse(r.started_at)));
    expect(starts.length).toBeGreaterThan(3);
    for (let i = 1; i < starts.length; i++) expect(starts[i]!, rows[i]!.id).toBeLessThanOrEqual(starts[i - 1]!);
    // The import was made last, but its recording (2024) is older than the live run's start (2025).
    expect(rows.find((r) => r.id === 'imported')!.started_at!.slice(0, 4)).toBe('2024');
    expect(rows.findIndex((r) => r.id === 'imported')).toBeGreaterThan(rows.findIndex((r) => r.id === 'live'));
  });

  it('--json gives an array with each run read through the fold', async () => {
    const result = await captureCli(['ls', '--runs-dir', runs, '--json']);
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as Record<string, any>[];
    expect(rows).toHaveLength(LEGACY_NAMES.length + 3);
    const bash = rows.find((r) => r.id === 'bash-complete')!;
    const config = readJson(path.join(runs, 'bash-complete', 'config.json'));
    const final = readJson(path.join(runs, 'bash-complete', 'final_report.json'));
    expect(bash).toMatchObject({ legacy: true, kind: 'legacy-bash', status: final.status, live: false, agent: 'selfware' });
    expect(bash.duration_seconds).toBe((Date.parse(final.completed_at) - Date.parse(config.started_at)) / 1000);
    expect(bash.ended_at).toBe(new Date(Date.parse(final.completed_at)).toISOString());
    expect(rows.find((r) => r.id === 'recorded')).toMatchObject({ legacy: false, kind: 'megatest', status: 'completed' });
    expect(rows.find((r) => r.id === 'live')).toMatchObject({ live: true });
    expect(rows.find((r) => r.id === 'imported')).toMatchObject({ legacy: false, kind: 'import', agent: 'command' });
  });

  it('an empty runs folder says so; an unknown flag or an argument exits 2 with one line', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'megatest-ls-empty-'));
    try {
      expect((await captureCli(['ls', '--runs-dir', empty])).stdout).toMatch(/^no runs under /);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    for (const args of [['--frob'], ['extra']]) {
      const result = await captureCli(['ls', '--runs-dir', runs, ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(args[0]);
    }
  });
});
