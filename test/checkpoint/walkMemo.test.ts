// A walk with a memo (src/checkpoint/walkMemo.ts) passes over folders whose
// stamp has not changed since the memo's walk read them. Whatever happens to
// the tree between walks, it must find exactly what a walk without a memo
// finds; and it keeps a folder's names only when the folder's stamp is
// settled, older than the read by more than a timestamp tick.

import { lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { scanTree } from '../../src/checkpoint/tree.js';
import { plainScan } from './tree-walk.js';
import { keepable, MAX_REUSE_MS, stampClockMs, stillListed, WalkMemo, type FolderListing } from '../../src/checkpoint/walkMemo.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'megatest-walkmemo-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function makeTree(project: string): void {
  for (let dir = 0; dir < 6; dir += 1) {
    const folder = path.join(project, `pkg${dir}`, 'src');
    mkdirSync(folder, { recursive: true });
    for (let file = 0; file < 5; file += 1) writeFileSync(path.join(folder, `f${file}.js`), `// ${dir}/${file}\n`);
  }
  symlinkSync('pkg0/src/f0.js', path.join(project, 'main.js'));
  mkdirSync(path.join(project, 'pkg1', 'node_modules', 'dep'), { recursive: true });
  writeFileSync(path.join(project, 'pkg1', 'node_modules', 'dep', 'index.js'), 'x');
}

/** Every folder under project (and project itself), excluded ones left out. */
function folders(project: string): string[] {
  const found = [project];
  for (let next = 0; next < found.length; next += 1) {
    for (const name of readdirSync(found[next]!)) {
      if (name === 'node_modules' || name === '.git') continue;
      const child = path.join(found[next]!, name);
      if (lstatSync(child).isDirectory()) found.push(child);
    }
  }
  return found;
}

/**
 * Waits until every folder's stamp is settled (walkMemo.ts): more than a
 * tick old and from an earlier second. A condition on the folders' own
 * stamps, not a guess at time: on a loaded machine it only waits less.
 */
async function untilSettled(project: string): Promise<void> {
  const newest = Math.max(...folders(project).map((folder) => Math.max(statSync(folder).mtimeMs, statSync(folder).ctimeMs)));
  while (!keepable({ mtimeMs: newest, ctimeMs: newest, ino: 0, size: 0 }, stampClockMs())) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** Adds a file to folder and sets the folder's mtime back to the nanosecond (touch -d): only its ctime tells. */
function addKeepingMtime(folder: string, name: string): void {
  const before = statSync(folder, { bigint: true });
  writeFileSync(path.join(folder, name), 'new');
  const ns = before.mtimeNs;
  execFileSync('touch', ['-m', '-d', `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`, folder]);
  const after = statSync(folder, { bigint: true });
  expect(after.mtimeNs).toBe(before.mtimeNs);
  expect(after.ctimeNs).not.toBe(before.ctimeNs);
}

describe('a walk with a memo', () => {
  it('passes over settled folders and finds what a walk without one finds, whatever changed between walks', async () => {
    makeTree(root);
    await untilSettled(root);
    const memo = new WalkMemo();
    expect(plainScan(await scanTree(root, memo))).toEqual(plainScan(await scanTree(root)));
    const allFolders = memo.lastRead;
    expect(allFolders).toBe(folders(root).length);

    // Nothing changed: no folder read again.
    expect(plainScan(await scanTree(root, memo))).toEqual(plainScan(await scanTree(root)));
    expect(memo.lastReused).toBe(allFolders);
    expect(memo.lastRead).toBe(0);

    // Changes to different folders, two rounds (the second renames a folder the first changes inside).
    const rounds: (() => void)[][] = [
      [
        // a file added, its folder's mtime set back to what it was (ctime moves all the same)
        () => addKeepingMtime(path.join(root, 'pkg2', 'src'), 'added.js'),
        () => unlinkSync(path.join(root, 'pkg3', 'src', 'f1.js')),
        () => renameSync(path.join(root, 'pkg4', 'src', 'f2.js'), path.join(root, 'pkg4', 'src', 'renamed.js')),
        () => {
          rmSync(path.join(root, 'pkg5'), { recursive: true });
          writeFileSync(path.join(root, 'pkg5'), 'a file where a folder was');
        },
        () => mkdirSync(path.join(root, 'pkg0', 'src', 'deeper', 'still'), { recursive: true }),
        // an edit inside a file touches no folder: its entry's lstat still sees it
        () => writeFileSync(path.join(root, 'pkg1', 'src', 'f3.js'), 'edited, and longer than before'),
      ],
      [() => renameSync(path.join(root, 'pkg0', 'src'), path.join(root, 'pkg0', 'lib')), () => mkdirSync(path.join(root, 'pkg2', '.git'))],
    ];
    for (const changes of rounds) {
      await untilSettled(root);
      await scanTree(root, memo);
      for (const change of changes) change();
      expect(plainScan(await scanTree(root, memo))).toEqual(plainScan(await scanTree(root)));
      expect(memo.lastReused).toBeGreaterThan(0);
    }
  });

  it('leaves a tagged cache folder out when it reuses the folder\'s listing, as when it reads it', async () => {
    makeTree(root);
    mkdirSync(path.join(root, 'target', 'debug'), { recursive: true });
    writeFileSync(path.join(root, 'target', 'CACHEDIR.TAG'), 'Signature: 8a477f597d28d172789f06886806bc55\n');
    writeFileSync(path.join(root, 'target', 'debug', 'out.bin'), 'build output');
    await untilSettled(root);
    const fresh = plainScan(await scanTree(root));
    expect(fresh.excluded).toEqual(['pkg1/node_modules', 'target']);
    const memo = new WalkMemo();
    expect(plainScan(await scanTree(root, memo))).toEqual(fresh);
    // Every folder the walk lists, target/ among them (its tag read once), now comes from the memo.
    expect(plainScan(await scanTree(root, memo))).toEqual(fresh);
    expect(memo.lastRead).toBe(0);
  });

  it('is reset for another root', async () => {
    const other = path.join(root, 'other');
    const project = path.join(root, 'project');
    makeTree(project);
    mkdirSync(path.join(other, 'x'), { recursive: true });
    await untilSettled(root);
    const memo = new WalkMemo();
    await scanTree(project, memo);
    expect(plainScan(await scanTree(other, memo))).toEqual(plainScan(await scanTree(other)));
    expect(memo.lastReused).toBe(0);
    expect(memo.root).toBe(other);
  });

  it('keeps names only with a settled stamp, and reads them again after MAX_REUSE_MS', () => {
    const at = Date.parse('2026-12-04T10:00:00.500Z');
    const stamp = (ms: number) => ({ mtimeMs: ms, ctimeMs: ms, ino: 7, size: 4096 });
    expect(keepable(stamp(at - 50), at)).toBe(false); // within a tick
    expect(keepable(stamp(at - 400), at)).toBe(false); // the same second
    expect(keepable(stamp(at - 700), at)).toBe(true);
    expect(keepable({ ...stamp(at - 700), ctimeMs: at - 10 }, at)).toBe(false); // ctime counts too
    expect(keepable(stamp(at - 1_500), at)).toBe(false); // whole seconds: a coarse file system, 2.5 s
    expect(keepable(stamp(at - 3_500), at)).toBe(true);

    const listing: FolderListing = { stamp: stamp(at - 700), readAtMs: at, paths: ['a'], dirs: [false], excluded: [] };
    expect(stillListed(listing, stamp(at - 700), at + 1000)).toBe(true);
    expect(stillListed(listing, { ...stamp(at - 700), ctimeMs: at + 5 }, at + 1000)).toBe(false);
    expect(stillListed(listing, { ...stamp(at - 700), ino: 8 }, at + 1000)).toBe(false);
    expect(stillListed(listing, { ...stamp(at - 700), size: 8192 }, at + 1000)).toBe(false);
    expect(stillListed(listing, stamp(at - 700), at + MAX_REUSE_MS)).toBe(false);
  });

  it('judges stamps by a clock that a Date set ahead does not move', () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 3_600_000 });
    try {
      expect(stampClockMs()).toBeLessThan(Date.now() - 3_000_000);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('checkpoints with the store memo', () => {
  it('name a file added to a folder untouched for a while, and a restore puts the tree back', async () => {
    const project = path.join(root, 'project');
    makeTree(project);
    await untilSettled(project);
    const store = new CheckpointStore(path.join(root, 'checkpoints'));
    const first = await store.snapshot(project);
    await store.snapshot(project);
    addKeepingMtime(path.join(project, 'pkg2', 'src'), 'added.js');
    const second = await store.snapshot(project);
    expect(second.entries.map((entry) => entry.path)).toContain('pkg2/src/added.js');
    expect(second.entries.length).toBe(first.entries.length + 1);

    await untilSettled(project);
    await store.restore(project, first.entries);
    const again = await store.snapshot(project);
    expect(again.entries).toEqual(first.entries);
  });
});
