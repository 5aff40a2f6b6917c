// Which checkpoint a branch of a finished run starts from when none is
// named (resumeBranch.ts, chooseCheckpoint): the newest that verifies, each
// newer one that does not said as skipped; none usable is a usage error.

import { mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RunFileReadError } from '../../src/io/readError.js';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { chooseCheckpoint } from '../../src/cli/resumeBranch.js';
import { testBody } from '../helpers/checkpointTree.js';

const base = mkdtempSync(path.join(tmpdir(), 'megatest-choose-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function storeWithCheckpoints(name: string, count: number): Promise<{ dir: string; store: CheckpointStore }> {
  const project = path.join(base, name, 'project');
  const dir = path.join(base, name, 'checkpoints');
  mkdirSync(project, { recursive: true });
  const store = new CheckpointStore(dir);
  for (let index = 1; index <= count; index += 1) {
    writeFileSync(path.join(project, 'main.ts'), `export const round = ${index};\n`);
    await store.checkpoint(project, (snapshot) => testBody(snapshot.entries));
  }
  return { dir, store: new CheckpointStore(dir) };
}

describe('chooseCheckpoint', () => {
  it('takes the newest checkpoint that verifies, saying which newer ones it skipped and why', async () => {
    const { dir, store } = await storeWithCheckpoints('newest-damaged', 3);
    expect(readdirSync(dir).filter((name) => name.startsWith('checkpoint_')).sort()).toEqual(['checkpoint_001.json', 'checkpoint_002.json', 'checkpoint_003.json']);
    truncateSync(path.join(dir, 'checkpoint_003.json'), 10);
    const said: string[] = [];
    const chosen = await chooseCheckpoint(store, 'the-run', undefined, (line) => said.push(line));
    expect(chosen.id).toBe('checkpoint_002');
    expect(chosen.usable).toBe(true);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^checkpoint_003 skipped: \S/);
  });

  it('takes the newest when it verifies, saying nothing', async () => {
    const { store } = await storeWithCheckpoints('all-whole', 2);
    const said: string[] = [];
    expect((await chooseCheckpoint(store, 'the-run', undefined, (line) => said.push(line))).id).toBe('checkpoint_002');
    expect(said).toEqual([]);
  });

  it('is damage (a RunFileReadError: exit 1, not 2) naming the run when there are checkpoints and none verifies', async () => {
    const { dir, store } = await storeWithCheckpoints('none-usable', 2);
    for (const name of ['checkpoint_001.json', 'checkpoint_002.json']) truncateSync(path.join(dir, name), 5);
    const said: string[] = [];
    const choosing = chooseCheckpoint(store, 'the-run', undefined, (line) => said.push(line));
    await expect(choosing).rejects.toBeInstanceOf(RunFileReadError);
    await expect(choosing).rejects.toThrow(/the-run has ended and has no usable checkpoint/);
    expect(said.map((line) => line.split(' ')[0])).toEqual(['checkpoint_002', 'checkpoint_001']);
  });
});
