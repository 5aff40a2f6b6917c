// Keys of the original runner's mega_test_config.toml that megatest accepts
// (checked like any other value, so a typo is still caught) but does not act
// on. Each is named once, with the reason, as a warning on stderr when a file
// the user gave sets it: never silently ignored. The shipped defaults and
// presets set none of them.

import type * as z from 'zod';
import type { KeyPath } from './messages.js';
import { isTable, type Layer, type Table } from './layers.js';
import { decimal, flag, integer, list, nonEmptyText, oneOf, table, text } from './schemaFields.js';

/** Schemas of the keys that exist only to be accepted, by the table they sit in. */
export const NOT_ACTED_ON_FIELDS = {
  agent: {
    min_trust_score: decimal(0, 1, 'a trust score').optional(),
    max_trust_score: decimal(0, 1, 'a trust score').optional(),
    dynamic_spawning: flag().optional(),
    max_total_agents: integer(1, 1000, 'agents').optional(),
  },
  consensus: {
    strategy: oneOf(['unanimous', 'majority', 'weighted', 'priority'] as const).optional(),
    threshold: decimal(0, 1, 'a share of the votes').optional(),
  },
  monitoring: {
    enabled: flag().optional(),
    metrics_export_interval: integer(1, 86_400, 'seconds').optional(),
    dashboard_update_interval: integer(1, 86_400, 'seconds').optional(),
    agent_activity_logging: flag().optional(),
    export_metrics: flag().optional(),
    metrics_format: oneOf(['json', 'prometheus'] as const).optional(),
  },
  error_handling: {
    classification: oneOf(['auto', 'manual'] as const).optional(),
  },
  target: {
    max_bugs_critical: integer(0, 1_000_000, 'a bug count').optional(),
    max_bugs_high: integer(0, 1_000_000, 'a bug count').optional(),
    max_bugs_medium: integer(0, 1_000_000, 'a bug count').optional(),
  },
  performance: {
    build_time_secs: decimal(0, 86_400, 'seconds').optional(),
    test_execution_time_secs: decimal(0, 86_400, 'seconds').optional(),
    memory_usage_mb: decimal(0, 10_000_000, 'MB').optional(),
    binary_size_mb: decimal(0, 10_000_000, 'MB').optional(),
  },
  phase: {
    success_criteria: list(nonEmptyText(), 'descriptions').optional(),
  },
  notifications: {
    email: table({
      smtp_server: text('a host name').optional(),
      smtp_port: integer(1, 65_535, 'a TCP port').optional(),
      username: text().optional(),
      password: text().optional(),
      from_address: text('an e-mail address').optional(),
      to_addresses: list(text('an e-mail address'), 'e-mail addresses').optional(),
    }).optional(),
  },
} satisfies Record<string, Record<string, z.ZodType>>;

export interface NotActedOn {
  /** The table in the file; '*' stands for every element of an array of tables. */
  table: readonly string[];
  keys: readonly string[];
  reason: string;
  /** Keys MegatestConfig still records (config.json), so `config migrate` keeps them; the others it drops. */
  kept?: readonly string[];
}

export const NOT_ACTED_ON: readonly NotActedOn[] = [
  {
    table: ['agent'],
    keys: ['min_trust_score', 'max_trust_score'],
    // megatest shows a trust score (statusView, the console, the report), so "keeps none" would be wrong: it bounds none.
    reason:
      "megatest shows each agent's trust score (the share of its tool calls that succeeded) but sets no bounds on it and acts on none; the build, the tests and the success criteria judge the agents' work",
  },
  {
    table: ['agent'],
    keys: ['dynamic_spawning', 'max_total_agents'],
    reason: 'megatest runs [session] agent_count agents (at most [agent] concurrent_agents at once) and spawns none during the run',
  },
  {
    table: ['consensus'],
    keys: ['enabled', 'min_votes', 'vote_timeout_secs', 'strategy', 'threshold'],
    kept: ['enabled', 'min_votes', 'vote_timeout_secs'],
    reason: 'megatest records the votes agents cast (vote events, consensus_votes_cast) but decides nothing by vote',
  },
  {
    table: ['monitoring'],
    keys: ['enabled', 'export_metrics', 'metrics_export_interval'],
    reason: 'megatest always records metrics: a snapshot every [monitoring] health_check_interval seconds (metrics/metrics.jsonl, metrics_current.json)',
  },
  {
    table: ['monitoring'],
    keys: ['metrics_format'],
    reason: "megatest writes the metrics as JSON files and serves them as Prometheus text at the control API's GET /metrics, both always",
  },
  { table: ['monitoring'], keys: ['dashboard_update_interval'], reason: 'the console redraws as events arrive' },
  {
    table: ['monitoring'],
    keys: ['agent_activity_logging'],
    reason: "every agent's output is always kept (agents/<name>/, session.log)",
  },
  {
    table: ['error_handling'],
    keys: ['classification'],
    reason: 'megatest always tries [[error_handling.rules]] first, in order, then its built-in error classes',
  },
  {
    table: ['project', 'target'],
    keys: ['max_bugs_critical', 'max_bugs_high', 'max_bugs_medium'],
    reason: 'megatest does not sort bugs by severity; it counts failing tests and errors',
  },
  {
    table: ['project', 'performance'],
    keys: ['build_time_secs', 'test_execution_time_secs', 'memory_usage_mb', 'binary_size_mb'],
    reason:
      "megatest does not hold the project's build time, test time, memory or binary size to targets ([limits] max_test_runtime_min stops a test run that takes too long)",
  },
  {
    table: ['phases', '*'],
    keys: ['success_criteria'],
    reason:
      "free text megatest cannot measure; each phase is judged by its [[phases.criteria]] (a phase that sets none keeps the criteria of megatest's phase of the same name)",
  },
  {
    table: ['notifications', 'email'],
    keys: ['smtp_server', 'smtp_port', 'username', 'password', 'from_address', 'to_addresses'],
    reason: 'megatest sends no e-mail; [notifications] webhook_url receives the events instead',
  },
];

/** "[agent]", "[project.target]", "[[phases]]", "[[phases.criteria]]", "[notifications.email]". */
export function tableLabel(table: readonly string[]): string {
  const named = table.filter((segment) => segment !== '*');
  return table.includes('*') ? `[[${named.join('.')}]]` : `[${named.join('.')}]`;
}

/** The group a key of the table at `tablePath` belongs to, when megatest does not act on it. */
export function notActedOnGroup(tablePath: KeyPath, key: string): NotActedOn | undefined {
  const shape = tablePath.map((segment) => (typeof segment === 'number' ? '*' : segment)).join('.');
  return NOT_ACTED_ON.find((group) => group.keys.includes(key) && group.table.join('.') === shape);
}

/** The tables at `path` in `data`, '*' taking every element of an array. */
export function tablesAt(data: unknown, path: readonly string[]): Table[] {
  if (path.length === 0) return isTable(data) ? [data] : [];
  const [head, ...rest] = path;
  if (head === '*') return Array.isArray(data) ? data.flatMap((element) => tablesAt(element, rest)) : [];
  return isTable(data) ? tablesAt(data[head!], rest) : [];
}

/** One warning line per group of keys the layer sets that megatest does not act on. */
export function notActedOnWarnings(layer: Layer): string[] {
  const warnings: string[] = [];
  for (const group of NOT_ACTED_ON) {
    const tables = tablesAt(layer.data, group.table);
    const present = group.keys.filter((key) => tables.some((found) => found[key] !== undefined));
    if (present.length === 0) continue;
    warnings.push(`${tableLabel(group.table)} ${present.join(', ')} in ${layer.label}: accepted, not acted on: ${group.reason}`);
  }
  const level = tablesAt(layer.data, ['monitoring'])[0]?.log_level;
  if (typeof level === 'string' && level.toLowerCase() === 'trace') {
    warnings.push(`[monitoring] log_level = "${level}" in ${layer.label}: written as debug, the finest level of megatest's session.log`);
  }
  return warnings;
}

/**
 * Keys only one agent kind acts on: with another kind they are named as any key megatest does not act on.
 * `[agent] max_iterations` goes into selfware's own selfware.toml; a sim, Claude Code, Codex or command agent has no
 * step limit to give it, and a file that set it heard nothing.
 */
export function notActedOnByKind(layer: Layer, kind: string): string[] {
  if (kind === 'selfware') return [];
  const set = tablesAt(layer.data, ['agent']).some((found) => found.max_iterations !== undefined);
  if (!set) return [];
  return [
    `[agent] max_iterations in ${layer.label}: accepted, not acted on: only a selfware agent has a step limit (megatest writes it to its selfware.toml); these agents are "${kind}", bounded by the session's duration, [agent] step_timeout_secs and [limits]`,
  ];
}

/**
 * A file that sets keys `config migrate` leaves out (the original runner's,
 * which megatest does not act on): one line saying how to be rid of the
 * warnings, which a user bringing an old file would otherwise read at every
 * run. Null for another layer, or when every such key is one megatest still
 * records (a migrated file's [consensus] keys).
 */
export function migrateHint(layer: Layer): string | null {
  if (layer.file === undefined) return null;
  let dropped = 0;
  for (const group of NOT_ACTED_ON) {
    const tables = tablesAt(layer.data, group.table);
    dropped += group.keys.filter((key) => !group.kept?.includes(key) && tables.some((found) => found[key] !== undefined)).length;
  }
  if (dropped === 0) return null;
  return `${layer.label} sets ${dropped} ${dropped === 1 ? 'key' : 'keys'} of the original runner that megatest does not act on: \`megatest config migrate ${layer.file}\` prints it in today's form without them`;
}
