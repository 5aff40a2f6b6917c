// What a failed attempt leaves behind, kept under agents/<name>/attempts/ so
// a person can see what went wrong after the recovery moved on.

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OUTPUT_TAIL_BYTES = 256 * 1024;

export async function keepAttempt(dir: string, agentDir: string, projectDir: string, message: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'error.txt'), message + '\n');
  try {
    const output = path.join(agentDir, 'output.log');
    const handle = await fs.open(output, 'r');
    try {
      const size = (await handle.stat()).size;
      const length = Math.min(size, OUTPUT_TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      await fs.writeFile(path.join(dir, 'output.tail.log'), buffer);
    } finally {
      await handle.close();
    }
  } catch {
    // the agent wrote no output yet
  }
  try {
    // --no-optional-locks: this diff runs beside the merger's git in the same worktree and must not take its index lock.
    const { stdout: diff } = await run('git', ['--no-optional-locks', '-C', projectDir, 'diff', 'HEAD', '--stat', '--patch'], { maxBuffer: 32 * 1024 * 1024 });
    const { stdout: untracked } = await run('git', ['--no-optional-locks', '-C', projectDir, 'ls-files', '--others', '--exclude-standard'], { maxBuffer: 8 * 1024 * 1024 });
    await fs.writeFile(path.join(dir, 'project.diff'), diff + (untracked ? `\n# untracked files\n${untracked}` : ''));
  } catch (error) {
    await fs.writeFile(path.join(dir, 'project.diff'), `git diff failed: ${(error as Error).message}\n`);
  }
}
