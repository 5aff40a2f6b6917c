// Headless progress (CI mode): a line per event of interest and a one-line
// status per metrics snapshot, plain text that reads well in a CI log.

import type { MegatestEvent } from '../contract/events.js';
import { assertNever } from '../contract/assertNever.js';

function clock(ts: string): string {
  return ts.slice(11, 19);
}

function pct(value: number | null, scale = 1): string {
  return value === null ? 'n/a' : `${(value * scale).toFixed(1)}%`;
}

export function headlessLine(event: MegatestEvent): string | null {
  const t = clock(event.ts);
  switch (event.type) {
    case 'session_started':
      return `${t} session ${event.session_id}: ${event.project_name} (${event.project}), ${event.agents} ${event.agent_kind} agents${event.simulated ? ' [SIMULATED]' : ''}, ${event.duration_seconds} s`;
    case 'phase_started':
      return `${t} phase ${event.index + 1} ${event.phase} started: ${event.tasks.length} tasks, ${event.duration_seconds} s`;
    case 'phase_ended':
      return `${t} phase ${event.index + 1} ${event.phase} ended: ${event.passed ? 'PASS' : 'FAIL'} (${event.criteria.filter((c) => c.passed).length}/${event.criteria.length} criteria)${event.criteria
        .filter((c) => !c.passed)
        .map((c) => `; ${c.id}: ${c.evidence}`)
        .join('')}`;
    case 'agent_started':
      return `${t} ${event.agent} started (${event.role}${event.model ? `, ${event.model}` : ''}${event.pid ? `, pid ${event.pid}` : ''})`;
    case 'agent_exited':
      return event.cause === 'stopped by megatest' ? null : `${t} ${event.agent} exited: ${event.cause ?? `code ${event.code}`}`;
    case 'task_completed':
      return `${t} ${event.agent} completed: ${event.task}`;
    case 'build':
      return `${t} build ${event.ok ? 'ok' : 'FAILED'} in ${(event.duration_ms / 1000).toFixed(1)} s`;
    case 'test_run':
      return `${t} tests: ${event.passed} passed, ${event.failed} failed, ${event.skipped} skipped; coverage ${event.coverage === null ? 'n/a' : `${event.coverage.toFixed(1)}%`}`;
    case 'metrics': {
      const m = event.metrics;
      return `${t} [${m.status}] ${m.phase} ${m.elapsed_seconds}s (${m.estimated_remaining}s left) tokens ${m.total_tokens} (${m.tokens_per_minute}/min) calls ${m.tool_calls} tasks ${m.tasks_completed}/${m.tasks_completed + m.tasks_remaining} LOC ${m.lines_of_code} pass ${pct(m.test_pass_rate, 100)} cov ${m.test_coverage === null ? 'n/a' : `${m.test_coverage.toFixed(1)}%`} ckpt ${m.checkpoint_count} err ${m.errors_encountered}`;
    }
    case 'checkpoint_created':
      return `${t} checkpoint ${event.id} (${event.trigger}): ${event.files} files, ${event.bytes} bytes, ${event.ms} ms`;
    case 'checkpoint_restored':
      return `${t} restored ${event.id} (${event.reason ?? 'restore'}), events after seq ${event.rolled_back_after_seq} rolled back`;
    case 'error':
      return `${t} ERROR ${event.class} (${event.severity})${event.agent ? ` ${event.agent}` : ''}: ${event.message}`;
    case 'recovery':
      return `${t} recovery ${event.action} #${event.attempt} ${event.outcome}${event.agent ? ` ${event.agent}` : ''}${event.detail ? `: ${event.detail}` : ''}`;
    case 'limit':
      return `${t} limit ${event.kind}${event.agent ? ` ${event.agent}` : ''}: ${event.action}${event.detail ? ` (${event.detail})` : ''}`;
    case 'compress':
      return `${t} ${event.agent} context compressed ${event.tokens_before} -> ${event.tokens_after} tokens`;
    case 'command':
      return `${t} command ${event.name} from ${event.source}${event.detail ? ` (${event.detail})` : ''}`;
    case 'alert':
      return `${t} ALERT ${event.level}: ${event.message}`;
    case 'session_ended':
      return `${t} session ended: ${event.status}, exit code ${event.exit_code}${event.reason ? ` (${event.reason})` : ''}`;
    case 'agent_state':
    case 'tool_call':
    case 'tokens':
    case 'vote':
      return null;
    default:
      return assertNever(event, 'event');
  }
}
