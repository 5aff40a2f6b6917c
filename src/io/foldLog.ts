// Folds a run folder's events.jsonl, streamed in batches: the whole file is
// never held in memory, however long the run. Every reader of a finished or
// abandoned run (report, status, resume) starts here.

import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { parseEventLine, type MegatestEvent } from '../contract/events.js';
import { convertLegacyRun, isLegacyRunFolder } from '../legacy/convert.js';
import type { ReplayDamage } from '../replay/types.js';
import { foldAll, foldEvents } from '../state/fold.js';
import { initialRunState, type RunState } from '../state/runState.js';

const BATCH = 4096;

export interface FoldedLog {
  state: RunState;
  /** Non-empty lines that are not events (torn, garbage). */
  unreadable: number;
}

export async function foldEventFile(file: string, start: RunState = initialRunState()): Promise<FoldedLog> {
  let state = start;
  let unreadable = 0;
  if (!existsSync(file)) return { state, unreadable };
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let batch: MegatestEvent[] = [];
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const event = parseEventLine(line);
    if (!event) {
      unreadable += 1;
      continue;
    }
    batch.push(event);
    if (batch.length >= BATCH) {
      state = foldEvents(state, batch);
      batch = [];
    }
  }
  return { state: foldEvents(state, batch), unreadable };
}

export interface FoldedRun extends FoldedLog {
  /** Converted from a run folder of the original runner; null for a megatest run. */
  legacy: { damage: ReplayDamage[] } | null;
}

/**
 * The fold of any run folder: its events.jsonl, or, for a folder of the
 * original Python/Bash runner, the events converted from its files (see
 * src/legacy/). Every reader of a finished or abandoned run that may be
 * given a legacy folder (report, status, ls, clean, compare) starts here.
 */
export async function foldRunFolder(runDir: string): Promise<FoldedRun> {
  if (!existsSync(path.join(runDir, 'events.jsonl')) && isLegacyRunFolder(runDir)) {
    const converted = await convertLegacyRun(runDir);
    return { state: foldAll(converted.events), unreadable: 0, legacy: { damage: converted.damage } };
  }
  return { ...(await foldEventFile(path.join(runDir, 'events.jsonl'))), legacy: null };
}
