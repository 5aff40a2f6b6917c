// Names that are not UTF-8 (`caf\xe9.txt`, written by a Latin-1 tool) cannot
// be kept in a manifest, whose paths are JSON strings. They were left out of
// every checkpoint in silence, a folder with all it held; a snapshot now
// names them, so the checkpoint's keeper can say so.

import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { testBody as body } from '../helpers/checkpointTree.js';

let runDir: string;
let project: string;

beforeEach(() => {
  runDir = mkdtempSync(path.join(tmpdir(), 'megatest-unnamed-'));
  project = path.join(runDir, 'project');
  mkdirSync(project);
});
afterEach(() => rmSync(runDir, { recursive: true, force: true }));

/** project/<prefix><byte><suffix> as bytes. */
function bytePath(prefix: string, byte: number, suffix = ''): Buffer {
  return Buffer.concat([Buffer.from(`${project}/${prefix}`), Buffer.from([byte]), Buffer.from(suffix)]);
}

describe('a snapshot of names that are not UTF-8', () => {
  it('names the files and folders it could not keep, with their bytes escaped', async () => {
    writeFileSync(path.join(project, 'ok.txt'), 'ok');
    writeFileSync(path.join(project, 'real \uFFFD.txt'), 'a real replacement character is a name like any other');
    writeFileSync(bytePath('caf', 0xe9, '.txt'), 'latin-1');
    mkdirSync(bytePath('d', 0xff));
    writeFileSync(bytePath('d', 0xff, '/inner.txt'), 'inner');
    mkdirSync(path.join(project, 'src'));
    writeFileSync(Buffer.concat([Buffer.from(`${project}/src/`), Buffer.from([0x80])]), 'deeper');

    const store = new CheckpointStore(path.join(runDir, 'checkpoints'));
    const snapshot = await store.snapshot(project);
    expect(snapshot.entries.map((entry) => entry.path)).toEqual(['ok.txt', 'real \uFFFD.txt', 'src']);
    expect(snapshot.unnamed).toEqual(['caf\\xe9.txt', 'd\\xff', 'src/\\x80']);

    // The next snapshot reuses the folders' listings (walkMemo.ts): the names are still said.
    const again = await store.snapshot(project);
    expect(again.unnamed).toEqual(['caf\\xe9.txt', 'd\\xff', 'src/\\x80']);
  });

  it('says none when every name is UTF-8', async () => {
    writeFileSync(path.join(project, 'ok.txt'), 'ok');
    const store = new CheckpointStore(path.join(runDir, 'checkpoints'));
    expect((await store.snapshot(project)).unnamed).toEqual([]);
  });

  it('a restore leaves such a file where it is and restores the rest', async () => {
    writeFileSync(path.join(project, 'ok.txt'), 'ok');
    const store = new CheckpointStore(path.join(runDir, 'checkpoints'));
    const snapshot = await store.snapshot(project);
    await store.write(body(snapshot.entries));
    writeFileSync(path.join(project, 'ok.txt'), 'changed');
    writeFileSync(bytePath('caf', 0xe9, '.txt'), 'latin-1');
    await store.restore(project, snapshot.entries);
    expect(readdirSync(project, { encoding: 'buffer' }).map((name) => name.toString('latin1')).sort()).toEqual(['caf\xe9.txt', 'ok.txt']);
  });
});
