// A restore stages each file it writes (blobReadBack.ts, on this thread or
// the helper), created with its recorded mode where the process's umask
// leaves that whole, else mode 600 and then given its mode. What a person
// relies on: whatever the umask, every restored file has exactly the mode
// the checkpoint recorded (special bits too), on both threads that stage
// files, in folders the restore builds and in folders project/ already has.
//
// vitest runs this file in a forked process (pool: 'forks'), where
// process.umask(mask) may be set; it is put back after each test.

import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createModeOf, currentUmask, readBlobs, READ_IN_PARALLEL_FROM } from '../../src/checkpoint/blobReadBack.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';

// Modes a umask of 022 or 077 leaves whole and modes it would cut, special bits among them.
const MODES = [0o644, 0o755, 0o600, 0o700, 0o400, 0o444, 0o666, 0o777, 0o640, 0o660, 0o750, 0o604, 0o4755, 0o2750, 0o1777, 0o000];
// More distinct contents than READ_IN_PARALLEL_FROM, so the helper thread stages files too.
const FILES = READ_IN_PARALLEL_FROM + MODES.length * 4;

let dir: string;
let maskBefore: number;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'megatest-stagemodes-'));
  maskBefore = process.umask();
});
afterEach(() => {
  process.umask(maskBefore);
  rmSync(dir, { recursive: true, force: true });
});

/** A project whose files cycle through MODES: most in sub-folders (built by a restore into an empty folder), some at its top (staged by hash). */
function makeProject(): Map<string, number> {
  const project = path.join(dir, 'project');
  const modes = new Map<string, number>();
  for (let index = 0; index < FILES; index += 1) {
    const relative = index % 10 === 0 ? `top-${index}.txt` : `pkg${index % 7}/sub${index % 3}/file-${index}.js`;
    const file = path.join(project, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `export const value${index} = ${index};\n`.repeat(1 + (index % 5)));
    const mode = MODES[index % MODES.length]!;
    chmodSync(file, mode);
    modes.set(relative, mode);
  }
  return modes;
}

function modeOf(file: string): number {
  return lstatSync(file).mode & 0o7777;
}

describe('modes of restored files, whatever the umask', () => {
  for (const mask of [0o022, 0o077, 0o002, 0o000]) {
    it(`umask ${mask.toString(8).padStart(3, '0')}: every file restored into an empty folder has its recorded mode, on both threads`, async () => {
      const modes = makeProject();
      const store = new CheckpointStore(path.join(dir, 'checkpoints'));
      const snapshot = await store.snapshot(path.join(dir, 'project'));
      // Modes are read from the files, not typed in: the snapshot recorded what chmod set.
      for (const entry of snapshot.entries) if (entry.type === 'file') expect(entry.mode, entry.path).toBe(modes.get(entry.path));

      process.umask(mask);
      const readBefore = { ...readBlobs };
      const into = path.join(dir, 'restored');
      await new CheckpointStore(path.join(dir, 'checkpoints')).restore(into, snapshot.entries);
      expect(readBlobs.helper).toBeGreaterThan(readBefore.helper);
      expect(readBlobs.here).toBeGreaterThan(readBefore.here);
      for (const [relative, mode] of modes) {
        expect(modeOf(path.join(into, relative)).toString(8), relative).toBe(mode.toString(8));
        expect(readFileSync(path.join(into, relative)).equals(readFileSync(path.join(dir, 'project', relative))), relative).toBe(true);
      }
    });
  }

  it('umask 077: files rewritten in folders project/ already has get their recorded modes too', async () => {
    const modes = makeProject();
    const project = path.join(dir, 'project');
    const store = new CheckpointStore(path.join(dir, 'checkpoints'));
    const snapshot = await store.snapshot(project);
    // Every file changed in place (content and mode): the restore stages each by hash and renames it over.
    for (const relative of modes.keys()) {
      const file = path.join(project, relative);
      chmodSync(file, 0o600);
      writeFileSync(file, 'changed\n');
    }
    process.umask(0o077);
    await store.restore(project, snapshot.entries);
    for (const [relative, mode] of modes) expect(modeOf(path.join(project, relative)).toString(8), relative).toBe(mode.toString(8));
  });
});

describe('the mode a staged file is created with (createModeOf)', () => {
  it('is its own where the umask leaves it whole; 600 (a chmod after) where it would not, for special bits, or with the umask unknown', () => {
    expect(createModeOf(0o644, 0o022)).toBe(0o644);
    expect(createModeOf(0o600, 0o077)).toBe(0o600);
    expect(createModeOf(0o644, 0o077)).toBe(0o600);
    expect(createModeOf(0o664, 0o022)).toBe(0o600);
    // The kernel may drop setgid from a file it creates (its creator not in the folder's group): set by chmod.
    expect(createModeOf(0o2750, 0o022)).toBe(0o600);
    expect(createModeOf(0o4755, 0o000)).toBe(0o600);
    expect(createModeOf(0o644, null)).toBe(0o600);
  });

  it('reads the process umask as the kernel has it', () => {
    const before = process.umask(0o027);
    try {
      expect(currentUmask()).toBe(0o027);
    } finally {
      process.umask(before);
    }
  });
});
