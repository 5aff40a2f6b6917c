// Where a reader of a finished or abandoned run starts folding events.jsonl
// (issue 13 §4): the folded state that events.idx keeps for the end of what
// it indexed, when the index is sound and was built from this very log, or
// from an earlier, shorter state of it (a run that went on, or crashed, after
// the index was last written); else the empty state at the first byte. Only
// the rest of the log is then read. Read-only: nothing is written here (the
// orchestrator and replay keep the index: logIndexUpkeep.ts,
// src/replay/indexKeeper.ts).

import type { FileHandle } from 'node:fs/promises';
import { checkHeader, compareKey, IndexCorrupt, openIndexFile, readBlob, type IndexHeader } from '../replay/indexFile.js';
import { decodeState } from '../replay/snapshotCodec.js';
import type { ReplayDamage } from '../replay/types.js';
import { initialRunState, type RunState } from '../state/runState.js';
import { RunFileReadError } from './readError.js';

export interface LogStart {
  /** The fold of every event before `offset`. */
  state: RunState;
  /** Byte of events.jsonl where reading goes on. */
  offset: number;
  /** Lines before `offset` (blank and unreadable ones too): the line number reading goes on from. */
  line: number;
  /** Lines before `offset` that are not events (blank lines aside), as a plain fold counts them. */
  nonEvents: number;
  /** Lines before `offset` of event types this build does not know, as a plain fold counts them. */
  unknownTypes: UnknownTypes;
  /** Places before `offset` where the seq repeats or goes back (two writers, or a log pieced together), as a plain fold counts them. */
  seqRepeats: number;
  /** 'index': from events.idx's folded end; 'start': from the log's first byte. */
  from: 'index' | 'start';
  /** Why events.idx was not used, when there is one and it was not. */
  note: string | null;
}

/** Well-formed event lines of types this build does not know (a newer megatest's), and those types. */
export interface UnknownTypes {
  lines: number;
  types: string[];
}

/** How the seek index words an event line of a type this build does not know (src/replay/seekIndex.ts). */
export const UNKNOWN_TYPE = /^event type (\S+) unknown to this megatest \(written by a newer one\?\): skipped$/;

/** How the seek index words a line that is not an event (src/replay/seekIndex.ts). */
const NOT_AN_EVENT = /^not an event\b/;

/** Whether the seek index's damage is a line of events.jsonl that is not an event (a fold skips it). */
export function isLineNotAnEvent(damage: ReplayDamage): boolean {
  return damage.file === 'events.jsonl' && NOT_AN_EVENT.test(damage.problem);
}

/** How the seek index words an event whose seq repeats or goes back. */
const SEQ_BACK = /^seq \d+ after \d+ \(repeated or going back\)$/;

const fromTheStart = (note: string | null): LogStart => ({ state: initialRunState(), offset: 0, line: 0, nonEvents: 0, unknownTypes: { lines: 0, types: [] }, seqRepeats: 0, from: 'start', note });

/**
 * The nearest folded start for reading `eventsFile` (open as `events`):
 * events.idx's end state when it can be trusted for this log, else the
 * start. A problem with the index is never an error (the log is simply
 * folded from its start); a failed read of the log is (RunFileReadError).
 */
export async function findLogStart(events: FileHandle, eventsFile: string, indexFile: string): Promise<LogStart> {
  let opened;
  try {
    opened = await openIndexFile(indexFile);
  } catch (error) {
    if (error instanceof IndexCorrupt) return fromTheStart(`events.idx ${error.message}`);
    throw error;
  }
  if (opened === null) return fromTheStart(null);
  const { handle, header } = opened;
  try {
    try {
      checkHeader(header);
    } catch (error) {
      return fromTheStart(`events.idx ${(error as Error).message}`);
    }
    let verdict;
    try {
      verdict = compareKey(events.fd, await events.stat(), header.events);
    } catch (error) {
      throw RunFileReadError.from(error, eventsFile);
    }
    if (verdict === 'changed') return fromTheStart('events.idx was built from another events.jsonl');
    const nonEvents = nonEventLines(header);
    if (nonEvents === null) return fromTheStart(`events.idx lists only part of the log's damage (${header.timeline.damageNotListed} places not listed), so its unreadable lines cannot be counted`);
    let state: RunState;
    try {
      state = decodeState(await readBlob(handle, header.tail));
    } catch (error) {
      return fromTheStart(`events.idx end state unreadable (${(error as Error).message})`);
    }
    const seqRepeats = header.timeline.damage.filter((d) => d.file === 'events.jsonl' && SEQ_BACK.test(d.problem)).length;
    const unknownTypes: UnknownTypes = { lines: 0, types: [] };
    for (const d of header.timeline.damage) {
      const type = d.file === 'events.jsonl' ? UNKNOWN_TYPE.exec(d.problem)?.[1] : undefined;
      if (type === undefined) continue;
      unknownTypes.lines += 1;
      if (!unknownTypes.types.includes(type)) unknownTypes.types.push(type);
    }
    return { state, offset: header.carry.offset, line: header.carry.line, nonEvents, unknownTypes, seqRepeats, from: 'index', note: null };
  } finally {
    await handle.close();
  }
}

/** Lines of the indexed part that are not events, from the damage the index lists; null when it lists only part of it. */
function nonEventLines(header: IndexHeader): number | null {
  const timeline = header.timeline;
  if (!timeline || !Array.isArray(timeline.damage) || timeline.damageNotListed > 0) return null;
  return timeline.damage.filter(isLineNotAnEvent).length;
}
