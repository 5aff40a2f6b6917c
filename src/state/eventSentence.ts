// An event as one sentence of plain text: what the headless log prints after
// the time, and the text of a webhook notification. "phase 2 development
// ended: FAIL (3/4 criteria); development.build_ok: build_ok 0 == 1: not met"
// reads in a CI log and in a Slack channel; null for the events too
// frequent to tell one by one (tool calls, tokens, agent states, votes).

import { assertNever } from '../contract/assertNever.js';
import type { MegatestEvent } from '../contract/events.js';
import type { SessionStatus } from '../contract/statuses.js';
import { compactDuration } from './durationText.js';
import { countOf, groupDigits, opsPerSecondText } from './groupDigits.js';

/** A figure that may be missing (a legacy or imported run's snapshot): n/a, never 0. */
function figure(value: number | null): string {
  return value === null ? 'n/a' : groupDigits(value);
}

function pct(value: number | null, scale = 1): string {
  return value === null ? 'n/a' : `${(value * scale).toFixed(1)}%`;
}

/**
 * A budget in whole seconds, as session.log gives it: a short run's phases get fractions of a second ("3.977 s" said
 * nothing more). None (a legacy run whose files record no planned length: null or 0) is said so, not "0 s".
 */
function seconds(value: number | null): string {
  return typeof value === 'number' && value > 0 ? `${Math.round(value)} s` : 'length not recorded';
}

/** Longest clue a failed build's line quotes: a CI log line, a chat message, not the whole output (that is in session.log and the event). */
const BUILD_CLUE_CHARS = 200;

/**
 * The last line a failed build printed ("error: could not find `Cargo.toml`
 * in … or any parent directory"): a CI log that said only "build FAILED"
 * sent a person to session.log for why.
 */
function failedBuildClue(outputTail: string | undefined): string {
  const last = (outputTail ?? '').split('\n').map((line) => line.trim()).filter((line) => line !== '').at(-1);
  if (last === undefined) return '';
  return `: ${last.length > BUILD_CLUE_CHARS ? `${last.slice(0, BUILD_CLUE_CHARS - 1)}…` : last}`;
}

export function eventSentence(event: MegatestEvent): string | null {
  switch (event.type) {
    case 'session_started':
      return `session ${event.session_id}: ${event.project_name} (${event.project}), ${countOf(event.agents, `${event.agent_kind} agent`)}${event.simulated ? ' [SIMULATED]' : ''}, ${seconds(event.duration_seconds)}`;
    case 'phase_started':
      return `phase ${event.index + 1} ${event.phase} started: ${event.tasks.length} tasks, ${seconds(event.duration_seconds)}`;
    case 'phase_ended':
      return `phase ${event.index + 1} ${event.phase} ended: ${event.passed ? 'PASS' : 'FAIL'} (${event.criteria.filter((c) => c.passed).length}/${event.criteria.length} criteria)${event.criteria
        .filter((c) => !c.passed)
        .map((c) => `; ${c.id}: ${c.evidence}`)
        .join('')}`;
    case 'agent_started':
      return `${event.agent} started (${event.role}${event.model ? `, ${event.model}` : ''}${event.pid ? `, pid ${event.pid}` : ''})`;
    case 'agent_exited':
      return event.cause === 'stopped by megatest' ? null : `${event.agent} exited: ${event.cause ?? `code ${event.code}`}`;
    case 'task_completed':
      return `${event.agent} completed: ${event.task}`;
    case 'build':
      return `build ${event.ok ? 'ok' : 'FAILED'} in ${(event.duration_ms / 1000).toFixed(1)} s${event.ok ? '' : failedBuildClue(event.output_tail)}`;
    case 'benchmark':
      return event.ok && event.ops_per_second !== null
        ? `benchmark ${opsPerSecondText(event.ops_per_second)} in ${(event.duration_ms / 1000).toFixed(1)} s`
        : `benchmark ${event.problem ?? 'gave no figure'} (after ${(event.duration_ms / 1000).toFixed(1)} s)`;
    case 'test_run':
      if (event.problem !== undefined) return `tests gave no results: ${event.problem} (after ${event.duration.toFixed(1)} s)`;
      return `tests: ${event.passed} passed${event.flaky ? ` (${event.flaky} only on a rerun)` : ''}, ${event.failed} failed, ${event.skipped} skipped; coverage ${event.coverage === null ? 'n/a' : `${event.coverage.toFixed(1)}%`}`;
    case 'metrics': {
      const m = event.metrics;
      return `[${m.status}] ${m.phase} ${m.elapsed_seconds === null ? 'n/a' : compactDuration(m.elapsed_seconds)}${m.estimated_remaining === null || !goingOn(m.status) ? '' : ` (${compactDuration(m.estimated_remaining)} left)`} tokens ${figure(m.total_tokens)} (${figure(m.tokens_per_minute)}/min) calls ${figure(m.tool_calls)} tasks ${m.tasks_completed === null || m.tasks_remaining === null ? 'n/a' : `${m.tasks_completed}/${m.tasks_completed + m.tasks_remaining}`} LOC ${figure(m.lines_of_code)} pass ${pct(m.test_pass_rate, 100)} cov ${m.test_coverage === null ? 'n/a' : `${m.test_coverage.toFixed(1)}%`} ckpt ${figure(m.checkpoint_count)} err ${figure(m.errors_encountered)}`;
    }
    case 'checkpoint_created':
      return `checkpoint ${event.id} (${event.trigger}): ${countOf(event.files, 'file')}, ${countOf(event.bytes, 'byte')}, ${event.ms} ms`;
    case 'checkpoint_restored':
      return `restored ${event.id} (${event.reason ?? 'restore'}), events after seq ${event.rolled_back_after_seq} rolled back`;
    case 'error':
      return `ERROR ${event.class} (${event.severity})${event.agent ? ` ${event.agent}` : ''}: ${event.message}`;
    case 'recovery':
      return `recovery ${event.action} #${event.attempt} ${event.outcome}${event.agent ? ` ${event.agent}` : ''}${event.detail ? `: ${event.detail}` : ''}`;
    case 'limit':
      return `limit ${event.kind}${event.agent ? ` ${event.agent}` : ''}: ${event.action}${event.detail ? ` (${event.detail})` : ''}`;
    case 'compress':
      return `${event.agent} context compressed ${groupDigits(event.tokens_before)} -> ${event.tokens_after === null ? 'not reported' : `${groupDigits(event.tokens_after)} tokens`}`;
    case 'command':
      return `command ${event.name} from ${event.source}${event.detail ? ` (${event.detail})` : ''}`;
    case 'alert':
      return `ALERT ${event.level}: ${event.message}`;
    case 'session_ended':
      return `session ended: ${event.status}, exit code ${event.exit_code}${event.reason ? ` (${event.reason})` : ''}`;
    case 'agent_state':
    case 'tool_call':
    case 'tokens':
    case 'vote':
      return null;
    default:
      return assertNever(event, 'event');
  }
}

/** Whether a session in this status still runs towards its end: an ended one has no time left to give. */
function goingOn(status: SessionStatus): boolean {
  switch (status) {
    case 'starting':
    case 'running':
    case 'paused':
    case 'recovering':
      return true;
    case 'completed':
    case 'failed':
    case 'interrupted':
    case 'timeout':
      return false;
    default:
      return assertNever(status, 'session status');
  }
}
