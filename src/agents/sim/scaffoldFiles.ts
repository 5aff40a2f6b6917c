// The files every sim project has whatever its tasks: package.json, the
// README, the build check and the test entry.

import { LABEL, simProjectFor, type SimFile } from './projectSpec.js';

/**
 * The one test process: it imports every test/*.test.js, so a run starts
 * Node once rather than once per file (under load a process start costs a
 * second, and the phase gates run the tests). A file that fails to load is
 * reported as a failing test of its own, not as a crash of the whole run.
 */
export const SIM_TEST_ENTRY = 'test/index.mjs';

const TEST_ENTRY_SOURCE = `// Test entry. ${LABEL}.
// Runs every test/*.test.js in this one process.
import { readdirSync } from 'node:fs';
import test from 'node:test';

const here = new URL('.', import.meta.url);
for (const name of readdirSync(here).filter((n) => n.endsWith('.test.js')).sort()) {
  try {
    await import(new URL(name, here).href);
  } catch (error) {
    test('test/' + name + ' loads', () => {
      throw error;
    });
  }
}
`;

/** package.json, README, the build check and the test entry, the same for every task. */
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
      test: `node --test ${SIM_TEST_ENTRY}`,
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
    `Build check: \`node scripts/build.mjs\`. Tests: \`node --test ${SIM_TEST_ENTRY}\` (every test/*.test.js in one process).`,
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
    { path: SIM_TEST_ENTRY, content: TEST_ENTRY_SOURCE },
  ];
}
