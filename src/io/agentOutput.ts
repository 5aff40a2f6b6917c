// The last lines an agent printed: the tail of agents/<name>/output.log, for
// the console's agent detail. Reads only the file's end, so a long run's
// megabytes of output cost the same as a short one's. Its end may be in
// output.log.1 just after a rotation (rotatingLog.ts).

import path from 'node:path';
import { readLogTail } from './rotatingLog.js';
import { runPaths } from './runFolder.js';

/** Bytes read from the end of the file: plenty for the lines a screen shows. */
const TAIL_BYTES = 64 * 1024;

/** The file's last `maxLines` whole lines ([] when the agent has none yet, or the name is not a plain name). */
export async function lastOutputLines(runDir: string, agent: string, maxLines = 200): Promise<string[]> {
  if (!/^[\w.-]+$/.test(agent) || agent === '.' || agent === '..') return [];
  const file = path.join(runPaths(runDir).agents, agent, 'output.log');
  // Across a rotation: a new output.log of a few lines is shown after the end of output.log.1.
  const { data, whole } = await readLogTail(file, TAIL_BYTES);
  const lines = data.toString('utf8').split('\n');
  // A read that began mid-file begins mid-line: that first piece is not a whole line.
  if (!whole) lines.shift();
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-maxLines);
}
