// The fold of one event (DESIGN §1): events.jsonl → RunState. Pure: no
// clock, no I/O; time comes from the events' own `ts`.
//
// Idempotent: an event whose seq is not above the last applied one is
// ignored, so a tail that re-reads a file never counts anything twice.
//
// A restore (checkpoint_restored) puts back what the checkpoint saw: phase
// and phase outcomes, tasks done, measured figures (LOC, tests, pass rate,
// coverage, build) and each agent's task. It does not put back what was
// spent or seen since: tokens, tool calls, errors, recoveries, elapsed time.

import { assertNever } from '../contract/assertNever.js';
import { capabilitiesOf } from '../contract/capabilities.js';
import type { EventOf, MegatestEvent } from '../contract/events.js';
import { appendBounded, MAX_CHECKPOINTS } from './limits.js';
import { addModelUsage, addTokens, msOf, pushAgentSeries, pushSeries, startClock, stopClock, updateAgent, withAlert, withStatus } from './foldParts.js';
import { restore, rollbackPoint } from './rollback.js';
import { initialRunState, isTerminalStatus, scheduleSecondsAt, type AlertTone, type OpenRecovery, type PhaseView, type RunState } from './runState.js';

export function foldEvent(state: RunState, event: MegatestEvent): RunState {
  if (event.type === 'session_started' && state.session !== null && state.session.sessionId !== event.session_id) {
    // A different session in the same file (the file was replaced): start over.
    return foldEvent(initialRunState(), event);
  }
  if (event.seq <= state.lastSeq) return state;
  const gap = state.lastSeq > 0 && event.seq !== state.lastSeq + 1 ? 1 : 0;
  const base: RunState = {
    ...state,
    firstSeq: state.firstSeq ?? event.seq,
    lastSeq: event.seq,
    lastEventTs: event.ts,
    eventsApplied: state.eventsApplied + 1,
    seqGaps: state.seqGaps + gap,
  };
  return reduce(base, event, state.lastEventTs);
}

function reduce(state: RunState, event: MegatestEvent, previousTs: string | null): RunState {
  const ms = msOf(event.ts);
  switch (event.type) {
    case 'session_started': {
      if (state.session !== null) return state; // the same session announced again
      return {
        ...state,
        session: {
          sessionId: event.session_id,
          project: event.project,
          projectName: event.project_name,
          agentKind: event.agent_kind,
          simulated: event.simulated,
          agentCount: event.agents,
          durationSeconds: event.duration_seconds,
          startedAtMs: ms,
          megatestVersion: event.megatest_version,
        },
        status: state.status ?? 'starting',
        phases: event.phases.map((p) => ({
          name: p.name,
          durationSeconds: p.duration_seconds,
          status: 'pending',
          criteriaPassed: null,
          criteriaTotal: null,
          criteria: [],
          tasks: p.tasks ?? [],
          startedAtSeconds: null,
          startedAt: null,
          endedAt: null,
        })),
        currentPhaseIndex: -1,
        clock: { activeMs: 0, sinceMs: ms, rolledBackSeconds: 0 },
      };
    }
    case 'phase_started': {
      const phases = state.phases.slice();
      const known = event.index >= 0 && event.index < phases.length;
      const started: Partial<PhaseView> = {
        status: 'running',
        durationSeconds: event.duration_seconds,
        tasks: event.tasks,
        startedAtSeconds: scheduleSecondsAt(state, ms),
        startedAt: event.ts,
        endedAt: null,
        criteria: [],
        criteriaPassed: null,
        criteriaTotal: null,
      };
      if (known) phases[event.index] = { ...phases[event.index]!, ...started };
      else phases.push({ name: event.phase, criteria: [], ...started } as PhaseView); // older logs: show it anyway
      const index = known ? event.index : phases.length - 1;
      const status = state.status === 'starting' || state.status === null || state.status === 'recovering' ? 'running' : state.status;
      return { ...state, phases, currentPhaseIndex: index, phaseEnded: false, status };
    }
    case 'phase_ended': {
      const phases = state.phases.slice();
      const index = event.index >= 0 && event.index < phases.length ? event.index : phases.findIndex((p) => p.name === event.phase);
      if (index >= 0) {
        phases[index] = {
          ...phases[index]!,
          status: event.passed ? 'passed' : 'failed',
          criteria: event.criteria,
          criteriaPassed: event.criteria.filter((c) => c.passed).length,
          criteriaTotal: event.criteria.length,
          endedAt: event.ts,
        };
      }
      return { ...state, phases, phaseEnded: true };
    }
    case 'agent_started':
      return {
        ...state,
        agents: updateAgent(state.agents, event.agent, ms, (a) => ({
          ...withStatus(a, 'starting', ms),
          role: event.role,
          model: event.model ?? a.model,
          capabilities: capabilitiesOf(event.capabilities) ?? a.capabilities,
          exitCause: null,
          lastActivityMs: ms,
        })),
      };
    case 'agent_state':
      return {
        ...state,
        agents: updateAgent(state.agents, event.agent, ms, (a) => ({
          ...withStatus(a, event.status, ms),
          task: event.task ?? (event.status === 'idle' ? null : a.task),
          lastActivityMs: ms,
        })),
      };
    case 'agent_exited': {
      const crashed = event.code !== 0 && event.code !== null ? true : event.signal !== null && event.signal !== 'SIGTERM';
      const cause = event.cause ?? (event.signal ? `signal ${event.signal}` : `exit ${event.code}`);
      const stoppedByUs = event.cause === 'stopped by megatest';
      return {
        ...state,
        agents: updateAgent(state.agents, event.agent, ms, (a) => ({ ...withStatus(a, crashed && !stoppedByUs ? 'crashed' : 'exited', ms), exitCause: cause })),
      };
    }
    case 'tool_call':
      return {
        ...state,
        agents: updateAgent(state.agents, event.agent, ms, (a) => ({
          ...a,
          toolCalls: a.toolCalls + 1,
          failedToolCalls: a.failedToolCalls + (event.ok ? 0 : 1),
          lastActivityMs: Math.max(a.lastActivityMs, ms),
        })),
        counters: { ...state.counters, toolCalls: state.counters.toolCalls + 1, toolCallsFailed: state.counters.toolCallsFailed + (event.ok ? 0 : 1) },
      };
    case 'tokens': {
      const spent = event.input + event.output;
      const c = state.counters;
      return {
        ...state,
        agents: updateAgent(state.agents, event.agent, ms, (a) => ({
          ...a,
          tokens: a.tokens + spent,
          model: event.model || a.model,
          lastActivityMs: Math.max(a.lastActivityMs, ms),
        })),
        counters: {
          ...c,
          totalTokens: c.totalTokens + spent,
          inputTokens: c.inputTokens + event.input,
          outputTokens: c.outputTokens + event.output,
          byModel: addModelUsage(c.byModel, event.model, event.input, event.output, event.cost_usd),
        },
        tokenWindow: addTokens(state.tokenWindow, Math.floor(ms / 1000), spent),
      };
    }
    case 'task_completed': {
      if (state.tasksDone.some((t) => t.task === event.task)) return state;
      return {
        ...state,
        tasksDone: [
          ...state.tasksDone,
          { task: event.task, agent: event.agent, phase: event.phase, seq: event.seq, model: state.agents.find((a) => a.name === event.agent)?.model ?? null },
        ],
        agents: updateAgent(state.agents, event.agent, ms, (a) => ({ ...a, lastActivityMs: ms })),
      };
    }
    case 'build':
      return {
        ...state,
        measured: { ...state.measured, lastBuildOk: event.ok, lastBuildMs: event.duration_ms },
        counters: { ...state.counters, builds: state.counters.builds + 1, buildsOk: state.counters.buildsOk + (event.ok ? 1 : 0) },
      };
    case 'test_run': {
      const total = event.passed + event.failed;
      return {
        ...state,
        measured: {
          ...state.measured,
          testsPassed: event.passed,
          testsFailed: event.failed,
          testsSkipped: event.skipped,
          testPassRate: total > 0 ? event.passed / total : null,
          testCoverage: event.coverage,
        },
        counters: { ...state.counters, testRuns: state.counters.testRuns + 1 },
      };
    }
    case 'vote':
      return { ...state, counters: { ...state.counters, votes: state.counters.votes + 1 } };
    case 'command': {
      const counters = { ...state.counters, commands: state.counters.commands + 1 };
      if (event.name === 'pause') return { ...state, counters, clock: stopClock(state.clock, ms) };
      if (event.name === 'continue') return { ...state, counters, clock: startClock(state.clock, ms) };
      if (event.name === 'resume' && event.source === 'cli') {
        // A resumed session: no orchestrator ran it between the last event before this one and now.
        const lastMs = previousTs === null ? ms : msOf(previousTs);
        return { ...state, counters, clock: startClock(stopClock(state.clock, Math.min(lastMs, ms)), ms) };
      }
      return { ...state, counters };
    }
    case 'metrics': {
      const m = event.metrics;
      let agents = state.agents;
      for (const measured of m.agents) {
        agents = updateAgent(agents, measured.name, ms, (a) => ({
          ...a,
          role: a.role || measured.role,
          contextTokens: measured.context_tokens,
          maxContextTokens: measured.max_context_tokens,
          idleSeconds: measured.idle_seconds,
        }));
      }
      return {
        ...state,
        metrics: m,
        series: pushSeries(state.series, m),
        agents: pushAgentSeries(agents),
        measured: { ...state.measured, linesOfCode: m.lines_of_code, docCoverage: m.doc_coverage, filesModified: m.files_modified },
        status: isTerminalStatus(state.status) ? state.status : m.status,
      };
    }
    case 'checkpoint_created': {
      const checkpoint = {
        id: event.id,
        seq: event.seq,
        ts: event.ts,
        atSeconds: scheduleSecondsAt(state, ms),
        phase: event.phase,
        trigger: event.trigger,
        files: event.files,
        bytes: event.bytes,
        linesOfCode: event.lines_of_code ?? null,
        testPassRate: event.test_pass_rate ?? null,
      };
      return {
        ...state,
        checkpoints: appendBounded(state.checkpoints, [checkpoint], MAX_CHECKPOINTS),
        rollbackPoints: appendBounded(state.rollbackPoints, [rollbackPoint(state, event.id, event.seq, ms)], MAX_CHECKPOINTS),
        counters: { ...state.counters, checkpoints: state.counters.checkpoints + 1 },
      };
    }
    case 'checkpoint_restored':
      return restore(state, event, ms);
    case 'error': {
      const tone: AlertTone = event.severity === 'critical' || event.severity === 'fatal' ? 'critical' : 'warning';
      const who = event.agent ? `${event.agent}: ` : '';
      const c = state.counters;
      // A parse_failure event sums up the agent's bad lines since its last one.
      const badLines = event.class === 'parse_failure' ? lineCount(event.count) : 0;
      return {
        ...state,
        counters: {
          ...c,
          errors: c.errors + 1,
          errorsByClass: { ...c.errorsByClass, [event.class]: (c.errorsByClass[event.class] ?? 0) + 1 },
          fatalErrors: c.fatalErrors + (event.severity === 'fatal' ? 1 : 0),
          protocolErrors: (c.protocolErrors ?? 0) + badLines,
        },
        agents:
          badLines > 0 && event.agent
            ? updateAgent(state.agents, event.agent, ms, (a) => ({ ...a, protocolErrors: (a.protocolErrors ?? 0) + badLines }))
            : state.agents,
        alerts: withAlert(state, event, 'error', tone, `${who}${event.class} (${event.severity}) ${event.message}`),
      };
    }
    case 'recovery': {
      const tone: AlertTone = event.outcome === 'succeeded' ? 'good' : event.outcome === 'started' ? 'info' : 'critical';
      const who = event.agent ? `${event.agent}: ` : '';
      const detail = event.detail ? ` — ${event.detail}` : '';
      const c = state.counters;
      const byAction = c.recoveriesByAction[event.action] ?? { started: 0, succeeded: 0, failed: 0 };
      const outcome = event.outcome === 'gave_up' ? 'failed' : event.outcome;
      return {
        ...state,
        openRecoveries: withRecovery(state.openRecoveries ?? [], event),
        counters: {
          ...c,
          recoveriesByAction: { ...c.recoveriesByAction, [event.action]: { ...byAction, [outcome]: byAction[outcome] + 1 } },
          recoveriesStarted: c.recoveriesStarted + (event.outcome === 'started' ? 1 : 0),
          recoveriesSucceeded: c.recoveriesSucceeded + (event.outcome === 'succeeded' ? 1 : 0),
          recoveriesFailed: c.recoveriesFailed + (event.outcome === 'failed' || event.outcome === 'gave_up' ? 1 : 0),
        },
        alerts: withAlert(state, event, 'recovery', tone, `${who}${event.action} #${event.attempt} ${event.outcome}${detail}`),
      };
    }
    case 'limit': {
      const who = event.agent ? `${event.agent}: ` : '';
      const detail = event.detail ? ` (${event.detail})` : '';
      return {
        ...state,
        counters: { ...state.counters, limits: state.counters.limits + 1 },
        alerts: withAlert(state, event, 'limit', 'warning', `${who}${event.kind} limit → ${event.action}${detail}`),
      };
    }
    case 'compress':
      return {
        ...state,
        counters: { ...state.counters, compressions: state.counters.compressions + 1 },
        agents: updateAgent(state.agents, event.agent, ms, (a) => ({ ...a, contextTokens: event.tokens_after })),
        alerts: withAlert(state, event, 'compress', 'info', `${event.agent}: context compressed ${event.tokens_before} → ${event.tokens_after} tokens${event.detail ? ` (${event.detail})` : ''}`),
      };
    case 'alert': {
      const tone: AlertTone = event.level === 'critical' ? 'critical' : event.level === 'warning' ? 'warning' : 'info';
      return {
        ...state,
        counters: { ...state.counters, alerts: state.counters.alerts + 1 },
        alerts: withAlert(state, event, 'alert', tone, event.message),
      };
    }
    case 'session_ended': {
      const tone: AlertTone = event.status === 'completed' ? 'good' : 'critical';
      const reason = event.reason ?? null;
      return {
        ...state,
        status: event.status,
        clock: stopClock(state.clock, ms),
        agents: state.agents.map((a) => withStatus(a, a.status, ms)),
        ended: { status: event.status, exitCode: event.exit_code, reason, ts: event.ts },
        alerts: withAlert(state, event, 'session', tone, `session ${event.status} (exit ${event.exit_code})${reason ? `: ${reason}` : ''}`),
      };
    }
    default:
      return assertNever(event, 'event type');
  }
}

/** Folds a whole list of events from the empty state. */

/** How many lines an error event stands for: its count when it is a whole number above 0, else 1. */
function lineCount(count: number | undefined): number {
  return typeof count === 'number' && Number.isInteger(count) && count > 0 ? count : 1;
}

/** The open recoveries after a recovery event: a start opens one, an outcome ends the oldest open one of its agent, action and attempt. */
function withRecovery(open: readonly OpenRecovery[], event: EventOf<'recovery'>): OpenRecovery[] {
  const agent = event.agent ?? null;
  if (event.outcome === 'started') return [...open, { agent, action: event.action, attempt: event.attempt, seq: event.seq, ts: event.ts }];
  const index = open.findIndex((r) => r.agent === agent && r.action === event.action && r.attempt === event.attempt);
  return index < 0 ? (open as OpenRecovery[]) : [...open.slice(0, index), ...open.slice(index + 1)];
}
