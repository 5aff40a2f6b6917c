// `megatest config migrate OLD.toml`: a configuration file in today's form.
// The original runner's mega_test_config.toml keeps its names (megatest reads
// it as it is); what changes is that keys megatest does not act on are left
// out (listed, with the reason, in the header) and values are written in
// megatest's own spelling (lower-case roles and log level, DESIGN §5 event
// types). A file of megatest's earlier form gets today's key names
// (fileForm.ts). The result is checked before it is printed.

import TOML from '@iarna/toml';
import { fstatSync, statSync } from 'node:fs';
import { ConfigError, UsageError } from './errors.js';
import { fileLayer } from './fileLayers.js';
import { applyKeyRenames, inFileOrder, type AppliedRename, PHASE_WEIGHT_RENAME, TARGET_REFERENCE_RENAMES } from './fileForm.js';
import { validateLayer } from './layerIssues.js';
import { isTable, type Table } from './layers.js';
import { displayValue, dottedKey, findKeyLine } from './messages.js';
import { NOTIFY_EVENT_ALIASES } from './allowedValues.js';
import { NOT_ACTED_ON, tableLabel, tablesAt } from './notActedOn.js';
import { sectionKey } from './keySuggestions.js';

export interface Migration {
  /** The migrated file, comments first. */
  text: string;
  /** "[agent] max_iterations = 10000" for each key left out. */
  dropped: string[];
  /** "[session] agents -> [session] agent_count" for each key renamed. */
  renamed: string[];
  /** '[monitoring] log_level = "TRACE" -> "debug"' for each value written in megatest's spelling. */
  changed: string[];
}

/** A key whose value is a credential: the header names it but does not copy it into a file people keep, share or commit. */
const SECRET_KEY = /password|secret|token|api_?key|credential/i;

/** What the header says of the comments: TOML is read as data, so none of them is carried over. */
export const COMMENTS_NOT_KEPT = "Comments are not carried over (the file is read as data): copy any you need from the original.";

/**
 * Refuses a migration that would lose the file: standard output is the file itself (`config migrate a.toml > a.toml`:
 * the shell has emptied it already; `>> a.toml` would append a second copy). `stdoutFd` is 1 in the CLI.
 */
export function refuseOutputOntoInput(file: string, stdoutFd: number): void {
  let input: { dev: number; ino: number };
  let output: { dev: number; ino: number };
  try {
    input = statSync(file);
    output = fstatSync(stdoutFd);
  } catch {
    return; // no file (fileLayer says so), or no standard output to compare
  }
  if (input.dev === output.dev && input.ino === output.ino) {
    // `> same.toml` has emptied it already (`>> same.toml` has not): say so, rather than a command that now finds it empty.
    const emptied = statSync(file).size === 0;
    throw new UsageError(
      emptied
        ? `megatest config migrate: standard output is ${file} itself, and the shell's redirect has emptied it: put it back from a copy or version control, then write to another file: megatest config migrate ${file} > migrated.toml`
        : `megatest config migrate: standard output is ${file} itself (a shell redirect empties it before megatest reads it); write to another file: megatest config migrate ${file} > migrated.toml`,
    );
  }
}

export function migrateConfigFile(file: string): Migration {
  const layer = fileLayer(file, file, []);
  const tree = JSON.parse(JSON.stringify(layer.data)) as Table;
  // An empty file (one a `> same.toml` redirect emptied) would print a header alone, exit 0: the settings gone, unsaid.
  if (Object.keys(tree).length === 0) {
    throw new UsageError(`megatest config migrate: ${file} holds no settings (empty, or only comments): nothing to migrate; give the original runner's mega_test_config.toml`);
  }
  const applied = applyKeyRenames(tree);
  const renamed = applied.map(
    (rename) =>
      `${sectionKey(rename.internal)} -> ${sectionKey(rename.file)}${
        rename.dropped ? ` (both were set: kept ${sectionKey(rename.file)} = ${displayValue(rename.dropped.kept)}, dropped ${sectionKey(rename.internal)} = ${displayValue(rename.dropped.dropped)})` : ''
      }`,
  );
  const dropped: string[] = [];
  const reasons: string[] = [];

  for (const group of NOT_ACTED_ON) {
    let said = false;
    for (const table of tablesAt(tree, group.table)) {
      for (const key of group.keys) {
        if (table[key] === undefined || group.kept?.includes(key)) continue;
        dropped.push(`${tableLabel(group.table)} ${key} = ${SECRET_KEY.test(key) ? '(not copied: a credential)' : displayValue(table[key])}`);
        delete table[key];
        said = true;
      }
    }
    if (said) reasons.push(`${tableLabel(group.table)} ${group.keys.filter((key) => !group.kept?.includes(key)).join(', ')}: ${group.reason}`);
  }
  const notifications = tree.notifications;
  if (isTable(notifications) && isTable(notifications.email) && Object.keys(notifications.email).length === 0) delete notifications.email;

  const changed = webhookFromShell(tree);
  if (Array.isArray(tree.phases)) {
    tree.phases.forEach((phase: unknown) => {
      if (!isTable(phase)) return;
      if (phase[PHASE_WEIGHT_RENAME.internal] !== undefined) {
        // An earlier file's weight was a relative share (1/2/2/1 in the 6 h plan): as minutes of that plan.
        const weight = phase[PHASE_WEIGHT_RENAME.internal];
        delete phase[PHASE_WEIGHT_RENAME.internal];
        if (phase[PHASE_WEIGHT_RENAME.file] === undefined && typeof weight === 'number') phase[PHASE_WEIGHT_RENAME.file] = weight * 60;
        if (!renamed.includes('[[phases]] weight -> [[phases]] duration_minutes (x 60)')) renamed.push('[[phases]] weight -> [[phases]] duration_minutes (x 60)');
      }
      if (Array.isArray(phase.criteria)) {
        for (const criterion of phase.criteria) {
          if (isTable(criterion) && typeof criterion.value === 'string') {
            const value = TARGET_REFERENCE_RENAMES[criterion.value] ?? criterion.value;
            if (value !== criterion.value) changed.push(`[[phases.criteria]] value = ${displayValue(criterion.value)} -> ${displayValue(value)}`);
            criterion.value = value;
          }
        }
      }
    });
  }

  // A value the original file holds (an unknown key, a wrong type, a "$HOME" path) is named as config check names it:
  // in the file, at its line, which the user edits; "(as migrated)" with no line sent them looking in output never printed.
  // A key the migration renamed has no line of its own in the original, and is named without one.
  // Checked before the values are respelled, so that a refusal quotes the value as the file wrote it ("VERBOSE", not
  // "verbose"), and after, as the file that is printed.
  const check = () => {
    try {
      validateLayer({ label: file, file, source: layer.source, prefix: [], data: tree });
    } catch (error) {
      throw writtenAs(error, applied, file, layer.source);
    }
  };
  check();
  changed.push(...respell(tree));
  check();

  const header = [
    // A name with a line break in it would end the comment, and the printed file would not be TOML.
    `# ${/[\u0000-\u001f\u007f]/.test(file) ? JSON.stringify(file) : file}, migrated by megatest config migrate to megatest's current form.`,
    `# ${COMMENTS_NOT_KEPT}`,
    ...(renamed.length > 0 ? ['# Renamed:', ...renamed.map((line) => `#   ${line}`)] : []),
    ...(changed.length > 0 ? ["# Written in megatest's spelling (as megatest reads them):", ...changed.map((line) => `#   ${line}`)] : []),
    ...(dropped.length > 0
      ? ['# Left out, as megatest does not act on them:', ...dropped.map((line) => `#   ${line}`), '# because:', ...reasons.map((line) => `#   ${line}`)]
      : []),
  ];
  const body = TOML.stringify(inFileOrder(tree, []) as Parameters<typeof TOML.stringify>[0]);
  return { text: `${header.join('\n')}\n\n${body}`, dropped, renamed, changed };
}

/**
 * Values in megatest's own spelling: lower-case roles and log level, event types for the original's event names.
 * Returns each value it wrote otherwise, for the header: the file says what changed, not only what was renamed or left out.
 */
function respell(tree: Table): string[] {
  const changed: string[] = [];
  const note = (where: string, before: unknown, after: unknown) => {
    if (JSON.stringify(before) !== JSON.stringify(after)) changed.push(`${where} = ${displayValue(before)} -> ${displayValue(after)}`);
  };
  const lower = (roles: unknown): unknown => (Array.isArray(roles) ? roles.map((role) => (typeof role === 'string' ? role.toLowerCase() : role)) : roles);
  for (const agent of tablesAt(tree, ['agent'])) {
    if (agent.roles === undefined) continue;
    const roles = lower(agent.roles);
    note('[agent] roles', agent.roles, roles);
    agent.roles = roles;
  }
  for (const phase of tablesAt(tree, ['phases', '*'])) {
    if (phase.roles === undefined) continue;
    const roles = lower(phase.roles);
    note('[[phases]] roles', phase.roles, roles);
    phase.roles = roles;
  }
  for (const monitoring of tablesAt(tree, ['monitoring'])) {
    if (typeof monitoring.log_level !== 'string') continue;
    // megatest has no trace level: its lowest is debug (config check warns of it the same way).
    const level = monitoring.log_level.toLowerCase() === 'trace' ? 'debug' : monitoring.log_level.toLowerCase();
    note('[monitoring] log_level', monitoring.log_level, level);
    monitoring.log_level = level;
  }
  for (const notifications of tablesAt(tree, ['notifications'])) {
    if (!Array.isArray(notifications.events)) continue;
    const events = notifications.events.map((name: unknown) => (NOTIFY_EVENT_ALIASES as Record<string, string>)[String(name)] ?? name);
    note('[notifications] events', notifications.events, events);
    notifications.events = events;
  }
  return changed;
}

/** A webhook URL written as a shell variable, as megatest reads one from the environment; returns what it changed. */
function webhookFromShell(tree: Table): string[] {
  const changed: string[] = [];
  for (const notifications of tablesAt(tree, ['notifications'])) {
    // "${SLACK_WEBHOOK}" (a shell's spelling, which no TOML reader expands) is refused as a URL; megatest reads a URL
    // from the environment as "env:NAME", which is what such a file means.
    const variable = typeof notifications.webhook_url === 'string' ? /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/.exec(notifications.webhook_url.trim()) : null;
    if (variable === null) continue;
    const url = `env:${variable[1] ?? variable[2]}`;
    changed.push(`[notifications] webhook_url = ${displayValue(notifications.webhook_url)} -> ${displayValue(url)}`);
    notifications.webhook_url = url;
  }
  return changed;
}

/**
 * A value the migration moved to today's name is refused under that name, which the file does not hold
 * (`[session].agent_count = 40 in old.toml`, where old.toml says `agents = 40`): the refusal says how the file wrote it,
 * and at which line, so the user knows what to change.
 */
function writtenAs(error: unknown, applied: readonly AppliedRename[], file: string, source: string | undefined): unknown {
  if (!(error instanceof ConfigError) || error.line !== undefined || error.key === undefined) return error;
  const rename = applied.find((candidate) => error.key === dottedKey([...candidate.file]) && candidate.dropped === undefined);
  if (rename === undefined) return error;
  const line = source === undefined ? undefined : findKeyLine(source, [...rename.internal]);
  return new ConfigError(`${error.message} (${file} writes it as ${sectionKey(rename.internal)}${line === undefined ? '' : `, line ${line}`})`, {
    file,
    key: error.key,
    ...(line === undefined ? {} : { line }),
  });
}
