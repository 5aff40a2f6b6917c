// Temp git repositories for the worktree isolation tests: a project/ on
// branch main with one commit, and the folder its worktrees go in, as the
// orchestrator lays them out in a run folder.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TempRun {
  root: string;
  project: string;
  worktrees: string;
  remove(): void;
}

export function git(dir: string, args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export function tempRun(): TempRun {
  const root = mkdtempSync(path.join(tmpdir(), 'megatest-worktrees-'));
  const project = path.join(root, 'project');
  mkdirSync(project);
  git(project, ['init', '-q', '-b', 'main']);
  // The test's own commits need a name; megatest's commits bring theirs.
  git(project, ['config', 'user.name', 'worktree test']);
  git(project, ['config', 'user.email', 'worktree-test@localhost']);
  writeFileSync(path.join(project, 'greeting.js'), `exports.greeting = 'hello';\n`);
  git(project, ['add', '-A']);
  git(project, ['commit', '-q', '-m', 'base']);
  return { root, project, worktrees: path.join(root, 'worktrees'), remove: () => rmSync(root, { recursive: true, force: true }) };
}

export function write(dir: string, file: string, content: string): void {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), content);
}

export function read(dir: string, file: string): string {
  return readFileSync(path.join(dir, file), 'utf8');
}
