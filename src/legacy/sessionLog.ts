// session.log of run_mega_test.sh: the raw output of the build and of the
// agent (tee -a), with no timestamps. Read streamed; only its last lines are
// kept (they are what a log pane shows), so a long night's log costs a
// bounded amount of memory.

import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import type { ReplayDamage } from '../replay/types.js';

export const MAX_RAW_LOG_LINES = 5000;
const MAX_LINE_CHARS = 64 * 1024;

// ANSI colour and cursor sequences the agent printed for a terminal
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007/g;

export interface RawSessionLog {
  lines: string[];
  /** Lines in the file (those kept are the last of them). */
  total: number;
}

/** Reads session.log's last lines; `each`, when given, sees every raw line as the file has it (escapes, `\r` redraws). */
export async function readRawSessionLog(runDir: string, damage: ReplayDamage[], each?: (raw: string) => void): Promise<RawSessionLog> {
  const file = path.join(runDir, 'session.log');
  if (!existsSync(file)) return { lines: [], total: 0 };
  const kept: string[] = [];
  let total = 0;
  const keep = (raw: string) => {
    total += 1;
    each?.(raw);
    // a progress bar redraws with \r: what the terminal showed last is what stays
    const text = (raw.replace(ANSI, '').split('\r').filter((part) => part.trim() !== '').at(-1) ?? '').trimEnd();
    if (text === '') return;
    kept.push(text);
    if (kept.length > MAX_RAW_LOG_LINES * 2) kept.splice(0, kept.length - MAX_RAW_LOG_LINES);
  };
  // split on \n only (readline would also split on a lone \r, the progress bar's redraw)
  let rest = '';
  try {
    for await (const chunk of createReadStream(file, { encoding: 'utf8' })) {
      const parts = (rest + (chunk as string)).split('\n');
      rest = parts.pop()!;
      // a line with no end in sight (a binary blob, a runaway bar): only its end could ever show
      if (rest.length > MAX_LINE_CHARS) rest = rest.slice(-MAX_LINE_CHARS);
      for (const part of parts) keep(part);
    }
    if (rest !== '') keep(rest);
  } catch (error) {
    damage.push({ file: 'session.log', line: total + 1, problem: `cannot read further (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` });
  }
  return { lines: kept.slice(-MAX_RAW_LOG_LINES), total };
}
