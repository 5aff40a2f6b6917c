// Where the package's own files are, from src/ (tests) and dist/ (built) alike:
// both folders sit one level below the package root.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CONFIG_DIR = path.join(PACKAGE_ROOT, 'config');
export const THEMES_DIR = path.join(PACKAGE_ROOT, 'themes');
/** Built JavaScript, for child processes (sim agents, the orchestrator). */
export const DIST_DIR = path.join(PACKAGE_ROOT, 'dist');
export const SHARED_FIXTURES_DIR = path.resolve(PACKAGE_ROOT, '..', 'shared', 'fixtures');
