// The header's two lines: who is running (session, project, agent kind,
// status, SIMULATED badge) and how far along (elapsed / total, progress,
// ETA, phase), plus the orchestrator-died warning with the resume command.

import { assertNever, type SessionStatus } from '../../engine/events.js';
import { isTerminalStatus, type ConsoleState } from '../../state/applyEvent.js';
import type { ThemeRole } from '../theme.js';
import { formatCount, formatDuration } from './format.js';

export interface HeaderModel {
  title: string;
  sessionId: string;
  project: string;
  agentKind: string;
  simulated: boolean;
  status: string;
  statusRole: ThemeRole;
  elapsedSeconds: number;
  totalSeconds: number;
  /** "1h02m / 6h00m  17%  ETA 4h58m" */
  progressText: string;
  /** "phase 2/4 implementation" */
  phaseText: string;
  /** "1.2M tok  4 ckpt  3 err" */
  countsText: string;
  /** Set when the orchestrator is gone but the run did not end. */
  orchestratorWarning: string | null;
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

/** The resume hint shown when the orchestrator is gone; the CLI prints the same words. */
export function orchestratorDeadMessage(runDir: string): string {
  return `orchestrator not running — megatest resume ${runDir}`;
}

/**
 * Elapsed seconds: the orchestrator's own measure from its last snapshot,
 * advanced by the wall clock only while the run is going and the
 * orchestrator is alive (a dead run's clock has stopped).
 */
export function elapsedSeconds(run: ConsoleState, nowMs: number): number {
  const session = run.session;
  if (run.ended && session) return Math.max(0, (Date.parse(run.ended.ts) - session.startedAtMs) / 1000);
  const ticking = run.status === 'running' || run.status === 'recovering' || run.status === 'starting';
  const advancing = ticking && run.orchestrator !== 'dead';
  if (run.metrics) {
    const at = Date.parse(run.metrics.timestamp);
    const since = advancing && Number.isFinite(at) ? Math.max(0, (nowMs - at) / 1000) : 0;
    return run.metrics.elapsed_seconds + since;
  }
  if (!session) return 0;
  const until = advancing ? nowMs : Date.parse(run.lastEventTs ?? '') || session.startedAtMs;
  return Math.max(0, (until - session.startedAtMs) / 1000);
}

export function headerModel(run: ConsoleState, options: { nowMs: number; runDir: string }): HeaderModel {
  const session = run.session;
  const elapsed = elapsedSeconds(run, options.nowMs);
  const total = session?.durationSeconds ?? 0;
  const progress = total > 0 ? Math.min(1, elapsed / total) : 0;
  // The orchestrator's estimate, counted down by the time since it was made.
  const remaining = run.ended
    ? 0
    : run.metrics && run.metrics.estimated_remaining >= 0
      ? Math.max(0, run.metrics.estimated_remaining - (elapsed - run.metrics.elapsed_seconds))
      : Math.max(0, total - elapsed);
  const progressParts = [`${formatDuration(elapsed)} / ${formatDuration(total)}`, `${Math.floor(progress * 100)}%`];
  if (!run.ended && total > 0) progressParts.push(`ETA ${formatDuration(remaining)}`);
  const phase = run.currentPhaseIndex >= 0 ? run.phases[run.currentPhaseIndex] : undefined;
  const phaseText = phase ? `phase ${run.currentPhaseIndex + 1}/${run.phases.length} ${phase.name}` : run.phases.length > 0 ? `${run.phases.length} phases` : '';
  const totalTokens = run.metrics?.total_tokens ?? run.agents.reduce((sum, a) => sum + a.tokens, 0);
  const errors = run.metrics?.errors_encountered ?? run.alerts.filter((a) => a.kind === 'error').length;
  const countsText = `${formatCount(totalTokens)} tok  ${run.checkpoints.length} ckpt  ${errors} err`;
  const dead = run.orchestrator === 'dead' && !isTerminalStatus(run.status);
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
    totalSeconds: total,
    progressText: progressParts.join('  '),
    phaseText,
    countsText,
    orchestratorWarning: dead ? orchestratorDeadMessage(options.runDir) : null,
  };
}
