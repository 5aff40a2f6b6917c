// openReplaySource: a run folder read through the one fold at any cursor
// (src/replay/types.ts). The first frame reads the seek index (events.idx)
// and the state it keeps for the log's end; any other cursor costs the
// nearest snapshot at or before it plus the events after it, read from that
// byte offset. Nothing reads the whole log except the index build on a first
// open (its cost is reported in `index.openMs`).
//
// Cost of stepping: the last state served is kept, and a later cursor folds
// forward from it when that is nearer than a snapshot, so stepping → and
// playing cost the events stepped over; stepping ← folds from the nearest
// snapshot (decoded ones are cached) over at most snapshotEvery events.

import { constants as fsConstants, existsSync, statSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../config/errors.js';
import { RunFileReadError } from '../io/readError.js';
import type { MegatestEvent } from '../contract/events.js';
import { initialRunState, type RunState } from '../state/runState.js';
import { EventBlocks } from './eventBlocks.js';
import { IndexKeeper, type IndexInfo } from './indexKeeper.js';
import { LOG_FILE } from './logIndex.js';
import { memoryReplaySource } from './memorySource.js';
import { EVENTS_FILE, type SeekIndex } from './seekIndex.js';
import type { ReplayDamage, ReplaySource, TimelineMark } from './types.js';

export { DEFAULT_SNAPSHOT_EVERY, ENTRY_EVERY, MAX_DECODED_SNAPSHOTS, type IndexInfo } from './indexKeeper.js';

export interface OpenReplayOptions {
  /** Events between folded snapshots in the index (default DEFAULT_SNAPSHOT_EVERY). */
  snapshotEvery?: number;
  /** Events between the index's offset rows (default ENTRY_EVERY); for tests and the benchmark. */
  entryEvery?: number;
  /** Where to keep the index (default <runDir>/events.idx). */
  indexPath?: string;
  /** Read events.idx and never write it (the run's orchestrator is running, and keeps it). */
  readOnly?: boolean;
  /** Progress of the index build on a first open: bytes of events.jsonl read, bytes to read. */
  onProgress?: (offset: number, total: number) => void;
  /** How a legacy run folder is converted (default: src/legacy/convert.ts); tests pass a double. */
  legacyConverter?: LegacyConverter;
}

/** What src/legacy/convert.ts exports. */
export interface LegacyConverter {
  isLegacyRunFolder(dir: string): boolean;
  convertLegacyRun(dir: string): Promise<{ events: MegatestEvent[]; sessionLog: string[]; damage: ReplayDamage[] }>;
}

export interface ReplayStats {
  /** Snapshot states held decoded (at most MAX_DECODED_SNAPSHOTS, sharing most of their objects). */
  decodedSnapshots: number;
  cachedBlocks: number;
  snapshots: number;
  entryRows: number;
  snapshotEvery: number;
  entryEvery: number;
}

/** A ReplaySource, plus what this implementation can tell about itself. */
export interface OpenedReplaySource extends ReplaySource {
  /** How the seek index was had (null for a source held in memory: legacy, or an unreadable log). */
  readonly index: IndexInfo | null;
  /** The time a cursor has reached: the latest event time among the first `cursor` events (startMs() at 0). */
  timeAt(cursor: number): Promise<number>;
  /** What is held decoded now (for tests and the benchmark). */
  stats(): ReplayStats;
}

const LEGACY_MODULE = '../legacy/convert.js';

async function defaultLegacyConverter(): Promise<LegacyConverter | null> {
  try {
    return (await import(LEGACY_MODULE)) as LegacyConverter;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return null;
    throw error;
  }
}

/**
 * Opens a file for reading without waiting: a FIFO opened plainly blocks
 * until a writer comes (replay hung for ever on one), so it is opened
 * non-blocking and refused, as a folder is (which opens like a file and
 * fails only at its first read, deep in the index), by its fstat.
 */
async function openRegularFile(file: string): Promise<FileHandle> {
  const handle = await fs.open(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  const stat = await handle.stat().catch(async (error: unknown) => {
    await handle.close();
    throw error;
  });
  if (stat.isFile()) return handle;
  await handle.close();
  throw Object.assign(RunFileReadError.notAFile(file, stat.isDirectory()), { notRegular: true });
}

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

/** RUN is no folder at all: nothing there, or a file. The command says it before its terminal check, in these words. */
export function refuseNonFolder(runDir: string): void {
  if (!existsSync(runDir)) throw new UsageError(`replay: ${runDir} is not a run folder (no such folder)`);
  if (!statSync(runDir).isDirectory()) throw new UsageError(`replay: ${runDir} is not a run folder (a file, not a folder; give the folder that holds events.jsonl)`);
}

export async function openReplaySource(runDir: string, options: OpenReplayOptions = {}): Promise<OpenedReplaySource> {
  const dir = path.resolve(runDir);
  const eventsFile = path.join(dir, EVENTS_FILE);
  refuseNonFolder(runDir);
  if (!existsSync(eventsFile)) {
    const converter = options.legacyConverter ?? (await defaultLegacyConverter());
    if (converter?.isLegacyRunFolder(dir)) {
      const { events, sessionLog, damage } = await converter.convertLegacyRun(dir);
      return memoryReplaySource(dir, events, sessionLog, damage, true);
    }
    throw new UsageError(`replay: ${runDir} is not a run folder (no events.jsonl, and not a folder of the original Python/Bash runner)`);
  }
  const damage: ReplayDamage[] = [];
  let logHandle: FileHandle | null = null;
  try {
    logHandle = await openRegularFile(path.join(dir, LOG_FILE));
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') damage.push({ file: LOG_FILE, problem: `cannot be read (${codeOf(error)})` });
  }
  let events: FileHandle;
  try {
    events = await openRegularFile(eventsFile);
  } catch (error) {
    await logHandle?.close();
    // Not a regular file (a folder, a FIFO): nothing to replay, said in one line as status and report say it (exit 1).
    if ((error as { notRegular?: boolean }).notRegular === true) throw RunFileReadError.say(error, eventsFile, 'megatest replay', 'nothing to replay');
    damage.push({ file: EVENTS_FILE, problem: `cannot be read (${codeOf(error)})` });
    return memoryReplaySource(dir, [], [], damage, false);
  }
  try {
    const keeper = await IndexKeeper.open(dir, events, logHandle, options);
    return new FileReplaySource(dir, keeper, events, logHandle, damage);
  } catch (error) {
    await events.close();
    await logHandle?.close();
    throw error;
  }
}

class FileReplaySource implements OpenedReplaySource {
  readonly legacy = false;
  private readonly blocks: EventBlocks;
  private lastServed: { index: SeekIndex; cursor: number; state: RunState } | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private marksCache: { from: readonly TimelineMark[]; torn: unknown; marks: readonly TimelineMark[] } | null = null;

  constructor(
    readonly runDir: string,
    private readonly keeper: IndexKeeper,
    private readonly events: FileHandle,
    private readonly logHandle: FileHandle | null,
    private readonly openDamage: ReplayDamage[],
  ) {
    this.blocks = new EventBlocks(events);
  }

  get index(): IndexInfo {
    return this.keeper.info;
  }

  count(): number {
    return this.keeper.index.carry.count;
  }

  startMs(): number {
    return this.keeper.index.carry.firstMs ?? 0;
  }

  endMs(): number {
    return this.keeper.index.carry.maxMs ?? 0;
  }

  marks(): readonly TimelineMark[] {
    const index = this.keeper.index;
    const from = index.timeline.marks();
    const cache = this.marksCache;
    if (cache && cache.from === from && cache.torn === index.torn) return cache.marks;
    const torn = index.torn;
    const marks = torn
      ? [...from, { index: torn.atIndex ?? index.carry.count, seq: index.carry.lastSeq, atMs: this.endMs(), kind: 'damage' as const, label: `events.jsonl:${torn.line} ${torn.problem}` }]
      : from;
    this.marksCache = { from, torn, marks };
    return marks;
  }

  damage(): readonly ReplayDamage[] {
    const listed = [...this.openDamage, ...this.keeper.indexDamage, ...this.keeper.index.damage()];
    if (this.blocks.shortRead) listed.push({ file: EVENTS_FILE, problem: this.blocks.shortRead });
    return listed;
  }

  stats(): ReplayStats {
    const index = this.keeper.index;
    return {
      decodedSnapshots: this.keeper.decodedSnapshots,
      cachedBlocks: this.blocks.cachedBlocks,
      snapshots: index.snapshots.length,
      entryRows: index.entries.length,
      snapshotEvery: index.snapshotEvery,
      entryEvery: index.entryEvery,
    };
  }

  stateAt(cursor: number): Promise<RunState> {
    return this.locked(async () => {
      const index = this.keeper.index;
      const c = clampCursor(cursor, index.carry.count);
      if (c === index.carry.count) return index.tail;
      let base: { cursor: number; state: RunState } = { cursor: 0, state: initialRunState() };
      for (let row = index.snapshotAtOrBefore(c); row !== null; row = index.snapshotAtOrBefore(row.cursor - 1)) {
        const state = await this.keeper.snapshotState(row);
        if (state !== null) {
          base = { cursor: row.cursor, state };
          break;
        }
      }
      const last = this.lastServed;
      if (last !== null && last.index === index && last.cursor <= c && last.cursor >= base.cursor) base = last;
      const state = base.cursor === c ? base.state : await this.blocks.foldRange(index, base.state, base.cursor, c);
      this.lastServed = { index, cursor: c, state };
      return state;
    });
  }

  foldForward(state: RunState, from: number, to: number): Promise<RunState> {
    return this.locked(async () => {
      const index = this.keeper.index;
      const c = clampCursor(to, index.carry.count);
      return this.blocks.foldRange(index, state, clampCursor(from, c), c);
    });
  }

  eventAt(index: number): Promise<MegatestEvent | undefined> {
    return this.locked(async () => {
      const seek = this.keeper.index;
      if (!Number.isInteger(index) || index < 0 || index >= seek.carry.count) return undefined;
      const { block, first } = await this.blocks.blockOf(seek, index);
      return block.events[index - first];
    });
  }

  cursorOfSeq(seq: number): Promise<number> {
    return this.locked(() => this.prefixCursor('seq', seq));
  }

  cursorAtMs(ms: number): Promise<number> {
    return this.locked(() => this.prefixCursor('ms', ms));
  }

  timeAt(cursor: number): Promise<number> {
    return this.locked(async () => {
      const index = this.keeper.index;
      const c = clampCursor(cursor, index.carry.count);
      const row = Math.floor(c / index.entryEvery);
      let max = index.entries.maxMs[row]!;
      for (let at = row * index.entryEvery; at < c; ) {
        const { block, first } = await this.blocks.blockOf(index, at);
        if (block.events.length === 0) break;
        for (let j = at - first; j < block.ms.length && at < c; j++, at++) if (!Number.isNaN(block.ms[j]!)) max = Math.max(max, block.ms[j]!);
      }
      return Number.isFinite(max) ? max : this.startMs();
    });
  }

  logLinesAt(ms: number, n: number): Promise<string[]> {
    return this.locked(async () => {
      const log = this.keeper.log;
      if (log === null || this.logHandle === null || Number.isNaN(ms)) return [];
      return log.linesAt(this.logHandle, ms, Math.floor(n));
    });
  }

  refresh(): Promise<void> {
    return this.locked(async () => {
      const { rebuilt } = await this.keeper.refresh();
      if (rebuilt) {
        this.blocks.clear();
        this.lastServed = null;
      }
    });
  }

  close(): Promise<void> {
    return this.locked(async () => {
      await this.keeper.close();
      await this.events.close();
      await this.logHandle?.close();
    });
  }

  /**
   * The largest cursor whose events all have seq (or time) <= value: the
   * index's rows give the running maximum every entryEvery events, and one
   * block read finds the place between two rows.
   */
  private async prefixCursor(by: 'seq' | 'ms', value: number): Promise<number> {
    const index = this.keeper.index;
    const column = by === 'seq' ? index.entries.maxSeq : index.entries.maxMs;
    if (Number.isNaN(value)) return 0;
    const row = index.entries.lastAtOrBelow(column, value);
    if (row < 0) return 0;
    let at = row * index.entryEvery;
    let max = column[row]!;
    while (at < index.carry.count) {
      const { block, first } = await this.blocks.blockOf(index, at);
      if (block.events.length === 0) break;
      for (let j = at - first; j < block.events.length; j++, at++) {
        const x = by === 'seq' ? block.events[j]!.seq : block.ms[j]!;
        if (Number.isNaN(x)) continue;
        if (Math.max(max, x) > value) return at;
        max = Math.max(max, x);
      }
    }
    return at;
  }

  /** One operation at a time: a refresh may grow or rebuild the index under a seek. */
  private locked<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function clampCursor(cursor: number, count: number): number {
  if (Number.isNaN(cursor)) return 0;
  return Math.max(0, Math.min(count, Math.floor(cursor)));
}
