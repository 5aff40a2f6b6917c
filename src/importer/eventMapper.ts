// One imported agent's messages as megatest events, the way a live run turns
// them (src/engine/agentPool.ts, and the per-task adapter's outcome handling
// in src/agents/taskRun.ts and taskEnd.ts), mirrored here because an import
// drives no engine: no recovery follows an error, nothing is retried, no
// rule classifies a message. Pure: no I/O, no clock; each emission carries
// the time of the line that caused it.

import type { AgentMessage, TaskOutcome } from '../agents/types.js';
import { assertNever } from '../contract/assertNever.js';
import type { AgentCapabilities, EventInput, LogLevel } from '../contract/events.js';
import { PARSE_FAILURE_EVENT_INTERVAL_MS, PARSE_FAILURE_QUOTED_CHARS as QUOTED_CHARS, parseFailureMessage } from '../agents/parseFailureText.js';
import { retryText } from '../agents/retryText.js';

export type Emission = { ms: number; event: EventInput } | { ms: number; log: { level: LogLevel; message: string } };

/** An import classifies nothing ([[error_handling.rules]] belong to the engine): an agent's error keeps this class, with the severity the engine gives an unknown one. */
export const IMPORTED_ERROR_CLASS = 'agent_error';


export interface AgentIdentity {
  name: string;
  role: string;
  /** The task the recorded run worked on (one per file); null when the stream names its own (the JSONL protocol). */
  task: string | null;
  phase: string;
  capabilities: AgentCapabilities;
}

/** How the agent's recorded run ended, by its own word. */
export type StreamVerdict = TaskOutcome | 'no_outcome';

export class AgentEventMapper {
  /** The last outcome the stream reported (each outcome ends one recorded task run). */
  outcome: Extract<AgentMessage, { type: 'outcome' }> | null = null;
  /** The stream's last context report; null while it has made none. */
  contextTokens: number | null = null;
  private model = '';
  private failures = { total: 0, unreported: 0, lastReason: '', lastLine: '', lastReportMs: Number.NEGATIVE_INFINITY };

  constructor(
    private readonly agent: AgentIdentity,
    /** Tasks completed so far in the run (all agents): a task is completed once, as live. */
    private readonly tasksDone: Set<string>,
  ) {}

  get verdict(): StreamVerdict {
    return this.outcome?.outcome ?? 'no_outcome';
  }

  start(ms: number): Emission[] {
    const { name, role, capabilities, task } = this.agent;
    const out: Emission[] = [{ ms, event: { type: 'agent_started', agent: name, role, capabilities } }];
    // A CLI agent's adapter says it is working on its task as the run begins.
    if (task !== null) out.push({ ms, event: { type: 'agent_state', agent: name, status: 'working', task } });
    return out;
  }

  /** The messages of one line, at its time. */
  take(messages: readonly AgentMessage[], ms: number): Emission[] {
    const out = this.duePendingFailures(ms);
    for (const message of messages) this.one(message, ms, out);
    return out;
  }

  /** The stream ended at `ms`: what is pending, then the agent's exit. */
  end(ms: number, cause: string): Emission[] {
    const out: Emission[] = [];
    this.reportFailures(ms, out);
    out.push({ ms, event: { type: 'agent_exited', agent: this.agent.name, code: null, signal: null, cause } });
    return out;
  }

  private one(message: AgentMessage, ms: number, out: Emission[]): void {
    const agent = this.agent.name;
    const emit = (event: EventInput) => out.push({ ms, event });
    switch (message.type) {
      case 'tool_call':
        emit({ type: 'tool_call', agent, tool: message.tool, ok: message.ok, duration_ms: message.duration_ms });
        break;
      case 'tokens':
        // As the live task run: the model the stream named last.
        this.model = message.model || this.model;
        emit({
          type: 'tokens',
          agent,
          input: message.input,
          output: message.output,
          model: this.model,
          ...(message.cost_usd === undefined ? {} : { cost_usd: message.cost_usd }),
        });
        break;
      case 'state':
        emit(message.task === undefined ? { type: 'agent_state', agent, status: message.status } : { type: 'agent_state', agent, status: message.status, task: message.task });
        break;
      case 'task_done':
        this.completed(message.task, ms, out);
        break;
      case 'context':
        this.contextTokens = message.tokens;
        break;
      case 'error':
        this.error(message.message, message.errorClass, ms, out);
        break;
      case 'vote':
        emit({ type: 'vote', agent, topic: message.topic, choice: message.choice });
        break;
      case 'retry':
        // The agent retried a model call by itself: recorded as transient, as live, not a recovery of megatest's.
        emit({ type: 'error', class: 'llm_retry', severity: 'transient', agent, message: retryText(message) });
        break;
      case 'parse_failure':
        this.failure(message, ms, out);
        break;
      case 'step': {
        const { task } = this.agent;
        emit(task === null ? { type: 'agent_state', agent, status: 'working', step: message.step } : { type: 'agent_state', agent, status: 'working', task, step: message.step });
        break;
      }
      case 'session':
        out.push({ ms, log: { level: 'INFO', message: `the agent's own session id: ${message.id}` } });
        break;
      case 'outcome':
        this.ended(message, ms, out);
        break;
      case 'output':
        // The line is in output.log.
        break;
      default:
        assertNever(message, 'agent message');
    }
  }

  /** One recorded task run ended, by the agent's word (live: the task run's outcome, then judgeTaskEnd's verdict). */
  private ended(message: Extract<AgentMessage, { type: 'outcome' }>, ms: number, out: Emission[]): void {
    this.outcome = message;
    const agent = this.agent.name;
    const cost = message.cost_usd;
    if (cost !== undefined && Number.isFinite(cost) && cost >= 0) {
      out.push({ ms, event: { type: 'tokens', agent, input: 0, output: 0, model: this.model, cost_usd: cost } });
    }
    const task = this.agent.task ?? 'the recorded task';
    const detail = message.detail ? `: ${message.detail}` : '';
    switch (message.outcome) {
      case 'succeeded':
        out.push({ ms, log: { level: 'INFO', message: `task "${task}" succeeded${detail}` } });
        if (this.agent.task !== null) this.completed(this.agent.task, ms, out);
        break;
      case 'failed':
        this.error(`task "${task}" failed${detail}`, undefined, ms, out);
        break;
      case 'max_turns':
        this.error(`task "${task}" stopped at its turn limit${detail}`, undefined, ms, out);
        break;
      case 'interrupted':
        // Who stopped it is not in the recording (a live run tells its own stop from a crash).
        out.push({ ms, log: { level: 'WARN', message: `task "${task}" interrupted${detail}` } });
        break;
      default:
        assertNever(message.outcome, 'task outcome');
    }
  }

  private completed(task: string, ms: number, out: Emission[]): void {
    if (this.tasksDone.has(task)) return;
    this.tasksDone.add(task);
    out.push({ ms, event: { type: 'task_completed', agent: this.agent.name, task, phase: this.agent.phase } });
  }

  private error(message: string, errorClass: string | undefined, ms: number, out: Emission[]): void {
    const cls = errorClass ?? IMPORTED_ERROR_CLASS;
    out.push({ ms, event: { type: 'error', class: cls, severity: 'degraded', agent: this.agent.name, message } });
    out.push({ ms, log: { level: 'ERROR', message: `${cls} (degraded, not classified: imported): ${message}` } });
  }

  private failure(failure: { line: string; reason: string }, ms: number, out: Emission[]): void {
    const f = this.failures;
    f.total += 1;
    f.unreported += 1;
    f.lastReason = failure.reason.slice(0, QUOTED_CHARS);
    f.lastLine = failure.line.slice(0, QUOTED_CHARS);
    if (ms - f.lastReportMs >= PARSE_FAILURE_EVENT_INTERVAL_MS) this.reportFailures(ms, out);
  }

  /** Live, a burst's rest is reported when its second is up; here, when the stream's time passes that. */
  private duePendingFailures(ms: number): Emission[] {
    const f = this.failures;
    const due = f.lastReportMs + PARSE_FAILURE_EVENT_INTERVAL_MS;
    const out: Emission[] = [];
    if (f.unreported > 0 && ms >= due) this.reportFailures(due, out);
    return out;
  }

  private reportFailures(ms: number, out: Emission[]): void {
    const f = this.failures;
    if (f.unreported === 0) return;
    const message = parseFailureMessage(f.unreported, f.total, f.lastReason, f.lastLine);
    // With its count, as a live run's event has it: without one, the event was one protocol error however many lines it summed.
    const count = f.unreported;
    f.unreported = 0;
    f.lastReportMs = ms;
    out.push({ ms, event: { type: 'error', class: 'parse_failure', severity: 'recoverable', agent: this.agent.name, message, count } });
  }
}
