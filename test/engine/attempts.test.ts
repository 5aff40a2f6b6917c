// What a failed attempt leaves for a person: the error, the tail of the
// agent's output, and the project's diff with its untracked files, or why
// there is no diff.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KEPT_ATTEMPTS, keepAttempt, pruneAttempts } from '../../src/engine/attempts.js';

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

  it("keeps the output's tail across a rotation: output.log renamed output.log.1 a moment before the failure", async () => {
    const agent = path.join(scratch, 'agent-rotated');
    mkdirSync(agent);
    writeFileSync(path.join(agent, 'output.log.1'), 'step 1\nstep 2\nthe err');
    writeFileSync(path.join(agent, 'output.log'), 'or itself\n');
    const dir = path.join(agent, 'attempts', '1-network_timeout-1');
    await keepAttempt(dir, agent, path.join(scratch, 'no-project'), 'connect ETIMEDOUT');
    expect(readFileSync(path.join(dir, 'output.tail.log'), 'utf8')).toBe('step 1\nstep 2\nthe error itself\n');
  });

  it('says why there is no diff when the project is not a git repository', async () => {
    const project = path.join(scratch, 'plain');
    mkdirSync(project);
    const dir = path.join(scratch, 'attempts', '2-agent_crash-1');

    await keepAttempt(dir, path.join(scratch, 'no-agent'), project, 'exit code 1');

    expect(readFileSync(path.join(dir, 'project.diff'), 'utf8')).toMatch(/^git diff failed: [^\n]*not a git repository[^\n]*\n$/i);
  });

  it('keeps the newest KEPT_ATTEMPTS folders of an agent: a day of transient errors made a thousand of them', async () => {
    const project = path.join(scratch, 'not-a-repo-either');
    const agent = path.join(scratch, 'busy-agent');
    const attempts = path.join(agent, 'attempts');
    mkdirSync(project, { recursive: true });
    // Older folders, their times apart (one of them 10x older: numbers, not names, are compared), and a file not of ours.
    const older = Array.from({ length: KEPT_ATTEMPTS + 2 }, (_, i) => `${1_000_000 + i * 1000}-network_timeout-${i + 1}`);
    for (const name of [...older, '99999-agent_crash-1']) mkdirSync(path.join(attempts, name), { recursive: true });
    writeFileSync(path.join(attempts, 'notes.txt'), 'a person wrote this\n');
    await keepAttempt(path.join(attempts, `${2_000_000}-rate_limit-1`), agent, project, 'the newest');
    const left = readdirSync(attempts).sort();
    expect(left).toHaveLength(KEPT_ATTEMPTS + 1);
    expect(left).toContain('notes.txt');
    expect(left).toContain('2000000-rate_limit-1');
    expect(left).not.toContain('99999-agent_crash-1');
    expect(left).not.toContain(older[0]);
    expect(left).not.toContain(older[1]);
    expect(left).not.toContain(older[2]);
    expect(left).toContain(older[3]);
    // Fewer than the bound: nothing goes.
    await pruneAttempts(attempts, 100);
    expect(readdirSync(attempts)).toHaveLength(KEPT_ATTEMPTS + 1);
  });
});
