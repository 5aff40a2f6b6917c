// The fold of one event (DESIGN §1): events.jsonl → RunState. Pure: no
// clock, no I/O; time comes from the events' own `ts`. The event is folded
// into a Draft (draft.ts): the caller's state is never changed, and within
// one foldEvents call the objects the fold made are changed in place rather
// than copied per event.
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
import { Draft, setKey } from './draft.js';
import { addTokensInPlace, alertOf, msOf, pushAgentSeriesInPlace, pushSeries, setStatusInPlace, startClock, stopClock, withRecordedFigures } from './foldParts.js';
import { foldMeasured } from './foldMeasured.js';
import { appendBounded, MAX_ALERTS, MAX_CHECKPOINTS } from './limits.js';
import { restore, rollbackPoint } from './rollback.js';
import { scheduleSecondsAt } from './readings.js';
import { isTerminalStatus, type AlertTone, type OpenRecovery, type PauseView, type PhaseView, type RunState } from './runState.js';

export function foldEvent(state: RunState, event: MegatestEvent): RunState {
  const draft = new Draft(state);
  foldInto(draft, event);
  return draft.state;
}

/**
 * An event of a type this build does not know (a newer megatest's, see
 * unknownEventLine): only its seq is taken, so that the event after it is no
 * gap and nothing is counted lost. Nothing else of the state changes.
 */
export function skipUnknownEvent(state: RunState, seq: number): RunState {
  if (seq <= state.lastSeq) return state;
  const draft = new Draft(state);
  const s = draft.mut();
  if (s.lastSeq > 0 && seq !== s.lastSeq + 1) s.seqGaps += 1;
  s.firstSeq ??= seq;
  s.lastSeq = seq;
  return draft.state;
}

/** One event into a draft (foldEvents feeds a whole batch through one). */
export function foldInto(draft: Draft, event: MegatestEvent): void {
  const before = draft.state;
  if (event.type === 'session_started' && before.session !== null && before.session.sessionId !== event.session_id) {
    // A different session in the same file (the file was replaced): start over.
    draft.reset();
  }
  if (event.seq <= draft.state.lastSeq) return;
  const s = draft.mut();
  const previousTs = s.lastEventTs;
  if (s.lastSeq > 0 && event.seq !== s.lastSeq + 1) s.seqGaps += 1;
  s.firstSeq ??= event.seq;
  s.lastSeq = event.seq;
  s.lastEventTs = event.ts;
  s.eventsApplied += 1;
  reduce(draft, s, event, previousTs);
}

/** The event's own change to `s` (the draft's state, already past the seq bookkeeping). */
function reduce(draft: Draft, s: RunState, event: MegatestEvent, previousTs: string | null): void {
  const ms = msOf(event.ts);
  switch (event.type) {
    case 'session_started': {
      if (s.session !== null) return; // the same session announced again
      s.session = {
        sessionId: event.session_id,
        project: event.project,
        projectName: event.project_name,
        agentKind: event.agent_kind,
        simulated: event.simulated,
        agentCount: event.agents,
        // null: a legacy run whose files record no planned length (its conversion's session_started says so)
        durationSeconds: typeof event.duration_seconds === 'number' ? event.duration_seconds : null,
        startedAtMs: ms,
        megatestVersion: event.megatest_version,
        ...(event.resumed_from ? { resumedFrom: { run: event.resumed_from.run, checkpoint: event.resumed_from.checkpoint } } : {}),
        ...(event.times === 'line_order' ? { timesLineOrder: true as const } : {}),
      };
      s.status = s.status ?? 'starting';
      s.phases = event.phases.map((p) => ({
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
      }));
      s.currentPhaseIndex = -1;
      s.clock = { activeMs: 0, sinceMs: ms, rolledBackSeconds: 0 };
      return;
    }
    case 'phase_started': {
      // Phases are kept by rollback points: always a new array, never changed in place.
      const phases = s.phases.slice();
      const known = event.index >= 0 && event.index < phases.length;
      const started: Partial<PhaseView> = {
        status: 'running',
        durationSeconds: event.duration_seconds,
        tasks: event.tasks,
        startedAtSeconds: scheduleSecondsAt(s, ms),
        startedAt: event.ts,
        endedAt: null,
        criteria: [],
        criteriaPassed: null,
        criteriaTotal: null,
      };
      if (known) phases[event.index] = { ...phases[event.index]!, ...started };
      else phases.push({ name: event.phase, criteria: [], ...started } as PhaseView); // older logs: show it anyway
      s.phases = phases;
      s.currentPhaseIndex = known ? event.index : phases.length - 1;
      s.phaseEnded = false;
      if (s.status === 'starting' || s.status === null || s.status === 'recovering') s.status = 'running';
      return;
    }
    case 'phase_ended': {
      const phases = s.phases.slice();
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
      s.phases = phases;
      s.phaseEnded = true;
      return;
    }
    case 'agent_started': {
      const a = draft.agent(event.agent, ms);
      setStatusInPlace(a, 'starting', ms);
      a.role = event.role;
      a.model = event.model ?? a.model;
      a.capabilities = capabilitiesOf(event.capabilities) ?? a.capabilities;
      a.exitCause = null;
      a.lastActivityMs = ms;
      return;
    }
    case 'agent_state': {
      const a = draft.agent(event.agent, ms);
      const task = event.task ?? (event.status === 'idle' ? null : a.task);
      setStatusInPlace(a, event.status, ms);
      a.task = task;
      a.lastActivityMs = ms;
      return;
    }
    case 'agent_exited': {
      const crashed = event.code !== 0 && event.code !== null ? true : event.signal !== null && event.signal !== 'SIGTERM';
      const cause = event.cause ?? (event.signal ? `signal ${event.signal}` : `exit ${event.code}`);
      const stoppedByUs = event.cause === 'stopped by megatest';
      const a = draft.agent(event.agent, ms);
      setStatusInPlace(a, crashed && !stoppedByUs ? 'crashed' : 'exited', ms);
      a.exitCause = cause;
      return;
    }
    case 'tool_call': {
      const a = draft.agent(event.agent, ms);
      const failed = event.ok ? 0 : 1;
      a.toolCalls += 1;
      a.failedToolCalls += failed;
      a.lastActivityMs = Math.max(a.lastActivityMs, ms);
      const c = draft.counters();
      c.toolCalls += 1;
      c.toolCallsFailed += failed;
      return;
    }
    case 'tokens': {
      const spent = event.input + event.output;
      const a = draft.agent(event.agent, ms);
      a.tokens += spent;
      a.model = event.model || a.model;
      a.lastActivityMs = Math.max(a.lastActivityMs, ms);
      const c = draft.counters();
      c.totalTokens += spent;
      c.inputTokens += event.input;
      c.outputTokens += event.output;
      // Summed event by event in order, so a cost is exactly the float folding one by one gives.
      const usage = draft.entry(draft.countersMap('byModel'), event.model, () => ({ input: 0, output: 0, costUsd: null }));
      usage.input += event.input;
      usage.output += event.output;
      if (event.cost_usd !== undefined && Number.isFinite(event.cost_usd)) usage.costUsd = (usage.costUsd ?? 0) + event.cost_usd;
      addTokensInPlace(draft.tokenWindow(), Math.floor(ms / 1000), spent);
      return;
    }
    case 'task_completed': {
      if (s.tasksDone.some((t) => t.task === event.task)) return;
      const model = s.agents.find((a) => a.name === event.agent)?.model ?? null;
      // Tasks done are kept by rollback points: a new array, never changed in place.
      s.tasksDone = [...s.tasksDone, { task: event.task, agent: event.agent, phase: event.phase, seq: event.seq, model }];
      draft.agent(event.agent, ms).lastActivityMs = ms;
      return;
    }
    case 'build':
    case 'benchmark':
    case 'test_run':
      foldMeasured(draft, s, event);
      return;
    case 'vote':
      draft.counters().votes += 1;
      return;
    case 'command': {
      draft.counters().commands += 1;
      // The orchestrator writes a pause or continue as it carries it out: the status changes with it, not a snapshot later
      // (a restore under way stays recovering, and says how it ends in its snapshots).
      if (event.name === 'pause') {
        s.clock = stopClock(s.clock, ms);
        s.pause = pauseOf(s, event);
        if (s.status === 'running') s.status = 'paused';
      } else if (event.name === 'continue') {
        s.clock = startClock(s.clock, ms);
        s.pause = null;
        if (s.status === 'paused') s.status = 'running';
      } else if (event.name === 'resume' && event.source === 'cli') {
        s.pause = null;
        // A resumed session: no orchestrator ran it between the last event before this one and now.
        const lastMs = previousTs === null ? ms : msOf(previousTs);
        s.clock = { ...startClock(stopClock(s.clock, Math.min(lastMs, ms)), ms), resumes: (s.clock.resumes ?? 0) + 1 };
      }
      return;
    }
    case 'metrics': {
      const m = event.metrics;
      for (const measured of m.agents) {
        const a = draft.agent(measured.name, ms);
        a.role = a.role || measured.role;
        a.contextTokens = measured.context_tokens;
        a.maxContextTokens = measured.max_context_tokens;
        a.idleSeconds = measured.idle_seconds;
      }
      for (let i = 0; i < s.agents.length; i++) pushAgentSeriesInPlace(draft.agentAt(i));
      s.metrics = m;
      s.recordedFigures = withRecordedFigures(s.recordedFigures, m);
      s.series = pushSeries(s.series, m);
      // A snapshot that did not count the lines (a torn legacy one) leaves the last count standing, not "unknown".
      s.measured = { ...s.measured, linesOfCode: m.lines_of_code ?? s.measured.linesOfCode, docCoverage: m.doc_coverage, filesModified: m.files_modified };
      if (!isTerminalStatus(s.status)) s.status = m.status;
      return;
    }
    case 'checkpoint_created': {
      const checkpoint = {
        id: event.id,
        seq: event.seq,
        ts: event.ts,
        atSeconds: scheduleSecondsAt(s, ms),
        phase: event.phase,
        trigger: event.trigger,
        files: event.files,
        bytes: event.bytes,
        linesOfCode: event.lines_of_code ?? null,
        testPassRate: event.test_pass_rate ?? null,
      };
      s.checkpoints = appendBounded(s.checkpoints, [checkpoint], MAX_CHECKPOINTS);
      // The checkpoint's count can be newer than the last snapshot's (a phase gate counts just before): a restore puts it back.
      if (event.lines_of_code !== undefined) s.measured = { ...s.measured, linesOfCode: event.lines_of_code };
      s.rollbackPoints = appendBounded(s.rollbackPoints, [rollbackPoint(s, event.id, event.seq, ms)], MAX_CHECKPOINTS);
      draft.counters().checkpoints += 1;
      return;
    }
    case 'checkpoint_restored':
      return restore(draft, s, event, ms);
    case 'error': {
      const tone: AlertTone = event.severity === 'critical' || event.severity === 'fatal' ? 'critical' : 'warning';
      const who = event.agent ? `${event.agent}: ` : '';
      // A parse_failure event sums up the agent's bad lines since its last one.
      const badLines = event.class === 'parse_failure' ? lineCount(event.count) : 0;
      const c = draft.counters();
      c.errors += 1;
      const byClass = draft.countersMap('errorsByClass');
      setKey(byClass, event.class, (byClass[event.class] ?? 0) + 1);
      c.fatalErrors += event.severity === 'fatal' ? 1 : 0;
      c.protocolErrors = (c.protocolErrors ?? 0) + badLines;
      if (badLines > 0 && event.agent) {
        const a = draft.agent(event.agent, ms);
        a.protocolErrors = (a.protocolErrors ?? 0) + badLines;
      }
      draft.pushAlert(alertOf(event, 'error', tone, `${who}${event.class} (${event.severity}) ${event.message}`), MAX_ALERTS);
      return;
    }
    case 'recovery': {
      const tone: AlertTone = event.outcome === 'succeeded' ? 'good' : event.outcome === 'started' ? 'info' : 'critical';
      const who = event.agent ? `${event.agent}: ` : '';
      const detail = event.detail ? ` — ${event.detail}` : '';
      const outcome = event.outcome === 'gave_up' ? 'failed' : event.outcome;
      s.openRecoveries = withRecovery(s.openRecoveries ?? [], event);
      const byAction = draft.entry(draft.countersMap('recoveriesByAction'), event.action, () => ({ started: 0, succeeded: 0, failed: 0 }));
      byAction[outcome] += 1;
      const c = draft.counters();
      c.recoveriesStarted += event.outcome === 'started' ? 1 : 0;
      c.recoveriesSucceeded += event.outcome === 'succeeded' ? 1 : 0;
      c.recoveriesFailed += event.outcome === 'failed' || event.outcome === 'gave_up' ? 1 : 0;
      draft.pushAlert(alertOf(event, 'recovery', tone, `${who}${event.action} #${event.attempt} ${event.outcome}${detail}`), MAX_ALERTS);
      return;
    }
    case 'limit': {
      const who = event.agent ? `${event.agent}: ` : '';
      const detail = event.detail ? ` (${event.detail})` : '';
      draft.counters().limits += 1;
      const byKind = draft.countersMap('limitsByKind');
      setKey(byKind, event.kind, (byKind[event.kind] ?? 0) + 1);
      // A context limit met is the compression that follows it, routine in a long run: info, as the compression is.
      const tone: AlertTone = event.kind === 'context_size' ? 'info' : 'warning';
      draft.pushAlert(alertOf(event, 'limit', tone, `${who}${event.kind} limit → ${event.action}${detail}`), MAX_ALERTS);
      return;
    }
    case 'compress': {
      draft.counters().compressions += 1;
      // Null: the agent said nothing after the compression, and what it said before is no longer its context.
      draft.agent(event.agent, ms).contextTokens = event.tokens_after;
      const text = `${event.agent}: context compressed ${event.tokens_before} → ${event.tokens_after === null ? 'not reported' : `${event.tokens_after} tokens`}${event.detail ? ` (${event.detail})` : ''}`;
      draft.pushAlert(alertOf(event, 'compress', 'info', text), MAX_ALERTS);
      return;
    }
    case 'alert': {
      const tone: AlertTone = event.level === 'critical' ? 'critical' : event.level === 'warning' ? 'warning' : 'info';
      draft.counters().alerts += 1;
      draft.pushAlert(alertOf(event, 'alert', tone, event.message), MAX_ALERTS);
      // A new list, the damaged one replaced: rollback points share the old.
      const damaged = event.checkpoint;
      if (damaged !== undefined && s.checkpoints.some((c) => c.id === damaged && !c.damaged)) {
        s.checkpoints = s.checkpoints.map((c) => (c.id === damaged ? { ...c, damaged: true as const } : c));
      }
      return;
    }
    case 'session_ended': {
      const tone: AlertTone = event.status === 'completed' ? 'good' : 'critical';
      const reason = event.reason ?? null;
      s.status = event.status;
      s.clock = stopClock(s.clock, ms);
      for (let i = 0; i < s.agents.length; i++) {
        const a = draft.agentAt(i);
        setStatusInPlace(a, a.status, ms);
      }
      s.ended = { status: event.status, exitCode: event.exit_code, reason, ts: event.ts };
      s.pause = null;
      draft.pushAlert(alertOf(event, 'session', tone, `session ${event.status} (exit ${event.exit_code})${reason ? `: ${reason}` : ''}`), MAX_ALERTS);
      return;
    }
    default:
      return assertNever(event, 'event type');
  }
}

/** How many lines an error event stands for: its count when it is a whole number above 0, else 1. */
/** The malformed lines a parse_failure event stands for: its count (0: an error of the agent's own words, no line of it malformed); 1 when absent. */
function lineCount(count: number | undefined): number {
  return typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : 1;
}

/** The open recoveries after a recovery event: a start opens one, an outcome ends the oldest open one of its agent, action and attempt. */
function withRecovery(open: readonly OpenRecovery[], event: EventOf<'recovery'>): OpenRecovery[] {
  const agent = event.agent ?? null;
  if (event.outcome === 'started') return [...open, { agent, action: event.action, attempt: event.attempt, seq: event.seq, ts: event.ts, ...(event.detail === undefined ? {} : { detail: event.detail }) }];
  const index = open.findIndex((r) => r.agent === agent && r.action === event.action && r.attempt === event.attempt);
  return index < 0 ? (open as OpenRecovery[]) : [...open.slice(0, index), ...open.slice(index + 1)];
}

/**
 * Who paused and why. megatest pauses right after the alert that says why (a
 * recovery that gave up, the disk, the usage-limit hold): the alert just
 * before the pause is its reason. A person's pause has none but its detail.
 */
function pauseOf(s: RunState, event: EventOf<'command'>): PauseView {
  const alert = s.alerts.at(-1);
  const said = alert !== undefined && alert.kind === 'alert' && alert.tone !== 'info' && alert.seq === event.seq - 1 ? alert.text : null;
  const detail = event.detail === undefined || event.detail === 'automatic' ? null : event.detail;
  return { since: event.ts, by: event.source, why: said ?? detail };
}
