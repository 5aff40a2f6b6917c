// A small tmpfs for tests that need a full disk or a second file system:
// mounted where the test runs as root and the machine allows it, otherwise
// the reason to skip with.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

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
