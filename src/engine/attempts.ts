// What a failed attempt leaves behind, kept under agents/<name>/attempts/ so
// a person can see what went wrong after the recovery moved on.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readLogTail } from '../io/rotatingLog.js';
import { gitTimed } from './git.js';

const OUTPUT_TAIL_BYTES = 256 * 1024;
/**
 * Attempt folders kept per agent, the newest: each holds up to 256 KiB of
 * output and a diff, and a day of transient errors made a thousand of them
 * (300 MB) that nobody reads past the last few dozen.
 */
export const KEPT_ATTEMPTS = 50;
/** The session waits for an attempt's artifacts before it ends (Recovery.drain): git gets this long for each of its two answers. */
const ATTEMPT_GIT_TIMEOUT_MS = 30_000;

export async function keepAttempt(dir: string, agentDir: string, projectDir: string, message: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'error.txt'), message + '\n');
  // The tail reaches into output.log.1 when output.log was rotated a moment before the failure.
  const { data } = await readLogTail(path.join(agentDir, 'output.log'), OUTPUT_TAIL_BYTES).catch(() => ({ data: Buffer.alloc(0) }));
  // None when the agent wrote no output yet.
  if (data.length > 0) await fs.writeFile(path.join(dir, 'output.tail.log'), data);
  // --no-optional-locks: this diff runs beside the merger's git in the same worktree and must not take its index lock.
  const diff = await gitTimed(projectDir, ['--no-optional-locks', 'diff', 'HEAD', '--stat', '--patch'], ATTEMPT_GIT_TIMEOUT_MS);
  const untracked = diff.code === 0 ? await gitTimed(projectDir, ['--no-optional-locks', 'ls-files', '--others', '--exclude-standard'], ATTEMPT_GIT_TIMEOUT_MS) : diff;
  const failed = [diff, untracked].find((result) => result.code !== 0);
  await fs.writeFile(
    path.join(dir, 'project.diff'),
    failed === undefined
      ? endLine(diff.stdout) + (untracked.stdout ? `\n# untracked files\n${endLine(untracked.stdout)}` : '')
      : `git diff failed: ${failed.timedOut ? `no answer in ${ATTEMPT_GIT_TIMEOUT_MS / 1000} s` : failed.stderr.trim().split('\n')[0] || `exit code ${failed.code}`}\n`,
  );
  await pruneAttempts(path.dirname(dir));
}

/** Removes all but the newest `keep` attempt folders (named `<ms>-<class>-<attempt>`) in `attemptsDir`. */
export async function pruneAttempts(attemptsDir: string, keep = KEPT_ATTEMPTS): Promise<void> {
  const names = await fs.readdir(attemptsDir).catch(() => [] as string[]);
  const dated = names.map((name) => ({ name, ms: Number(/^(\d+)-/.exec(name)?.[1]) })).filter((entry) => Number.isFinite(entry.ms));
  if (dated.length <= keep) return;
  dated.sort((a, b) => a.ms - b.ms || (a.name < b.name ? -1 : 1));
  for (const { name } of dated.slice(0, dated.length - keep)) await fs.rm(path.join(attemptsDir, name), { recursive: true, force: true });
}

/** execa drops the last newline of what git printed: put back. */
function endLine(text: string): string {
  return text === '' ? '' : `${text}\n`;
}
