// Reading the original runners' JSON files, which were written in place
// (never atomically) and often broken: empty after a kill, torn mid-write,
// or hand-made by a shell heredoc with a count printed as two lines
// (`"checkpoints_created": 0` then `0`, from `$(… | wc -l || echo 0)`).
// What can be read is read; every problem becomes a ReplayDamage, never an
// exception.

import { jsonProblem } from '../io/jsonProblem.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ReplayDamage } from '../replay/types.js';
import { countOf } from '../state/groupDigits.js';

export type JsonObject = Record<string, unknown>;

export interface LegacyJson {
  /** The file's fields (null when nothing could be read or the file is missing). */
  value: JsonObject | null;
  /** The file exists (even empty). */
  exists: boolean;
  bytes: number;
  /** Every field was read (the file parsed, perhaps after mending a two-line count); false when empty, torn or missing. */
  whole: boolean;
}

/** A value written as two lines `N` `M` where one number belongs: keep the first. */
const TWO_LINE_NUMBER = /(:[ \t]*)(-?\d+(?:\.\d+)?)[ \t]*\r?\n[ \t]*-?\d+(?:\.\d+)?([ \t]*\r?\n?[ \t]*[,}])/g;
/** One `"key": scalar` pair, for salvaging a torn file. */
const PAIR = /"([A-Za-z_][A-Za-z0-9_]*)"\s*:\s*("(?:[^"\\\n]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)\s*(?=[,}\n\r]|$)/g;

export function relativeName(runDir: string, file: string): string {
  return path.relative(runDir, file).split(path.sep).join('/');
}

function salvagePairs(text: string): JsonObject {
  const found: JsonObject = {};
  for (const match of text.matchAll(PAIR)) {
    const [, key, raw] = match;
    if (key === undefined || raw === undefined || key in found) continue;
    try {
      found[key] = JSON.parse(raw);
    } catch {
      // a string with an escape JSON does not know: leave the field out
    }
  }
  return found;
}

/**
 * Reads one JSON object file. `file` is absolute; damage names it relative
 * to runDir. Nested objects of a salvaged (torn) file come back flattened:
 * each reader looks for its fields at the top and under its known parent.
 */
export function readLegacyJson(runDir: string, file: string, damage: ReplayDamage[]): LegacyJson {
  const name = relativeName(runDir, file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') damage.push({ file: name, problem: `cannot read (${code ?? String(error)})` });
    return { value: null, exists: code !== 'ENOENT', bytes: 0, whole: false };
  }
  const bytes = Buffer.byteLength(text);
  if (text.trim() === '') {
    damage.push({ file: name, problem: bytes === 0 ? 'empty (0 bytes): killed while it was being written' : 'blank: no fields' });
    return { value: null, exists: true, bytes, whole: false };
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return { value: parsed as JsonObject, exists: true, bytes, whole: true };
    damage.push({ file: name, problem: 'not a JSON object' });
    return { value: null, exists: true, bytes, whole: false };
  } catch (error) {
    const repaired = text.replace(TWO_LINE_NUMBER, '$1$2$3');
    if (repaired !== text) {
      try {
        const parsed: unknown = JSON.parse(repaired);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
          const keys = [...text.matchAll(/"([A-Za-z_][A-Za-z0-9_]*)"[ \t]*:[ \t]*-?\d+(?:\.\d+)?[ \t]*\r?\n[ \t]*-?\d/g)].map((m) => m[1]);
          damage.push({ file: name, problem: `${keys.join(', ') || 'a count'} written as two lines (not valid JSON); the first number is read`, recovered: true });
          return { value: parsed as JsonObject, exists: true, bytes, whole: true };
        }
      } catch {
        // still broken: salvage below
      }
    }
    const found = salvagePairs(repaired);
    const count = Object.keys(found).length;
    damage.push({
      file: name,
      // jsonProblem names the character V8 quotes: its message put the file's raw bytes (NUL, binary) into the report.
      problem: `not valid JSON (${jsonProblem(error)}); ${count === 0 ? 'nothing could be read' : `${countOf(count, 'field')} read from what is there`}`,
    });
    return { value: count === 0 ? null : found, exists: true, bytes, whole: false };
  }
}

/** The field under `parent` if the file has that object, else at the top (a salvaged file is flat). */
export function fieldOf(value: JsonObject | null, key: string, parent?: string): unknown {
  if (value === null) return undefined;
  if (parent !== undefined) {
    const nested = value[parent];
    if (typeof nested === 'object' && nested !== null && !Array.isArray(nested) && key in nested) return (nested as JsonObject)[key];
  }
  return value[key];
}

/**
 * A figure the file gives: a finite number >= 0, or null when the field is
 * absent. A field of the wrong type is damage and reads as absent.
 */
export function figure(value: JsonObject | null, key: string, damage: ReplayDamage[], file: string, parent?: string): number | null {
  const raw = fieldOf(value, key, parent);
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0) return raw;
  damage.push({ file, problem: `${parent ? `${parent}.` : ''}${key} is ${JSON.stringify(raw)}; expected a number >= 0 (left out)` });
  return null;
}

export function text(value: JsonObject | null, key: string, parent?: string): string | null {
  const raw = fieldOf(value, key, parent);
  return typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : null;
}
