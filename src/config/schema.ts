// The zod schema of a megatest TOML file (DESIGN §3). Every leaf carries one
// "allowed" text that becomes the error message, so a bad value is reported
// as "<key> = <value> in <file>: must be <allowed>". Tables are strict:
// an unknown key is an error (keySuggestions.ts says where it belongs).
//
// The file keeps the original runner's key names where it had them (its
// mega_test_config.toml is a valid file as it is); resolve.ts maps them onto
// MegatestConfig (fileForm.ts lists the mapping). Besides the names, a file
// differs from MegatestConfig in that:
// - session.duration_hours is hours or a duration string ("6h", "90m", "45s");
// - project.target lines_of_code / test_coverage may be "template" (take the
//   selected template's target), and the coverage targets are fractions;
// - a criterion's value may name a target, e.g. "target.test_coverage";
// - keys megatest does not act on are accepted (notActedOn.ts);
// and a project template has no `type` key: its type is its table name.

import * as z from 'zod';
import { EVENT_TYPES } from '../contract/events.js';
import { AGENT_KINDS } from './types.js';
import { simFaultTriggerProblem } from './simFaults.js';
import {
  AGENTS_MAX,
  AGENTS_MIN,
  BACKOFF_STRATEGIES,
  COVERAGE_FORMATS,
  CRITERION_LEVELS,
  CRITERION_METRIC_NAMES,
  CRITERION_OPS,
  ERROR_CLASSES,
  ISOLATION_MODES,
  LOG_LEVEL_NAMES,
  NOTIFY_EVENT_ALIASES,
  RECOVERY_ACTIONS,
  SEVERITIES,
  SIM_FAULT_KINDS,
  TARGET_REFERENCES,
  TEST_FORMATS,
  THEMES,
} from './allowedValues.js';
import { MAX_DURATION_SECONDS } from './duration.js';
import { NOT_ACTED_ON_FIELDS } from './notActedOn.js';
import { slowPatternShape } from './regexCost.js';
import type { LogLevel } from '../contract/statuses.js';
import {
  caseInsensitiveIdentifier,
  decimal,
  durationHours,
  flag,
  fraction,
  fractionOrTemplate,
  IDENTIFIER,
  identifier,
  integer,
  isRegex,
  list,
  nonEmptyText,
  oneOf,
  pathText,
  oneOfAnyCase,
  table,
  targetOrTemplate,
  text,
} from './schemaFields.js';

export * from './allowedValues.js';
export { formatBound } from './schemaFields.js';
export { schemaAt, tableKeysAt } from './schemaPaths.js';

const criterionSchema = table({
  id: z
    .string({ error: 'an id: lower case letters, digits, ".", "_" or "-", starting with a letter' })
    .regex(/^[a-z][a-z0-9_.-]*$/, { error: 'an id: lower case letters, digits, ".", "_" or "-", starting with a letter' }),
  description: nonEmptyText(),
  level: oneOf(CRITERION_LEVELS),
  metric: oneOf(CRITERION_METRIC_NAMES),
  op: oneOf(CRITERION_OPS),
  value: z.union([z.number(), z.enum(TARGET_REFERENCES)], {
    error: `a number, or one of ${TARGET_REFERENCES.map((name) => JSON.stringify(name)).join(', ')}`,
  }),
});

// roles and criteria may be left out: no roles means every role, and a phase
// without criteria keeps those of the phase of the same name below it (load.ts).
const phaseSchema = table({
  name: identifier('a phase name'),
  duration_minutes: decimal(0.01, 1440, "minutes: the phase's nominal length (phases are scaled to the session's duration)"),
  objectives: list(nonEmptyText(), 'non-empty strings', 1, 50),
  roles: list(caseInsensitiveIdentifier('a role'), 'role names').optional(),
  criteria: list(criterionSchema, 'criteria tables', 0, 50).optional(),
  ...NOT_ACTED_ON_FIELDS.phase,
});

const errorRuleSchema = table({
  pattern: z
    .string({ error: 'a regular expression (matched case-insensitively)' })
    .min(1, { error: 'a non-empty regular expression' })
    .refine(isRegex, { error: 'a valid regular expression (JavaScript syntax, matched case-insensitively)', abort: true })
    .superRefine((pattern, ctx) => {
      const shape = slowPatternShape(pattern);
      if (shape !== null) ctx.addIssue({ code: 'custom', message: `a regular expression without ${shape}, which can take hours to fail on one line: repeat the group or its content, not both` });
    }),
  severity: oneOf(SEVERITIES),
  action: oneOf(RECOVERY_ACTIONS),
  class: oneOf(ERROR_CLASSES).optional(),
});

// One trigger per fault (simFaults.ts); load.ts checks that in_phase names a phase.
const simFaultSchema = table({
  at_seconds: integer(0, MAX_DURATION_SECONDS, 'seconds from session start').optional(),
  after_tool_calls: integer(1, 1_000_000, 'a tool call count').optional(),
  in_phase: identifier('a phase name from [[phases]]').optional(),
  kind: oneOf(SIM_FAULT_KINDS),
  agent: z
    .string({ error: 'an agent name like "agent-2", or "" for the first agent' })
    .regex(/^(agent-\d+)?$/, { error: 'an agent name like "agent-2", or "" for the first agent' }),
}).superRefine((fault, context) => {
  const problem = simFaultTriggerProblem(fault);
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem, input: fault });
});

/** A project template as written in config/projects/<type>.toml or [projects.<type>]. */
export const projectTemplateSchema = table({
  name: nonEmptyText(),
  description: nonEmptyText(),
  language: nonEmptyText(),
  prompt: nonEmptyText(),
  components: list(nonEmptyText(), 'non-empty strings', 1, 50),
  target_loc: integer(1, 10_000_000, 'a line count'),
  target_coverage: decimal(0, 100, 'a percentage'),
  tasks: z.record(identifier('a phase name'), list(nonEmptyText(), 'task descriptions', 3, 6), {
    error: 'a table of phase name = [3..6 task descriptions]',
  }),
  build_command: text('a shell command, or "" when there is nothing to build'),
  test_command: nonEmptyText('a shell command that runs the tests'),
  coverage_command: text('a shell command, or "" when coverage is not measured'),
  test_format: oneOf(TEST_FORMATS),
  test_report: pathText('a path relative to project/, or "" for formats read from stdout'),
  coverage_report: pathText('a path relative to project/, or "" when coverage is not measured'),
  coverage_format: oneOf(COVERAGE_FORMATS),
});

const projectKey = z.string().regex(IDENTIFIER, {
  error: 'a project type: lower case letters, digits, "_" or "-", starting with a letter',
});

const WEBHOOK_ALLOWED = 'an http(s) URL, "env:NAME" (the URL in that environment variable, kept out of the run folder), or "" for no webhook';

const NOTIFY_EVENT_NAMES = [...EVENT_TYPES, ...Object.keys(NOTIFY_EVENT_ALIASES)] as [string, ...string[]];
/** An event type (DESIGN §5), or one of the original runner's names for one ("phase_complete" is phase_ended). */
const notifyEvent = z
  .enum(NOTIFY_EVENT_NAMES, { error: `one of ${NOTIFY_EVENT_NAMES.map((name) => JSON.stringify(name)).join(', ')}` })
  .transform((name) => (NOTIFY_EVENT_ALIASES as Record<string, string>)[name] ?? name);

/** A complete configuration file, before load.ts resolves durations and target references. */
export const configFileSchema = table({
  metadata: table({
    name: nonEmptyText(),
    version: nonEmptyText(),
    description: text(),
  }),
  session: table({
    id: z
      .string({ error: 'a session id (letters, digits, ".", "_", "-"), or "auto" to generate one' })
      .regex(/^([A-Za-z0-9][A-Za-z0-9._-]{0,127})?$/, {
        error: 'a session id (letters, digits, ".", "_", "-", up to 128), or "auto" to generate one',
      }),
    duration_hours: durationHours,
    agent_count: integer(AGENTS_MIN, AGENTS_MAX),
    project_type: identifier('a project type'),
    runs_dir: pathText('a directory path', { nonEmpty: true }),
    seed: integer(0, 4_294_967_295),
    headless: flag(),
  }),
  checkpoint: table({
    enabled: flag(),
    interval_minutes: decimal(0.5, 1440, 'minutes'),
    tool_call_threshold: integer(0, 1_000_000),
    token_threshold: integer(0, 1_000_000_000),
    on_phase_end: flag(),
    auto_recovery: flag(),
    max_recovery_attempts: integer(0, 100),
    backoff_strategy: oneOf(BACKOFF_STRATEGIES),
    backoff_initial_seconds: decimal(0.1, 86_400, 'seconds'),
    backoff_max_seconds: decimal(0.1, 86_400, 'seconds'),
  }),
  agent: table({
    roles: list(caseInsensitiveIdentifier('a role'), 'role names', 1, 16),
    model: nonEmptyText('a model name'),
    step_timeout_secs: integer(1, 86_400, 'seconds'),
    // selfware's own step limit (its selfware.toml [agent] max_iterations); unset: selfware's default.
    max_iterations: integer(1, 100_000_000, 'iterations').optional(),
    concurrent_agents: integer(1, AGENTS_MAX),
    ...NOT_ACTED_ON_FIELDS.agent,
  }),
  consensus: table({
    enabled: flag(),
    min_votes: integer(1, AGENTS_MAX, 'votes'),
    vote_timeout_secs: integer(1, 86_400, 'seconds'),
    ...NOT_ACTED_ON_FIELDS.consensus,
  }),
  limits: table({
    total_token_budget: integer(1, 100_000_000_000, 'tokens'),
    tokens_per_agent_per_hour: integer(1, 1_000_000_000, 'tokens'),
    tool_calls_per_agent_per_hour: integer(1, 1_000_000, 'tool calls'),
    max_context_size: integer(1000, 10_000_000, 'tokens'),
    max_idle_minutes: decimal(0.5, 1440, 'minutes'),
    max_test_runtime_min: decimal(0.1, 1440, 'minutes'),
    disk_space_limit_gb: decimal(0.01, 100_000, 'GB'),
    min_free_disk_gb: decimal(0, 100_000, 'GB'),
  }),
  monitoring: table({
    health_check_interval: integer(1, 3600, 'seconds'),
    control_port: integer(1, 65_535, 'a TCP port'),
    log_level: oneOfAnyCase(LOG_LEVEL_NAMES, (level) => (level === 'trace' ? 'DEBUG' : (level.toUpperCase() as LogLevel)), ' (any case; trace is written as debug)'),
    log_rotate_mb: integer(1, 1_048_576, 'a size in MiB'),
    log_rotate_keep: integer(1, 100, 'a count of older files'),
    ...NOT_ACTED_ON_FIELDS.monitoring,
  }),
  error_handling: table({
    max_consecutive_errors: integer(1, 10_000),
    rules: list(errorRuleSchema, 'rule tables', 0, 200),
    ...NOT_ACTED_ON_FIELDS.error_handling,
  }),
  project: table({
    target: table({
      lines_of_code: targetOrTemplate(0, 10_000_000, 'a line count'),
      test_coverage: fractionOrTemplate('line coverage'),
      min_test_pass_rate: decimal(0, 1, 'a ratio'),
      documentation_coverage: fraction('the share of documented public items'),
      ...NOT_ACTED_ON_FIELDS.target,
    }),
    performance: table({
      benchmark_command: text('a shell command that prints ops/s, or "" to skip'),
      min_ops_per_second: decimal(0, 1e12),
      ...NOT_ACTED_ON_FIELDS.performance,
    }),
  }),
  phases: list(phaseSchema, 'phase tables ([[phases]])', 1, 12),
  notifications: table({
    webhook_url: z
      .string({ error: WEBHOOK_ALLOWED })
      .regex(/^(https?:\/\/\S+|env:[A-Za-z_][A-Za-z0-9_]*)?$/, { error: WEBHOOK_ALLOWED })
      // "http://127.0.0.1:99999/x" passed the pattern, and the notifier's every POST failed all run long: fetch cannot parse it.
      .refine((url) => !/^https?:/.test(url) || URL.canParse(url), { error: `${WEBHOOK_ALLOWED}; this one is no URL a request can be sent to (a port over 65535, a bad host?)` }),
    enabled: flag(),
    events: list(notifyEvent, 'event types'),
    timeout_ms: integer(100, 600_000, 'milliseconds'),
    ...NOT_ACTED_ON_FIELDS.notifications,
  }),
  agents: table({
    kind: oneOf(AGENT_KINDS),
    command: text('a shell command (needed when kind = "command")'),
    models: list(text('a model name, or "" for the agent program\'s own default'), 'model names', 1, 20),
    binary: pathText('a path to the agent program, or a name on PATH, or "" for the kind\'s default (selfware, claude, codex)'),
    endpoint: z
      .string({ error: 'an http(s) URL of the model endpoint, or "" for selfware\'s default' })
      .regex(/^(https?:\/\/\S+)?$/, { error: 'an http(s) URL of the model endpoint, or "" for selfware\'s default' }),
    isolation: oneOf(ISOLATION_MODES),
  }),
  projects: z.record(projectKey, projectTemplateSchema, { error: 'a table of [projects.<type>] tables' }),
  sim: table({
    tokens_per_minute: integer(1, 10_000_000, 'tokens per minute per agent'),
    tool_calls_per_minute: decimal(0.01, 100_000, 'tool calls per minute per agent'),
    work_share: decimal(0.05, 0.95, 'a share of each phase'),
    faults: list(simFaultSchema, 'fault tables ([[sim.faults]])', 0, 1000),
  }),
  ui: table({
    theme: oneOf(THEMES),
    ascii: flag(),
  }),
});

export type ConfigFile = z.output<typeof configFileSchema>;

let layerSchema: z.ZodType | undefined;

/**
 * The same schema with every table key optional, for one layer (a preset, a
 * --config file, the flags) before it is merged. Array elements ([[phases]],
 * rules, faults) stay complete: an array in a layer replaces the whole array.
 * Made at the first use: a load whose layers are all shipped files the
 * build checked needs none (about 3 ms at start-up).
 */
export function configLayerSchema(): z.ZodType {
  layerSchema ??= deepPartial(configFileSchema);
  return layerSchema;
}

function deepPartial(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodObject) {
    const shape: Record<string, z.ZodType> = {};
    for (const [key, value] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      shape[key] = deepPartial(value).optional();
    }
    return z.strictObject(shape);
  }
  if (schema instanceof z.ZodRecord) {
    return z.record(schema.keyType as typeof projectKey, deepPartial(schema.valueType as z.ZodType));
  }
  return schema;
}
