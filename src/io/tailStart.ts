// Where the console's tail of a run folder starts reading (issue 13 §4): a
// big run's events.jsonl is not folded whole again on attach, but from the
// folded state events.idx keeps when it matches the log (the same start and
// the same checks as status, report and resume: logStart.ts), reading only
// the events after it; and session.log from its last lines, as many as the
// console keeps, not from its first. With no index, or one that does not
// match, the events are read from the first byte, as before.

import type { FileHandle } from 'node:fs/promises';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { INDEX_FILE } from '../replay/indexFile.js';
import type { RunState } from '../state/runState.js';
import { openLogFile } from './foldLog.js';
import { findLogStart } from './logStart.js';

export interface EventsStart {
  /** The fold of every event before `offset` (events.idx's folded end); null when reading starts at the first byte. */
  state: RunState | null;
  /** Byte of events.jsonl where reading starts: the start of a line. */
  offset: number;
  /** Lines before `offset`, so later lines keep their numbers in messages. */
  line: number;
  /** Why events.idx was not used, when there is one and it was not. */
  note: string | null;
}

const FROM_FIRST_BYTE: EventsStart = { state: null, offset: 0, line: 0, note: null };

/** Where to start reading `runDir`'s events.jsonl: after events.idx's folded end when the index matches the log, else its first byte. */
export async function findEventsStart(runDir: string): Promise<EventsStart> {
  const file = path.join(runDir, 'events.jsonl');
  let handle: FileHandle;
  try {
    handle = await openLogFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return FROM_FIRST_BYTE;
    throw error;
  }
  try {
    const start = await findLogStart(handle, file, path.join(runDir, INDEX_FILE));
    if (start.from !== 'index') return { ...FROM_FIRST_BYTE, note: start.note };
    return { state: start.state, offset: start.offset, line: start.line, note: null };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

const BLOCK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * The byte where the last `count` lines of `file` begin (0 when it has no
 * more; 0 too when there is no file yet), read backwards a block at a time:
 * a long session.log is not read whole to show its end.
 */
export async function lastLinesStart(file: string, count: number): Promise<number> {
  let handle: FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  try {
    const size = (await handle.stat()).size;
    // The newline that ends the last line starts none.
    let end = size - 1;
    let seen = 0;
    const block = Buffer.alloc(BLOCK_BYTES);
    while (end > 0 && count > 0) {
      const start = Math.max(0, end - BLOCK_BYTES);
      const { bytesRead } = await handle.read(block, 0, end - start, start);
      for (let i = bytesRead - 1; i >= 0; i--) {
        if (block[i] !== NEWLINE) continue;
        seen += 1;
        if (seen === count) return start + i + 1;
      }
      end = start;
    }
    return 0;
  } finally {
    await handle.close().catch(() => undefined);
  }
}
