// An agent's own git stays in its work dir's repository. The run folder often
// sits inside a repository of the user's (test_runs under the folder megatest
// was started in), and git looks in parent folders for one when the work dir
// has none (an agent deleted its worktree's .git file) or goes where GIT_DIR
// says (megatest started from a git hook): an agent's commit or reset there
// lands on the user's branch. Both process kinds are checked, a `command`
// agent (CommandAdapter) and a CLI agent's task (TaskProcess), each asked by
// a shell what git finds from its work dir.

import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandAdapter } from '../../src/agents/command.js';
import { TaskProcess } from '../../src/agents/taskProcess.js';
import { makeLaunch, Recorder, removeTempDirs, tempDir, waitFor } from './helpers.js';

// What git says from the work dir: the top it finds (or its refusal), and the GIT_DIR the process was given.
const ASK_GIT = 'echo "GIT_DIR=${GIT_DIR:-unset}"; git rev-parse --show-toplevel 2>&1 | head -1; echo done';

let userRepository: string;
let workDir: string;
const savedGitDir = process.env.GIT_DIR;

beforeEach(() => {
  // The user's repository, with the run folder inside it and a work dir that has no .git of its own.
  userRepository = realpathSync(tempDir('megatest-user-repo-'));
  execFileSync('git', ['init', '-q', userRepository]);
  workDir = path.join(userRepository, 'test_runs', 'run-1', 'project');
  mkdirSync(workDir, { recursive: true });
});
afterEach(() => {
  if (savedGitDir === undefined) delete process.env.GIT_DIR;
  else process.env.GIT_DIR = savedGitDir;
});
afterAll(removeTempDirs);

/** The lines the script printed, from "GIT_DIR=" to "done". */
function answerOf(lines: string[]): string[] {
  const start = lines.findIndex((line) => line.startsWith('GIT_DIR='));
  return lines.slice(start, lines.indexOf('done'));
}

/** What a CLI agent's task process running `script` in the work dir printed, once it has ended. */
function taskSays(script: string): Promise<string[]> {
  const lines: string[] = [];
  return new Promise((resolve) => {
    new TaskProcess({
      command: { file: 'sh', args: ['-c', script], cwd: workDir, env: {} },
      parser: { line: (line) => (lines.push(line), []), end: () => [] },
      baseEnv: {},
      log: () => undefined,
      parseStderr: false,
      onMessage: () => undefined,
      onEnd: () => resolve(lines),
    });
  });
}

function expectKeptOut(answer: string[]): void {
  expect(answer[0]).toBe('GIT_DIR=unset');
  // git does not find the user's repository: it stops at the work dir.
  expect(answer[1]).not.toBe(userRepository);
  expect(answer[1]).toMatch(/not a git repository/);
}

describe("an agent's git, run in a work dir with no .git inside the user's repository", () => {
  it('a command agent: finds no repository, and is given no GIT_DIR of megatest’s', async () => {
    process.env.GIT_DIR = path.join(userRepository, '.git');
    const adapter = new CommandAdapter(makeLaunch({ projectDir: workDir }), { command: ASK_GIT });
    const recorder = new Recorder();
    await adapter.start(recorder.onMessage, recorder.onExit);
    await waitFor(() => recorder.hasOutput(/^done$/), 'the script to answer');
    await adapter.stop(200);
    expectKeptOut(answerOf(recorder.outputs()));
  });

  it('a CLI agent’s task: the same', async () => {
    process.env.GIT_DIR = path.join(userRepository, '.git');
    expectKeptOut(answerOf(await taskSays(ASK_GIT)));
  });

  it('a work dir with its own .git is found as ever, from its subfolders too', async () => {
    execFileSync('git', ['init', '-q', workDir]);
    mkdirSync(path.join(workDir, 'src'));
    expect(answerOf(await taskSays(`cd src && ${ASK_GIT}`))).toEqual(['GIT_DIR=unset', realpathSync(workDir)]);
  });
});
