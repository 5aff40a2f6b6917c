// Turning a schema issue into a message a user can act on: which key, which
// value, in which file (or flag) and on which line it was set.

import type * as z from 'zod';
import { ConfigError, UsageError } from './errors.js';
import type { Layer, Table } from './layers.js';
import { unknownKeyHint } from './keySuggestions.js';
import { displayKey, displayValue, dottedKey, findKeyLine, type KeyPath } from './messages.js';
import { configLayerSchema } from './schema.js';

/**
 * A config is parsed a few times per process. zod's fast path compiles a
 * parser per object schema on its first parse (about 14 ms for the config's
 * schemas), which only pays back over many parses: the agent protocol's, not
 * these.
 */
export const ONE_PASS = { jitless: true } as const;

/** Checks one layer alone, so an error names the file (or flag) the bad value is in. */
export function validateLayer(layer: Layer): void {
  const result = configLayerSchema().safeParse(layer.data, ONE_PASS);
  if (result.success) return;
  // An unknown key first: it often explains a missing one ([[phases]] weight for duration_minutes).
  const issue = result.error.issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? result.error.issues[0];
  if (layer.prefix.length === 0 && typeof layer.data.endpoint === 'string') throw selfwareSettingsFile(layer);
  if (layer.flags) {
    const keyPath = issue.path as KeyPath;
    const origin = layer.flags.get(dottedKey(keyPath));
    if (origin) throw new UsageError(`${origin.flag} ${String(origin.value)}: must be ${allowedText(issue)}`);
  }
  throw describeIssue(issue, layer.data, [layer]);
}

/**
 * A selfware settings file (endpoint and model at its top; [agent]
 * token_budget, [safety]) given where a megatest config goes: what the
 * original wrapper's CONFIG_FILE named. Its first unknown key (often
 * [agent].token_budget, with a list of megatest's keys) did not say so.
 */
function selfwareSettingsFile(layer: Layer): ConfigError {
  const line = lineOf(layer, ['endpoint']);
  return new ConfigError(
    `${layer.label}${line === undefined ? '' : ` (line ${line})`} is a selfware settings file (endpoint at its top), not a megatest config: the original wrapper read its endpoint and model lines; in a megatest config they are [agents] endpoint and [agent] model (see docs/config-mapping.md)`,
    { file: layer.file, key: 'endpoint', line },
  );
}

/** The first schema issue as a ConfigError naming its key, file and line. */
export function describeIssue(issue: z.core.$ZodIssue, data: Table, layers: readonly Layer[]): Error {
  const issuePath = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const keyPath = [...issuePath, key];
    const layer = originOf(keyPath, layers);
    const hint = unknownKeyHint(issuePath, key);
    const relative = relativeTo(layer, keyPath);
    return new ConfigError(`unknown key ${displayKey(relative)} in ${layer.label}${lineSuffix(layer, relative)}; ${hint}`, {
      file: layer.file,
      key: dottedKey(keyPath),
      line: lineOf(layer, relative),
    });
  }
  if (issue.code === 'invalid_key') {
    const layer = originOf(issuePath, layers);
    const relative = relativeTo(layer, issuePath);
    const reason = issue.issues[0]?.message ?? issue.message;
    return new ConfigError(`table name ${displayKey(relative)} in ${layer.label}${lineSuffix(layer, relative)}: must be ${reason}`, {
      file: layer.file,
      key: dottedKey(issuePath),
      line: lineOf(layer, relative),
    });
  }
  return problemAt(issuePath, `must be ${allowedText(issue)}`, data, layers);
}

function allowedText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    if (issue.expected === 'object' || issue.expected === 'record') return 'a table';
    if (issue.expected === 'array') return 'an array';
  }
  return issue.message;
}

/** An error about the value at `keyPath`, naming where that value (or its table) came from. */
export function problemAt(keyPath: KeyPath, problem: string, data: Table, layers: readonly Layer[]): Error {
  const layer = originOf(keyPath, layers);
  const value = valueAt(data, keyPath);
  const flag = layer.flags?.get(dottedKey(keyPath));
  if (flag) {
    return new ConfigError(`${flag.flag} ${String(flag.value)}: ${problem}`, { key: dottedKey(keyPath) });
  }
  const relative = relativeTo(layer, keyPath);
  const location = { file: layer.file, key: dottedKey(keyPath) };
  if (value === undefined) {
    const tableLine = lineOf(layer, relative.slice(0, -1));
    return new ConfigError(
      `missing key ${displayKey(relative)} in ${layer.label}${tableLine === undefined ? '' : ` (table at line ${tableLine})`}: ${problem}`,
      { ...location, line: tableLine },
    );
  }
  const line = lineOf(layer, relative);
  return new ConfigError(`${displayKey(relative)} = ${displayValue(value)} in ${layer.label}${lineSuffix(layer, relative)}: ${problem}${quotedHint(value)}${caseHint(value, problem)}`, {
    ...location,
    line,
  });
}

/**
 * A number or a boolean written in quotes is a string to TOML (the original
 * runner's files and shell habits write `"5"`): the refusal says so, as
 * "must be minutes 0.5..1440" of "5" did not.
 */
function quotedHint(value: unknown): string {
  if (typeof value !== 'string') return '';
  const text = value.trim();
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(text) || text === 'true' || text === 'false') return ` (a value in quotes is text: write ${text} without them)`;
  return '';
}

/** A name of a list given in other letters ("Exponential", "Dark"): the refusal says which it is. */
function caseHint(value: unknown, problem: string): string {
  if (typeof value !== 'string' || !problem.startsWith('must be one of ')) return '';
  const lower = value.trim().toLowerCase();
  return lower !== value && problem.includes(JSON.stringify(lower)) ? ` (write ${JSON.stringify(lower)}: the names are lowercase)` : '';
}

/** The layer a key's value came from: the one holding the deepest part of its path (later layers win ties). */
export function originOf(keyPath: KeyPath, layers: readonly Layer[]): Layer {
  let best = layers[layers.length - 1];
  let bestDepth = -1;
  for (let index = layers.length - 1; index >= 0; index -= 1) {
    const depth = presentDepth(layers[index].data, keyPath);
    if (depth > bestDepth) {
      best = layers[index];
      bestDepth = depth;
    }
  }
  return best;
}

function presentDepth(data: unknown, keyPath: KeyPath): number {
  let current = data;
  let depth = 0;
  for (const segment of keyPath) {
    if (current === null || typeof current !== 'object') break;
    const next = (current as Record<string | number, unknown>)[segment];
    if (next === undefined) break;
    current = next;
    depth += 1;
  }
  return depth;
}

function valueAt(data: unknown, keyPath: KeyPath): unknown {
  let current = data;
  for (const segment of keyPath) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function relativeTo(layer: Layer, keyPath: KeyPath): KeyPath {
  const inside = layer.prefix.every((segment, index) => keyPath[index] === segment);
  return inside ? keyPath.slice(layer.prefix.length) : keyPath;
}

function lineOf(layer: Layer, relative: KeyPath): number | undefined {
  return layer.source === undefined ? undefined : findKeyLine(layer.source, relative);
}

function lineSuffix(layer: Layer, relative: KeyPath): string {
  const line = lineOf(layer, relative);
  return line === undefined ? '' : ` (line ${line})`;
}
