// The checksum of a checkpoint is taken over a canonical text of its body, so
// that the file itself can be laid out for people (indentation, key order)
// without changing what is hashed, and a parse/stringify round trip hashes
// the same.

import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth and no whitespace; drops what JSON.stringify drops. */
export function canonicalJson(value: unknown): string {
  // Fast: a copy whose objects hold their keys in sorted order, through the
  // native JSON.stringify (a manifest of 50,000 entries in a fraction of the
  // time). It keeps key order only for keys that are not array indexes
  // ("0", "17"), which JSON.stringify puts first: with such keys, the slow way.
  const sorted = sortedCopy(value);
  const text = sorted === HAS_INDEX_KEYS ? canonicalPart(value) : JSON.stringify(sorted);
  if (text === undefined) throw new TypeError('canonicalJson: the value has no JSON form (undefined, a function or a symbol)');
  return text;
}

const HAS_INDEX_KEYS: unique symbol = Symbol('an object with array-index keys');
const INDEX_KEY = /^(?:0|[1-9]\d{0,9})$/;

/** value as JSON sees it, objects rebuilt with sorted keys (null prototypes, so "__proto__" stays a key); HAS_INDEX_KEYS when some object has a key like "0". */
function sortedCopy(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  if (typeof value === 'bigint') throw new TypeError('canonicalJson: a bigint has no JSON form');
  if (value === null || typeof value !== 'object') return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array<unknown>(value.length);
    for (let index = 0; index < value.length; index += 1) {
      const item = sortedCopy(value[index]);
      if (item === HAS_INDEX_KEYS) return HAS_INDEX_KEYS;
      copy[index] = item === undefined ? null : item;
    }
    return copy;
  }
  const keys = Object.keys(value).sort();
  const copy = Object.create(null) as Record<string, unknown>;
  for (const key of keys) {
    if (INDEX_KEY.test(key) && Number(key) < 4294967295) return HAS_INDEX_KEYS;
    const item = sortedCopy((value as Record<string, unknown>)[key]);
    if (item === HAS_INDEX_KEYS) return HAS_INDEX_KEYS;
    if (item !== undefined) copy[key] = item;
  }
  return copy;
}

function canonicalPart(value: unknown): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'bigint') throw new TypeError('canonicalJson: a bigint has no JSON form');
  if (typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    let text = '[';
    for (let index = 0; index < value.length; index += 1) text += `${index === 0 ? '' : ','}${canonicalPart(value[index]) ?? 'null'}`;
    return `${text}]`;
  }
  const shape = shapeOf(Object.keys(value));
  let text = '{';
  let first = true;
  for (let index = 0; index < shape.keys.length; index += 1) {
    const part = canonicalPart((value as Record<string, unknown>)[shape.keys[index]!]);
    if (part === undefined) continue;
    text += `${first ? '' : ','}${shape.prefixes[index]}${part}`;
    first = false;
  }
  return `${text}}`;
}

/** The sorted keys of an object and their `"key":` texts. */
interface Shape {
  keys: string[];
  prefixes: string[];
}

/**
 * Shapes by key list: a manifest is thousands of objects with the same few
 * keys, and sorting and quoting them once instead of once per object makes
 * the checksum several times cheaper.
 */
const shapes = new Map<string, Shape>();
const SHAPES_KEPT = 1024;

function shapeOf(keys: string[]): Shape {
  const signature = JSON.stringify(keys);
  let shape = shapes.get(signature);
  if (shape === undefined) {
    const sorted = [...keys].sort();
    shape = { keys: sorted, prefixes: sorted.map((key) => `${JSON.stringify(key)}:`) };
    if (shapes.size < SHAPES_KEPT) shapes.set(signature, shape);
  }
  return shape;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Indented JSON where an object or array holding only primitives stays on one
 * line: a manifest of thousands of entries reads one entry a line and takes a
 * third of the room that JSON.stringify(value, null, 2) would.
 */
export function renderReadableJson(value: unknown, indent = ''): string {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every(isFlat)) {
      if (value.every((item) => item === null || typeof item !== 'object')) return JSON.stringify(value);
      return `[\n${value.map((item) => inner + (JSON.stringify(item) ?? 'null')).join(',\n')}\n${indent}]`;
    }
    return `[\n${value.map((item) => inner + renderReadableJson(item, inner)).join(',\n')}\n${indent}]`;
  }
  const fields = Object.entries(value).filter(([, field]) => field !== undefined && typeof field !== 'function' && typeof field !== 'symbol');
  if (fields.length === 0) return '{}';
  if (isFlat(value)) return JSON.stringify(value);
  return `{\n${fields.map(([key, field]) => `${inner}${JSON.stringify(key)}: ${renderReadableJson(field, inner)}`).join(',\n')}\n${indent}}`;
}

function isFlat(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  if (Array.isArray(value)) {
    for (const item of value) if (item !== null && typeof item === 'object') return false;
    return true;
  }
  // No array of the values made: a manifest asks this of every one of its entries.
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item = (value as Record<string, unknown>)[key];
    if (item !== null && typeof item === 'object') return false;
  }
  return true;
}
