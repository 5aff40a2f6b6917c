import { copyFileSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  latestSelfwareTaskId,
  listSelfwareCheckpoints,
  parseSelfwareCheckpoint,
  readSelfwareCheckpoint,
  selfwareCheckpointsDir,
} from '../../../src/agents/selfware/checkpoints.js';
import { PACKAGE_ROOT } from '../../../src/paths.js';
import { removeTempDirs, tempDir } from '../helpers.js';

const FIXTURES = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'selfware', 'checkpoints');
const id = (n: number): string => `3f1c0a52-6a3e-4b57-9d0e-2c1f7a9b000${n}`;
const fixture = (name: string): string | null => {
  try {
    return readFileSync(path.join(FIXTURES, name), 'utf8');
  } catch {
    return null;
  }
};

/** A HOME holding copies of the fixture checkpoints, as selfware leaves them. */
function homeWithFixtures(): string {
  const home = tempDir('megatest-selfware-home-');
  const dir = selfwareCheckpointsDir(home);
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(FIXTURES)) copyFileSync(path.join(FIXTURES, name), path.join(dir, name));
  return home;
}

afterEach(removeTempDirs);

describe('selfware checkpoints', () => {
  it('applies the delta lines in order over the full checkpoint', () => {
    const { checkpoint, problem } = readSelfwareCheckpoint(homeWithFixtures(), id(1));
    expect(problem).toBeNull();
    expect(checkpoint).toMatchObject({
      taskId: id(1),
      description: 'Fix parse_duration so the scheduler tests pass',
      status: 'completed',
      currentStep: 4,
      updatedAt: '2026-03-14T09:13:40.522Z',
      deltasApplied: 2,
    });
    expect(checkpoint!.toolCalls.map((c) => [c.tool, c.ok, c.duration_ms])).toEqual([
      ['file_read', true, 12],
      ['cargo_test', false, 2480],
      ['file_write', true, 35],
      ['cargo_test', true, 2210],
    ]);
    expect(checkpoint!.errors).toEqual([
      { step: 2, message: 'cargo_test failed: 2 tests failed', recovered: true, at: '2026-03-14T09:12:54.101Z' },
    ]);
  });

  it("never reports selfware's estimated_tokens as usage", () => {
    const { checkpoint } = readSelfwareCheckpoint(homeWithFixtures(), id(1));
    expect(JSON.stringify(checkpoint)).not.toMatch(/token/i);
  });

  it('a delta log cut mid-line: the whole lines are applied, the problem says which line', () => {
    const { checkpoint, problem } = readSelfwareCheckpoint(homeWithFixtures(), id(2));
    expect(checkpoint).toMatchObject({ status: 'in_progress', currentStep: 3, deltasApplied: 1 });
    expect(checkpoint!.toolCalls.map((c) => c.tool)).toEqual(['file_read', 'cargo_test', 'file_write']);
    expect(problem).toContain(`${id(2)}.delta.jsonl line 2 is not whole JSON`);
  });

  it('a checkpoint cut off mid-write: keeps the entries that were whole, says so, never throws', () => {
    const { checkpoint, problem } = readSelfwareCheckpoint(homeWithFixtures(), id(3));
    expect(problem).toContain(`${id(3)}.json is cut off`);
    expect(problem).toContain('kept the 2 tool calls and 0 errors');
    // The first call's result holds the words "tool_name" inside a string; it is not taken for a call.
    expect(checkpoint).toMatchObject({ taskId: id(3), status: 'in_progress', currentStep: 3 });
    expect(checkpoint!.toolCalls.map((c) => [c.tool, c.ok, c.duration_ms])).toEqual([
      ['file_read', true, 12],
      ['cargo_test', false, 2480],
    ]);
  });

  it("a half-written checkpoint with selfware's .bak beside it is read from the backup", () => {
    const { checkpoint, problem } = readSelfwareCheckpoint(homeWithFixtures(), id(4));
    expect(problem).toContain(`${id(4)}.json is not whole JSON`);
    expect(problem).toContain(`read ${id(4)}.json.bak`);
    expect(checkpoint).toMatchObject({ currentStep: 2, status: 'in_progress' });
    expect(checkpoint!.toolCalls).toHaveLength(2);
  });

  it('reads the bare format of older selfware (no envelope, no version)', () => {
    const { checkpoint, problem } = readSelfwareCheckpoint(homeWithFixtures(), id(5));
    expect(problem).toBeNull();
    expect(checkpoint).toMatchObject({ status: 'failed', currentStep: 7 });
    expect(checkpoint!.errors.at(-1)).toMatchObject({ message: 'Max iterations reached', recovered: false });
  });

  it('a missing checkpoint, a foreign file or a bad id is a problem, not an exception', () => {
    const home = homeWithFixtures();
    expect(readSelfwareCheckpoint(home, 'no-such-task')).toEqual({ checkpoint: null, problem: 'no-such-task.json is missing' });
    expect(readSelfwareCheckpoint(home, '../etc/passwd').checkpoint).toBeNull();
    writeFileSync(path.join(selfwareCheckpointsDir(home), 'foreign.json'), '{"hello": "world"}');
    expect(readSelfwareCheckpoint(home, 'foreign').problem).toContain('not a selfware task checkpoint');
    expect(readSelfwareCheckpoint(tempDir('megatest-empty-home-'), id(1)).checkpoint).toBeNull();
  });

  it('a delta made on another version is not applied (selfware refuses it too)', () => {
    const base = fixture(`${id(1)}.json`);
    const deltas = fixture(`${id(1)}.delta.jsonl`)!.split('\n')[1]!; // the second delta alone: base 4, not 3
    const { checkpoint, problem } = parseSelfwareCheckpoint(id(1), { base, deltas });
    expect(checkpoint!.deltasApplied).toBe(0);
    expect(problem).toContain('version 4');
  });

  it('entries not in selfware\'s format are skipped and counted', () => {
    const base = JSON.stringify({ task_id: 't', status: 'in_progress', tool_calls: [{ tool_name: 'a', success: true }, { nope: 1 }], errors: [] });
    const { checkpoint, problem } = parseSelfwareCheckpoint('t', { base });
    expect(checkpoint!.toolCalls).toEqual([{ tool: 'a', ok: true, duration_ms: null, at: null }]);
    expect(problem).toContain('1 tool call or error entries');
  });

  it('lists the checkpoints of a HOME, newest first, without backups or delta logs', () => {
    const home = homeWithFixtures();
    const dir = selfwareCheckpointsDir(home);
    const times = [1, 5, 3, 2, 4];
    times.forEach((t, i) => utimesSync(path.join(dir, `${id(i + 1)}.json`), t, t));
    expect(listSelfwareCheckpoints(home).map((c) => c.taskId)).toEqual([id(2), id(5), id(3), id(4), id(1)]);
    expect(listSelfwareCheckpoints(tempDir('megatest-empty-home-'))).toEqual([]);
    expect(latestSelfwareTaskId(home)).toBe(id(2));
    expect(latestSelfwareTaskId(home, 5000)).toBe(id(2));
    expect(latestSelfwareTaskId(home, 5999)).toBe(id(2)); // the same second, on a filesystem that rounds
    expect(latestSelfwareTaskId(home, 6000)).toBeNull();
    expect(latestSelfwareTaskId(tempDir('megatest-empty-home-'))).toBeNull();
  });
});
