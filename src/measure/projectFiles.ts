// Which files of a project are its own source, and reading many of them at
// once while agents keep changing the tree.

import { promises as fs, type Dirent } from 'node:fs';
import path from 'node:path';

/** Folders that hold generated, vendored or tool-owned files, never the project's own code. */
export const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set([
  '.git',
  '.hg',
  '.svn',
  'node_modules',
  'build',
  'vendor',
  'target',
  'dist',
  'coverage',
  // Python's virtual environments and tool caches: an agent's `python -m venv .venv` in project/ held
  // thousands of library files that counted as the project's lines of code and undocumented API.
  '.venv',
  'venv',
  '.tox',
  '.nox',
  '__pycache__',
  '.pytest_cache',
  '.mypy_cache',
  '.ruff_cache',
  '.eggs',
  'htmlcov',
  // Other tools' output and caches: Next.js, Nuxt and SvelteKit builds, Turborepo, Parcel, Gradle, Bower, pnpm's
  // store, and Yarn's folder (its releases/yarn-4.x.cjs, committed by `yarn set version`, is ~900 kB of bundled JavaScript).
  '.next',
  '.nuxt',
  '.svelte-kit',
  '.turbo',
  '.parcel-cache',
  '.gradle',
  'bower_components',
  '.pnpm-store',
  '.yarn',
]);

/**
 * Every regular file under `root`, skipping SKIPPED_DIRECTORIES. Symlinks are
 * not followed: they could leave the project or loop.
 */
export async function listProjectFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      // A folder removed or made unreadable while an agent works is skipped, not fatal.
      if (dir !== root) continue;
      throw error;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) pending.push(full);
      } else if (entry.isFile()) found.push(full);
    }
  }
  return found.sort();
}

export async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        // Files deleted between listing and reading are simply gone.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  });
  await Promise.all(workers);
}
