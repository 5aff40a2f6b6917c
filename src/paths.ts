// Where the package's own files are, from src/ (tests), dist/ (tsc's output,
// run by child processes) and dist/bundle/ (the CLI as bin/megatest.js loads
// it) alike: the nearest folder above with a package.json.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`megatest: no package.json above ${start}`);
  }
}

export const PACKAGE_ROOT = packageRoot(path.dirname(fileURLToPath(import.meta.url)));
export const CONFIG_DIR = path.join(PACKAGE_ROOT, 'config');
export const THEMES_DIR = path.join(PACKAGE_ROOT, 'themes');
/** Built JavaScript, for child processes (sim agents, the orchestrator). */
export const DIST_DIR = path.join(PACKAGE_ROOT, 'dist');
export const SHARED_FIXTURES_DIR = path.resolve(PACKAGE_ROOT, '..', 'shared', 'fixtures');
