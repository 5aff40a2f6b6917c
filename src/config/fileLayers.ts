// The layers read from TOML files: the shipped defaults (project templates
// and mega_test_config.toml), a preset, and a --config file.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import TOML from '@iarna/toml';
import smolToml from 'smol-toml';
import { CONFIG_DIR, PACKAGE_ROOT } from '../paths.js';
import { ConfigError, UsageError } from './errors.js';
import type { Layer, Table } from './layers.js';
import { parsedShipped } from './parsedShipped.js';

export const PRESETS: readonly string[] = ['mini', 'standard', 'mega', 'stress'];

export const DEFAULT_CONFIG_FILE = path.join(CONFIG_DIR, 'mega_test_config.toml');
export const PROJECTS_DIR = path.join(CONFIG_DIR, 'projects');
export const PRESETS_DIR = path.join(CONFIG_DIR, 'presets');

/** The shipped defaults: every project template file (as [projects.<type>]), then mega_test_config.toml. */
export function defaultLayers(): Layer[] {
  const layers: Layer[] = [];
  let names: string[];
  try {
    names = readdirSync(PROJECTS_DIR)
      .filter((name) => name.endsWith('.toml'))
      .sort();
  } catch (error) {
    throw new ConfigError(`cannot read the project templates in ${shippedLabel(PROJECTS_DIR)}: ${(error as Error).message}`, {
      file: PROJECTS_DIR,
    });
  }
  for (const name of names) {
    const type = name.slice(0, -'.toml'.length);
    const file = path.join(PROJECTS_DIR, name);
    if (!/^[a-z][a-z0-9_-]*$/.test(type)) {
      throw new ConfigError(
        `project template file ${shippedLabel(file)}: the file name is the project type and must be lower case letters, digits, "_" or "-", starting with a letter`,
        { file },
      );
    }
    layers.push(fileLayer(file, shippedLabel(file), ['projects', type]));
  }
  layers.push(fileLayer(DEFAULT_CONFIG_FILE, shippedLabel(DEFAULT_CONFIG_FILE), []));
  return layers;
}

export function presetLayer(preset: string): Layer {
  if (!PRESETS.includes(preset)) {
    throw new UsageError(`--preset ${preset}: unknown preset; valid presets: ${PRESETS.join(', ')}`);
  }
  const file = path.join(PRESETS_DIR, `${preset}.toml`);
  return fileLayer(file, shippedLabel(file), []);
}

function shippedLabel(file: string): string {
  return path.relative(PACKAGE_ROOT, file) || file;
}

/** A TOML file placed at `prefix` of the merged tree; `label` is how messages name it. */
export function fileLayer(file: string, label: string, prefix: string[]): Layer {
  const absolute = path.resolve(file);
  let source: string;
  try {
    const stats = statSync(absolute);
    if (stats.isDirectory()) throw new ConfigError(`config file ${label}: is a directory, expected a TOML file`, { file });
    // A pipe or a device is read until it ends, which may be never (`config check /dev/zero` hung).
    if (!stats.isFile()) throw new ConfigError(`config file ${label}: not a regular file (a pipe or a device), expected a TOML file`, { file });
    source = utf8Text(readFileSync(absolute), label, file);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError(`config file ${label} not found (looked for ${absolute})`, { file });
    }
    throw new ConfigError(`config file ${label} cannot be read: ${(error as Error).message}`, { file });
  }
  // A Windows editor's UTF-8 byte order mark: not TOML's, but what the file says is.
  if (source.startsWith('\uFEFF')) source = source.slice(1);
  // A shipped file the build parsed, unchanged since: its values without the TOML parser (parsedShipped.ts).
  const shipped = parsedShipped(absolute, source);
  let data: Table = shipped?.values ?? parseToml(source, label, file);
  for (let index = prefix.length - 1; index >= 0; index -= 1) data = { [prefix[index]]: data };
  // The build's check holds for the same data at the same place: a project template given as a --config file is checked here.
  const checkedAt = shipped?.checkedAt;
  const checked = checkedAt != null && checkedAt.length === prefix.length && checkedAt.every((key, index) => key === prefix[index]);
  return { label, file, source, prefix, data, ...(checked ? { checkedAtBuild: true as const } : {}) };
}

/**
 * The file's values. smol-toml reads a file three to four times as fast as
 * @iarna/toml (a 24 KB copy of the defaults in 5-8 ms against 15-27), but
 * says less where a file is wrong ("invalid value" where @iarna/toml names
 * what it expected): a file it refuses is read again by @iarna/toml, whose
 * message is the one shown, and whose values are taken if it reads the file
 * after all. smol-toml reads TOML 1.0 and @iarna/toml 0.5, which 1.0 extends.
 */
function parseToml(source: string, label: string, file: string): Table {
  try {
    return withPlainTables(smolToml.parse(source)) as Table;
  } catch {
    // read again below, for @iarna/toml's word on it
  }
  try {
    return TOML.parse(source) as Table;
  } catch (error) {
    const parseError = error as Error & { line?: number; col?: number };
    let reason = parseError.message.split('\n')[0].replace(/ at row \d+, col \d+, pos \d+:?$/, '');
    if (typeof parseError.line === 'number') {
      const line = parseError.line + 1;
      const column = (parseError.col ?? 0) + 1;
      const text = source.split('\n')[parseError.line] ?? '';
      reason = withKeyNamed(withCharacterNamed(reason, text.codePointAt(parseError.col ?? 0)), text);
      throw new ConfigError(`${label} line ${line}, column ${column}: malformed TOML: ${reason}${notTomlHint(file)}`, { file, line });
    }
    throw new ConfigError(`${label}: malformed TOML: ${reason}${notTomlHint(file)}`, { file });
  }
}

/**
 * The file as text. TOML is UTF-8: bytes that are not (a value typed in
 * Latin-1, a binary file) would be read as U+FFFD and a string holding them
 * taken silently, so they are an error naming their line. Decoded strictly
 * only when the lenient decoding shows a U+FFFD, which a file may hold.
 */
function utf8Text(bytes: Buffer, label: string, file: string): string {
  const text = bytes.toString('utf8');
  if (!text.includes('\uFFFD')) return text;
  const strict = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  for (let line = 1; start <= bytes.length; line += 1) {
    const end = bytes.indexOf(0x0a, start);
    const stop = end === -1 ? bytes.length : end;
    try {
      strict.decode(bytes.subarray(start, stop));
    } catch {
      throw new ConfigError(`${label} line ${line}: bytes that are not UTF-8 text (a TOML file is UTF-8; was it saved in another encoding?)`, { file, line });
    }
    if (end === -1) break;
    start = end + 1;
  }
  return text;
}

/**
 * smol-toml's tables have no prototype; the config's code, its checks and
 * the build's cache (JSON) deal in plain objects, as @iarna/toml gives.
 * Made by Object.fromEntries, so a key named __proto__ stays a key.
 */
function withPlainTables(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withPlainTables);
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withPlainTables(item)]));
}

/**
 * The parser's "Can't redefine existing key" says neither which key nor
 * why: the line names the key (or the table), and a table written `[phases]`
 * where the defaults' is a list of tables is the likeliest cause.
 */
function withKeyNamed(reason: string, line: string): string {
  if (!/redefine existing key/i.test(reason)) return reason;
  const table = /^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$/.exec(line);
  if (table) return `${reason}: the table [${table[1]}] is set above already (a list of tables is written [[${table[1]}]], each one again)`;
  const key = /^\s*([A-Za-z0-9_."'-]+?)\s*=/.exec(line);
  return key ? `${reason}: ${key[1]} is set above already in this table` : reason;
}

/** A config given in another format: megatest reads TOML whatever the file's name says. */
function notTomlHint(file: string): string {
  const extension = path.extname(file).toLowerCase();
  return ['.json', '.yaml', '.yml', '.ini', '.cfg'].includes(extension) ? ` (config files are TOML; this one's name ends in ${extension})` : '';
}

/** Characters pasted from a word processor or a web page, or bytes that are not UTF-8, named for a person. */
const CHARACTER_NAMES: Record<number, string> = {
  0xa0: 'a no-break space',
  0x2018: 'a curly quote ‘ (TOML quotes are \' and ")',
  0x2019: 'a curly quote ’ (TOML quotes are \' and ")',
  0x201c: 'a curly quote “ (TOML quotes are " and \')',
  0x201d: 'a curly quote ” (TOML quotes are " and \')',
  0xfeff: 'a byte order mark',
  0xfffd: 'bytes that are not UTF-8 text (is it a TOML file?)',
};

/** The parser's reason, saying what the character it stopped at is when that is not plain ASCII (its "Unknown character \"8220\"" too). */
function withCharacterNamed(reason: string, point: number | undefined): string {
  const unknown = /Unknown character "(\d+)"/.exec(reason);
  const at = unknown ? Number(unknown[1]) : point;
  if (at === undefined) return reason;
  // Printable ASCII is named by the parser's own words, except in its "Unknown character" (a decimal code: "61").
  const printable = at >= 0x20 && at < 0x7f;
  if (printable && !unknown) return reason;
  const hex = `U+${at.toString(16).toUpperCase().padStart(4, '0')}`;
  const what = printable
    ? `${JSON.stringify(String.fromCodePoint(at))} (${hex})`
    : `${hex}${CHARACTER_NAMES[at] ? `, ${CHARACTER_NAMES[at]}` : at < 0x20 || at === 0x7f ? ', a control character (is it a TOML file?)' : ''}`;
  return unknown ? reason.replace(unknown[0], `unexpected character ${what}`) : `${reason} (found ${what})`;
}
