// The resolved configuration (DESIGN §3) after defaults < preset < --config
// file < flags. src/config/schema.ts validates raw TOML into exactly this.

export type AgentKind = 'sim' | 'command' | 'selfware' | 'claude-code' | 'codex';
export const AGENT_KINDS: readonly AgentKind[] = ['sim', 'command', 'selfware', 'claude-code', 'codex'];

export type BackoffStrategy = 'fixed' | 'linear' | 'exponential';

export type RecoveryAction =
  | 'retry_immediate'
  | 'retry_with_backoff'
  | 'retry_with_modification'
  | 'switch_model'
  | 'compress_and_retry'
  | 'pause_and_alert'
  | 'restore_checkpoint'
  | 'log_and_continue'
  | 'escalate'
  | 'stop';

export type Severity = 'transient' | 'recoverable' | 'degraded' | 'critical' | 'fatal';

export type CriterionLevel = 'critical' | 'important' | 'nice_to_have';

/** A success criterion: a measured figure compared with a value. */
export interface CriterionConfig {
  id: string;
  description: string;
  level: CriterionLevel;
  /**
   * What is measured: build_ok (1/0), test_pass_rate (0..1), test_coverage
   * (0..100), lines_of_code, doc_coverage (0..100), tests_total,
   * tasks_completed_ratio (0..1), fatal_errors, checkpoints_valid (1/0),
   * data_loss_events.
   */
  metric: string;
  op: '>=' | '<=' | '==' | '>' | '<';
  value: number;
}

export interface PhaseConfig {
  name: string;
  /**
   * The phase's nominal length in minutes ([[phases]] duration_minutes; the 6 h plan: 60, 120, 120, 60).
   * Only the ratios count: the session's duration is shared out in proportion.
   */
  weight: number;
  objectives: string[];
  /** Roles that work in this phase (empty: all). */
  roles: string[];
  criteria: CriterionConfig[];
}

export interface ErrorRuleConfig {
  pattern: string;
  severity: Severity;
  action: RecoveryAction;
  class?: string;
}

export interface ProjectTemplate {
  /** Key under [projects.<type>], e.g. task_queue. */
  type: string;
  name: string;
  description: string;
  language: string;
  prompt: string;
  components: string[];
  target_loc: number;
  target_coverage: number;
  /** Tasks per phase name, 3–6 each. */
  tasks: Record<string, string[]>;
  build_command: string;
  test_command: string;
  coverage_command: string;
  /** How to read the test command's output: node-tap | junit | cargo | pytest-junit | jest-json. */
  test_format: 'node-tap' | 'junit' | 'cargo' | 'pytest-junit' | 'jest-json';
  /** Report file (relative to project/) for junit formats; empty for stdout formats. */
  test_report: string;
  /** Coverage report path (relative to project/) and its format. */
  coverage_report: string;
  coverage_format: 'lcov' | 'cobertura' | 'istanbul-summary';
}

/**
 * One [[sim.faults]] table. It has exactly one trigger (the schema enforces
 * it): at_seconds alone, after_tool_calls alone, or in_phase (optionally with
 * after_tool_calls, then counted within that phase). Tests key faults on
 * events (tool calls, phases) so a loaded machine cannot reorder them.
 */
export interface SimFaultConfig {
  /** Seconds from session start. */
  at_seconds?: number;
  /**
   * Fires right after the target agent's Nth tool call (N >= 1) since its
   * process started; with in_phase, the Nth tool call within that phase. For
   * corrupt_checkpoint (the orchestrator's fault) the session's tool calls.
   */
  after_tool_calls?: number;
  /** Fires as soon as the agent is given this phase (a `phase` command naming it). */
  in_phase?: string;
  kind:
    | 'network_timeout'
    | 'rate_limit'
    | 'parse_failure'
    | 'agent_crash'
    | 'hang'
    | 'disk_limit'
    | 'consensus_deadlock'
    | 'corrupt_checkpoint';
  /** Agent name ("agent-2"), or empty for the first agent. */
  agent: string;
}

export interface MegatestConfig {
  metadata: { name: string; version: string; description: string };
  session: {
    project: string;
    duration_seconds: number;
    agents: number;
    session_id: string;
    runs_dir: string;
    seed: number;
    headless: boolean;
  };
  checkpoint: {
    enabled: boolean;
    interval_minutes: number;
    tool_call_threshold: number;
    token_threshold: number;
    on_phase_end: boolean;
  };
  agent: {
    roles: string[];
    model: string;
    max_context_size: number;
    step_timeout_secs: number;
    /** Steps a selfware task may take (selfware.toml [agent] max_iterations); absent: selfware's default. Other kinds are bounded by time and [limits]. */
    max_iterations?: number;
  };
  consensus: {
    enabled: boolean;
    quorum: number;
    voting_timeout_secs: number;
  };
  limits: {
    total_token_budget: number;
    tokens_per_hour_per_agent: number;
    tool_calls_per_hour_per_agent: number;
    max_idle_minutes: number;
    max_parallel_agents: number;
    max_test_runtime_min: number;
    disk_space_limit_gb: number;
    min_free_disk_gb: number;
  };
  monitoring: {
    health_check_interval: number;
    control_port: number;
    log_level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
    /** agents/<name>/output.log and metrics/metrics.jsonl are rotated once they hold this many MiB. */
    log_rotate_mb: number;
    /** Older files of each kept after a rotation (<name>.1 … <name>.<keep>). */
    log_rotate_keep: number;
  };
  error_handling: {
    max_recovery_attempts: number;
    max_consecutive_errors: number;
    backoff_strategy: BackoffStrategy;
    backoff_initial_seconds: number;
    backoff_max_seconds: number;
    rules: ErrorRuleConfig[];
  };
  project: {
    target: {
      min_lines_of_code: number;
      min_test_coverage: number;
      min_test_pass_rate: number;
      min_doc_coverage: number;
    };
    performance: {
      /** Optional command that prints a number (ops/s); empty: not measured. */
      benchmark_command: string;
      min_ops_per_second: number;
    };
  };
  phases: PhaseConfig[];
  notifications: {
    webhook_url: string;
    events: string[];
    timeout_ms: number;
  };
  agents: {
    kind: AgentKind;
    command: string;
    models: string[];
    /** The agent program for selfware, claude-code and codex: a path, or a name looked up on PATH; "" = the kind's default name. prepareRun writes the resolved absolute path into the run's config. */
    binary: string;
    /** selfware's model endpoint (an http(s) URL); "" = selfware's own default. */
    endpoint: string;
    /** Where agents work: "worktree" (each its own git worktree, merged per task), "shared" (all in project/), "auto" (worktree for selfware, claude-code, codex). */
    isolation: 'auto' | 'shared' | 'worktree';
  };
  projects: Record<string, ProjectTemplate>;
  sim: {
    tokens_per_minute: number;
    tool_calls_per_minute: number;
    /** Share of each phase's time the sim agents take for its tasks (the rest is left for the phase-end gate). */
    work_share: number;
    faults: SimFaultConfig[];
  };
  ui: {
    theme: 'dark' | 'light' | 'high-contrast' | 'mono';
    ascii: boolean;
  };
}
