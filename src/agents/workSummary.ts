// Which files an agent changed, for the summary a harness compression
// restarts it on: `git diff --stat` of its work dir against the session's
// first commit plus the files git does not track yet, or, where the work dir
// is not a repository, a plain list of its files. Bounded either way.

import { keptToRunRepository } from '../io/gitEnvironment.js';
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Files listed at most; the rest is counted. */
export const CHANGED_FILES_SHOWN = 40;
const GIT_TIMEOUT_MS = 10_000;
const SKIPPED_DIRS = new Set(['.git', 'node_modules', 'target', 'coverage', 'dist', '__pycache__']);

async function git(dir: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-C', dir, ...args], {
    timeout: GIT_TIMEOUT_MS,
    maxBuffer: 8 * 1024 * 1024,
    // A read must never take the index lock the orchestrator's commits need.
    // Only the work dir's own repository: one whose .git is gone is summarised from its files, not the user's repository around it.
    env: keptToRunRepository({ ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0' }, dir),
  });
  return stdout;
}

function capLines(lines: string[], shown: number): string[] {
  return lines.length <= shown ? lines : [...lines.slice(0, shown), `… and ${lines.length - shown} more`];
}

/** `git diff --stat` against the first commit, then untracked files; '' when nothing changed. */
async function fromGit(dir: string): Promise<string> {
  const root = (await git(dir, ['rev-list', '--max-parents=0', 'HEAD'])).trim().split('\n')[0] ?? '';
  if (root === '') throw new Error('no commit');
  const stat = (await git(dir, ['diff', '--stat=120', root, '--'])).split('\n').filter((l) => l.trim() !== '');
  // The last line of --stat is its total ("3 files changed, …").
  const total = stat.length > 0 ? stat.pop()! : null;
  const untracked = (await git(dir, ['ls-files', '--others', '--exclude-standard'])).split('\n').filter((l) => l.trim() !== '');
  const lines = capLines(stat, CHANGED_FILES_SHOWN);
  if (total) lines.push(total.trim());
  if (untracked.length > 0) lines.push(`new files not yet committed: ${capLines(untracked, CHANGED_FILES_SHOWN).join(', ')}`);
  return lines.join('\n');
}

/** Files under dir (not .git, node_modules, build output), sorted; at most `limit` + 1 read. */
async function listFiles(dir: string, limit: number): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    if (found.length > limit) return;
    let entries;
    try {
      entries = await readdir(path.join(dir, relative), { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (found.length > limit) return;
      const name = path.join(relative, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) await walk(name);
      } else {
        found.push(name);
      }
    }
  };
  await walk('');
  return found;
}

export async function describeChangedFiles(workDir: string): Promise<string> {
  try {
    return await fromGit(workDir);
  } catch {
    const files = await listFiles(workDir, CHANGED_FILES_SHOWN);
    if (files.length === 0) return '';
    const shown = files.slice(0, CHANGED_FILES_SHOWN);
    return `(not a git repository; the files in the work dir)\n${shown.join('\n')}${files.length > shown.length ? '\n… and more' : ''}`;
  }
}
