// SessionMetrics (DESIGN §6). Every figure is measured: LOC by counting
// files, pass rate and coverage from the tools' own reports, tokens from the
// agents' own accounting. A figure not yet measured is null, never a guess.

import type { AgentStatus, SessionStatus } from './statuses.js';

export interface AgentMetrics {
  name: string;
  role: string;
  status: AgentStatus;
  task: string | null;
  model: string | null;
  /** Null until some agent of the run reported a token figure: not recorded, never 0. */
  tokens: number | null;
  tool_calls: number;
  /** Share of wall time the agent spent working (0..1) since it started. */
  utilization: number;
  /** Share of the agent's tool calls that succeeded (0..1); 1 before any call. */
  trust_score: number;
  idle_seconds: number;
  /** The agent's last report of its context; null while it has reported none (selfware and codex never do). */
  context_tokens: number | null;
  max_context_tokens: number;
}

export interface SessionMetrics {
  session_id: string;
  timestamp: string;
  /** Null for an imported run whose times are line order (no timestamps): it has no duration. */
  elapsed_seconds: number | null;
  estimated_remaining: number | null;
  phase: string;
  status: SessionStatus;
  /** Null until some agent reported a token figure (a selfware log without token lines): not recorded, never 0. */
  total_tokens: number | null;
  tokens_per_minute: number | null;
  /** These counts are null where a run did not record them (a legacy runner's folder); a megatest run always has them. */
  tasks_completed: number | null;
  tasks_remaining: number | null;
  /** passed / (passed + failed) of the last test run, 0..1; null before any run. */
  test_pass_rate: number | null;
  /** The last test run's counts; null before a run gave results, and after one gave none (test_run's problem). */
  tests_passed: number | null;
  tests_failed: number | null;
  /** Counted from project/'s files; null before the first count. */
  lines_of_code: number | null;
  /** Line coverage 0..100 from the coverage tool's report; null before any. */
  test_coverage: number | null;
  /** Share of public items (JS/TS exports, Rust pub items, Python public functions, classes and methods) with documentation, 0..100; null if none. */
  doc_coverage: number | null;
  /** Files changed since the session began, by git; null before the first count and where git cannot say. */
  files_modified: number | null;
  tool_calls: number | null;
  checkpoint_count: number | null;
  errors_encountered: number | null;
  recoveries: number | null;
  consensus_votes_cast: number | null;
  /** Measured by the orchestrator's sampler; null where nothing measured them (an import, a legacy runner's folder). */
  memory_usage_mb: number | null;
  disk_usage_bytes: number | null;
  agents: AgentMetrics[];
}
