// A configuration file and the resolved MegatestConfig name some keys
// differently. The file keeps the original runner's names where it had them
// (its mega_test_config.toml is valid as it is); MegatestConfig — and so every
// run folder's config.json — keeps the names megatest's files had before,
// which is also what `megatest config migrate` turns into today's names.
// This is the one list of those renames (docs/config-mapping.md shows it).

import { formatDuration } from './duration.js';
import { isTable, type Table } from './layers.js';
import { configFileSchema } from './schema.js';
import { tableKeysAt } from './schemaPaths.js';
import type { MegatestConfig } from './types.js';

export interface KeyRename {
  /** Where MegatestConfig keeps the value (and how megatest's earlier files named it). */
  internal: readonly string[];
  /** Where a file writes it today. */
  file: readonly string[];
  /** A value as MegatestConfig (or an earlier file) holds it, as a file writes it today. */
  toFile?: (value: unknown) => unknown;
}

export const KEY_RENAMES: readonly KeyRename[] = [
  { internal: ['session', 'session_id'], file: ['session', 'id'], toFile: (value) => (value === '' ? 'auto' : value) },
  { internal: ['session', 'duration_seconds'], file: ['session', 'duration_hours'], toFile: (value) => (typeof value === 'number' ? compactDuration(value) : value) },
  { internal: ['session', 'agents'], file: ['session', 'agent_count'] },
  { internal: ['session', 'project'], file: ['session', 'project_type'] },
  { internal: ['error_handling', 'max_recovery_attempts'], file: ['checkpoint', 'max_recovery_attempts'] },
  { internal: ['error_handling', 'backoff_strategy'], file: ['checkpoint', 'backoff_strategy'] },
  { internal: ['error_handling', 'backoff_initial_seconds'], file: ['checkpoint', 'backoff_initial_seconds'] },
  { internal: ['error_handling', 'backoff_max_seconds'], file: ['checkpoint', 'backoff_max_seconds'] },
  { internal: ['limits', 'max_parallel_agents'], file: ['agent', 'concurrent_agents'] },
  { internal: ['consensus', 'quorum'], file: ['consensus', 'min_votes'] },
  { internal: ['consensus', 'voting_timeout_secs'], file: ['consensus', 'vote_timeout_secs'] },
  { internal: ['limits', 'tokens_per_hour_per_agent'], file: ['limits', 'tokens_per_agent_per_hour'] },
  { internal: ['limits', 'tool_calls_per_hour_per_agent'], file: ['limits', 'tool_calls_per_agent_per_hour'] },
  { internal: ['agent', 'max_context_size'], file: ['limits', 'max_context_size'] },
  { internal: ['project', 'target', 'min_lines_of_code'], file: ['project', 'target', 'lines_of_code'] },
  { internal: ['project', 'target', 'min_test_coverage'], file: ['project', 'target', 'test_coverage'], toFile: percentToFraction },
  { internal: ['project', 'target', 'min_doc_coverage'], file: ['project', 'target', 'documentation_coverage'], toFile: percentToFraction },
];

/** [[phases]] weight (earlier files: a relative share) became duration_minutes (the phase's nominal minutes). */
export const PHASE_WEIGHT_RENAME = { internal: 'weight', file: 'duration_minutes' } as const;

/** Criterion values naming a target, as earlier files wrote them. */
export const TARGET_REFERENCE_RENAMES: Readonly<Record<string, string>> = {
  'target.min_lines_of_code': 'target.lines_of_code',
  'target.min_test_coverage': 'target.test_coverage',
  'target.min_doc_coverage': 'target.documentation_coverage',
};

/** 21600 -> "6h", 5400 -> "1h30m", 45 -> "45s": a duration string parseDuration reads back. */
export function compactDuration(seconds: number): string {
  return formatDuration(seconds).replace(/ /g, '');
}

function percentToFraction(value: unknown): unknown {
  return typeof value === 'number' ? Math.round((value / 100) * 1e9) / 1e9 : value;
}

function valueAt(tree: Table, path: readonly string[]): unknown {
  let current: unknown = tree;
  for (const segment of path) {
    if (!isTable(current)) return undefined;
    current = current[segment];
  }
  return current;
}

function tableAt(tree: Table, path: readonly string[], create: boolean): Table | undefined {
  let current = tree;
  for (const segment of path) {
    if (!isTable(current[segment])) {
      if (!create) return undefined;
      current[segment] = {};
    }
    current = current[segment] as Table;
  }
  return current;
}

/** A rename applied; `dropped` when the file set both names: today's value was kept, the other's (as written) left out. */
export interface AppliedRename extends KeyRename {
  dropped?: { kept: unknown; dropped: unknown };
}

/**
 * Moves every value from its MegatestConfig (or earlier-file) name to today's,
 * in place. A value already written under today's name wins; the other is
 * reported as dropped. Returns the renames applied, for a migration's notes.
 */
export function applyKeyRenames(tree: Table): AppliedRename[] {
  const applied: AppliedRename[] = [];
  for (const rename of KEY_RENAMES) {
    const value = valueAt(tree, rename.internal);
    if (value === undefined) continue;
    const from = tableAt(tree, rename.internal.slice(0, -1), false)!;
    delete from[rename.internal[rename.internal.length - 1]!];
    const to = tableAt(tree, rename.file.slice(0, -1), true)!;
    const key = rename.file[rename.file.length - 1]!;
    if (to[key] === undefined) {
      to[key] = rename.toFile ? rename.toFile(value) : value;
      applied.push(rename);
    } else {
      applied.push({ ...rename, dropped: { kept: to[key], dropped: value } });
    }
  }
  for (const [name, table] of Object.entries(tree)) {
    if (isTable(table) && Object.keys(table).length === 0 && name !== 'projects') delete tree[name];
  }
  return applied;
}

/** The resolved configuration as a file writes it today (what `megatest config print` prints). */
export function toFileForm(config: MegatestConfig): Table {
  const tree = structuredClone(config) as unknown as Table;
  applyKeyRenames(tree);
  tableAt(tree, ['checkpoint'], true)!.auto_recovery = config.error_handling.max_recovery_attempts > 0;
  tableAt(tree, ['monitoring'], true)!.log_level = config.monitoring.log_level.toLowerCase();
  tableAt(tree, ['notifications'], true)!.enabled = true;
  tree.phases = config.phases.map(({ name, weight, ...rest }) => ({ name, duration_minutes: weight, ...rest }));
  const projects: Table = {};
  for (const [key, template] of Object.entries(config.projects)) {
    const { type: _type, ...rest } = template;
    projects[key] = rest;
  }
  tree.projects = projects;
  return inFileOrder(tree, []) as Table;
}

/** Keys in the order the schema (and the default file) lists them, so a printed file reads like the documented one. */
export function inFileOrder(value: unknown, path: (string | number)[]): unknown {
  if (Array.isArray(value)) return value.map((element, index) => inFileOrder(element, [...path, index]));
  if (!isTable(value)) return value;
  const order = tableKeysAt(configFileSchema, path);
  const keys = Object.keys(value).sort((a, b) => rank(order, a) - rank(order, b));
  return Object.fromEntries(keys.map((key) => [key, inFileOrder(value[key], [...path, key])]));
}

function rank(order: string[], key: string): number {
  const index = order.indexOf(key);
  return index === -1 ? order.length : index;
}
