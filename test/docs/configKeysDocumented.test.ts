// docs/config-mapping.md and the config schema name the same keys: every key
// a megatest file may set (src/config/schema.ts) is named there, under its
// table (`[limits] max_idle_minutes`, `min_free_disk_gb`), or its whole table
// is (`[sim]`); every key the page names under a table is one the schema
// takes. And every key megatest acts on is in the shipped
// config/mega_test_config.toml, set or described in a comment.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { configFileSchema } from '../../src/config/schema.js';
import { NOT_ACTED_ON_FIELDS } from '../../src/config/notActedOn.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

const read = (file: string) => readFileSync(path.join(PACKAGE_ROOT, file), 'utf8');

/** Tables the page names whole, their keys described in the shipped config and README. */
const WHOLE_TABLES = ['agents', 'projects.<type>', 'sim', 'ui', 'phases.criteria'];

/** The table named whole that holds `table` (itself, or one it is nested in: [[sim.faults]] in [sim]). */
const wholeTableOf = (table: string) => WHOLE_TABLES.find((whole) => table === whole || table.startsWith(`${whole}.`));

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodPipe) current = current.in as z.ZodType;
    else return current;
  }
}

/** Every leaf key of a file: its table's dotted path ([[arrays]] and <type> records included) and its name. */
function schemaKeys(schema: z.ZodType, table: string[] = []): { table: string; key: string }[] {
  const keys: { table: string; key: string }[] = [];
  const object = unwrap(schema);
  if (!(object instanceof z.ZodObject)) return keys;
  for (const [key, value] of Object.entries(object.shape as Record<string, z.ZodType>)) {
    const inner = unwrap(value);
    if (inner instanceof z.ZodObject) keys.push(...schemaKeys(inner, [...table, key]));
    else if (inner instanceof z.ZodArray && unwrap(inner.element as z.ZodType) instanceof z.ZodObject) keys.push(...schemaKeys(inner.element as z.ZodType, [...table, key]));
    else if (inner instanceof z.ZodRecord) keys.push(...schemaKeys(inner.valueType as z.ZodType, [...table, key, '<type>']));
    else keys.push({ table: table.join('.'), key });
  }
  return keys;
}

/** The keys the page names: `[table] key`, then `, `other`` and `and `other``, with lines joined. */
function documentedKeys(markdown: string): { tables: Set<string>; keys: Set<string> } {
  const text = markdown.replace(/\s+/g, ' ');
  const tables = new Set<string>();
  const keys = new Set<string>();
  for (const match of text.matchAll(/`\[\[?([a-z_.<>]+)\]\]?( [a-z_]+)?`((?:(?:,| and) `[a-z_]+`)*)/g)) {
    tables.add(match[1]!);
    if (match[2] === undefined) continue;
    for (const key of [match[2].trim(), ...[...match[3]!.matchAll(/`([a-z_]+)`/g)].map((name) => name[1]!)]) keys.add(`${match[1]}.${key}`);
  }
  return { tables, keys };
}

describe('docs/config-mapping.md names the keys src/config/schema.ts takes', () => {
  const all = schemaKeys(configFileSchema);
  const { tables, keys } = documentedKeys(read('docs/config-mapping.md'));

  it('finds the schema\'s keys (the walk reaches nested tables, arrays and records)', () => {
    expect(all).toContainEqual({ table: 'monitoring', key: 'log_rotate_keep' });
    expect(all).toContainEqual({ table: 'error_handling.rules', key: 'class' });
    expect(all).toContainEqual({ table: 'notifications.email', key: 'smtp_server' });
    expect(all).toContainEqual({ table: 'projects.<type>', key: 'test_command' });
  });

  it('every key is named under its table, or its table whole', () => {
    const missing = all
      .filter(({ table, key }) => {
        const whole = wholeTableOf(table);
        return whole !== undefined ? !tables.has(whole) : !keys.has(`${table}.${key}`);
      })
      .map(({ table, key }) => `[${table}] ${key}`);
    expect(missing).toEqual([]);
  });

  it('every key it names under a table is one the schema takes', () => {
    const known = new Set(all.map(({ table, key }) => `${table}.${key}`));
    expect([...keys].filter((key) => !known.has(key))).toEqual([]);
    const knownTables = new Set(all.flatMap(({ table }) => table.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.'))));
    expect([...tables].filter((table) => !knownTables.has(table))).toEqual([]);
  });

  it('every key megatest acts on is in the shipped config (set, or shown in a comment)', () => {
    const shipped = read('config/mega_test_config.toml');
    const notActedOn = new Set(Object.values(NOT_ACTED_ON_FIELDS).flatMap((fields) => Object.keys(fields)));
    const missing = all
      .filter(({ table, key }) => !table.startsWith('projects') && !table.startsWith('notifications.email') && !notActedOn.has(key))
      .filter(({ key }) => !new RegExp(`^#? *(\\{ *)?${key} *=|^# +${key} `, 'm').test(shipped) && !new RegExp(`[{,] *${key} *=`).test(shipped))
      .map(({ table, key }) => `[${table}] ${key}`);
    expect(missing).toEqual([]);
  });
});
