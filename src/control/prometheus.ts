// GET /metrics: every SessionMetrics figure in the Prometheus text format.
// A fresh registry per scrape: the snapshot is the whole truth at that
// moment, so nothing from an earlier scrape (an agent since gone, a status
// since left) may linger in the output.

import { Gauge, Registry } from 'prom-client';
import { SESSION_STATUSES } from '../contract/events.js';
import type { AgentMetrics, SessionMetrics } from '../contract/metrics.js';

type SessionNumberField = {
  [K in keyof SessionMetrics]: SessionMetrics[K] extends number | null ? K : never;
}[keyof SessionMetrics];

type AgentNumberField = {
  [K in keyof AgentMetrics]: AgentMetrics[K] extends number | null ? K : never;
}[keyof AgentMetrics];

/** Session figures: [field, metric name, help]. A null figure (not measured yet) gives no sample. */
export const SESSION_GAUGES: readonly [SessionNumberField, string, string][] = [
  ['elapsed_seconds', 'megatest_elapsed_seconds', 'Seconds the session has run (pauses excluded)'],
  ['estimated_remaining', 'megatest_estimated_remaining_seconds', 'Seconds left of the planned duration'],
  ['total_tokens', 'megatest_total_tokens', 'Tokens spent by all agents, from their own accounting'],
  ['tokens_per_minute', 'megatest_tokens_per_minute', 'Tokens per minute over the recent window'],
  ['tasks_completed', 'megatest_tasks_completed', 'Tasks the agents reported done'],
  ['tasks_remaining', 'megatest_tasks_remaining', 'Tasks of the plan not done yet'],
  ['test_pass_rate', 'megatest_test_pass_rate', 'passed / (passed + failed) of the last test run, 0..1'],
  ['tests_passed', 'megatest_tests_passed', 'Tests passed in the last test run'],
  ['tests_failed', 'megatest_tests_failed', 'Tests failed in the last test run'],
  ['lines_of_code', 'megatest_lines_of_code', 'Lines of code counted in project/'],
  ['test_coverage', 'megatest_test_coverage_percent', 'Line coverage 0..100 from the coverage tool'],
  ['doc_coverage', 'megatest_doc_coverage_percent', 'Share of public items with documentation, 0..100'],
  ['files_modified', 'megatest_files_modified', 'Files of project/ changed during the session'],
  ['tool_calls', 'megatest_tool_calls', 'Tool calls made by all agents'],
  ['checkpoint_count', 'megatest_checkpoint_count', 'Checkpoints written'],
  ['errors_encountered', 'megatest_errors_encountered', 'Errors seen'],
  ['recoveries', 'megatest_recoveries', 'Recovery actions taken'],
  ['consensus_votes_cast', 'megatest_consensus_votes_cast', 'Consensus votes cast'],
  ['memory_usage_mb', 'megatest_memory_usage_mb', 'Memory used by the orchestrator and its agents, MB'],
  ['disk_usage_bytes', 'megatest_disk_usage_bytes', 'Bytes used by the run folder'],
];

/** Per-agent figures, labelled `agent`. */
export const AGENT_GAUGES: readonly [AgentNumberField, string, string][] = [
  ['tokens', 'megatest_agent_tokens', 'Tokens spent by the agent'],
  ['tool_calls', 'megatest_agent_tool_calls', 'Tool calls made by the agent'],
  ['utilization', 'megatest_agent_utilization', 'Share of wall time the agent spent working, 0..1'],
  ['trust_score', 'megatest_agent_trust_score', "Share of the agent's tool calls that succeeded, 0..1"],
  ['idle_seconds', 'megatest_agent_idle_seconds', 'Seconds since the agent last did something'],
  ['context_tokens', 'megatest_agent_context_tokens', "Tokens in the agent's context"],
  ['max_context_tokens', 'megatest_agent_max_context_tokens', "The agent's context limit in tokens"],
];

/** costUsd: what the agents said the work cost (the status snapshot's cost_usd); null gives no sample, as none reported one. */
export async function renderPrometheus(metrics: SessionMetrics, sessionId: string, costUsd: number | null = null): Promise<string> {
  const registry = new Registry();
  const session = { session_id: sessionId };

  for (const [field, name, help] of SESSION_GAUGES) {
    const gauge = new Gauge({ name, help, labelNames: ['session_id'], registers: [registry] });
    const value = metrics[field];
    if (typeof value === 'number' && Number.isFinite(value)) gauge.set(session, value);
  }

  const snapshotTime = Date.parse(metrics.timestamp);
  const timestamp = new Gauge({
    name: 'megatest_metrics_timestamp_seconds',
    help: 'Unix time the metrics snapshot was taken',
    labelNames: ['session_id'],
    registers: [registry],
  });
  if (Number.isFinite(snapshotTime)) timestamp.set(session, snapshotTime / 1000);

  const cost = new Gauge({ name: 'megatest_reported_cost_usd', help: 'What the agents said the work cost so far, USD (Claude Code reports it)', labelNames: ['session_id'], registers: [registry] });
  if (costUsd !== null && Number.isFinite(costUsd)) cost.set(session, costUsd);

  const phase = new Gauge({ name: 'megatest_phase', help: 'The current phase (1 on the current one)', labelNames: ['session_id', 'phase'], registers: [registry] });
  phase.set({ ...session, phase: metrics.phase }, 1);

  // A state set: one sample per possible status, 1 on the current one, so a
  // query can alert on `megatest_status{status="failed"} == 1`.
  const status = new Gauge({ name: 'megatest_status', help: 'Session status (1 on the current one)', labelNames: ['session_id', 'status'], registers: [registry] });
  for (const candidate of SESSION_STATUSES) status.set({ ...session, status: candidate }, candidate === metrics.status ? 1 : 0);

  const agentInfo = new Gauge({
    name: 'megatest_agent_info',
    help: "An agent's role, status and model (value always 1)",
    labelNames: ['session_id', 'agent', 'role', 'status', 'model'],
    registers: [registry],
  });
  const agentGauges = AGENT_GAUGES.map(([field, name, help]) => ({
    field,
    gauge: new Gauge({ name, help, labelNames: ['session_id', 'agent'], registers: [registry] }),
  }));
  for (const agent of metrics.agents) {
    agentInfo.set({ ...session, agent: agent.name, role: agent.role, status: agent.status, model: agent.model ?? '' }, 1);
    for (const { field, gauge } of agentGauges) {
      const value = agent[field];
      if (typeof value === 'number' && Number.isFinite(value)) gauge.set({ ...session, agent: agent.name }, value);
    }
  }

  return registry.metrics();
}

export const PROMETHEUS_CONTENT_TYPE = new Registry().contentType;
