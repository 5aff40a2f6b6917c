// `megatest ls`: a header row, one row per run (megatest's and legacy ones,
// marked), --json; bad options exit 2.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRecordedRun } from '../../src/importer/importRun.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { makeRun } from '../control/runFixtures.js';
import { copyLegacyFixtures, LEGACY_NAMES, readJson, recordedRunFolder } from '../legacy/legacyFixtures.js';
import { captureCli } from './captureCli.js';

let runs: string;
beforeAll(async () => {
  runs = copyLegacyFixtures('megatest-ls-');
  recordedRunFolder(runs, 'recorded', 3_600_000);
  makeRun(runs, 'live', { createdAt: '2025-01-01T00:00:00Z', control: { pid: process.pid } });
  // A run megatest did not run: `megatest import` of a recorded transcript.
  await importRecordedRun({ kind: 'command', files: [path.join(PACKAGE_ROOT, 'test', 'fixtures', 'importer', 'protocol.transcript.jsonl')], runsDir: runs, sessionId: 'imported' });
});
afterAll(() => rmSync(runs, { recursive: true, force: true }));

describe('megatest ls', () => {
  it('prints a header row and one row per run, legacy folders marked', async () => {
    const result = await captureCli(['ls', '--runs-dir', runs]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['ID', 'STATUS', 'LIVE', 'STARTED', 'DURATION', 'AGENT', 'PHASE', 'KIND']);
    const ids = [...LEGACY_NAMES, 'recorded', 'live', 'imported'];
    expect(lines).toHaveLength(ids.length + 1);
    const rowOf = (id: string) => lines.find((l) => l.startsWith(`${id} `))!;
    for (const name of LEGACY_NAMES) expect(rowOf(name), name).toMatch(/legacy-(python|bash)/);
    expect(rowOf('bash-complete')).toMatch(/legacy-bash$/);
    expect(rowOf('recorded')).toMatch(/\bcompleted\b.*\bno\b.*\bsim \(sim\).*megatest$/);
    expect(rowOf('live')).toMatch(/\brunning\s+yes\b/);
    expect(rowOf('imported')).toMatch(/\bcommand\s+imported\s+import$/);
    expect(rowOf('torn-garbage')).toMatch(/damaged/);
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
