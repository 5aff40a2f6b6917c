// When each line of a recorded file happened. A stream that carries its own
// times (a top-level `timestamp` on a JSON line, as newer Claude Code
// stream-json has) is placed by them. One that carries none (selfware's
// console output, codex exec --json, the recorded fixtures of every kind) is
// placed in line order on a fixed synthetic clock: 1 ms per line, the last
// line 1 ms before the file's modification time. Those times say which line
// came first, not when it happened, and the report says so.

import { jsonObjectLine, readLines } from './lineReader.js';
import type { ImportKind } from './kinds.js';
import type { PinnedFile } from './pinnedFile.js';

export type TimelineKind = 'stream' | 'line_order';

/** What a first pass over a file found: how many lines, and whether the stream carries times. */
export interface FileSurvey {
  file: string;
  lines: number;
  bytes: number;
  /** The file's modification time, whole ms. */
  mtimeMs: number;
  /** The first line's own timestamp, when the stream carries times. */
  firstTimestampMs: number | null;
  /** The latest timestamp of any line (its end), when the stream carries times. */
  lastTimestampMs: number | null;
}

/**
 * The line's own time, when it is a JSON object with a top-level ISO 8601
 * `timestamp`. selfware prints no JSON: its lines never have one.
 */
export function lineTimestampMs(kind: ImportKind, text: string): number | undefined {
  // Cheap pre-check: most lines name no timestamp and are not parsed twice.
  if (kind === 'selfware' || !text.includes('"timestamp"')) return undefined;
  const stamp = jsonObjectLine(text)?.timestamp;
  if (typeof stamp !== 'string') return undefined;
  const ms = Date.parse(stamp);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Counts the lines (as readLines splits them) of the pinned bytes and finds the first timestamp, streaming. */
export async function surveyFile(kind: ImportKind, file: PinnedFile): Promise<FileSurvey> {
  let lines = 0;
  let firstTimestampMs: number | null = null;
  let lastTimestampMs: number | null = null;
  for await (const line of readLines(file)) {
    lines += 1;
    const ms = lineTimestampMs(kind, line);
    if (ms === undefined) continue;
    firstTimestampMs ??= ms;
    lastTimestampMs = Math.max(lastTimestampMs ?? ms, ms);
  }
  return { file: file.path, lines, bytes: file.bytes, mtimeMs: file.mtimeMs, firstTimestampMs, lastTimestampMs };
}

/** The clock of one file: the time of each line in turn, never going back. */
export class FileClock {
  readonly kind: TimelineKind;
  private lastMs: number;
  private readonly lineOrderStartMs: number;

  constructor(
    private readonly importKind: ImportKind,
    private readonly survey: FileSurvey,
  ) {
    this.kind = survey.firstTimestampMs === null ? 'line_order' : 'stream';
    this.lineOrderStartMs = survey.mtimeMs - survey.lines;
    this.lastMs = this.kind === 'stream' ? survey.firstTimestampMs! : this.lineOrderStartMs;
  }

  /** When the file's first line happened (its end, for an empty file). */
  get startMs(): number {
    return this.kind === 'stream' ? this.survey.firstTimestampMs! : this.lineOrderStartMs;
  }

  /** The time of line `index` (0-based): its own timestamp, else the last one seen; or its place in line order. */
  at(index: number, text: string): number {
    if (this.kind === 'line_order') {
      this.lastMs = this.lineOrderStartMs + index;
      return this.lastMs;
    }
    // A stamp earlier than the one before (clocks do step back) keeps the order of the lines.
    const own = lineTimestampMs(this.importKind, text);
    if (own !== undefined && own > this.lastMs) this.lastMs = own;
    return this.lastMs;
  }

  /** When the stream ended: the file's modification time in line order, else its last time. */
  endMs(): number {
    return this.kind === 'line_order' ? Math.max(this.lastMs, this.survey.mtimeMs) : this.lastMs;
  }

  /** The end as the survey saw it, before the stream is read (the session's planned length). */
  get plannedEndMs(): number {
    return this.kind === 'line_order' ? this.survey.mtimeMs : Math.max(this.survey.firstTimestampMs!, this.survey.lastTimestampMs ?? 0);
  }

  /** One line for the log and the report: which timeline this file's events follow. */
  describe(): string {
    return this.kind === 'stream'
      ? "the stream's own timestamps"
      : `line order, not time: 1 ms per line, the last line 1 ms before the file's modification time ${new Date(this.survey.mtimeMs).toISOString()}`;
  }
}
