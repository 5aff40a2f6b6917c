// A small tmpfs for tests that need a full disk or a second file system:
// mounted where the test runs as root and the machine allows it, otherwise
// the reason to skip with. A suite mounts it through suiteTmpfs, so a run
// that filters the suite's tests out (-t) leaves no mount behind: its
// beforeAll and afterAll then never run.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/** Mounts a tmpfs of the given size on a new folder; or why it cannot be done here. */
export function mountTmpfs(megabytes: number, prefix = 'megatest-tmpfs-'): { dir: string } | { skip: string } {
  if (process.getuid?.() !== 0) return { skip: 'mounting a tmpfs needs root' };
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir], { stdio: 'pipe', timeout: 10_000 });
    return { dir };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]})` };
  }
}

/** Unmounts (lazily, so an open file cannot keep it) and removes the folder. */
export function unmountTmpfs(dir: string): void {
  try {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe', timeout: 10_000 });
  } catch {
    // not mounted
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A tmpfs for the suite this is called in (or the file, at its top level):
 * `skip` is why it cannot be mounted here, found while the tests are
 * collected by mounting one and unmounting it at once; otherwise it is
 * mounted on `dir` in a beforeAll and removed in an afterAll, which run only
 * when a test of the suite runs. `dir` is named now (the suite may build
 * paths from it) and made by the beforeAll.
 */
export function suiteTmpfs(megabytes: number, prefix: string): { skip: string; dir: string } {
  const probe = mountTmpfs(megabytes, prefix);
  if ('skip' in probe) return { skip: probe.skip, dir: '' };
  unmountTmpfs(probe.dir);
  const dir = path.join(tmpdir(), `${prefix}${process.pid}-${randomBytes(4).toString('hex')}`);
  beforeAll(() => {
    mkdirSync(dir, { mode: 0o700 });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir], { stdio: 'pipe', timeout: 10_000 });
  });
  afterAll(() => unmountTmpfs(dir));
  return { skip: '', dir };
}
