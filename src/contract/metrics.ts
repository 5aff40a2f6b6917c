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
  tokens: number;
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
  elapsed_seconds: number;
  estimated_remaining: number;
  phase: string;
  status: SessionStatus;
  total_tokens: number;
  tokens_per_minute: number;
  tasks_completed: number;
  tasks_remaining: number;
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
  tool_calls: number;
  checkpoint_count: number;
  errors_encountered: number;
  recoveries: number;
  consensus_votes_cast: number;
  memory_usage_mb: number;
  disk_usage_bytes: number;
  agents: AgentMetrics[];
}
