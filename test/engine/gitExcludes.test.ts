// megatest's commits of project/ leave out what checkpoints leave out:
// folders tagged CACHEDIR.TAG (Cargo's target/) and node_modules, and
// Python virtual environments, through git's info/exclude; files_modified
// does not count them either.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commitAll, filesModifiedSince, initProjectRepo } from '../../src/engine/git.js';
import { excludeBuildOutput } from '../../src/engine/gitExcludes.js';

const TAG = 'Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by cargo.\n';
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function write(root: string, relative: string, text = 'x\n'): void {
  mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  writeFileSync(path.join(root, relative), text);
}

/** The project's own files (counted by the test), and build output beside them. */
const SOURCES = ['Cargo.toml', 'src/lib.rs', 'crates/core/src/lib.rs', 'not-a-cache/CACHEDIR.TAG', 'not-a-cache/data.txt', '.gitignore'];
const BUILD_OUTPUT = ['target/CACHEDIR.TAG', 'target/debug/deps/libx.rlib', 'crates/core/target/CACHEDIR.TAG', 'crates/core/target/debug/x', 'node_modules/pkg/index.js', 'web/node_modules/a/b.js', '.venv/pyvenv.cfg', '.venv/lib/python3.11/site-packages/pkg/__init__.py'];

function makeProject(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'megatest-git-excludes-'));
  dirs.push(root);
  return root;
}

function fill(root: string): void {
  for (const file of SOURCES) write(root, file, file === 'not-a-cache/CACHEDIR.TAG' ? 'not the signature\n' : file === '.gitignore' ? '*.log\n' : 'x\n');
  for (const file of BUILD_OUTPUT) write(root, file, file.endsWith('CACHEDIR.TAG') ? TAG : 'binary\n');
  write(root, 'debug.log');
}

const tracked = (root: string): string[] => execFileSync('git', ['-C', root, 'ls-files'], { encoding: 'utf8' }).trim().split('\n').sort();

describe('build output in megatest’s commits', () => {
  it('a phase-end commit takes the project’s files, not tagged caches or node_modules, at any depth', async () => {
    const root = makeProject();
    await initProjectRepo(root);
    fill(root);
    await commitAll(root, 'end of phase');
    expect(tracked(root)).toEqual([...SOURCES].sort());
    // The agent's own .gitignore is as it wrote it; megatest's list is git's own.
    expect(readFileSync(path.join(root, '.gitignore'), 'utf8')).toBe('*.log\n');
    const exclude = readFileSync(path.join(root, '.git', 'info', 'exclude'), 'utf8');
    for (const folder of ['/target/', '/crates/core/target/', '/node_modules/', '/web/node_modules/', '/.venv/']) expect(exclude.split('\n')).toContain(folder);
  });

  it('files_modified counts the project’s files only', async () => {
    const root = makeProject();
    const first = await initProjectRepo(root);
    fill(root);
    expect(await filesModifiedSince(root, first)).toBe(SOURCES.length);
  });

  it('adds each folder once, and nothing when nothing new is untracked', async () => {
    const root = makeProject();
    await initProjectRepo(root);
    fill(root);
    expect((await excludeBuildOutput(root)).sort()).toEqual(['/.venv/', '/crates/core/target/', '/node_modules/', '/target/', '/web/node_modules/']);
    expect(await excludeBuildOutput(root)).toEqual([]);
    write(root, 'tools/target/CACHEDIR.TAG', TAG);
    expect(await excludeBuildOutput(root)).toEqual(['/tools/target/']);
    const exclude = readFileSync(path.join(root, '.git', 'info', 'exclude'), 'utf8');
    expect(exclude.split('\n').filter((line) => line === '/target/')).toHaveLength(1);
  });

  it('in an agent’s worktree, writes to the list the repository’s worktrees share', async () => {
    const root = makeProject();
    await initProjectRepo(root);
    const worktree = path.join(root, '..', `${path.basename(root)}-wt`);
    dirs.push(worktree);
    execFileSync('git', ['-C', root, 'worktree', 'add', '-q', '-b', 'megatest/agent-1', worktree]);
    write(worktree, 'src/lib.rs');
    write(worktree, 'target/CACHEDIR.TAG', TAG);
    write(worktree, 'target/debug/x');
    expect(await excludeBuildOutput(worktree)).toEqual(['/target/']);
    expect(readFileSync(path.join(root, '.git', 'info', 'exclude'), 'utf8').split('\n')).toContain('/target/');
    expect(execFileSync('git', ['-C', worktree, 'status', '--porcelain', '--untracked-files=all'], { encoding: 'utf8' }).trim()).toBe('?? src/lib.rs');
  });
});
