// Pieces of configuration error messages: how a key and a value are shown,
// the nearest valid key for a misspelt one, and the line a key sits on.

export type KeyPath = readonly (string | number)[];

/**
 * A key as a TOML user reads it: ['limits', 'tokens_per_hour'] ->
 * "[limits].tokens_per_hour"; array elements are counted from 1:
 * ['phases', 3, 'criteria', 0, 'value'] -> "[phases #4.criteria #1].value",
 * ['agents', 'models', 1] -> "[agents].models #2".
 */
export function displayKey(path: KeyPath): string {
  if (path.length === 0) return '(top level)';
  let keyEnd = path.length;
  while (keyEnd > 0 && typeof path[keyEnd - 1] === 'number') keyEnd -= 1;
  const elements = path
    .slice(keyEnd)
    .map((index) => ` #${Number(index) + 1}`)
    .join('');
  if (keyEnd === 0) return elements.trim();
  const key = String(path[keyEnd - 1]);
  const table = path.slice(0, keyEnd - 1);
  return (table.length === 0 ? key : `[${joinTable(table)}].${key}`) + elements;
}

function joinTable(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += ` #${segment + 1}`;
    else out += (out === '' ? '' : '.') + (/^[A-Za-z0-9_-]+$/.test(segment) ? segment : JSON.stringify(segment));
  }
  return out;
}

/** The dotted form kept in ConfigError.key: "phases.3.criteria.0.value". */
export function dottedKey(path: KeyPath): string {
  return path.map(String).join('.');
}

/** A value as it would appear in TOML, shortened to one readable line. */
export function displayValue(value: unknown): string {
  let shown: string;
  if (value === undefined) shown = '(missing)';
  else if (value instanceof Date) shown = value.toISOString();
  else if (typeof value === 'string') shown = JSON.stringify(value);
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') shown = String(value);
  else if (Array.isArray(value)) shown = JSON.stringify(value);
  else if (typeof value === 'object' && value !== null) shown = `table {${Object.keys(value).join(', ')}}`;
  else shown = String(value);
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}

export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = previous[0];
    previous[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = previous[j];
      previous[j] = Math.min(previous[j] + 1, previous[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length];
}

/**
 * The valid key nearest to a misspelt one, or undefined when none is close
 * enough to be a plausible typo (then the caller lists the valid keys).
 * A key that contains, or is contained in, the unknown one counts as close:
 * "tokens_per_hour" -> "tokens_per_hour_per_agent".
 */
export function nearestKey(unknown: string, candidates: readonly string[]): string | undefined {
  const needle = unknown.toLowerCase();
  let best: { key: string; score: number } | undefined;
  for (const candidate of candidates) {
    const hay = candidate.toLowerCase();
    const distance = editDistance(needle, hay);
    const related = hay.includes(needle) || needle.includes(hay);
    const plausible = related || distance <= Math.max(2, Math.floor(Math.max(needle.length, hay.length) * 0.4));
    if (!plausible) continue;
    // Containment wins over a raw edit distance of the same size.
    const score = related ? distance / 2 : distance;
    if (best === undefined || score < best.score) best = { key: candidate, score };
  }
  return best?.key;
}

/**
 * The 1-based line of `path` in a TOML source: the line of its key, or of its
 * table header when the path names a table. Best effort (plain and quoted
 * keys, [tables] and [[arrays of tables]]); undefined when not found.
 */
export function findKeyLine(source: string, keyPath: KeyPath): number | undefined {
  let keyEnd = keyPath.length;
  // An element of an inline array sits on its key's line (or close below it).
  while (keyEnd > 0 && typeof keyPath[keyEnd - 1] === 'number' && !isArrayOfTables(source, keyPath.slice(0, keyEnd - 1))) {
    keyEnd -= 1;
  }
  const path = keyPath.slice(0, keyEnd);
  if (path.length === 0) return undefined;
  const target = path.map(String).join('\u0000');
  const parentTarget = path.slice(0, -1).map(String).join('\u0000');
  const lastKey = String(path[path.length - 1]);
  const arrayCounts = new Map<string, number>();
  let current: string[] = [];
  let inMultiline: string | undefined;

  const lines = source.split(/\r?\n/);
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index];
    if (inMultiline !== undefined) {
      if (countOf(line, inMultiline) % 2 === 1) inMultiline = undefined;
      continue;
    }
    const arrayHeader = /^\s*\[\[\s*([^\]]+?)\s*\]\]/.exec(line);
    const tableHeader = arrayHeader ? null : /^\s*\[\s*([^\]]+?)\s*\]/.exec(line);
    if (arrayHeader || tableHeader) {
      const segments = resolveHeader(splitDotted((arrayHeader ?? tableHeader)![1]), arrayCounts);
      if (arrayHeader) {
        const key = segments.join('\u0000');
        const next = (arrayCounts.get(key) ?? -1) + 1;
        arrayCounts.set(key, next);
        segments.push(String(next));
      }
      current = segments;
      if (current.join('\u0000') === target) return index + 1;
      continue;
    }
    const keyMatch = /^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (keyMatch) {
      const key = unquote(keyMatch[1]);
      if (current.join('\u0000') === parentTarget && key === lastKey) return index + 1;
      for (const quote of ['"""', "'''"]) {
        if (keyMatch[2].startsWith(quote) && countOf(keyMatch[2], quote) % 2 === 1) inMultiline = quote;
      }
    }
  }
  return undefined;
}

function isArrayOfTables(source: string, path: KeyPath): boolean {
  const name = path.filter((segment) => typeof segment === 'string').join('.');
  return name !== '' && new RegExp(`^\\s*\\[\\[\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\]\\]`, 'm').test(source);
}

function countOf(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

function unquote(key: string): string {
  if (key.startsWith('"')) {
    try {
      return JSON.parse(key) as string;
    } catch {
      return key.slice(1, -1);
    }
  }
  if (key.startsWith("'")) return key.slice(1, -1);
  return key;
}

function splitDotted(header: string): string[] {
  const parts: string[] = [];
  const pattern = /\s*("(?:[^"\\]|\\.)*"|'[^']*'|[^.\s]+)\s*(?:\.|$)/g;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(header)) !== null && match[0] !== '') parts.push(unquote(match[1]));
  return parts;
}

/** Puts the current element index after every enclosing array of tables. */
function resolveHeader(segments: string[], arrayCounts: Map<string, number>): string[] {
  const resolved: string[] = [];
  segments.forEach((segment, position) => {
    resolved.push(segment);
    const index = arrayCounts.get(resolved.join('\u0000'));
    if (index !== undefined && position < segments.length - 1) resolved.push(String(index));
  });
  return resolved;
}
