// What megatest's own commits of project/ (and of the agents' worktrees)
// leave out: folders tagged as caches (CACHEDIR.TAG: Cargo's target/,
// pytest's and ruff's caches) and node_modules, as checkpoints do
// (src/checkpoint/cacheDirTag.ts, tree.ts), and Python virtual environments
// (a folder holding pyvenv.cfg), which nobody commits. They go into git's own ignore
// list, info/exclude, outside the tree: the agents' files are not touched
// and their .gitignore still applies. Before, every phase-end commit of a
// Rust project took target/ whole (megabytes of binaries and incremental
// caches per phase, for ever in project/.git), and files_modified counted
// its hundreds of files.

import { mkdirSync, promises as fs, readFileSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { isTaggedCache } from '../checkpoint/cacheDirTag.js';
import { writeFileAtomic } from '../io/atomic.js';
import { gitTimed } from './gitRun.js';

const HEADER = '# megatest: build output left out of its commits (folders tagged CACHEDIR.TAG, node_modules, Python virtual environments)';

/**
 * Finds, among what git does not track yet in `dir` (project/ or a
 * worktree), the folders to leave out, and adds each to info/exclude
 * (anchored at the worktree's root: the list is shared by every worktree of
 * the repository). Best effort: a git or file error leaves the list as it was.
 */
export async function excludeBuildOutput(dir: string): Promise<string[]> {
  try {
    return await addExcludes(dir);
  } catch {
    return [];
  }
}

async function addExcludes(dir: string): Promise<string[]> {
  const untracked = await gitTimed(dir, ['ls-files', '--others', '--directory', '--exclude-standard', '-z']);
  if (untracked.code !== 0) return [];
  const found: string[] = [];
  for (const entry of untracked.stdout.split('\0')) {
    if (entry.endsWith('/')) await findBuildOutput(dir, entry.slice(0, -1), found);
  }
  return addToExclude(dir, found.map((relative) => `/${relative}/`), HEADER);
}

/** Adds patterns to the info/exclude of `dir`'s repository (shared by its worktrees) under `header`; returns those added. */
export async function addToExclude(dir: string, patterns: string[], header: string): Promise<string[]> {
  if (patterns.length === 0) return [];
  const where = await gitTimed(dir, ['rev-parse', '--git-path', 'info/exclude']);
  if (where.code !== 0 || where.stdout.trim() === '') return [];
  const file = path.resolve(dir, where.stdout.trim());
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // none yet
  }
  const present = new Set(text.split('\n'));
  const added = patterns.filter((pattern) => !present.has(pattern));
  if (added.length === 0) return [];
  const lines = [...(present.has(header) ? [] : [header]), ...added];
  mkdirSync(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${lines.join('\n')}\n`);
  return added;
}

/**
 * Tagged cache folders, node_modules and virtual environments at or under
 * `relative`, not descending into them (nor into .git). Asynchronous: an
 * untracked tree can be large, and the orchestrator answers commands
 * meanwhile.
 */
async function findBuildOutput(root: string, relative: string, found: string[]): Promise<void> {
  const name = path.posix.basename(relative);
  if (name === '.git') return;
  if (name === 'node_modules') {
    found.push(relative);
    return;
  }
  const absolute = path.join(root, relative);
  let entries: Dirent[];
  try {
    entries = await fs.readdir(absolute, { withFileTypes: true });
  } catch {
    return; // gone meanwhile
  }
  // A Python virtual environment (PEP 405: pyvenv.cfg at its root) is installed packages, not the project's code.
  if (isTaggedCache(absolute, entries) || entries.some((entry) => entry.name === 'pyvenv.cfg' && entry.isFile())) {
    found.push(relative);
    return;
  }
  for (const entry of entries) if (entry.isDirectory()) await findBuildOutput(root, `${relative}/${entry.name}`, found);
}
