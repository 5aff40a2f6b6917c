// The checksum of a checkpoint is taken over a canonical text of its body, so
// that the file itself can be laid out for people (indentation, key order)
// without changing what is hashed, and a parse/stringify round trip hashes
// the same.

import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth and no whitespace; drops what JSON.stringify drops. */
export function canonicalJson(value: unknown): string {
  const text = canonicalPart(value);
  if (text === undefined) throw new TypeError('canonicalJson: the value has no JSON form (undefined, a function or a symbol)');
  return text;
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
    return `[${value.map((item) => canonicalPart(item) ?? 'null').join(',')}]`;
  }
  const parts: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const part = canonicalPart((value as Record<string, unknown>)[key]);
    if (part !== undefined) parts.push(`${JSON.stringify(key)}:${part}`);
  }
  return `{${parts.join(',')}}`;
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
  const items = Array.isArray(value) ? value : Object.values(value);
  return items.every((item) => item === null || typeof item !== 'object');
}
