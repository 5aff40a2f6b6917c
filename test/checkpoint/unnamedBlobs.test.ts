// A writer killed after a checkpoint's blobs were renamed into objects/ and
// before its file was published leaves blobs no checkpoint names; nothing
// else ever removed them. removeUnnamedBlobsLeft (run by `megatest resume`)
// removes exactly those: never one a checkpoint names (counted over the
// manifests on disk), none at all when a checkpoint cannot be read whole.
// The crash's leftovers are made by taking a checkpoint and removing its
// file: the state a kill between the renames and the publish leaves.

import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import type { AgentPool } from '../../src/engine/agentPool.js';
import { CheckpointKeeper } from '../../src/engine/checkpointKeeper.js';
import type { EngineContext } from '../../src/engine/context.js';
import type { Measurer } from '../../src/engine/measurer.js';
import { testBody } from '../helpers/checkpointTree.js';
import { blobFiles } from '../helpers/checkpointTree.js';

const base = mkdtempSync(path.join(tmpdir(), 'megatest-unnamedblobs-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));


/** A run with two checkpoints whose second's file is gone (its blobs stay), and what each named. */
async function runCutShort(name: string) {
  const project = path.join(base, name, 'project');
  const checkpointsDir = path.join(base, name, 'checkpoints');
  mkdirSync(path.join(project, 'lib'), { recursive: true });
  writeFileSync(path.join(project, 'shared.txt'), 'in both checkpoints\n');
  for (let index = 0; index < 5; index += 1) writeFileSync(path.join(project, 'lib', `m${index}.js`), `export const first = ${index};\n`);
  const writer = new CheckpointStore(checkpointsDir);
  const first = (await writer.checkpoint(project, (taken) => testBody(taken.entries))).written.id;
  for (let index = 0; index < 3; index += 1) writeFileSync(path.join(project, 'lib', `m${index}.js`), `export const second = ${index};\n`);
  const second = await writer.checkpoint(project, (taken) => testBody(taken.entries));
  const namedByFirst = await writer.blobsNamedBy([first]);
  const namedBySecond = await writer.blobsNamedBy([second.written.id]);
  rmSync(second.written.path);
  return { project, checkpointsDir, first, namedByFirst, onlySecond: [...namedBySecond].filter((blob) => !namedByFirst.has(blob)) };
}

describe('blobs no checkpoint names', () => {
  it('are removed, those a checkpoint names are not, and the next checkpoint stores their content again', async () => {
    const run = await runCutShort('cut-short');
    // The three changed files, and the listings of lib/ and of the root.
    expect(run.onlySecond).toHaveLength(3 + 2);
    expect(blobFiles(run.checkpointsDir).size).toBe(run.namedByFirst.size + run.onlySecond.length);

    const resumed = new CheckpointStore(run.checkpointsDir);
    const bytesLeft = run.onlySecond.reduce((sum, sha256) => sum + statSync(resumed.blobPath(sha256)).size, 0);
    const left = await resumed.removeUnnamedBlobsLeft();
    expect(left).toEqual({ removed: run.onlySecond.length, bytes: bytesLeft });
    expect(blobFiles(run.checkpointsDir)).toEqual(run.namedByFirst);
    const verified = await new CheckpointStore(run.checkpointsDir).verify(run.first);
    expect(verified.usable, verified.reason).toBe(true);

    const next = await resumed.checkpoint(run.project, (taken) => testBody(taken.entries));
    expect((await new CheckpointStore(run.checkpointsDir).verify(next.written.id)).usable).toBe(true);
    expect(blobFiles(run.checkpointsDir)).toEqual(await resumed.blobsNamedBy(await resumed.ids()));
    // Nothing left to remove now.
    expect(await new CheckpointStore(run.checkpointsDir).removeUnnamedBlobsLeft()).toEqual({ removed: 0, bytes: 0 });
  });

  it('are all kept when a checkpoint cannot be read whole: what it names is not known', async () => {
    const run = await runCutShort('damaged');
    writeFileSync(path.join(run.checkpointsDir, 'checkpoint_003.json'), '{"sha256": "');
    const before = blobFiles(run.checkpointsDir);
    expect(await new CheckpointStore(run.checkpointsDir).removeUnnamedBlobsLeft()).toBeNull();
    expect(blobFiles(run.checkpointsDir)).toEqual(before);
  });
});

describe('megatest resume', () => {
  it('removes the blobs a checkpoint cut short by the crash left, and says so in one log line', async () => {
    const run = await runCutShort('resumed');
    const store = new CheckpointStore(run.checkpointsDir);
    const info = vi.fn();
    const ctx = {
      store,
      state: { checkpoints: [] },
      log: { info, warn: vi.fn(), error: vi.fn() },
      emit: () => undefined,
    } as unknown as EngineContext;
    const keeper = new CheckpointKeeper(ctx, {} as AgentPool, {} as Measurer);
    // The restore itself is checkpointKeeper.test.ts's business.
    vi.spyOn(keeper, 'restore').mockResolvedValue(undefined as never);
    expect(await keeper.resumeFrom(undefined, () => undefined)).toBe(true);
    expect(blobFiles(run.checkpointsDir)).toEqual(run.namedByFirst);
    const said = info.mock.calls.filter(([source]) => source === 'checkpoint').map(([, message]) => message as string);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(new RegExp(`^removed ${run.onlySecond.length} blobs \\([\\d,]+ bytes\\) no checkpoint names`));
  });
});
