// `megatest clean --older-than 7d [--dry-run] [--runs-dir D]`: deletes run
// folders whose recorded end is older than the given age. A run's age comes
// from what it recorded (its session_ended, else its last event; a legacy
// run's converted end), never from file modification times, which a copy or
// a backup resets. A run something is running now is never deleted, nor one
// that has not ended and may still be starting. A run that did not finish
// (killed, or interrupted) is one `megatest resume` can carry on: it goes
// only when confirmed (asked on a terminal, or --include-unfinished).

import { rmSync } from 'node:fs';
import { UsageError } from '../config/errors.js';
import { requireRunsDir } from '../io/runFolder.js';
import { controlFileAlive, isOrchestratorAlive, listRuns, readControlFile, type RunListing } from '../io/sessions.js';
import { legacyLiveness, SYSTEM_PIDS } from '../legacy/liveness.js';
import { parseAge, parseCommandArgs } from './commandArgs.js';
import { loadRunSummary, type RunSummary } from './runSummary.js';
import { runsDirFor } from './runsDir.js';
import { confirm } from './confirm.js';

export const CLEAN_HELP = `usage: megatest clean --older-than AGE [--dry-run] [--include-unfinished]
                      [--runs-dir DIR]
  Deletes run folders under DIR (default test_runs) whose recorded end is older
  than AGE (s, m, h or d: 45m, 12h, 7d). The end is the session's session_ended
  time, or for a run that never recorded one its last event; a legacy folder's
  is its converted end. File modification times are not used. A run a process
  is running now is never deleted; nor is one that has not ended whose
  orchestrator may still be starting. A run that did not finish (killed: no
  session_ended; or interrupted) can still be carried on by megatest resume: on
  a terminal clean asks before deleting it; without one it is kept (one line
  says so) unless --include-unfinished is given. --dry-run lists what would be
  deleted and deletes nothing.`;

/** A run that has not ended and names no orchestrator may be one still starting up: left alone this long after its last record. */
export const STARTING_GRACE_MS = 10 * 60_000;

/** `confirm`: old enough, but unfinished (resume could carry it on): deleted only when the user says so. */
export type CleanDecision = { action: 'delete' | 'confirm'; endMs: number; why: string } | { action: 'keep'; why: string };

/** Pure: what clean does with one run, given its summary, whether a process runs it, and the cutoff. */
export function decideClean(run: RunSummary, live: boolean, namesDeadProcess: boolean, cutoffMs: number, nowMs: number): CleanDecision {
  if (live) return { action: 'keep', why: 'running' };
  // What cannot be read cannot be judged old: a person looks at it.
  if (run.problem !== undefined) return { action: 'keep', why: `unreadable: ${run.problem}` };
  const endText = run.ended_at ?? run.last_event_at ?? run.started_at;
  const endMs = endText === null ? NaN : Date.parse(endText);
  if (!Number.isFinite(endMs)) return { action: 'keep', why: 'no recorded time' };
  if (run.ended_at === null && !namesDeadProcess && nowMs - endMs < STARTING_GRACE_MS) {
    return { action: 'keep', why: 'not ended, and may still be starting' };
  }
  if (endMs >= cutoffMs) return { action: 'keep', why: 'too recent' };
  const what = run.ended_at !== null ? `${run.status}, ended ${run.ended_at}` : `${run.status}, never recorded its end; last record ${endText}`;
  // A legacy run cannot be resumed (resume refuses it): nothing is lost that megatest could go on with.
  const unfinished = !run.legacy && (run.ended_at === null || run.status === 'interrupted');
  return { action: unfinished ? 'confirm' : 'delete', endMs, why: what };
}

/** Whether a process runs the run now, asked again right before deleting. */
function liveNow(listing: RunListing): boolean {
  return listing.legacy ? legacyLiveness(listing.dir, SYSTEM_PIDS, Date.now()).live : isOrchestratorAlive(listing.dir);
}

/** The run names a process (control.json, .monitor_pid) that is gone: it is not starting, it died. */
function namesDeadProcess(listing: RunListing): boolean {
  if (listing.legacy) return !legacyLiveness(listing.dir, SYSTEM_PIDS, Date.now()).live;
  const control = readControlFile(listing.dir);
  return control !== null && !controlFileAlive(listing.dir, control);
}

export async function cleanCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('clean', argv, {
    'older-than': { type: 'string' },
    'dry-run': { type: 'boolean' },
    'include-unfinished': { type: 'boolean' },
    'runs-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(CLEAN_HELP + '\n');
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`megatest clean: unexpected argument ${JSON.stringify(positionals[0])} (see megatest clean --help)`);
  if (values['older-than'] === undefined) throw new UsageError('megatest clean: --older-than is required (e.g. --older-than 7d)');
  const ageMs = parseAge('megatest clean: --older-than', values['older-than']);
  const dryRun = values['dry-run'] === true;
  const includeUnfinished = values['include-unfinished'] === true;
  const terminal = process.stdin.isTTY === true;
  const runsDir = await runsDirFor('clean', values['runs-dir']);
  if (values['runs-dir'] !== undefined) requireRunsDir('clean', runsDir);
  const nowMs = Date.now();
  const cutoff = nowMs - ageMs;
  let chosen = 0;
  for (const listing of listRuns(runsDir)) {
    const run = await loadRunSummary(listing);
    const decision = decideClean(run, listing.running, namesDeadProcess(listing), cutoff, nowMs);
    if (decision.action === 'keep') {
      if (decision.why !== 'too recent') process.stdout.write(`keeping ${run.dir} (${decision.why})\n`);
      continue;
    }
    if (decision.action === 'confirm' && !includeUnfinished) {
      const what = `${run.dir} (${run.kind}, unfinished: ${decision.why}; megatest resume can carry it on)`;
      if (!terminal) {
        process.stdout.write(`keeping ${what}: add --include-unfinished to delete it\n`);
        continue;
      }
      if (dryRun) {
        process.stdout.write(`would ask before deleting ${what}\n`);
        continue;
      }
      if (!(await confirm(`Delete ${what}? [y/N] `))) {
        process.stdout.write(`keeping ${run.dir} (unfinished; not confirmed)\n`);
        continue;
      }
    }
    if (dryRun) {
      process.stdout.write(`would delete ${run.dir} (${run.kind}, ${decision.why})\n`);
      chosen += 1;
      continue;
    }
    if (liveNow(listing)) {
      process.stdout.write(`keeping ${run.dir} (running: it started again)\n`);
      continue;
    }
    process.stdout.write(`deleting ${run.dir} (${run.kind}, ${decision.why})\n`);
    rmSync(run.dir, { recursive: true, force: true });
    chosen += 1;
  }
  // The cutoff to the minute, so that "0 runs" says which end it counted from. Cut at the
  // minute, not at a fixed width: a cutoff before year 0 (999999d) has a longer year (-000711-…).
  const before = new Date(cutoff).toISOString().replace(/T(\d\d:\d\d).*$/, ' $1');
  process.stdout.write(`${chosen} ${chosen === 1 ? 'run' : 'runs'} ${dryRun ? 'would be deleted' : 'deleted'} (ended before ${before} UTC)\n`);
  return 0;
}
