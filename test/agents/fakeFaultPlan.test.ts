// The fakes' fault plan (test/fixtures/agents/faultPlan.mjs): invocations of
// any fake that share FAKE_AGENT_STATE_DIR take distinct run numbers, a
// planned fault strikes only its run, and each run's transcript is exactly
// what it printed on stdout, a crash's cut line included.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliTaskInput } from '../../src/agents/cliSpec.js';
import { claudeCodeSpec } from '../../src/agents/claudeCode/spec.js';
import { codexSpec } from '../../src/agents/codex/spec.js';
import { selfwareSpec } from '../../src/agents/selfware/spec.js';
import { FAKE_CLAUDE, FAKE_CODEX, FAKES_DIR, runFake, type FakeRun } from '../fixtures/agents/runFake.js';
import { removeTempDirs, tempDir } from './helpers.js';

const FAKE_SELFWARE = path.join(FAKES_DIR, 'fake-selfware.mjs');

function input(binary: string): CliTaskInput {
  const sessionDir = tempDir('megatest-fault-plan-');
  const workDir = path.join(sessionDir, 'project');
  const homeDir = path.join(sessionDir, 'agents', 'agent-1', 'home');
  mkdirSync(workDir, { recursive: true });
  mkdirSync(homeDir, { recursive: true });
  writeFileSync(path.join(sessionDir, 'selfware.toml'), 'endpoint = "http://127.0.0.1:9/v1"\nmodel = "m"\n');
  return { binary, prompt: 'Add the retry limit', model: 'm', workDir, agentDir: path.dirname(homeDir), homeDir, sessionDir };
}

const printed = (run: FakeRun): string => run.lines.map((line) => `${line}\n`).join('') + run.rest;

afterAll(removeTempDirs);

describe('FAKE_AGENT_FAULT_PLAN', () => {
  it('numbers runs over every fake sharing the state dir, and faults only the planned ones', async () => {
    const root = tempDir('megatest-fault-plan-state-');
    const env = {
      FAKE_AGENT_SPEED: '1000',
      FAKE_AGENT_LINE_MS: '0',
      FAKE_AGENT_STATE_DIR: path.join(root, 'state'),
      FAKE_AGENT_TRANSCRIPT_DIR: path.join(root, 'transcripts'),
      FAKE_AGENT_FAULT_PLAN: 'crash:3@2, fail@4',
    };
    const runs: FakeRun[] = [];
    runs.push(await runFake(claudeCodeSpec.taskCommand(input(FAKE_CLAUDE)), env));
    runs.push(await runFake(codexSpec.taskCommand(input(FAKE_CODEX)), env));
    runs.push(await runFake(selfwareSpec.taskCommand(input(FAKE_SELFWARE)), env));
    runs.push(await runFake(claudeCodeSpec.taskCommand(input(FAKE_CLAUDE)), env));
    expect(runs.map((r) => r.signal ?? r.code)).toEqual([0, 'SIGKILL', 0, 1]);
    expect(runs[1]!.lines).toHaveLength(3);
    expect(runs[1]!.rest.length).toBeGreaterThan(0);
    expect(readdirSync(path.join(root, 'state')).sort()).toEqual(['run-1', 'run-2', 'run-3', 'run-4']);
    for (const [index, run] of runs.entries()) {
      expect(readFileSync(path.join(root, 'transcripts', `${index + 1}.out`), 'utf8')).toBe(printed(run));
    }
  });

  it('gives fakes that start at once distinct numbers', async () => {
    const root = tempDir('megatest-fault-plan-race-');
    const env = { FAKE_AGENT_LINE_MS: '0', FAKE_AGENT_STATE_DIR: root, FAKE_AGENT_FAULT_PLAN: 'fail@3' };
    const runs = await Promise.all([1, 2, 3, 4, 5, 6].map(() => runFake(codexSpec.taskCommand(input(FAKE_CODEX)), env)));
    expect(readdirSync(root).sort()).toEqual(['run-1', 'run-2', 'run-3', 'run-4', 'run-5', 'run-6']);
    expect(runs.map((r) => r.code).sort()).toEqual([0, 0, 0, 0, 0, 1]);
  });

  it('refuses a plan it cannot read, or one without a state dir (exit 2)', async () => {
    const command = claudeCodeSpec.taskCommand(input(FAKE_CLAUDE));
    const bad = await runFake(command, { FAKE_AGENT_STATE_DIR: tempDir('megatest-fault-plan-bad-'), FAKE_AGENT_FAULT_PLAN: 'boom@1' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/FAKE_AGENT_FAULT_PLAN entries are KIND\[:N\]@RUN.*"boom@1"/);
    const noState = await runFake(command, { FAKE_AGENT_FAULT_PLAN: 'crash@1' });
    expect(noState.code).toBe(2);
    expect(noState.stderr).toMatch(/needs FAKE_AGENT_STATE_DIR/);
  });
});
