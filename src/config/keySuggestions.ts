// What to write instead of an unknown key: the name megatest gives it now
// (a key renamed since earlier files), the table it belongs to (a key set in
// the wrong table), or the nearest key (a misspelling), always with its
// section: "[session] agent_count".

import * as z from 'zod';
import { KEY_RENAMES, PHASE_WEIGHT_RENAME } from './fileForm.js';
import { editDistance, nearestKey, type KeyPath } from './messages.js';
import { tableLabel } from './notActedOn.js';
import { configFileSchema } from './schema.js';
import { tableKeysAt } from './schemaPaths.js';

/** A key path with every array element written '*': ['phases', '*', 'criteria']. */
type Shape = readonly string[];

function shapeOf(path: KeyPath): Shape {
  return path.map((segment) => (typeof segment === 'number' ? '*' : segment));
}

/** "[session] agent_count", "[[phases]] duration_minutes", or "[session]" for a table at the top. */
export function sectionKey(shape: Shape): string {
  if (shape.length === 1) return `[${shape[0]}]`;
  return `${tableLabel(shape.slice(0, -1))} ${shape[shape.length - 1]}`;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
  return current;
}

/** Every key of the file form (project templates, keyed by their type, left out). */
function collectKeys(schema: z.ZodType, path: string[], out: string[][]): string[][] {
  const current = unwrap(schema);
  if (current instanceof z.ZodObject) {
    for (const [key, value] of Object.entries(current.shape as Record<string, z.ZodType>)) {
      out.push([...path, key]);
      collectKeys(value, [...path, key], out);
    }
  } else if (current instanceof z.ZodArray) {
    collectKeys(current.element as z.ZodType, [...path, '*'], out);
  }
  return out;
}

let everyKey: string[][] | undefined;
function allKeys(): string[][] {
  everyKey ??= collectKeys(configFileSchema, [], []);
  return everyKey;
}

/** Earlier names (MegatestConfig's, fileForm.ts) and where they are written now. */
function renamedKeys(): { from: Shape; to: Shape }[] {
  return [
    ...KEY_RENAMES.map((rename) => ({ from: rename.internal, to: rename.file })),
    { from: ['phases', '*', PHASE_WEIGHT_RENAME.internal], to: ['phases', '*', PHASE_WEIGHT_RENAME.file] },
  ];
}

const same = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((segment, index) => segment === b[index]);

/** The hint after "unknown key … in FILE (line N); ". */
export function unknownKeyHint(tablePath: KeyPath, key: string): string {
  const table = shapeOf(tablePath);
  const here = tableKeysAt(configFileSchema, tablePath);
  const renames = renamedKeys().filter((rename) => rename.from[rename.from.length - 1] === key);
  const migrate = ' (megatest config migrate FILE rewrites a whole file)';

  const renamedHere = renames.find((rename) => same(rename.from.slice(0, -1), table));
  if (renamedHere) return `megatest names it ${sectionKey(renamedHere.to)} now${migrate}`;

  const elsewhere = allKeys().filter((path) => path[path.length - 1] === key && !same(path.slice(0, -1), table));
  if (elsewhere.length > 0) {
    const tables = [...new Set(elsewhere.map((path) => (path.length === 1 ? 'the top level' : tableLabel(path.slice(0, -1)))))];
    return `it belongs in ${tables.join(' or ')}: ${elsewhere.map(sectionKey).join(', ')}`;
  }

  const near = nearestKey(key, here);
  if (near !== undefined) return `did you mean ${sectionKey([...table, near])}?`;

  if (renames.length > 0) return `megatest names it ${sectionKey(renames[0]!.to)} now${migrate}`;

  // Anywhere else, only a close misspelling: a loose match across every table would mislead.
  const close = allKeys()
    .map((path) => ({ path, distance: editDistance(key.toLowerCase(), path[path.length - 1]!.toLowerCase()) }))
    .filter(({ distance }) => distance <= Math.max(1, Math.floor(key.length * 0.2)))
    .sort((a, b) => a.distance - b.distance)[0];
  if (close) return `did you mean ${sectionKey(close.path)}?`;

  return `valid keys: ${here.join(', ')}`;
}
