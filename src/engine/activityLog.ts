// session.log lines for what the agents and the gates did: an agent started
// or exited, a task done, a build, a test run, a context compressed, a limit
// met. The
// engine's parts record these as events only; their lines make session.log
// (and the console's log pane, which reads it) tell the run as it goes, not
// only its phase changes. Events that already have a line of their own
// (phases, checkpoints, errors) get none here.

import type { LogLevel, MegatestEvent } from '../contract/events.js';
import { assertNever } from '../contract/assertNever.js';
import { groupDigits, opsPerSecondText } from '../state/groupDigits.js';

export interface ActivityLine {
  level: LogLevel;
  source: string;
  message: string;
}

/** simulated: the sim swarm, whose model is a label (`sim as claude-sonnet-4-5`): read as Claude being called. */
export function activityLine(event: MegatestEvent, simulated = false): ActivityLine | null {
  switch (event.type) {
    case 'agent_started': {
      const model = event.model ? `, ${simulated ? `simulated, model label ${event.model}` : event.model}` : simulated ? ', simulated' : '';
      return { level: 'INFO', source: event.agent, message: `started (${event.role}${model}${event.pid ? `, pid ${event.pid}` : ''})` };
    }
    case 'agent_exited':
      if (event.cause === 'stopped by megatest') return null;
      return { level: 'WARN', source: event.agent, message: `exited: ${event.cause ?? (event.signal ? `signal ${event.signal}` : `code ${event.code}`)}` };
    case 'task_completed':
      return { level: 'INFO', source: event.agent, message: `completed: ${event.task}` };
    case 'build':
      return { level: event.ok ? 'INFO' : 'WARN', source: 'build', message: `build ${event.ok ? 'ok' : 'FAILED'} in ${(event.duration_ms / 1000).toFixed(1)} s` };
    case 'benchmark':
      return {
        level: event.ok ? 'INFO' : 'WARN',
        source: 'benchmark',
        message:
          event.ok && event.ops_per_second !== null
            ? `${opsPerSecondText(event.ops_per_second)} in ${(event.duration_ms / 1000).toFixed(1)} s (${event.command})`
            : `the benchmark ${event.problem ?? 'gave no figure'} (after ${(event.duration_ms / 1000).toFixed(1)} s; ${event.command})`,
      };
    case 'test_run':
      if (event.problem !== undefined) return { level: 'WARN', source: 'tests', message: `no results: ${event.problem} (after ${event.duration.toFixed(1)} s); the test figures are not measured until a run gives some` };
      return {
        level: event.failed > 0 ? 'WARN' : 'INFO',
        source: 'tests',
        message: `${event.passed} passed, ${event.failed} failed, ${event.skipped} skipped; coverage ${event.coverage === null ? 'not measured' : `${event.coverage.toFixed(1)}%`}`,
      };
    case 'compress':
      return {
        level: 'INFO',
        source: event.agent,
        message: `context compressed from ${groupDigits(event.tokens_before)} ${event.tokens_after === null ? 'tokens (after: not reported)' : `to ${groupDigits(event.tokens_after)} tokens`}${event.detail ? ` (${event.detail})` : ''}`,
      };
    case 'recovery':
      // What megatest does about an error, as it starts: the error line says what went wrong, this what happens now
      // (a wait for a usage limit to lift, a model switch, a restore). How it ended is in the events and the report.
      if (event.outcome !== 'started') return null;
      return { level: 'INFO', source: 'recovery', message: `${event.agent ?? 'session'}: ${event.action} #${event.attempt}${event.detail ? `: ${event.detail}` : ''}` };
    case 'limit':
      // A throttle, an idle agent's tasks moved, the parallel cap, a compression at the context limit, the budget or
      // the disk: without this line the console's log pane never showed why an agent stopped working.
      return { level: 'WARN', source: 'limits', message: `${event.kind}${event.agent ? ` ${event.agent}` : ''}: ${event.action}${event.detail ? ` (${event.detail})` : ''}` };
    // A line of their own elsewhere (phases, checkpoints, errors, commands, alerts, the end), or too many for the log (tokens, tool calls, snapshots).
    case 'session_started':
    case 'phase_started':
    case 'phase_ended':
    case 'agent_state':
    case 'tool_call':
    case 'tokens':
    case 'metrics':
    case 'checkpoint_created':
    case 'checkpoint_restored':
    case 'error':
    case 'vote':
    case 'command':
    case 'alert':
    case 'session_ended':
      return null;
    default:
      return assertNever(event, 'event');
  }
}
