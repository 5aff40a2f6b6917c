// The history a branch of a finished run starts with: the original's
// events.jsonl up to the checkpoint it continues from (its checkpoint_created
// event included, so the one fold has the checkpoint's rollback point), the
// first line, session_started, naming the branch and its origin; and the
// metrics history up to the same instant. Lines are copied byte for byte.

import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { once } from 'node:events';
import { UsageError } from '../config/errors.js';
import type { EventOf } from '../contract/events.js';
import { olderLogs } from '../io/rotatingLog.js';

export interface HistoryCut {
  /** Seq of the last event copied. */
  lastSeq: number;
  /** ts of the last event copied (ISO). */
  lastTs: string;
  /** Events copied, the session_started included. */
  events: number;
  /** Whether the checkpoint's own checkpoint_created event was found (else the cut is at its last_event_seq). */
  sawCheckpointEvent: boolean;
}

/** Whole lines of a file, as Buffers without their '\n'; a last line without one is left out (torn). */
async function* linesOf(file: string): AsyncGenerator<Buffer> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    const data = carry.length > 0 ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    let start = 0;
    for (let newline = data.indexOf(0x0a, start); newline !== -1; newline = data.indexOf(0x0a, start)) {
      yield data.subarray(start, newline);
      start = newline + 1;
    }
    carry = Buffer.from(data.subarray(start));
  }
}

const SEQ_PREFIX = /^\{"seq":(\d+),"ts":"([^"]*)","type":"([a-z_]+)"/;

/** seq, ts and type of an event line: from the writer's fixed prefix, else by parsing; null for a line that is no event. */
function headOf(line: Buffer): { seq: number; ts: string; type: string } | null {
  const text = line.subarray(0, 160).toString('utf8');
  const match = SEQ_PREFIX.exec(text);
  if (match) return { seq: Number(match[1]), ts: match[2]!, type: match[3]! };
  try {
    const value = JSON.parse(line.toString('utf8')) as { seq?: unknown; ts?: unknown; type?: unknown };
    if (typeof value.seq === 'number' && typeof value.ts === 'string' && typeof value.type === 'string') return { seq: value.seq, ts: value.ts, type: value.type };
  } catch {
    // garbage: copied along with its neighbours, never a cut point
  }
  return null;
}

/**
 * Copies source's events up to checkpoint `checkpointId` into target. The
 * cut is right after the checkpoint's checkpoint_created event; when a kill
 * lost that event, right after the checkpoint's last_event_seq (every event
 * up to it was on disk before the checkpoint named it).
 */
export async function copyHistory(
  source: string,
  target: string,
  options: { checkpointId: string; lastEventSeq: number; rewriteStart: (event: EventOf<'session_started'>) => EventOf<'session_started'> },
): Promise<HistoryCut> {
  const out = createWriteStream(target, { flags: 'wx' });
  let written = 0;
  // bytes written up to the last line known to be at or before the cut
  let safeEnd = 0;
  let cut: Omit<HistoryCut, 'sawCheckpointEvent'> | null = null;
  let pending: Omit<HistoryCut, 'sawCheckpointEvent'> | null = null;
  let sawCheckpointEvent = false;
  const write = async (data: Buffer | string): Promise<void> => {
    written += Buffer.byteLength(data);
    if (!out.write(data)) await once(out, 'drain');
  };
  try {
    let first = true;
    for await (const line of linesOf(source)) {
      if (first) {
        first = false;
        let start: EventOf<'session_started'> | null = null;
        try {
          const value = JSON.parse(line.toString('utf8')) as EventOf<'session_started'>;
          if (value?.type === 'session_started' && typeof value.seq === 'number') start = value;
        } catch {
          start = null;
        }
        if (start === null) throw new UsageError(`${source}: its first line is not a session_started event; this run cannot be branched`);
        await write(`${JSON.stringify(options.rewriteStart(start))}\n`);
        safeEnd = written;
        cut = { lastSeq: start.seq, lastTs: start.ts, events: 1 };
        pending = cut;
        continue;
      }
      const head = headOf(line);
      await write(Buffer.concat([line, Buffer.from('\n')]));
      if (head === null) continue;
      pending = { lastSeq: head.seq, lastTs: head.ts, events: (pending?.events ?? 0) + 1 };
      if (head.seq <= options.lastEventSeq) {
        safeEnd = written;
        cut = pending;
      } else if (head.type === 'checkpoint_created' && line.includes(`"id":"${options.checkpointId}"`)) {
        safeEnd = written;
        cut = pending;
        sawCheckpointEvent = true;
        break;
      }
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  if (cut === null) throw new UsageError(`${source}: no events; this run cannot be branched`);
  await fs.truncate(target, safeEnd);
  return { ...cut, sawCheckpointEvent };
}

/**
 * Copies the lines of metrics/metrics.jsonl taken at or before `until` (ISO);
 * returns how many. The history's older files (metrics.jsonl.2, .1, rotated
 * away by size) come first, oldest first: a long run's early snapshots are there.
 */
export async function copyMetricsHistory(source: string, target: string, until: string): Promise<number> {
  const limit = Date.parse(until);
  const kept: Buffer[] = [];
  files: for (const file of [...olderLogs(source).reverse(), source]) {
    try {
      for await (const line of linesOf(file)) {
        let taken: number;
        try {
          taken = Date.parse((JSON.parse(line.toString('utf8')) as { timestamp?: string }).timestamp ?? '');
        } catch {
          continue;
        }
        if (!Number.isFinite(taken) || taken > limit) break files;
        kept.push(line, Buffer.from('\n'));
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  await fs.writeFile(target, Buffer.concat(kept));
  return kept.length / 2;
}
