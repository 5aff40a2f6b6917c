// The shipped TOML files (config/: the defaults, the project templates, the
// presets), parsed once at build time into dist/parsed-config.json. Every
// command that loads a configuration reads the defaults, 35 KB of TOML, and
// @iarna/toml took 30-40 ms of a fresh process to parse them: about a fifth
// of `megatest config check`. JSON.parse of the same values takes 0.5 ms.
//
// An entry holds the file's text as well as its values, and is used only
// when the file on disk still reads exactly so: an edited default file, a
// build older than the file, or a missing or unreadable cache fall back to
// the TOML parser, never to stale values. The build also checks each
// default layer and preset as a load does (validateLayer), and an entry it
// checked says where: a load takes that verdict with the values. The
// build's side is buildParsedShipped.ts.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DIST_DIR, PACKAGE_ROOT } from '../paths.js';
import type { Table } from './layers.js';

export const PARSED_SHIPPED_FILE = path.join(DIST_DIR, 'parsed-config.json');
export const PARSED_SHIPPED_FORMAT = 1;

export interface ParsedFile {
  /** The file's text when it was parsed. */
  source: string;
  /** Its values, as JSON text: parsed again for each use, so no two layers share an object. */
  values: string;
  /** Where in the merged tree the build checked the file as a layer (a default layer or a preset) and found nothing wrong; null: not checked. */
  checkedAt: string[] | null;
}

/** A shipped file's values as the build parsed them, and where it checked them (null: nowhere). */
export interface ShippedValues {
  values: Table;
  checkedAt: string[] | null;
}

export interface ParsedShipped {
  format: number;
  /** By path relative to the package's folder, "/"-separated. */
  files: Record<string, ParsedFile>;
}

// Read at the first lookup of a process: the build's file, or the one the last useParsedShippedFrom named.
let cacheFile: string | null = PARSED_SHIPPED_FILE;
let loaded: Map<string, ParsedFile> | null = null;

/** Forgets what was read from `file` (the build has just written it). */
export function forgetParsedShipped(file: string): void {
  if (cacheFile !== null && path.resolve(file) === path.resolve(cacheFile)) loaded = null;
}

/** Reads the cache from `file` from now on (null: none, every file parsed from its TOML); returns the file read until now. */
export function useParsedShippedFrom(file: string | null): string | null {
  const before = cacheFile;
  cacheFile = file;
  loaded = null;
  return before;
}

function entries(): Map<string, ParsedFile> {
  if (loaded !== null) return loaded;
  loaded = new Map();
  if (cacheFile === null) return loaded;
  try {
    const cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as ParsedShipped;
    if (cache.format === PARSED_SHIPPED_FORMAT && typeof cache.files === 'object' && cache.files !== null) {
      for (const [name, entry] of Object.entries(cache.files)) {
        if (typeof entry?.source === 'string' && typeof entry.values === 'string' && isPrefix(entry.checkedAt)) loaded.set(name, entry);
      }
    }
  } catch {
    // No build yet, or a cache cut short: every file is parsed from its TOML, as without one.
  }
  return loaded;
}

function isPrefix(value: unknown): value is string[] | null {
  return value === null || (Array.isArray(value) && value.every((key) => typeof key === 'string'));
}

/** How the cache names a file: its path relative to the package's folder. */
export function keyOf(file: string): string {
  return path.relative(PACKAGE_ROOT, path.resolve(file)).split(path.sep).join('/');
}

/** The values of `file` as parsed at build time, when its text is still `source`; otherwise undefined (parse the TOML). */
export function parsedShipped(file: string, source: string): ShippedValues | undefined {
  const entry = entries().get(keyOf(file));
  if (entry === undefined || entry.source !== source) return undefined;
  try {
    return { values: JSON.parse(entry.values) as Table, checkedAt: entry.checkedAt };
  } catch {
    return undefined;
  }
}
