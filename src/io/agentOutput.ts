// The last lines an agent printed: the tail of agents/<name>/output.log, for
// the console's agent detail. Reads only the file's end, so a long run's
// megabytes of output cost the same as a short one's.

import { open } from 'node:fs/promises';
import path from 'node:path';
import { runPaths } from './runFolder.js';

/** Bytes read from the end of the file: plenty for the lines a screen shows. */
const TAIL_BYTES = 64 * 1024;

/** The file's last `maxLines` whole lines ([] when the agent has none yet, or the name is not a plain name). */
export async function lastOutputLines(runDir: string, agent: string, maxLines = 200): Promise<string[]> {
  if (!/^[\w.-]+$/.test(agent) || agent === '.' || agent === '..') return [];
  const file = path.join(runPaths(runDir).agents, agent, 'output.log');
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split('\n');
    // A read that began mid-file begins mid-line: that first piece is not a whole line.
    if (start > 0) lines.shift();
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-maxLines);
  } finally {
    await handle.close();
  }
}
