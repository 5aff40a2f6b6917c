// The orchestrator's seek index on a disk that fills: a commit that cannot be
// written is said once (onProblem), and once there is room again the next
// refresh writes the index again. Before, one full disk kept the index in
// memory for the rest of the session, in silence, and the next reader (and
// a resume) folded everything logged since. A small tmpfs the test fills
// (root only; skipped with the reason otherwise).

import { appendFileSync, closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogIndexUpkeep } from '../../src/io/logIndexUpkeep.js';
import { openIndexFile } from '../../src/replay/indexFile.js';
import { suiteTmpfs } from '../helpers/tmpfs.js';
import { longLog } from './runDirs.js';

const mount = suiteTmpfs(4, 'megatest-idx-retry-');
const LOG = longLog(3000);
const text = (from: number, to: number) => LOG.slice(from, to).map((event) => `${JSON.stringify(event)}\n`).join('');

async function indexedCount(file: string): Promise<number | null> {
  const opened = await openIndexFile(file).catch(() => null);
  await opened?.handle.close();
  return opened ? opened.header.carry.count : null;
}

describe.skipIf(mount.skip !== '')(`the orchestrator's index on a disk that fills${mount.skip ? ` (skipped: ${mount.skip})` : ''}`, () => {
  it('says the failed commit once, and writes the index again at the next refresh once there is room', async () => {
    const root = path.join(mount.dir, 'run');
    mkdirSync(root);
    const paths = { root, events: path.join(root, 'events.jsonl'), sessionLog: path.join(root, 'session.log') };
    writeFileSync(paths.events, text(0, 1000));
    writeFileSync(paths.sessionLog, '');
    const problems: string[] = [];
    const upkeep = await LogIndexUpkeep.open(paths, (message) => problems.push(message));
    const idx = path.join(root, 'events.idx');
    expect(await indexedCount(idx)).toBe(1000);
    try {
      appendFileSync(paths.events, text(1000, 2000));
      // The disk fills before the refresh commits.
      const ballast = path.join(mount.dir, 'ballast');
      const fd = openSync(ballast, 'w');
      try {
        for (const block = Buffer.alloc(16 * 1024); ; ) writeSync(fd, block);
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
      } finally {
        closeSync(fd);
      }
      await upkeep.refresh();
      await upkeep.refresh();
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/ENOSPC.*written again once there is room/);
      // Room again: the next refresh writes the index, with everything logged meanwhile.
      rmSync(ballast);
      appendFileSync(paths.events, text(2000, 2100));
      await upkeep.refresh();
      expect(await indexedCount(idx)).toBe(2100);
      // And no more with nothing new: the index is as the log is.
      await upkeep.refresh();
      expect(problems).toHaveLength(1);
    } finally {
      await upkeep.close();
    }
  });
});
