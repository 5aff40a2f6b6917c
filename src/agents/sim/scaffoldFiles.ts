// The files every sim project has whatever its tasks: package.json, the
// README and the build check.

import { LABEL, simProjectFor, type SimFile } from './projectSpec.js';

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
