// What the sim writes into project/: a real small JavaScript project for the
// session's template. Each task maps, by a hash of its name, to one of the
// template's components (a module and its tests); once every component is
// written, further tasks add generated feature modules, so more tasks means
// more code. Some components are first written with a planted defect that a
// task of a later phase finds and fixes. Content depends only on seed,
// template and task; which file a task writes also depends on what is
// already in project/ (like a real swarm, it builds on the work so far).

import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../../io/atomic.js';
import { hashString, Random } from './random.js';
import type { SimComponent } from './templates/component.js';
import { DATABASE_PROJECT } from './templates/database.js';
import { MICROSERVICES_PROJECT } from './templates/microservices.js';
import { TASK_QUEUE_PROJECT } from './templates/taskQueue.js';

export interface SimProjectSpec {
  name: string;
  packageName: string;
  description: string;
  components: SimComponent[];
  vocabulary: string[];
}

export const SIM_TEMPLATES: Record<string, SimProjectSpec> = {
  task_queue: TASK_QUEUE_PROJECT,
  database: DATABASE_PROJECT,
  microservices: MICROSERVICES_PROJECT,
};

export function simProjectFor(template: string): SimProjectSpec {
  const spec = SIM_TEMPLATES[template];
  if (!spec) {
    throw new Error(`sim: unknown project template "${template}"; the sim can write ${Object.keys(SIM_TEMPLATES).join(', ')}`);
  }
  return spec;
}

/**
 * How a phase shapes the work: `build` phases write new code (and may plant
 * defects), `test` and `fix` phases first repair defects from earlier phases.
 */
export type PhaseKind = 'build' | 'test' | 'fix';

export function phaseKind(phase: string): PhaseKind {
  const name = phase.toLowerCase();
  if (/refin|polish|fix|harden|optimi|review|final|cleanup/.test(name)) return 'fix';
  if (/test|qa|verif|valid/.test(name)) return 'test';
  return 'build';
}

export interface SimFile {
  /** Relative to the project folder, with forward slashes. */
  path: string;
  content: string;
}

export interface TaskWork {
  files: SimFile[];
  /** Components whose planted defect this task repaired. */
  fixed: string[];
  /** The component this task wrote, or undefined when it wrote a feature module. */
  component?: string;
  /** Whether the component went out with a planted defect. */
  defective: boolean;
  /** The feature module written once all components existed. */
  feature?: string;
}

const LABEL = 'Written by the megatest sim agent (a simulation, not a real model)';
const DEFECT_MARK = '// sim-defect: ';
const TASK_MARK = ' for task: ';
const COMPONENT_MARK = '// sim-component: ';

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}

/** Components that are planted with a defect when a build phase writes them: a third of them, chosen by seed. */
export function defectiveComponents(template: string, seed: number): Set<string> {
  const spec = simProjectFor(template);
  const random = Random.from('defects', template, seed);
  const ids = spec.components.map((c) => c.id);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  return new Set(ids.slice(0, Math.max(1, Math.ceil(ids.length / 3))));
}

/** The module and test of one component, exactly as the sim writes them. */
export function renderComponent(
  template: string,
  component: SimComponent,
  task: string,
  defect: { phase: string } | undefined,
): SimFile[] {
  const spec = simProjectFor(template);
  let source = component.module;
  const header = [
    `// ${spec.name} — ${component.id}: ${component.title}.`,
    `// ${LABEL}${TASK_MARK}${oneLine(task)}`,
    `${COMPONENT_MARK}${component.id}`,
  ];
  if (defect) {
    if (source.split(component.bug.find).length !== 2) {
      throw new Error(`sim: defect of ${template}/${component.id} does not match its source exactly once`);
    }
    source = source.replace(component.bug.find, () => component.bug.replace);
    header.push(`${DEFECT_MARK}${component.bug.note} (planted in phase ${oneLine(defect.phase)}; a later task fixes it)`);
  }
  const testHeader = `// Tests for ${component.id}. ${LABEL}${TASK_MARK}${oneLine(task)}\n`;
  return [
    { path: `src/${component.id}.js`, content: header.join('\n') + '\n\n' + source },
    { path: `test/${component.id}.test.js`, content: testHeader + component.test },
  ];
}

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

/** package.json, README and the build check, the same for every task. */
export function renderScaffold(template: string): SimFile[] {
  const spec = simProjectFor(template);
  const packageJson = {
    name: spec.packageName,
    version: '0.1.0',
    private: true,
    type: 'module',
    description: `${spec.description} ${LABEL}.`,
    scripts: {
      build: 'node scripts/build.mjs',
      test: 'node --test test/*.test.js',
    },
  };
  const readme = [
    `# ${spec.name}`,
    '',
    spec.description,
    '',
    `> ${LABEL}: the megatest sim swarm writes this project so that every part`,
    '> of megatest can be exercised without a model. Components:',
    '',
    ...spec.components.map((c) => `- \`src/${c.id}.js\` — ${c.title}`),
    '',
    'Build check: `node scripts/build.mjs`. Tests: `node --test test/*.test.js`.',
    '',
  ].join('\n');
  const build = String.raw`// Build check. ${LABEL}.
// Imports every module under src/, so a syntax or import error fails the build.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');

function modules(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => !entry.name.startsWith('.'))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) return modules(full);
      return entry.name.endsWith('.js') ? [full] : [];
    });
}

let failed = 0;
const files = modules(join(root, 'src'));
for (const file of files) {
  try {
    await import(pathToFileURL(file).href);
    console.log('ok   ' + relative(root, file));
  } catch (error) {
    failed++;
    console.error('FAIL ' + relative(root, file) + ': ' + (error && error.message));
  }
}
console.log('build: ' + (files.length - failed) + ' of ' + files.length + ' modules load');
process.exitCode = failed === 0 ? 0 : 1;
`;
  return [
    { path: 'package.json', content: JSON.stringify(packageJson, null, 2) + '\n' },
    { path: 'README.md', content: readme },
    { path: 'scripts/build.mjs', content: build },
  ];
}

interface WrittenModule {
  task: string;
  defectPhase?: string;
}

function readModuleHeader(file: string): WrittenModule | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const head = text.slice(0, 2000).split('\n', 6);
  const taskLine = head.find((line) => line.includes(TASK_MARK));
  const task = taskLine ? taskLine.slice(taskLine.indexOf(TASK_MARK) + TASK_MARK.length) : '';
  const defectLine = head.find((line) => line.startsWith(DEFECT_MARK));
  const defectPhase = defectLine?.match(/planted in phase (.*); a later task fixes it\)$/)?.[1];
  return { task, defectPhase };
}

function words(text: string): Set<string> {
  const split = text.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/);
  return new Set(split.filter((word) => word.length > 2).map((word) => word.replace(/s$/, '')));
}

/**
 * Components in the order a task tries them: those sharing words with the
 * task first (a task "RESP parser" goes to resp), then from a slot picked by
 * a hash of the task's name, wrapping round.
 */
function candidateOrder(spec: SimProjectSpec, template: string, task: string): SimComponent[] {
  const taskWords = words(task);
  const count = spec.components.length;
  const start = hashString(`${template}\u0000${task}`) % count;
  const ranked = spec.components.map((component, index) => {
    let overlap = 0;
    for (const word of words(`${component.id} ${component.title}`)) if (taskWords.has(word)) overlap++;
    return { component, overlap, probe: (index - start + count) % count };
  });
  ranked.sort((a, b) => b.overlap - a.overlap || a.probe - b.probe);
  return ranked.map((entry) => entry.component);
}

/**
 * Decides what one task writes, given what project/ already holds: repairs
 * of defects planted in earlier phases, then the task's own component or
 * feature module, plus the scaffold and any component it imports.
 */
export function planTask(projectDir: string, template: string, seed: number, task: string, phase: string): TaskWork {
  const spec = simProjectFor(template);
  const kind = phaseKind(phase);
  const files: SimFile[] = [];
  const fixed: string[] = [];
  const byId = new Map(spec.components.map((c) => [c.id, c]));

  for (const component of spec.components) {
    const written = readModuleHeader(path.join(projectDir, 'src', `${component.id}.js`));
    if (!written?.defectPhase) continue;
    if (kind === 'build' && written.defectPhase === oneLine(phase)) continue;
    files.push(...renderComponent(template, component, written.task || task, undefined));
    fixed.push(component.id);
  }

  for (const file of renderScaffold(template)) {
    if (!existsSync(path.join(projectDir, file.path))) files.push(file);
  }

  let chosen: SimComponent | undefined;
  for (const candidate of candidateOrder(spec, template, task)) {
    if (chosen) break;
    if (fixed.includes(candidate.id)) continue;
    const written = readModuleHeader(path.join(projectDir, 'src', `${candidate.id}.js`));
    if (!written || written.task === oneLine(task)) chosen = candidate;
  }

  if (!chosen) {
    files.push(...renderFeature(template, seed, task));
    return { files, fixed, defective: false, feature: taskSlug(task) };
  }
  for (const id of chosen.requires) {
    const dependency = byId.get(id)!;
    if (!existsSync(path.join(projectDir, 'src', `${id}.js`)) && !fixed.includes(id)) {
      files.push(...renderComponent(template, dependency, task, undefined));
    }
  }
  const defective = kind === 'build' && defectiveComponents(template, seed).has(chosen.id);
  files.push(...renderComponent(template, chosen, task, defective ? { phase } : undefined));
  return { files, fixed, component: chosen.id, defective };
}

/** Writes the files atomically: the orchestrator measures project/ while agents write it. */
export function writeWork(projectDir: string, files: SimFile[]): void {
  for (const file of files) {
    const target = path.join(projectDir, ...file.path.split('/'));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileAtomicSync(target, file.content);
  }
}

/** Every file under a folder with its content, for comparisons (skips dot files). */
export function snapshotProject(projectDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), rel);
      else out[rel] = readFileSync(path.join(dir, entry.name), 'utf8');
    }
  };
  if (existsSync(projectDir)) walk(projectDir, '');
  return out;
}
