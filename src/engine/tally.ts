// A pure fold of the event log into the run's counters. The orchestrator's
// live metrics and the final report both come from it, so a figure in the
// report is by construction the figure the events recorded.

import type { CriterionResult, MegatestEvent, SessionStatus } from './events.js';
import { assertNever } from './events.js';

export interface AgentTally {
  name: string;
  role: string;
  model: string | null;
  status: string;
  task: string | null;
  tokens: number;
  tool_calls: number;
  tool_calls_ok: number;
  context_tokens: number;
  started_ms: number;
  working_ms: number;
  /** When the agent last entered the working state (ms), null if not working. */
  working_since_ms: number | null;
  last_activity_ms: number;
}

export interface PhaseTally {
  name: string;
  index: number;
  started_at: string | null;
  ended_at: string | null;
  tasks: string[];
  criteria: CriterionResult[];
  passed: boolean | null;
}

export interface RunTally {
  session_id: string;
  project: string;
  project_name: string;
  agent_kind: string;
  simulated: boolean;
  started_at: string | null;
  ended_at: string | null;
  duration_seconds: number;
  status: SessionStatus;
  exit_code: number | null;
  end_reason: string | null;
  phase: string;
  phases: PhaseTally[];
  agents: Map<string, AgentTally>;
  total_tokens: number;
  input_tokens: number;
  output_tokens: number;
  tool_calls: number;
  tool_calls_failed: number;
  /** seq of each task completion still in effect (rollback drops later ones). */
  task_completions: { seq: number; task: string }[];
  builds: number;
  builds_ok: number;
  build_ms_total: number;
  last_build_ok: boolean | null;
  last_build_ms: number | null;
  test_runs: number;
  last_test: { passed: number; failed: number; skipped: number; duration: number; coverage: number | null } | null;
  checkpoints: { id: string; trigger: string; seq: number; ts: string }[];
  restores: number;
  errors: number;
  errors_by_class: Record<string, number>;
  fatal_errors: number;
  recoveries: number;
  recoveries_failed: number;
  limits: number;
  compressions: number;
  votes: number;
  commands: number;
  alerts: number;
  last_seq: number;
  /** Token spend with its time, for tokens per minute over a sliding window. */
  recent_tokens: { ms: number; tokens: number }[];
}

export function emptyTally(): RunTally {
  return {
    session_id: '',
    project: '',
    project_name: '',
    agent_kind: '',
    simulated: false,
    started_at: null,
    ended_at: null,
    duration_seconds: 0,
    status: 'starting',
    exit_code: null,
    end_reason: null,
    phase: '',
    phases: [],
    agents: new Map(),
    total_tokens: 0,
    input_tokens: 0,
    output_tokens: 0,
    tool_calls: 0,
    tool_calls_failed: 0,
    task_completions: [],
    builds: 0,
    builds_ok: 0,
    build_ms_total: 0,
    last_build_ok: null,
    last_build_ms: null,
    test_runs: 0,
    last_test: null,
    checkpoints: [],
    restores: 0,
    errors: 0,
    errors_by_class: {},
    fatal_errors: 0,
    recoveries: 0,
    recoveries_failed: 0,
    limits: 0,
    compressions: 0,
    votes: 0,
    commands: 0,
    alerts: 0,
    last_seq: 0,
    recent_tokens: [],
  };
}

const TOKEN_WINDOW_MS = 60_000;

function agentOf(tally: RunTally, name: string, ms: number): AgentTally {
  let agent = tally.agents.get(name);
  if (!agent) {
    agent = {
      name,
      role: '',
      model: null,
      status: 'starting',
      task: null,
      tokens: 0,
      tool_calls: 0,
      tool_calls_ok: 0,
      context_tokens: 0,
      started_ms: ms,
      working_ms: 0,
      working_since_ms: null,
      last_activity_ms: ms,
    };
    tally.agents.set(name, agent);
  }
  return agent;
}

function setAgentStatus(agent: AgentTally, status: string, ms: number): void {
  if (agent.working_since_ms !== null) {
    agent.working_ms += Math.max(0, ms - agent.working_since_ms);
    agent.working_since_ms = null;
  }
  if (status === 'working') agent.working_since_ms = ms;
  agent.status = status;
}

/** Mutates and returns the tally (the fold runs over thousands of events a second). */
export function tallyEvent(tally: RunTally, event: MegatestEvent): RunTally {
  const ms = Date.parse(event.ts);
  tally.last_seq = event.seq;
  switch (event.type) {
    case 'session_started':
      tally.session_id = event.session_id;
      tally.project = event.project;
      tally.project_name = event.project_name;
      tally.agent_kind = event.agent_kind;
      tally.simulated = event.simulated;
      tally.duration_seconds = event.duration_seconds;
      if (tally.started_at === null) tally.started_at = event.ts;
      tally.status = 'running';
      if (tally.phases.length === 0) {
        tally.phases = event.phases.map((p, index) => ({
          name: p.name,
          index,
          started_at: null,
          ended_at: null,
          tasks: [],
          criteria: [],
          passed: null,
        }));
      }
      break;
    case 'phase_started': {
      tally.phase = event.phase;
      const phase = tally.phases[event.index];
      if (phase) {
        phase.started_at = event.ts;
        phase.ended_at = null;
        phase.tasks = event.tasks;
      }
      break;
    }
    case 'phase_ended': {
      const phase = tally.phases[event.index];
      if (phase) {
        phase.ended_at = event.ts;
        phase.criteria = event.criteria;
        phase.passed = event.passed;
      }
      break;
    }
    case 'agent_started': {
      const agent = agentOf(tally, event.agent, ms);
      agent.role = event.role;
      agent.model = event.model ?? agent.model;
      setAgentStatus(agent, 'starting', ms);
      agent.last_activity_ms = ms;
      break;
    }
    case 'agent_state': {
      const agent = agentOf(tally, event.agent, ms);
      setAgentStatus(agent, event.status, ms);
      agent.task = event.task ?? (event.status === 'idle' ? null : agent.task);
      agent.last_activity_ms = ms;
      break;
    }
    case 'agent_exited': {
      const agent = agentOf(tally, event.agent, ms);
      setAgentStatus(agent, event.code === 0 ? 'exited' : 'crashed', ms);
      break;
    }
    case 'tool_call': {
      const agent = agentOf(tally, event.agent, ms);
      agent.tool_calls += 1;
      if (event.ok) agent.tool_calls_ok += 1;
      agent.last_activity_ms = ms;
      tally.tool_calls += 1;
      if (!event.ok) tally.tool_calls_failed += 1;
      break;
    }
    case 'tokens': {
      const agent = agentOf(tally, event.agent, ms);
      const spent = event.input + event.output;
      agent.tokens += spent;
      agent.model = event.model;
      agent.last_activity_ms = ms;
      tally.total_tokens += spent;
      tally.input_tokens += event.input;
      tally.output_tokens += event.output;
      tally.recent_tokens.push({ ms, tokens: spent });
      while (tally.recent_tokens.length > 0 && tally.recent_tokens[0]!.ms < ms - TOKEN_WINDOW_MS) tally.recent_tokens.shift();
      break;
    }
    case 'task_completed':
      tally.task_completions.push({ seq: event.seq, task: event.task });
      agentOf(tally, event.agent, ms).last_activity_ms = ms;
      break;
    case 'build':
      tally.builds += 1;
      if (event.ok) tally.builds_ok += 1;
      tally.build_ms_total += event.duration_ms;
      tally.last_build_ok = event.ok;
      tally.last_build_ms = event.duration_ms;
      break;
    case 'test_run':
      tally.test_runs += 1;
      tally.last_test = {
        passed: event.passed,
        failed: event.failed,
        skipped: event.skipped,
        duration: event.duration,
        coverage: event.coverage,
      };
      break;
    case 'metrics':
      tally.status = event.metrics.status;
      for (const m of event.metrics.agents) {
        const agent = agentOf(tally, m.name, ms);
        agent.context_tokens = m.context_tokens;
      }
      break;
    case 'checkpoint_created':
      tally.checkpoints.push({ id: event.id, trigger: event.trigger, seq: event.seq, ts: event.ts });
      break;
    case 'checkpoint_restored':
      tally.restores += 1;
      tally.task_completions = tally.task_completions.filter((t) => t.seq <= event.rolled_back_after_seq);
      break;
    case 'error':
      tally.errors += 1;
      tally.errors_by_class[event.class] = (tally.errors_by_class[event.class] ?? 0) + 1;
      if (event.severity === 'fatal') tally.fatal_errors += 1;
      break;
    case 'recovery':
      if (event.outcome === 'succeeded') tally.recoveries += 1;
      if (event.outcome === 'failed' || event.outcome === 'gave_up') tally.recoveries_failed += 1;
      break;
    case 'limit':
      tally.limits += 1;
      break;
    case 'compress': {
      tally.compressions += 1;
      agentOf(tally, event.agent, ms).context_tokens = event.tokens_after;
      break;
    }
    case 'vote':
      tally.votes += 1;
      break;
    case 'command':
      tally.commands += 1;
      break;
    case 'alert':
      tally.alerts += 1;
      break;
    case 'session_ended':
      tally.status = event.status;
      tally.exit_code = event.exit_code;
      tally.end_reason = event.reason ?? null;
      tally.ended_at = event.ts;
      for (const agent of tally.agents.values()) setAgentStatus(agent, agent.status, ms);
      break;
    default:
      assertNever(event, 'event');
  }
  return tally;
}

/** Tokens spent in the last minute before `nowMs`. */
export function tokensPerMinute(tally: RunTally, nowMs: number): number {
  let sum = 0;
  for (const entry of tally.recent_tokens) if (entry.ms >= nowMs - TOKEN_WINDOW_MS) sum += entry.tokens;
  return sum;
}

export function completedTasks(tally: RunTally): Set<string> {
  return new Set(tally.task_completions.map((t) => t.task));
}
