// `megatest ls` and `megatest compare` over a runs folder of ~200 runs: small
// synthetic megatest runs (a session_started and a session_ended each), mixed
// with damaged ones (no event log, garbage, an emptied log), a running one,
// legacy folders and an import. Every expected figure is counted here from
// the folders this test wrote.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, resolveTemplate } from '../../src/config/load.js';
import { importRecordedRun } from '../../src/importer/importRun.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { makeRun } from '../control/runFixtures.js';
import { copyLegacyFixtures, LEGACY_NAMES, recordedEvents } from '../legacy/legacyFixtures.js';
import { captureCli } from './captureCli.js';

const SYNTHETIC = 190;
const BASE_MS = Date.parse('2026-01-01T00:00:00Z');

interface Synthetic {
  id: string;
  startedMs: number;
  exitCode: number;
}

let runs: string;
const synthetic: Synthetic[] = [];
/** Folders whose log folds to nothing, and what ls is to say of each. */
const damaged: Record<string, RegExp> = {
  'no-log': /events\.jsonl is missing \(deleted or moved\?\)/,
  garbage: /events\.jsonl: 2 unreadable lines, no session_started event/,
  emptied: /events\.jsonl: no session_started event/,
};

/** A megatest run folder as a run writes it (config.json, status, events.jsonl), with the given log. */
function writeRunFolder(id: string, createdAt: string, status: string, log: string | null): string {
  const [first] = recordedEvents();
  const config = loadConfig({ flags: { project: first.project } });
  const dir = path.join(runs, id);
  mkdirSync(path.join(dir, 'checkpoints'), { recursive: true });
  writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({ session_id: id, created_at: createdAt, megatest_version: first.megatest_version, agent_kind: 'sim', agent_version: 'sim', simulated: true, config, template: resolveTemplate(config) }),
  );
  writeFileSync(path.join(dir, 'status'), `${status}\n`);
  if (log !== null) writeFileSync(path.join(dir, 'events.jsonl'), log);
  return dir;
}

/** A run of one session_started and one session_ended: what ls needs, a few hundred bytes. */
function writeSynthetic(run: Synthetic): void {
  const [first] = recordedEvents();
  const started = { ...first, seq: 1, ts: new Date(run.startedMs).toISOString(), session_id: run.id };
  const ended = { seq: 2, ts: new Date(run.startedMs + 60_000).toISOString(), type: 'session_ended', status: 'completed', exit_code: run.exitCode, reason: 'synthetic' };
  // Made in another order than started: ls sorts by the session's own start, not the folder's.
  writeRunFolder(run.id, new Date(2 * BASE_MS - run.startedMs).toISOString(), 'completed', `${JSON.stringify(started)}\n${JSON.stringify(ended)}\n`);
}

beforeAll(async () => {
  runs = copyLegacyFixtures('megatest-ls-many-');
  for (let i = 0; i < SYNTHETIC; i++) {
    // Starts scattered over a day (a stride prime to the count), exit codes mixed.
    const run = { id: `syn-${String(i).padStart(3, '0')}`, startedMs: BASE_MS + ((i * 37) % SYNTHETIC) * 60_000, exitCode: i % 3 === 0 ? 1 : 0 };
    synthetic.push(run);
    writeSynthetic(run);
  }
  const made = new Date(BASE_MS).toISOString();
  writeRunFolder('no-log', made, 'interrupted', null);
  writeRunFolder('garbage', made, 'interrupted', 'not an event\n{"torn":\n');
  writeRunFolder('emptied', made, 'interrupted', '');
  // Its orchestrator is starting: no session_started yet, and nothing wrong with that.
  makeRun(runs, 'starting', { control: { pid: process.pid } });
  // A folder of something else altogether is not a run.
  mkdirSync(path.join(runs, 'not-a-run'));
  const transcript = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'importer', 'protocol.transcript.jsonl');
  await importRecordedRun({ kind: 'command', files: [transcript], runsDir: runs, sessionId: 'imported' });
});
afterAll(() => rmSync(runs, { recursive: true, force: true }));

const ALL_IDS = () => [...synthetic.map((r) => r.id), ...Object.keys(damaged), 'starting', 'imported', ...LEGACY_NAMES];

describe('megatest ls of a runs folder of ~200 runs', () => {
  it('one row per run, newest start first, each synthetic run with its own exit code', async () => {
    const result = await captureCli(['ls', '--runs-dir', runs, '--json']);
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as { id: string; started_at: string | null; exit_code: number | null; kind: string; status: string }[];
    expect(rows.map((r) => r.id).sort()).toEqual(ALL_IDS().sort());
    const starts = rows.map((r) => (r.started_at === null ? Number.NEGATIVE_INFINITY : Date.parse(r.started_at)));
    for (let i = 1; i < starts.length; i++) expect(starts[i]!, rows[i]!.id).toBeLessThanOrEqual(starts[i - 1]!);
    const synthRows = rows.filter((r) => r.id.startsWith('syn-'));
    expect(synthRows.map((r) => r.id)).toEqual([...synthetic].sort((a, b) => b.startedMs - a.startedMs).map((r) => r.id));
    for (const run of synthetic) {
      expect(rows.find((r) => r.id === run.id)).toMatchObject({ kind: 'megatest', status: 'completed', exit_code: run.exitCode, started_at: new Date(run.startedMs).toISOString() });
    }
    expect(rows.find((r) => r.id === 'imported')).toMatchObject({ kind: 'import' });
  });

  it('a megatest folder whose log is missing or holds no session: one line on stderr naming it, its "problem" in --json', async () => {
    const table = await captureCli(['ls', '--runs-dir', runs]);
    expect(table.code).toBe(0);
    const lines = table.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(Object.keys(damaged).length);
    for (const [id, said] of Object.entries(damaged)) {
      const line = lines.find((l) => l.startsWith(`megatest ls: ${path.join(runs, id)}: `));
      expect(line, id).toMatch(said);
    }
    // The table still lists them, by what their status files say.
    for (const id of Object.keys(damaged)) expect(table.stdout).toMatch(new RegExp(`^${id}\\s+interrupted\\s`, 'm'));
    const json = JSON.parse((await captureCli(['ls', '--runs-dir', runs, '--json'])).stdout) as { id: string; problem?: string }[];
    expect(json.filter((r) => r.problem !== undefined).map((r) => r.id).sort()).toEqual(Object.keys(damaged).sort());
  });
});

describe('megatest compare of runs among them', () => {
  it('2..N runs side by side, a column each, in the order given', async () => {
    const chosen = synthetic.slice(0, 5).map((r) => r.id);
    const result = await captureCli(['compare', ...chosen, '--runs-dir', runs, '--format', 'json']);
    expect(result.code).toBe(0);
    const view = JSON.parse(result.stdout) as { runs: { name: string; session_id: string; status: string }[] };
    expect(view.runs.map((r) => r.session_id)).toEqual(chosen);
    expect(view.runs.map((r) => r.name)).toEqual(chosen);
  });

  it('a run whose log is missing (exit 1) or holds no session (exit 2) is refused in one line naming it, not shown as "starting" with every count 0', async () => {
    const base = synthetic[0]!.id;
    const cases: [string, number, RegExp][] = [
      ['no-log', 1, damaged['no-log']!],
      ['garbage', 2, damaged.garbage!],
      ['emptied', 2, damaged.emptied!],
    ];
    for (const [id, code, said] of cases) {
      const result = await captureCli(['compare', base, id, '--runs-dir', runs]);
      expect(result.code, id).toBe(code);
      expect(result.stdout, id).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines, id).toHaveLength(1);
      expect(lines[0], id).toMatch(new RegExp(`^megatest compare: ${id}: .*nothing to compare$`));
      expect(lines[0], id).toMatch(said);
    }
    // Nothing was written into the refused folders.
    expect(readFileSync(path.join(runs, 'emptied', 'events.jsonl'), 'utf8')).toBe('');
  });
});
