// `megatest ls [--runs-dir D] [--json]`: every run under the runs folder,
// newest first, megatest's and the original runner's (marked legacy), each
// read through the one fold.

import { existsSync } from 'node:fs';
import { UsageError } from '../config/errors.js';
import { foldRunFolder } from '../io/foldLog.js';
import { requireRunsDir, runPaths } from '../io/runFolder.js';
import { listRuns, type RunListing } from '../io/sessions.js';
import { parseCommandArgs } from './commandArgs.js';
import { loadRunSummary, summarizeRun, type RunSummary } from './runSummary.js';
import { runsDirFor } from './runsDir.js';
import { compactDuration } from '../state/durationText.js';
import { countOf } from '../state/groupDigits.js';

export const LS_HELP = `usage: megatest ls [--runs-dir DIR] [--json]
  Lists the run folders under DIR (default test_runs), newest start first: id,
  status, exit code, whether a process runs it now, start, duration (active
  time), agent, current phase, and kind (megatest; import, recorded output
  megatest import made a run of; or a legacy folder of the original
  test_runner.py / run_mega_test.sh, converted on the fly).
  --json prints an array of objects instead of the table. A folder that cannot
  be read is listed as unreadable, and why is said on stderr (in --json, its
  "problem"); so is a megatest folder whose event log is missing or holds no
  session (its row has only what its status file says).`;

// EXIT beside STATUS: "completed" alone did not tell a run that met its critical criteria (0) from one that did not (1).
const HEADER = ['ID', 'STATUS', 'EXIT', 'LIVE', 'STARTED', 'DURATION', 'AGENT', 'PHASE', 'KIND'] as const;

/** As the console writes a length of time (src/state/durationText.ts); — for none. */
export function formatDuration(seconds: number | null): string {
  return seconds === null ? '—' : compactDuration(seconds);
}

/** `2026-03-01 08:00Z`: the start in UTC, to the minute. */
function formatStart(iso: string | null): string {
  if (iso === null) return '—';
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')}Z` : iso;
}

export function lsRow(run: RunSummary): string[] {
  return [
    run.id,
    run.status,
    run.exit_code === null ? '—' : String(run.exit_code),
    run.live ? 'yes' : 'no',
    formatStart(run.started_at),
    formatDuration(run.duration_seconds),
    run.agent === null ? '—' : `${run.agent}${run.simulated ? ' (simulated)' : ''}`,
    run.phase ?? '—',
    // the problems found in its files, as report lists them and compare counts them (not files: one may hold several)
    run.legacy ? `${run.kind}${run.damage > 0 ? ` (${countOf(run.damage, 'problem')})` : ''}` : run.kind,
  ];
}

/** The table: a header row, then one row per run, columns padded to their widest cell. */
export function formatLsTable(runs: readonly RunSummary[]): string[] {
  const rows = [[...HEADER], ...runs.map(lsRow)];
  const widths = HEADER.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '));
}

/**
 * Newest start first, by the start the table shows (the session's own):
 * folders come from listRuns by when they were made, and an import made
 * today of a recording from March was listed among today's runs with
 * March in its STARTED column. A run with no start keeps its place at the end.
 */
export function sortByStart(runs: RunSummary[]): void {
  const startOf = (run: RunSummary) => {
    const ms = run.started_at === null ? NaN : Date.parse(run.started_at);
    return Number.isFinite(ms) ? ms : Number.NEGATIVE_INFINITY;
  };
  // Array.prototype.sort is stable: equal starts (and unknown ones) keep listRuns' order.
  runs.sort((a, b) => {
    const [x, y] = [startOf(a), startOf(b)];
    return x === y ? 0 : y > x ? 1 : -1;
  });
}

/**
 * The run's row. A megatest folder whose events.jsonl is gone, or holds no
 * session (garbage, emptied), folds to nothing: it was listed with its status
 * file's word ("interrupted") and dashes, and not a word of why, where
 * `report` and `compare` refuse it. Said as `problem`; a run its
 * orchestrator is starting now has no session_started yet and is left be.
 */
export async function lsSummary(listing: RunListing): Promise<RunSummary> {
  if (listing.legacy) return loadRunSummary(listing);
  const events = runPaths(listing.dir).events;
  if (!existsSync(events)) return { ...(await loadRunSummary(listing)), problem: 'events.jsonl is missing (deleted or moved?): the run folder holds no event log' };
  let folded: Awaited<ReturnType<typeof foldRunFolder>>;
  try {
    folded = await foldRunFolder(listing.dir);
  } catch {
    // loadRunSummary lists it as unreadable, with why.
    return loadRunSummary(listing);
  }
  const run = summarizeRun(listing, folded);
  if (folded.legacy !== null || folded.state.session !== null || listing.running) return run;
  const unreadable = folded.unreadable > 0 ? `${countOf(folded.unreadable, 'unreadable line')}, ` : '';
  return { ...run, problem: `events.jsonl: ${unreadable}no session_started event` };
}

export async function lsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('ls', argv, {
    'runs-dir': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(LS_HELP + '\n');
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`megatest ls: unexpected argument ${JSON.stringify(positionals[0])} (see megatest ls --help)`);
  const runsDir = await runsDirFor('ls', values['runs-dir']);
  if (values['runs-dir'] !== undefined) requireRunsDir('ls', runsDir);
  const runs: RunSummary[] = [];
  for (const listing of listRuns(runsDir)) runs.push(await lsSummary(listing));
  sortByStart(runs);
  for (const run of runs) if (run.problem !== undefined) process.stderr.write(`megatest ls: ${run.dir}: ${run.problem}\n`);
  if (values.json) {
    process.stdout.write(JSON.stringify(runs, null, 2) + '\n');
    return 0;
  }
  if (runs.length === 0) {
    process.stdout.write(`no runs under ${runsDir}\n`);
    return 0;
  }
  process.stdout.write(formatLsTable(runs).join('\n') + '\n');
  return 0;
}
