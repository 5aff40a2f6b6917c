// An index writer begun on a disk that is full already: its first write
// fails, and nothing is left of it. Before, the empty temp file stayed in
// the run folder after the session ended (no writer came of it to abort).
// The disk is a small tmpfs the test fills (root only; skipped with the
// reason otherwise).

import { closeSync, openSync, readdirSync, writeSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IndexWriter } from '../../src/replay/indexWriter.js';
import { suiteTmpfs } from '../helpers/tmpfs.js';

const mount = suiteTmpfs(1, 'megatest-idx-full-');

describe.skipIf(mount.skip !== '')(`an index writer on a full disk${mount.skip ? ` (skipped: ${mount.skip})` : ''}`, () => {
  it('throws the disk error and leaves no temp file', () => {
    const fd = openSync(path.join(mount.dir, 'ballast'), 'w');
    const block = Buffer.alloc(64 * 1024);
    try {
      for (;;) writeSync(fd, block);
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      closeSync(fd);
    }
    expect(() => new IndexWriter(path.join(mount.dir, 'events.idx'))).toThrowError(/ENOSPC/);
    expect(readdirSync(mount.dir)).toEqual(['ballast']);
  });
});
