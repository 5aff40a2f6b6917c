// What a failed attempt leaves for a person: the error, the tail of the
// agent's output, and the project's diff with its untracked files, or why
// there is no diff.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keepAttempt } from '../../src/engine/attempts.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'megatest-attempts-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-C', dir, ...args], { env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });

describe('keepAttempt', () => {
  it('keeps the error, the output tail and the diff with the untracked files', async () => {
    const project = path.join(scratch, 'project');
    const agent = path.join(scratch, 'agent');
    mkdirSync(project);
    mkdirSync(agent);
    git(project, 'init', '-q');
    writeFileSync(path.join(project, 'queue.js'), 'one\n');
    git(project, 'add', '-A');
    git(project, 'commit', '-q', '-m', 'start');
    writeFileSync(path.join(project, 'queue.js'), 'two\n');
    writeFileSync(path.join(project, 'new.js'), 'new\n');
    writeFileSync(path.join(agent, 'output.log'), 'step 1\nstep 2\n');
    const dir = path.join(agent, 'attempts', '1-network_timeout-1');

    await keepAttempt(dir, agent, project, 'connect ETIMEDOUT');

    expect(readFileSync(path.join(dir, 'error.txt'), 'utf8')).toBe('connect ETIMEDOUT\n');
    expect(readFileSync(path.join(dir, 'output.tail.log'), 'utf8')).toBe('step 1\nstep 2\n');
    const diff = readFileSync(path.join(dir, 'project.diff'), 'utf8');
    expect(diff).toContain('-one\n+two\n');
    expect(diff.endsWith('\n# untracked files\nnew.js\n')).toBe(true);
  });

  it('says why there is no diff when the project is not a git repository', async () => {
    const project = path.join(scratch, 'plain');
    mkdirSync(project);
    const dir = path.join(scratch, 'attempts', '2-agent_crash-1');

    await keepAttempt(dir, path.join(scratch, 'no-agent'), project, 'exit code 1');

    expect(readFileSync(path.join(dir, 'project.diff'), 'utf8')).toMatch(/^git diff failed: [^\n]*not a git repository[^\n]*\n$/i);
  });
});
