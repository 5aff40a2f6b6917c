// The generated feature modules (a settings module and its tests) that
// tasks write once every component of the template exists, so more tasks
// still means more code.

import { hashString, Random } from './random.js';
import { LABEL, oneLine, simProjectFor, TASK_MARK, type SimFile } from './projectSpec.js';

/** A file-name-safe name for a task's feature module: its leading words and a hash of it. */
export function taskSlug(task: string): string {
  const slug = task
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  // The hash keeps two tasks with the same leading words apart.
  return `${slug || 'task'}-${(hashString(task) % 0xffff).toString(16).padStart(4, '0')}`;
}

function camel(words: string[]): string {
  return words.map((word, i) => (i === 0 ? word : word[0].toUpperCase() + word.slice(1))).join('');
}

interface FeatureField {
  name: string;
  kind: 'int' | 'enum' | 'bool';
  min?: number;
  max?: number;
  values?: string[];
  default: number | string | boolean;
}

/** A generated settings module for a task that found every component written. */
export function renderFeature(template: string, seed: number, task: string): SimFile[] {
  const spec = simProjectFor(template);
  const random = Random.from('feature', template, seed, task);
  const slug = taskSlug(task);
  const suffixes = ['limit', 'timeout', 'mode', 'enabled', 'size', 'interval', 'policy', 'retries'];
  const fieldCount = random.int(3, 6);
  const fields: FeatureField[] = [];
  const used = new Set<string>();
  while (fields.length < fieldCount) {
    const suffix = random.pick(suffixes);
    const name = camel([random.pick(spec.vocabulary), suffix]);
    if (used.has(name)) continue;
    used.add(name);
    if (suffix === 'enabled') {
      fields.push({ name, kind: 'bool', default: random.chance(0.5) });
    } else if (suffix === 'mode' || suffix === 'policy') {
      const values = [...new Set([random.pick(['fast', 'strict', 'lazy']), random.pick(['safe', 'eager', 'batch']), 'off'])];
      fields.push({ name, kind: 'enum', values, default: values[0] });
    } else {
      const min = random.int(0, 10);
      const max = min + random.int(5, 1000);
      fields.push({ name, kind: 'int', min, max, default: random.int(min, max) });
    }
  }
  const title = oneLine(task).replace(/\*\//g, '* /');
  const literal = (value: unknown): string =>
    Array.isArray(value) ? `[${value.map(literal).join(', ')}]` : typeof value === 'string' ? `'${value}'` : String(value);
  const fieldLines = fields.map(
    (f) => `  { ${Object.entries(f).map(([key, value]) => `${key}: ${literal(value)}`).join(', ')} },`,
  );
  const setters = fields.flatMap((f) => {
    const setter = camel(['with', f.name[0].toUpperCase() + f.name.slice(1)]);
    return [
      '',
      `/**`,
      ` * Returns a copy of settings with ${f.name} set (normalized).`,
      ` * @param {Record<string, unknown>} settings`,
      ` * @param {${f.kind === 'int' ? 'number' : f.kind === 'bool' ? 'boolean' : 'string'}} value`,
      ` */`,
      `export function ${setter}(settings, value) {`,
      `  return normalize({ ...settings, ${f.name}: value });`,
      `}`,
    ];
  });
  const module = [
    `// ${spec.name} — settings for "${title}".`,
    `// ${LABEL}${TASK_MARK}${oneLine(task)}`,
    '',
    '/** The settings this feature takes, with their ranges and defaults. */',
    'export const FIELDS = [',
    ...fieldLines,
    '];',
    '',
    '/** Every setting at its default. */',
    'export const DEFAULTS = Object.freeze(Object.fromEntries(FIELDS.map((f) => [f.name, f.default])));',
    '',
    '/**',
    ' * Checks a settings object.',
    ' * @param {Record<string, unknown>} settings',
    ' * @returns {string[]} the problems found, empty when valid',
    ' */',
    'export function validate(settings) {',
    '  const problems = [];',
    '  for (const key of Object.keys(settings)) {',
    "    if (!FIELDS.some((f) => f.name === key)) problems.push('unknown setting ' + key);",
    '  }',
    '  for (const field of FIELDS) {',
    '    const value = settings[field.name];',
    '    if (value === undefined) continue;',
    "    if (field.kind === 'int' && (!Number.isInteger(value) || value < field.min || value > field.max)) {",
    "      problems.push(field.name + ' must be an integer from ' + field.min + ' to ' + field.max);",
    "    } else if (field.kind === 'bool' && typeof value !== 'boolean') {",
    "      problems.push(field.name + ' must be true or false');",
    "    } else if (field.kind === 'enum' && !field.values.includes(value)) {",
    "      problems.push(field.name + ' must be one of ' + field.values.join(', '));",
    '    }',
    '  }',
    '  return problems;',
    '}',
    '',
    '/**',
    ' * Fills in defaults, clamps integers into range and drops unknown keys.',
    ' * @param {Record<string, unknown>} settings',
    ' */',
    'export function normalize(settings) {',
    '  const out = {};',
    '  for (const field of FIELDS) {',
    '    let value = settings[field.name] ?? field.default;',
    "    if (field.kind === 'int') value = Math.min(field.max, Math.max(field.min, Math.round(Number(value)) || field.min));",
    "    if (field.kind === 'bool') value = value === true;",
    "    if (field.kind === 'enum' && !field.values.includes(value)) value = field.default;",
    '    out[field.name] = value;',
    '  }',
    '  return out;',
    '}',
    ...setters,
    '',
  ].join('\n');

  const checks = fields.flatMap((f) => {
    if (f.kind === 'int') {
      return [
        `  assert.equal(validate({ ${f.name}: ${f.max! + 1} }).length, 1);`,
        `  assert.equal(normalize({ ${f.name}: ${f.max! + 50} }).${f.name}, ${f.max});`,
        `  assert.equal(normalize({ ${f.name}: ${f.min! - 1} }).${f.name}, ${f.min});`,
      ];
    }
    if (f.kind === 'bool') return [`  assert.deepEqual(validate({ ${f.name}: 'yes' }), ['${f.name} must be true or false']);`];
    return [
      `  assert.equal(validate({ ${f.name}: 'bogus' }).length, 1);`,
      `  assert.equal(normalize({ ${f.name}: 'bogus' }).${f.name}, ${JSON.stringify(f.default)});`,
    ];
  });
  const test = [
    `// Tests for the "${title}" settings. ${LABEL}${TASK_MARK}${oneLine(task)}`,
    "import test from 'node:test';",
    "import assert from 'node:assert/strict';",
    `import { DEFAULTS, FIELDS, normalize, validate } from '../src/features/${slug}.js';`,
    '',
    "test('defaults are valid and normalize to themselves', () => {",
    '  assert.deepEqual(validate(DEFAULTS), []);',
    '  assert.deepEqual(normalize({}), { ...DEFAULTS });',
    `  assert.equal(FIELDS.length, ${fields.length});`,
    "  assert.deepEqual(validate({ nonsense: 1 }), ['unknown setting nonsense']);",
    '});',
    '',
    "test('out-of-range and wrong-typed settings are caught', () => {",
    ...checks,
    '});',
    '',
  ].join('\n');
  return [
    { path: `src/features/${slug}.js`, content: module },
    { path: `test/feature-${slug}.test.js`, content: test },
  ];
}
