// A run folder written by a newer megatest: this build reads what it knows
// of it (an event type it does not know is skipped, not damage), and says
// once, in one line, which file and which two versions.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { UnknownTypes } from '../io/logStart.js';
import { countOf } from '../state/groupDigits.js';
import { MEGATEST_VERSION } from '../version.js';

/** -1, 0 or 1 as `a` is older than, the same as, or newer than `b` (major.minor.patch; anything after is ignored). */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => (/^(\d+)\.(\d+)\.(\d+)/.exec(v) ?? [0, 0, 0, 0]).slice(1, 4).map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i += 1) if (x[i]! !== y[i]!) return x[i]! < y[i]! ? -1 : 1;
  return 0;
}

/**
 * The one line for a folder whose config.json (else its session_started) names
 * a megatest newer than this one, or that holds event types this build does
 * not know; null when there is nothing to say. `sessionVersion` is the
 * fold's session_started megatest_version.
 */
export function newerRunNote(command: string, runDir: string, sessionVersion: string | null, unknown: UnknownTypes, current = MEGATEST_VERSION): string | null {
  const configFile = path.join(runDir, 'config.json');
  let written: { file: string; version: string } | null = null;
  try {
    const version = (JSON.parse(readFileSync(configFile, 'utf8')) as { megatest_version?: unknown }).megatest_version;
    if (typeof version === 'string') written = { file: configFile, version };
  } catch {
    // no config.json, or not JSON: the commands that need it say so themselves
  }
  if (written === null && sessionVersion !== null) written = { file: path.join(runDir, 'events.jsonl'), version: sessionVersion };
  const newer = written !== null && compareVersions(written.version, current) > 0;
  const skipped =
    unknown.lines > 0 ? `${countOf(unknown.lines, 'event line')} of ${unknown.lines === 1 ? 'a type' : 'types'} this megatest does not know (${unknown.types.join(', ')}) skipped` : null;
  if (!newer && skipped === null) return null;
  if (newer) return `megatest ${command}: ${written!.file} was written by megatest ${written!.version}, this is ${current}: read as far as this version knows${skipped ? `; ${skipped}` : ''}`;
  return `megatest ${command}: ${path.join(runDir, 'events.jsonl')}: ${skipped} (unknown event types, written by a newer megatest?)`;
}
