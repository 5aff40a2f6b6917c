// Property: whatever happens to project/ between snapshots, restoring any
// snapshot, in any order, puts back exactly the tree that was snapshotted
// (contents, modes, symlinks, empty and nested folders), and snapshotting the
// restored tree gives the same manifest again.

import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointStore, type FileEntry } from '../../src/checkpoint/store.js';
import { walkTree, type WalkedItem } from './tree-walk.js';

const DIRS = ['', 'a', 'b', 'a/c', 'a/c/deep', 'b/d'];
const NAMES = ['f1', 'f2.txt', 'g.bin', 'c', 'd'];
const FILE_MODES = [0o644, 0o600, 0o755, 0o444, 0o700, 0o664];
// owner rwx kept so the test's own edits work without root
const DIR_MODES = [0o755, 0o700, 0o750, 0o775];
const LINK_TARGETS = ['f1', '../f2.txt', 'a/c/g.bin', '/nonexistent/elsewhere', 'deep'];

type Operation =
  | { kind: 'write'; dir: number; name: number; content: Uint8Array; mode: number }
  | { kind: 'rewrite_same_size'; pick: number; salt: number }
  | { kind: 'delete'; pick: number }
  | { kind: 'chmod'; pick: number; mode: number }
  | { kind: 'mkdir'; dir: number; name: number; mode: number }
  | { kind: 'symlink'; dir: number; name: number; target: string }
  | { kind: 'snapshot' };

const contentArb = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.string({ maxLength: 60 }).map((text) => new TextEncoder().encode(text)),
  fc.uint8Array({ minLength: 3000, maxLength: 9000 }),
);

const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('write' as const), dir: fc.nat(DIRS.length - 1), name: fc.nat(NAMES.length - 1), content: contentArb, mode: fc.constantFrom(...FILE_MODES) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rewrite_same_size' as const), pick: fc.nat(), salt: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('chmod' as const), pick: fc.nat(), mode: fc.constantFrom(...FILE_MODES, ...DIR_MODES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('mkdir' as const), dir: fc.nat(DIRS.length - 1), name: fc.nat(NAMES.length - 1), mode: fc.constantFrom(...DIR_MODES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('symlink' as const), dir: fc.nat(DIRS.length - 1), name: fc.nat(NAMES.length - 1), target: fc.constantFrom(...LINK_TARGETS) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'snapshot' as const }) },
);

/** Makes every ancestor of relative a folder, replacing files or links in the way. */
function makeParents(root: string, relative: string): void {
  const parts = relative.split('/').slice(0, -1);
  for (let depth = 1; depth <= parts.length; depth += 1) {
    const dir = path.join(root, ...parts.slice(0, depth));
    const stats = lstatSync(dir, { throwIfNoEntry: false });
    if (stats !== undefined && !stats.isDirectory()) rmSync(dir, { force: true });
    if (stats === undefined || !stats.isDirectory()) mkdirSync(dir);
  }
}

function joinRelative(dir: number, name: number): string {
  return DIRS[dir] === '' ? NAMES[name] : `${DIRS[dir]}/${NAMES[name]}`;
}

function apply(root: string, operation: Exclude<Operation, { kind: 'snapshot' }>): void {
  const existing = Object.keys(walkTree(root));
  const picked = (pick: number): string | undefined => (existing.length === 0 ? undefined : existing[pick % existing.length]);
  switch (operation.kind) {
    case 'write': {
      const relative = joinRelative(operation.dir, operation.name);
      makeParents(root, relative);
      rmSync(path.join(root, relative), { recursive: true, force: true });
      writeFileSync(path.join(root, relative), operation.content);
      chmodSync(path.join(root, relative), operation.mode);
      return;
    }
    case 'rewrite_same_size': {
      const relative = picked(operation.pick);
      if (relative === undefined) return;
      const absolute = path.join(root, relative);
      if (!lstatSync(absolute).isFile()) return;
      const content = readFileSync(absolute);
      if (content.length === 0) return;
      // same size, same inode, written right after a possible snapshot: only the hash can tell
      content[content.length - 1] ^= operation.salt;
      chmodSync(absolute, 0o644 | (lstatSync(absolute).mode & 0o777));
      writeFileSync(absolute, content);
      return;
    }
    case 'delete': {
      const relative = picked(operation.pick);
      if (relative !== undefined) rmSync(path.join(root, relative), { recursive: true, force: true });
      return;
    }
    case 'chmod': {
      const relative = picked(operation.pick);
      if (relative === undefined) return;
      const stats = lstatSync(path.join(root, relative));
      if (stats.isSymbolicLink()) return;
      const mode = stats.isDirectory() ? DIR_MODES[operation.mode % DIR_MODES.length] : operation.mode;
      chmodSync(path.join(root, relative), mode);
      return;
    }
    case 'mkdir': {
      const relative = joinRelative(operation.dir, operation.name);
      makeParents(root, relative);
      const absolute = path.join(root, relative);
      if (lstatSync(absolute, { throwIfNoEntry: false })?.isDirectory() !== true) {
        rmSync(absolute, { force: true });
        mkdirSync(absolute);
      }
      chmodSync(absolute, operation.mode);
      return;
    }
    case 'symlink': {
      const relative = joinRelative(operation.dir, operation.name);
      makeParents(root, relative);
      rmSync(path.join(root, relative), { recursive: true, force: true });
      symlinkSync(operation.target, path.join(root, relative));
      return;
    }
  }
}

const scratch = mkdtempSync(path.join(tmpdir(), 'megatest-ckprop-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let runNumber = 0;

describe('CheckpointStore snapshot/restore (property)', () => {
  it('restores every snapshot byte for byte, in any order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(operationArb, { minLength: 4, maxLength: 28 }),
        fc.array(fc.record({ pick: fc.nat(), freshStore: fc.boolean(), editFirst: fc.option(operationArb, { nil: undefined }) }), { minLength: 1, maxLength: 6 }),
        async (operations, restores) => {
          runNumber += 1;
          const runDir = path.join(scratch, `run${runNumber}`);
          const project = path.join(runDir, 'project');
          const checkpoints = path.join(runDir, 'checkpoints');
          mkdirSync(path.join(project, '.git'), { recursive: true });
          writeFileSync(path.join(project, '.git', 'HEAD'), 'ref: refs/heads/main\n');
          let store = new CheckpointStore(checkpoints, { durable: false });
          const snapshots: { entries: FileEntry[]; tree: Record<string, WalkedItem> }[] = [];
          const takeSnapshot = async (): Promise<void> => {
            const result = await store.snapshot(project);
            expect(result.excluded).toEqual(['.git']);
            snapshots.push({ entries: result.entries, tree: walkTree(project) });
          };
          for (const operation of operations) {
            if (operation.kind === 'snapshot') await takeSnapshot();
            else apply(project, operation);
          }
          await takeSnapshot();

          for (const { pick, freshStore, editFirst } of restores) {
            if (editFirst !== undefined && editFirst.kind !== 'snapshot') apply(project, editFirst);
            if (freshStore) store = new CheckpointStore(checkpoints, { durable: false });
            const wanted = snapshots[pick % snapshots.length];
            await store.restore(project, wanted.entries);
            expect(walkTree(project)).toEqual(wanted.tree);
            expect(readFileSync(path.join(project, '.git', 'HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
            const again = await store.snapshot(project);
            expect(again.entries).toEqual(wanted.entries);
          }
          chmodSync(project, 0o755);
          rmSync(runDir, { recursive: true, force: true });
          expect(existsSync(runDir)).toBe(false);
        },
      ),
      { numRuns: 25 },
    );
  });
});
