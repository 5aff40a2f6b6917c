// The values and ranges a megatest configuration may hold: the schema checks
// against them, load.ts and the sim name them in messages and options.

/** One agent is a run too (a single Claude Code agent on a project); the original runner took 2..16. */
export const AGENTS_MIN = 1;
export const AGENTS_MAX = 16;
export const HOURS_MIN = 1;
export const HOURS_MAX = 24;

/** What a success criterion may measure, with the range its value lives in. */
export const CRITERION_METRICS = {
  build_ok: { min: 0, max: 1, unit: '1 when the project builds, else 0' },
  test_pass_rate: { min: 0, max: 1, unit: 'a ratio, passed / (passed + failed)' },
  test_coverage: { min: 0, max: 100, unit: 'a line coverage percentage' },
  lines_of_code: { min: 0, max: 100_000_000, unit: 'a line count' },
  doc_coverage: { min: 0, max: 100, unit: 'a percentage of documented public items' },
  tests_total: { min: 0, max: 100_000_000, unit: 'a test count' },
  tasks_completed_ratio: { min: 0, max: 1, unit: 'a ratio of backlog tasks done' },
  fatal_errors: { min: 0, max: 100_000_000, unit: 'an error count' },
  checkpoints_valid: { min: 0, max: 1, unit: '1 when every checkpoint verifies, else 0' },
  data_loss_events: { min: 0, max: 100_000_000, unit: 'an event count' },
  ops_per_second: { min: 0, max: 1e12, unit: "operations per second, as [project.performance] benchmark_command prints them" },
} as const;
export type CriterionMetric = keyof typeof CRITERION_METRICS;
export const CRITERION_METRIC_NAMES = Object.keys(CRITERION_METRICS) as CriterionMetric[];

/** Names a criterion's value may use instead of a number: a [project.target] key (coverage targets resolve to percentages). */
export const TARGET_REFERENCES = [
  'target.lines_of_code',
  'target.test_coverage',
  'target.min_test_pass_rate',
  'target.documentation_coverage',
] as const;
export type TargetReference = (typeof TARGET_REFERENCES)[number];

/** Error classes the built-in classifier knows (DESIGN §8); a rule's `class` names one. */
export const ERROR_CLASSES = [
  'network_timeout',
  'rate_limit',
  'authentication',
  'billing',
  'model_unavailable',
  'llm_error',
  'parse_failure',
  'context_overflow',
  'test_failure',
  'disk_full',
  'consensus_deadlock',
  'agent_crash',
  'agent_hang',
  'agent_silent',
  'data_corruption',
] as const;

export const SEVERITIES = ['transient', 'recoverable', 'degraded', 'critical', 'fatal'] as const;
export const RECOVERY_ACTIONS = [
  'retry_immediate',
  'retry_with_backoff',
  'retry_with_modification',
  'switch_model',
  'compress_and_retry',
  'pause_and_alert',
  'restore_checkpoint',
  'log_and_continue',
  'escalate',
  'stop',
] as const;
export const SIM_FAULT_KINDS = [
  'network_timeout',
  'rate_limit',
  'parse_failure',
  'agent_crash',
  'hang',
  'disk_limit',
  'consensus_deadlock',
  'corrupt_checkpoint',
] as const;
export const ISOLATION_MODES = ['auto', 'shared', 'worktree'] as const;
export const THEMES = ['dark', 'light', 'high-contrast', 'mono'] as const;
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
/** [monitoring] log_level as written, in any case (the original runner's spelling is lower case); trace is written as DEBUG. */
export const LOG_LEVEL_NAMES = ['trace', 'debug', 'info', 'warn', 'error'] as const;
/** The original runner's [notifications] events names, and the event types (DESIGN §5) they mean. */
export const NOTIFY_EVENT_ALIASES = { checkpoint: 'checkpoint_created', phase_complete: 'phase_ended', complete: 'session_ended' } as const;
export const TEST_FORMATS = ['node-tap', 'junit', 'cargo', 'pytest-junit', 'jest-json'] as const;
export const COVERAGE_FORMATS = ['lcov', 'cobertura', 'istanbul-summary'] as const;
export const CRITERION_LEVELS = ['critical', 'important', 'nice_to_have'] as const;
export const CRITERION_OPS = ['>=', '<=', '==', '>', '<'] as const;
export const BACKOFF_STRATEGIES = ['fixed', 'linear', 'exponential'] as const;
