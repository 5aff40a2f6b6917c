// Folds a run folder's events.jsonl, read in fixed-size chunks: the whole
// file is never held in memory, nor one line of it past 16 MB, however long
// the run or however damaged the file. Every reader of a finished or
// abandoned run (report, status, ls, compare) starts here, from the folded
// state events.idx keeps when it matches the log (logStart.ts), reading only
// what follows it. A read the disk refuses is a RunFileReadError, never a
// shorter log.

import { existsSync, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { parseEventLine, unknownEventLine, type MegatestEvent } from '../contract/events.js';
import { isLegacyRunFolder } from '../legacy/detect.js';
import { INDEX_FILE } from '../replay/indexFile.js';
import { scanLines } from '../replay/lineScan.js';
import type { ReplayDamage } from '../replay/types.js';
import { foldAll, foldEvents } from '../state/fold.js';
import { skipUnknownEvent } from '../state/reduce.js';
import { initialRunState, type RunState } from '../state/runState.js';
import { findLogStart, type UnknownTypes } from './logStart.js';
import { RunFileReadError } from './readError.js';

const BATCH = 4096;
export const CHUNK_BYTES = 1 << 20;
/** No event is this long: a longer "line" (a run of zeros a crash left, say) is skipped unread. */
export const MAX_LINE_BYTES = 16 << 20;

export interface LogReadOptions {
  /** Bytes read at a time (default 1 MiB; at least 4 KiB). */
  chunkBytes?: number;
  /** Longest line read (default 16 MiB); a longer one counts as unreadable. */
  maxLineBytes?: number;
  /** Start from events.idx when it matches the log (default true; foldEventFile never does). */
  useIndex?: boolean;
  /** Opens the log for reading (tests pass a handle that counts or fails its reads). */
  open?: (file: string) => Promise<FileHandle>;
}

export interface FoldedLog {
  state: RunState;
  /** Non-empty lines that are not events (torn, garbage, overlong). */
  unreadable: number;
  /** Well-formed event lines of types this build does not know (a newer megatest's): skipped, not damage, no gap. */
  unknownTypes: UnknownTypes;
  /**
   * Places where the seq repeats or goes back (the fold skips the events
   * until it passes its highest again): two writers in one log (two
   * orchestrators on one run folder), or a log pieced together.
   */
  seqRepeats: number;
  /** Where the fold began: events.idx's folded end state, or the log's first byte. */
  from: 'index' | 'start';
  /** Bytes of events.jsonl (0 when there is none). */
  bytes: number;
  /** Events this read folded from the log (those after the index, when it started from one). */
  eventsRead: number;
}

/** Opens a log for reading; a folder or FIFO in its place fails (EISDIR, not a regular file) rather than blocking or reading as empty. */
export async function openLogFile(file: string): Promise<FileHandle> {
  const stat = await fs.stat(file);
  if (!stat.isFile()) throw RunFileReadError.notAFile(file, stat.isDirectory());
  return fs.open(file, 'r');
}

/** The whole of `file` folded onto `start`, from its first byte (no index): the reference every other start must equal. */
export async function foldEventFile(file: string, start: RunState = initialRunState(), options: LogReadOptions = {}): Promise<FoldedLog> {
  return (await foldLog(file, { ...options, useIndex: false }, start))!;
}

/** The fold of a run folder's events.jsonl, from events.idx's folded end when it matches the log. */
export async function foldRunLog(runDir: string, options: LogReadOptions = {}): Promise<FoldedLog> {
  return (await foldLog(path.join(runDir, 'events.jsonl'), options, initialRunState(), false))!;
}

/**
 * The fold from events.idx's folded end, reading only the log after it;
 * null when there is no index that matches the log (nothing of the log is
 * then read: the caller folds it whole, or builds the index as it does).
 */
export async function foldFromIndex(runDir: string, options: LogReadOptions = {}): Promise<FoldedLog | null> {
  return foldLog(path.join(runDir, 'events.jsonl'), { ...options, useIndex: true }, initialRunState(), true);
}

async function foldLog(file: string, options: LogReadOptions, from: RunState = initialRunState(), onlyFromIndex = false): Promise<FoldedLog | null> {
  let handle: FileHandle;
  try {
    handle = await (options.open ?? openLogFile)(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return onlyFromIndex ? null : { state: from, unreadable: 0, unknownTypes: noUnknownTypes(), seqRepeats: 0, from: 'start', bytes: 0, eventsRead: 0 };
    throw RunFileReadError.from(error, file);
  }
  try {
    const start = options.useIndex === false ? null : await findLogStart(handle, file, path.join(path.dirname(file), INDEX_FILE));
    if (start?.from === 'index') {
      const rest = await foldLines(handle, file, start.offset, start.state, options);
      const unknownTypes = { lines: start.unknownTypes.lines + rest.unknownTypes.lines, types: [...new Set([...start.unknownTypes.types, ...rest.unknownTypes.types])] };
      return { ...rest, unreadable: start.nonEvents + rest.unreadable, unknownTypes, seqRepeats: start.seqRepeats + rest.seqRepeats, from: 'index' };
    }
    if (onlyFromIndex) return null;
    return { ...(await foldLines(handle, file, 0, from, options)), from: 'start' };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Folds the lines of `file` from byte `offset` to its end onto `state`, a chunk at a time. */
async function foldLines(
  handle: FileHandle,
  file: string,
  offset: number,
  state: RunState,
  options: LogReadOptions,
): Promise<{ state: RunState; unreadable: number; unknownTypes: UnknownTypes; seqRepeats: number; bytes: number; eventsRead: number }> {
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  let unreadable = 0;
  const unknownTypes = noUnknownTypes();
  let seqRepeats = 0;
  let lastSeq = state.lastSeq;
  let eventsRead = 0;
  let batch: MegatestEvent[] = [];
  const take = (text: string | null) => {
    if (text === null) {
      unreadable += 1;
      return;
    }
    if (text.trim() === '') return;
    const event = parseEventLine(text);
    if (event === null) {
      const unknown = unknownEventLine(text);
      if (unknown === null) {
        unreadable += 1;
        return;
      }
      // A newer megatest's event: its seq is taken in order with the others (so the next one is no gap), nothing else.
      unknownTypes.lines += 1;
      if (!unknownTypes.types.includes(unknown.type)) unknownTypes.types.push(unknown.type);
      if (lastSeq > 0 && unknown.seq <= lastSeq) seqRepeats += 1;
      lastSeq = unknown.seq;
      state = skipUnknownEvent(foldEvents(state, batch), unknown.seq);
      batch = [];
      return;
    }
    // Counted as the seek index counts them (each place the numbering goes back), so a fold from events.idx says the same.
    if (lastSeq > 0 && event.seq <= lastSeq) seqRepeats += 1;
    lastSeq = event.seq;
    batch.push(event);
    eventsRead += 1;
    if (batch.length >= BATCH) {
      state = foldEvents(state, batch);
      batch = [];
    }
  };
  try {
    const size = (await handle.stat()).size;
    const end = await scanLines(handle, offset, size, (text) => take(text), { chunkBytes: options.chunkBytes ?? CHUNK_BYTES, maxLineBytes });
    // A last line without its newline: a file written by hand, or one whose newline a crash took. It counts if it is a whole event.
    if (end.tailBytes > 0) take(end.tailBytes > maxLineBytes ? null : await readTail(handle, end.end, end.tailBytes));
    return { state: foldEvents(state, batch), unreadable, unknownTypes, seqRepeats, bytes: size, eventsRead };
  } catch (error) {
    throw RunFileReadError.from(error, file);
  }
}

function noUnknownTypes(): UnknownTypes {
  return { lines: 0, types: [] };
}

async function readTail(handle: FileHandle, at: number, length: number): Promise<string> {
  const buffer = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(buffer, got, length - got, at + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buffer.toString('utf8', 0, got);
}

export interface FoldedRun extends FoldedLog {
  /** Converted from a run folder of the original runner; null for a megatest run. */
  legacy: { damage: ReplayDamage[] } | null;
}

/**
 * The fold of any run folder: its events.jsonl (from events.idx's folded end
 * when it matches), or, for a folder of the original Python/Bash runner, the
 * events converted from its files (see src/legacy/). Every reader of a
 * finished or abandoned run that may be given a legacy folder (report,
 * status, ls, clean, compare) starts here.
 */
export async function foldRunFolder(runDir: string, options: LogReadOptions = {}): Promise<FoldedRun> {
  if (!existsSync(path.join(runDir, 'events.jsonl')) && isLegacyRunFolder(runDir)) {
    // Loaded only for such a folder: the converter reads the runner's TOML config (the TOML parser and zod's
    // schemas), which cost every `status`, `ls` and control command about 50 ms of start-up (bench/startup.mjs).
    const { convertLegacyRun } = await import('../legacy/convert.js');
    const converted = await convertLegacyRun(runDir);
    return { state: foldAll(converted.events), unreadable: 0, unknownTypes: noUnknownTypes(), seqRepeats: 0, from: 'start', bytes: 0, eventsRead: converted.events.length, legacy: { damage: converted.damage } };
  }
  return { ...(await foldRunLog(runDir, options)), legacy: null };
}

/**
 * Throws RunFileReadError (`COMMAND: cannot read FILE (CODE); CONSEQUENCE`)
 * when the log cannot be opened or read at its start and end: a folder in
 * its place, no permission, a failing disk; and (`COMMAND: FILE is missing
 * …`) when there is none: a run folder is made with its (empty) log, so a
 * run killed before its first event has one, and a missing log was deleted
 * or moved (it said "cannot open … (ENOENT)" from deeper in, or, to the
 * report, "no session_started event", as if the log were there).
 */
export async function checkLogReadable(file: string, command: string, consequence: string): Promise<void> {
  let handle: FileHandle | null = null;
  try {
    handle = await openLogFile(file);
    const size = (await handle.stat()).size;
    const probe = Buffer.alloc(4096);
    await handle.read(probe, 0, Math.min(probe.length, size), 0);
    if (size > probe.length) await handle.read(probe, 0, probe.length, size - probe.length);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missingLog(file, command, consequence);
    throw RunFileReadError.say(error, file, command, consequence);
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** A run folder's events.jsonl that is not there (a run folder is made with it): said as missing, exit 1 (the folder is damaged). */
export function missingLog(file: string, command: string, consequence: string): RunFileReadError {
  return new RunFileReadError(`${command}: ${file} is missing (deleted or moved?): the run folder holds no event log; ${consequence}`, file, 'ENOENT');
}
