// What `megatest status` shows: one view of a run, live from the control API
// or read back from the run folder's files (statusFromFiles.ts: the same fold
// as the live orchestrator's), and its lines.

import { capabilitiesOf, describeCapabilities, type AgentCapabilities } from '../contract/capabilities.js';
import type { StatusSnapshot } from '../contract/control.js';
import type { SessionMetrics } from '../contract/metrics.js';
import { printableText } from '../contract/printable.js';
import { runPaths } from '../io/runFolder.js';
import { groupDigits } from '../state/groupDigits.js';
import type { RecoveryUnderWay } from '../state/tallies.js';
import { clockDuration } from '../state/durationText.js';

/** What `status` shows, live from the API or read back from the files. */
export interface StatusView {
  session_id: string;
  run_dir: string;
  running: boolean;
  status: string;
  phase: string | null;
  simulated: boolean | null;
  project: string | null;
  agent_kind: string | null;
  started_at: string | null;
  duration_seconds: number | null;
  metrics: SessionMetrics | null;
  last_checkpoint: { id: string; phase: string | null; timestamp: string | null; trigger: string | null } | null;
  pid: number | null;
  control_url: string | null;
  /** What each agent can do when asked (from its agent_started event). */
  capabilities: Record<string, AgentCapabilities>;
  /** The newest critical alert: why a paused run waits for a person. */
  last_alert: { ts: string; message: string } | null;
  /** While paused: since when, who paused and why (null: a person's pause, or not known). */
  pause: { since: string; by: string; why: string | null } | null;
  /** Recoveries started and not yet ended: why an agent waits. */
  recoveries_under_way: RecoveryUnderWay[];
  /** What the agents said the work cost so far (USD), or null when none reported a cost. */
  cost_usd: number | null;
  /** Read from the files of a run that ended: the exit code its end recorded (a completed run exits 1 when a critical criterion failed). */
  exit_code?: number;
  /** python | bash | unknown: a run folder of the original runner, read through src/legacy/. */
  legacy?: string;
  /** Set on a run `megatest import` made: a recording, never resumed or controlled. */
  imported?: true;
  /** Why checkpoints/ could not be listed (a file where the folder should be, EIO); last_checkpoint is then the event log's newest. */
  checkpoints_unreadable?: string;
  /** Set while the orchestrator (`pid`) is stopped (Ctrl-Z, SIGSTOP): read from the files, as it answers nothing. */
  orchestrator_stopped?: true;
  /** The session is ending (the orchestrator said so): why; it refuses every action meanwhile. */
  stopping?: string;
  /** Why the last test run gave no results: the test figures are not measured. */
  tests_problem?: string;
}

export function viewFromSnapshot(runDir: string, snapshot: StatusSnapshot, controlUrl: string): StatusView {
  const checkpoint = snapshot.last_checkpoint;
  return {
    session_id: snapshot.session_id,
    run_dir: runPaths(runDir).root,
    running: true,
    status: snapshot.status,
    phase: snapshot.phase,
    simulated: snapshot.simulated,
    project: snapshot.project,
    agent_kind: snapshot.agent_kind,
    started_at: snapshot.started_at,
    duration_seconds: snapshot.duration_seconds,
    metrics: snapshot.metrics,
    last_checkpoint: checkpoint ? { id: checkpoint.id, phase: checkpoint.phase, timestamp: checkpoint.timestamp, trigger: checkpoint.trigger } : null,
    pid: snapshot.pid,
    control_url: controlUrl,
    // From the wire: only whole capability sets are kept.
    capabilities: Object.fromEntries(
      Object.entries(snapshot.capabilities ?? {}).flatMap(([name, value]) => {
        const capabilities = capabilitiesOf(value);
        return capabilities ? [[name, capabilities]] : [];
      }),
    ),
    last_alert: alertOf(snapshot.last_alert),
    pause: pauseOf(snapshot.pause),
    recoveries_under_way: (Array.isArray(snapshot.recoveries_under_way) ? snapshot.recoveries_under_way : []).flatMap((value) => recoveryOf(value)),
    cost_usd: typeof snapshot.cost_usd === 'number' && Number.isFinite(snapshot.cost_usd) ? snapshot.cost_usd : null,
    ...(typeof snapshot.stopping === 'string' ? { stopping: snapshot.stopping } : {}),
    ...(typeof snapshot.tests_problem === 'string' ? { tests_problem: snapshot.tests_problem } : {}),
  };
}

/** From the wire: a whole pause (since, by, why), else none. */
function pauseOf(value: unknown): StatusView['pause'] {
  if (typeof value !== 'object' || value === null) return null;
  const { since, by, why } = value as Record<string, unknown>;
  if (typeof since !== 'string' || typeof by !== 'string' || (why !== null && typeof why !== 'string')) return null;
  return { since, by, why };
}

/** From the wire: a whole alert (ts and message), else none. */
function alertOf(value: unknown): StatusView['last_alert'] {
  const alert = value as { ts?: unknown; message?: unknown } | null | undefined;
  return alert && typeof alert.ts === 'string' && typeof alert.message === 'string' ? { ts: alert.ts, message: alert.message } : null;
}

/** From the wire: a whole recovery under way, else none. */
function recoveryOf(value: unknown): RecoveryUnderWay[] {
  const r = (value ?? {}) as Record<string, unknown>;
  if (typeof r.action !== 'string' || typeof r.attempt !== 'number' || typeof r.since !== 'string') return [];
  return [{ agent: typeof r.agent === 'string' ? r.agent : null, action: r.action, attempt: r.attempt, since: r.since, detail: typeof r.detail === 'string' ? r.detail : null }];
}


/**
 * Elapsed of the planned duration, and what is left of it; an import had no
 * plan (the recording's span alone), and one in line order no time at all.
 */
function elapsedText(view: StatusView, m: SessionMetrics): string {
  if (m.elapsed_seconds === null) return `n/a${view.imported ? "  (the recording's times are line order, not time)" : ''}`;
  if (view.imported) return `${clockDuration(m.elapsed_seconds)}  (the recording's span)`;
  // A legacy run whose files record no planned length: no plan to show, and no time left reckoned against one.
  const total = view.duration_seconds ? ` / ${clockDuration(view.duration_seconds)}` : view.legacy ? '  (planned length not recorded)' : '';
  // Time left only while something runs towards the end (as the console's ETA): a killed run's is no estimate of anything.
  // (An old runner's folder is read from its files: its status word says whether its runner still runs.)
  const goingOn = view.exit_code === undefined && (view.running || view.orchestrator_stopped === true || (view.legacy !== undefined && view.status === 'running'));
  const left = goingOn && m.estimated_remaining !== null ? `  (${clockDuration(m.estimated_remaining)} left)` : '';
  return `${clockDuration(m.elapsed_seconds)}${total}${left}`;
}

/** n/a for a figure a legacy runner did not record (null where SessionMetrics has a number). */
export function count(n: number | null): string {
  return n === null || !Number.isFinite(n) ? 'n/a' : groupDigits(n);
}

/** Who answered for the status line: the orchestrator, or the files (and why). */
function statusNote(view: StatusView): string {
  if (view.running) return `  (orchestrator pid ${view.pid}, ${view.control_url})`;
  if (view.legacy) return '  (a legacy run, read from its files)';
  if (view.imported) return '  (imported agent output, read from its files)';
  if (view.orchestrator_stopped) return `  (orchestrator pid ${view.pid} stopped: Ctrl-Z or SIGSTOP; read from the files)`;
  return '  (orchestrator not running; read from the files)';
}

export function formatStatus(view: StatusView): string[] {
  const m = view.metrics;
  const lines: string[] = [];
  const label = (name: string) => name.padEnd(11);
  const tags = [view.project, view.agent_kind, view.simulated ? 'SIMULATED' : null, view.legacy ? `legacy ${view.legacy} run` : null].filter(Boolean).join(', ');
  lines.push(`${label('session')}${view.session_id}${tags ? `  (${tags})` : ''}`);
  lines.push(`${label('folder')}${view.run_dir}`);
  lines.push(
    `${label('status')}${view.status}${view.exit_code === undefined ? '' : `, exit code ${view.exit_code}`}${statusNote(view)}`,
  );
  // Why every command is refused now: its status word stays what it was until its end is recorded.
  if (view.stopping !== undefined) lines.push(`${label('stopping')}${view.stopping}; every command is refused until the session has ended`);
  // Who paused, and whether megatest goes on by itself: a held session's alert is a warning, which the alert line below leaves out.
  if (view.pause) lines.push(`${label('paused')}${view.pause.since}  by ${view.pause.by}${view.pause.why ? `: ${view.pause.why}` : ''}`);
  if (view.phase) lines.push(`${label('phase')}${view.phase}`);
  // A run that ended has no test run or checkpoint still to come: "none", not "none yet".
  const yet = view.exit_code === undefined ? ' yet' : '';
  if (m) {
    lines.push(`${label('elapsed')}${elapsedText(view, m)}`);
    // The cost only where an agent reported one (Claude Code): a sim or Codex run has none to show, not $0.
    const cost = view.cost_usd === null ? '' : `   cost $${view.cost_usd.toFixed(4)}`;
    const rate = m.tokens_per_minute === null ? 'rate n/a' : `${count(m.tokens_per_minute)}/min`;
    lines.push(`${label('tokens')}${count(m.total_tokens)}  (${rate})   tool calls ${count(m.tool_calls)}${cost}`);
    const coverage = m.test_coverage === null ? 'coverage n/a' : `coverage ${m.test_coverage.toFixed(1)}%`;
    // No test counts and no pass rate (an import runs none): nothing to count, rather than "n/a passed, n/a failed".
    const tests = view.tests_problem !== undefined
      ? `not measured: the last test run gave no results (${view.tests_problem})`
      : m.tests_passed === null && m.tests_failed === null && m.test_pass_rate === null
        ? `none run${yet}`
        : `${count(m.tests_passed)} passed, ${count(m.tests_failed)} failed (${m.test_pass_rate === null ? `no test run${yet}` : `${(m.test_pass_rate * 100).toFixed(1)}% pass`})`;
    lines.push(`${label('tests')}${tests}   ${coverage}   LOC ${count(m.lines_of_code)}`);
    lines.push(`${label('tasks')}${count(m.tasks_completed)} done, ${count(m.tasks_remaining)} left   errors ${count(m.errors_encountered)}   recoveries ${count(m.recoveries)}`);
    // A run killed mid-way: its agents are not working now, whatever the log last said of them.
    const orphaned = !view.running && view.orchestrator_stopped !== true && view.exit_code === undefined && view.legacy === undefined && view.imported !== true;
    if (orphaned && (m.agents ?? []).length > 0) lines.push(`${label('agents')}as the event log last recorded them (${m.timestamp}); none runs now`);
    for (const agent of m.agents ?? []) {
      lines.push(
        `${label('agent')}${agent.name} ${agent.role} ${agent.status}${agent.task ? ` "${agent.task}"` : ''}  tokens ${count(agent.tokens)}  calls ${count(agent.tool_calls)}  trust ${agent.tool_calls === 0 ? 'n/a' : agent.trust_score.toFixed(2)}  idle ${Math.round(agent.idle_seconds)} s`,
      );
    }
  } else {
    lines.push(`${label('metrics')}none${yet}`);
  }
  lines.push(...capabilityLines(view.capabilities, label, view.imported === true));
  // Why a paused run waits (a recovery that gave up, an agent not logged in): the console's alerts pane, for a shell.
  if (view.last_alert) lines.push(`${label('alert')}${view.last_alert.ts}  ${view.last_alert.message}`);
  // Why an agent waits while the run goes on (a usage limit, a backoff): the recoveries not yet ended.
  for (const r of view.recoveries_under_way) {
    lines.push(`${label('recovering')}${r.since}  ${r.agent ?? 'session'} ${r.action} #${r.attempt}${r.detail ? `: ${r.detail}` : ''}`);
  }
  const cp = view.last_checkpoint;
  const unreadable = view.checkpoints_unreadable === undefined ? '' : `  (${view.checkpoints_unreadable}${cp ? '; as the event log records it' : ''})`;
  // A Bash run keeps no checkpoint file in its folder, yet its runner counted them: "none" alone read as none taken.
  const counted = cp === null && view.legacy && typeof m?.checkpoint_count === 'number' && m.checkpoint_count > 0 ? `none in the folder  (the runner counted ${m.checkpoint_count})` : null;
  lines.push(`${label('checkpoint')}${cp ? `${cp.id}${cp.phase ? `  phase ${cp.phase}` : ''}${cp.trigger ? `  ${cp.trigger}` : ''}${cp.timestamp ? `  ${cp.timestamp}` : ''}` : (counted ?? `none${yet}`)}${unreadable}`);
  // Agents' tasks and alerts are what they printed: on the terminal, printable (no colours or carriage returns of theirs acting on it).
  return lines.map(printableText);
}

/** One line when every agent can do the same (one kind), else one per agent. */
function capabilityLines(capabilities: Record<string, AgentCapabilities>, label: (name: string) => string, imported: boolean): string[] {
  // A recording's agents were not run by megatest: what their kind can do when it runs them, not what the recording holds
  // (a selfware log kept without --show-tokens has no token usage, though selfware run by megatest reports it).
  const note = imported ? ' (when megatest runs this agent kind)' : '';
  const described = Object.entries(capabilities).map(([name, c]) => [name, `${describeCapabilities(c)}${note}`] as const);
  if (described.length === 0) return [];
  if (described.every(([, text]) => text === described[0]![1])) return [`${label('abilities')}${described[0]![1]}`];
  return described.map(([name, text]) => `${label('abilities')}${name}: ${text}`);
}
