// The run folder's disk figure (disk_usage_bytes) and the checkpoint store's
// (diskUsage), held to counts made here with lstat: a file with several hard
// links is counted once, as du counts it, and megatest's own disk reserve
// (<run>/.reserve) is not the run's usage.

import { linkSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diskUsage } from '../../src/checkpoint/diskUsage.js';
import { RESERVE_FILE } from '../../src/io/diskReserve.js';
import { RunMeasurement } from '../../src/measure/runMeasurement.js';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function runFolder(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'megatest-disk-'));
  made.push(root);
  mkdirSync(path.join(root, 'project', 'src'), { recursive: true });
  mkdirSync(path.join(root, 'agents', 'a1'), { recursive: true });
  writeFileSync(path.join(root, 'events.jsonl'), 'e'.repeat(1234));
  writeFileSync(path.join(root, 'project', 'src', 'big.bin'), Buffer.alloc(10_000, 7));
  // A local `git clone` or pnpm's store: the same file under a second name.
  linkSync(path.join(root, 'project', 'src', 'big.bin'), path.join(root, 'agents', 'a1', 'big.bin'));
  writeFileSync(path.join(root, RESERVE_FILE), Buffer.alloc(64 * 1024));
  symlinkSync('project/src/big.bin', path.join(root, 'link'));
  return root;
}

describe('disk_usage_bytes (RunMeasurement)', () => {
  it('counts each regular file once by inode, the reserve left out', async () => {
    const root = runFolder();
    const measurement = new RunMeasurement(root, path.join(root, 'project'), { watch: false });
    try {
      // events.jsonl 1,234 + big.bin 10,000 (two names, one inode); no .reserve, no symlink.
      expect((await measurement.refresh()).diskUsageBytes).toBe(1234 + 10_000);
      // One name gone: the inode is still there, under the other.
      unlinkSync(path.join(root, 'agents', 'a1', 'big.bin'));
      expect((await measurement.refresh()).diskUsageBytes).toBe(1234 + 10_000);
      // A second link again, then the file grows through one name: one size, the new one.
      linkSync(path.join(root, 'project', 'src', 'big.bin'), path.join(root, 'agents', 'a1', 'again.bin'));
      writeFileSync(path.join(root, 'agents', 'a1', 'again.bin'), Buffer.alloc(25_000, 1), { flag: 'r+' });
      expect(lstatSync(path.join(root, 'project', 'src', 'big.bin')).size).toBe(25_000);
      expect((await measurement.refresh()).diskUsageBytes).toBe(1234 + 25_000);
      // The last name gone: so are its bytes. The reserve given back and taken again changes nothing.
      unlinkSync(path.join(root, 'agents', 'a1', 'again.bin'));
      unlinkSync(path.join(root, 'project', 'src', 'big.bin'));
      unlinkSync(path.join(root, RESERVE_FILE));
      expect((await measurement.refresh()).diskUsageBytes).toBe(1234);
      writeFileSync(path.join(root, RESERVE_FILE), Buffer.alloc(64 * 1024));
      expect((await measurement.refresh()).diskUsageBytes).toBe(1234);
    } finally {
      measurement.close();
    }
  });
});

describe('diskUsage (the checkpoint store gauge)', () => {
  it('counts a hard-linked file once, as du does', async () => {
    const root = runFolder();
    const symlinkBytes = lstatSync(path.join(root, 'link')).size;
    const usage = await diskUsage(root);
    expect(usage.bytes).toBe(1234 + 10_000 + 64 * 1024 + symlinkBytes);
    expect(usage.files).toBe(5);
  });
});
