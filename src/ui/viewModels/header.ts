// The header's two lines: who is running (session, project, agent kind,
// status, SIMULATED badge) and how far along (elapsed / total, progress,
// ETA, phase), plus the orchestrator-died warning with the resume command.

import { assertNever } from '../../contract/assertNever.js';
import type { SessionStatus } from '../../contract/statuses.js';
import { isTerminalStatus, type ConsoleState } from '../../state/applyEvent.js';
import { elapsedSecondsAt, lastEventMs, remainingSecondsAt, scheduleSecondsAt } from '../../state/runState.js';
import { runFigures } from '../../report/figures.js';
import { reportedCostUsd } from '../../state/tallies.js';
import type { ThemeRole } from '../theme.js';
import { formatCount, formatDuration, formatUsd, textWidth } from './format.js';
import { planShareDone } from './phaseBar.js';

export interface HeaderModel {
  title: string;
  sessionId: string;
  project: string;
  agentKind: string;
  simulated: boolean;
  status: string;
  statusRole: ThemeRole;
  elapsedSeconds: number;
  /** Where the schedule stands (phase bar, ETA): a restore puts it back, unlike elapsed. */
  scheduleSeconds: number;
  totalSeconds: number;
  /** "1h02m / 6h00m  17%  ETA 4h58m" */
  progressText: string;
  /** progressText's fields, most needed first, for a narrow line to drop whole: ["1h02m / 6h00m", "17%", "ETA 4h58m"]. */
  progressFields: string[];
  /** "phase 2/4 implementation" */
  phaseText: string;
  /** "1.2M tok  4 ckpt  3 err"; with a reported cost "1.2M tok  4 ckpt  3 err  $3.42" */
  countsText: string;
  /** countsText's fields, in its order: ["3 err", "1.2M tok", "4 ckpt", "$3.42"]. */
  countsFields: string[];
  /** Set when the orchestrator is gone but the run did not end: the words the header shows. */
  orchestratorWarning: string | null;
  /** With the warning: the command that carries the run on, for the message line, which shows it whole. */
  resumeHint: string | null;
  /** Set while the orchestrator is stopped (Ctrl-Z, SIGSTOP): said on the message line. */
  stoppedHint: string | null;
}

export function statusRole(status: SessionStatus | null): ThemeRole {
  switch (status) {
    case null:
    case 'starting':
      return 'info';
    case 'running':
    case 'completed':
      return 'good';
    case 'paused':
    case 'recovering':
    case 'interrupted':
    case 'timeout':
      return 'warning';
    case 'failed':
      return 'critical';
    default:
      return assertNever(status, 'session status');
  }
}

const ORCHESTRATOR_DEAD = 'orchestrator not running';
const ORCHESTRATOR_STOPPED = 'orchestrator stopped';
/** The message line while the orchestrator is stopped: why keys go unanswered, and what continues it. */
export const ORCHESTRATOR_STOPPED_HINT = 'orchestrator stopped (Ctrl-Z or SIGSTOP): it answers no key until `fg` in its terminal (or kill -CONT) continues it';

/** The resume hint shown when the orchestrator is gone; the CLI prints the same words. */
export function orchestratorDeadMessage(runDir: string): string {
  return `${ORCHESTRATOR_DEAD} — megatest resume ${runDir}`;
}

/**
 * The resume hint laid out for `width` columns: on one row when it fits,
 * else the command on a row of its own (a person copies it from there),
 * else (a long path) the command alone, which the message line wraps; the
 * header still says the orchestrator is not running.
 */
export function resumeHintText(runDir: string, width: number): string {
  const oneRow = orchestratorDeadMessage(runDir);
  const command = `megatest resume ${runDir}`;
  if (textWidth(oneRow) <= width) return oneRow;
  return textWidth(command) <= width ? `${ORCHESTRATOR_DEAD} — carry the run on with:\n${command}` : command;
}

/**
 * Elapsed seconds, from the fold's one clock: active time, stopped while
 * paused, after the end, and when the orchestrator is gone (a dead run's
 * clock stops at its last event).
 */
export function elapsedSeconds(run: ConsoleState, nowMs: number): number {
  const advancing = run.orchestrator !== 'dead';
  return elapsedSecondsAt(run, advancing ? nowMs : lastEventMs(run));
}

/** The header's progress for an import in line order, in place of a time. */
export const LINE_ORDER_PROGRESS = 'line order (not time)';

/** How far the plan's share may stand from the clock's before the progress is labelled as the plan's: 5% of the duration. */
const PLAN_BEHIND_SHARE = 0.05;

export function headerModel(run: ConsoleState, options: { nowMs: number; runDir: string; minElapsedSeconds?: number }): HeaderModel {
  const session = run.session;
  const nowMs = run.orchestrator === 'dead' ? lastEventMs(run) : options.nowMs;
  // A view never shows time going back, even when a pause event arrives after a tick counted past it; but a run whose
  // orchestrator is gone stands at its last event: attached to a run killed minutes ago, the wall clock's first frames
  // (before the console knew) held "2m38s" over the 44 s the run had when it died.
  const elapsed = run.orchestrator === 'dead' ? elapsedSecondsAt(run, nowMs) : Math.max(options.minElapsedSeconds ?? 0, elapsedSecondsAt(run, nowMs));
  const schedule = scheduleSecondsAt(run, nowMs);
  // null: a legacy run whose files record no planned length: no share of a plan and no ETA is reckoned against one.
  const planned = session?.durationSeconds ?? null;
  const total = planned ?? 0;
  // Progress follows the schedule, which a restore puts back; elapsed and the ETA (the time left to the duration limit)
  // never go back. A completed run did every phase (phases end early when their work is done, and a restore puts the
  // schedule back): its plan is all done. Once the plan is well behind the clock (a restore), the figure says it is the
  // plan's: "56s / 3m00s  11%" read as a clock that disagreed with itself.
  // The share is the phase bar's (planShareDone): phases re-proportion as they end early and hand their time on, so
  // schedule/duration read 33% over a bar filled to 41%. Without phase budgets, the schedule's share of the duration.
  const barShare = planShareDone(run.phases, run.currentPhaseIndex, schedule);
  const progress = run.ended?.status === 'completed' ? 1 : barShare !== null ? barShare : total > 0 ? Math.min(1, schedule / total) : 0;
  const remaining = remainingSecondsAt(run, nowMs);
  // Labelled the plan's once it is well apart from the clock's share (a restore put it back, or phases ended early).
  const planBehind = !run.ended && total > 0 && Math.abs(elapsed / total - progress) >= PLAN_BEHIND_SHARE;
  // An import in line order (1 ms per line) has no times: "3m20s / 3m21s  99%" was 200,000 lines read as minutes.
  // Its place is said as status, ls and the report say it: no clock, no share of a plan, no ETA.
  const timeless = session?.timesLineOrder === true;
  const progressParts = timeless
    ? [LINE_ORDER_PROGRESS]
    : session && planned === null
      ? [`${formatDuration(elapsed)} / plan not recorded`]
      : [`${formatDuration(elapsed)} / ${formatDuration(total)}`, `${planBehind ? 'plan ' : ''}${Math.floor(progress * 100)}%`];
  // A dead orchestrator's run is not getting anywhere: the time it would have left is no estimate of anything.
  if (!timeless && !run.ended && total > 0 && run.orchestrator !== 'dead') progressParts.push(`ETA ${formatDuration(remaining)}`);
  const phase = run.currentPhaseIndex >= 0 ? run.phases[run.currentPhaseIndex] : undefined;
  const phaseText = phase ? `phase ${run.currentPhaseIndex + 1}/${run.phases.length} ${phase.name}` : run.phases.length > 0 ? `${run.phases.length} phases` : '';
  // The tokens the report and status give: a legacy run's are its runner's last snapshot's, or not recorded.
  const figures = runFigures(run);
  const tokens = figures.totalTokens;
  // What the agents said it cost (Claude Code), where one reported a cost: a sim or Codex run shows none, not $0.
  // The errors first, as a narrow terminal cuts the line from the right and they matter more: at 80 columns after a
  // restore ("plan 18%") the count cut was the error one. The cost last.
  const cost = reportedCostUsd(run);
  const costText = cost === null ? '' : `  ${formatUsd(cost)}`;
  const countsText = `${figures.errors === null ? 'n/a' : figures.errors} err  ${tokens === null ? 'n/a' : formatCount(tokens)} tok  ${figures.checkpoints ?? 'n/a'} ckpt${costText}`;
  const countsFields = countsText.split('  ');
  // Said only once the run's state is read (a finished run's console must not flash the resume hint while it loads).
  const dead = run.orchestrator === 'dead' && run.status !== null && !isTerminalStatus(run.status);
  const stopped = run.orchestrator === 'stopped' && run.ended === null;
  const status = run.ended ? `${run.ended.status} (exit ${run.ended.exitCode})` : (run.status ?? 'waiting');
  return {
    title: 'megatest',
    sessionId: session?.sessionId ?? '(waiting for session_started)',
    project: session ? session.projectName || session.project : '',
    agentKind: session?.agentKind ?? '',
    simulated: session?.simulated ?? false,
    status: dead ? `${status}?` : status,
    statusRole: dead ? 'critical' : statusRole(run.status),
    elapsedSeconds: elapsed,
    scheduleSeconds: schedule,
    totalSeconds: total,
    progressText: progressParts.join('  '),
    progressFields: progressParts,
    phaseText,
    countsText,
    countsFields,
    orchestratorWarning: dead ? ORCHESTRATOR_DEAD : stopped ? ORCHESTRATOR_STOPPED : null,
    resumeHint: dead ? orchestratorDeadMessage(options.runDir) : null,
    stoppedHint: stopped ? ORCHESTRATOR_STOPPED_HINT : null,
  };
}
