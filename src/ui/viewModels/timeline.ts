// Replay's two extra lines: the timeline bar (the whole recording from its
// first to its last event, with checkpoint, restore, error, recovery and
// damage marks and the cursor) and the status line (where the replay
// stands: play state, speed, time, seq, and what is damaged in the files).

import type { ReplayDamage, TimelineMark, TimelineMarkKind } from '../../replay/types.js';
import type { Glyphs, ThemeRole } from '../theme.js';
import { formatDuration, type Span } from './format.js';

/** A damage entry placed in time where it sits before an event (null: it has no place in the log). */
export interface PlacedDamage extends ReplayDamage {
  atMs: number | null;
}

/** What the replay controller publishes about the cursor; the timeline and status line read it. */
export interface ReplayPosition {
  /** Events folded so far (0 … count). */
  cursor: number;
  count: number;
  /** Seq of the last event folded; null before the first. */
  seq: number | null;
  /** Where the replay stands in the recording's own time (ms since the epoch). */
  clockMs: number;
  startMs: number;
  endMs: number;
  speed: number;
  playing: boolean;
  marks: readonly TimelineMark[];
  damage: readonly PlacedDamage[];
}

export function emptyReplayPosition(): ReplayPosition {
  return { cursor: 0, count: 0, seq: null, clockMs: 0, startMs: 0, endMs: 0, speed: 1, playing: false, marks: [], damage: [] };
}

/**
 * When two marks fall in one column, the one that says most wins. A restore
 * over an error: a restore follows the error that called for it by a few
 * milliseconds, always in its column, and under the error's ✗ no replay ever
 * showed a ↺ (`n` stopped at restores nobody could see).
 */
const MARK_RANK: Record<TimelineMarkKind, number> = { checkpoint: 1, recovery: 2, error: 3, restore: 4, damage: 5 };

const MARK_ROLE: Record<TimelineMarkKind, ThemeRole> = {
  checkpoint: 'checkpoint',
  recovery: 'good',
  restore: 'info',
  error: 'critical',
  damage: 'warning',
};

function pushSpan(spans: Span[], text: string, role: ThemeRole): void {
  const last = spans[spans.length - 1];
  if (last && last.role === role) last.text += text;
  else spans.push({ text, role });
}

/** The column of a time on a bar `width` wide spanning startMs … endMs. */
export function timelineColumn(ms: number, position: Pick<ReplayPosition, 'startMs' | 'endMs'>, width: number): number {
  const span = position.endMs - position.startMs;
  if (width <= 1 || span <= 0) return 0;
  const share = (ms - position.startMs) / span;
  return Math.max(0, Math.min(width - 1, Math.floor(share * (width - 1) + 0.5)));
}

export interface TimelineModel {
  bar: Span[];
  cursorColumn: number;
  /** Column → the kind of mark drawn there (for tests and the help). */
  markColumns: Map<number, TimelineMarkKind>;
}

export function timelineModel(position: ReplayPosition, options: { width: number; glyphs: Glyphs }): TimelineModel {
  const { width, glyphs } = options;
  const markColumns = new Map<number, TimelineMarkKind>();
  const place = (ms: number, kind: TimelineMarkKind) => {
    const column = timelineColumn(ms, position, width);
    const there = markColumns.get(column);
    if (there === undefined || MARK_RANK[kind] > MARK_RANK[there]) markColumns.set(column, kind);
  };
  if (position.count > 0) {
    for (const mark of position.marks) place(mark.atMs, mark.kind);
    for (const damage of position.damage) if (damage.atMs !== null) place(damage.atMs, 'damage');
  }
  const cursorColumn = position.count === 0 ? 0 : timelineColumn(position.clockMs, position, width);
  const bar: Span[] = [];
  for (let x = 0; x < width; x++) {
    const mark = markColumns.get(x);
    if (x === cursorColumn) pushSpan(bar, glyphs.marks.cursor, 'selected');
    else if (mark !== undefined) pushSpan(bar, glyphs.marks[mark], MARK_ROLE[mark]);
    else if (x < cursorColumn) pushSpan(bar, glyphs.marks.played, 'accent');
    else pushSpan(bar, glyphs.marks.track, 'border');
  }
  return { bar, cursorColumn, markColumns };
}

export function damageText(damage: readonly ReplayDamage[]): string {
  return damage.map((d) => `${d.file}: ${d.line !== undefined ? `line ${d.line} ` : ''}${d.problem}`).join('; ');
}

function clock(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '--:--:--';
  return new Date(ms).toISOString().slice(11, 19);
}

/** "paused 10x  02:23:01  +28s / 1m27s  seq 184  event 180/410  ! events.jsonl: line 812 torn" */
export function replayStatusSpans(position: ReplayPosition): Span[] {
  const spans: Span[] = [{ text: `${position.playing ? 'playing' : 'paused'} ${position.speed}x`, role: position.playing ? 'good' : 'info' }];
  if (position.count === 0) {
    spans.push({ text: '  no events recorded yet', role: 'muted' });
  } else {
    const offset = Math.max(0, position.clockMs - position.startMs) / 1000;
    const length = Math.max(0, position.endMs - position.startMs) / 1000;
    spans.push(
      { text: `  ${clock(position.clockMs)}`, role: 'text' },
      { text: `  +${formatDuration(offset)} / ${formatDuration(length)}`, role: 'muted' },
      { text: `  seq ${position.seq ?? '-'}`, role: 'accent' },
      { text: `  event ${position.cursor}/${position.count}`, role: 'muted' },
    );
    if (position.cursor >= position.count) spans.push({ text: '  end', role: 'muted' });
  }
  if (position.damage.length > 0) spans.push({ text: `  ${damageText(position.damage)}`, role: 'warning' });
  return spans;
}
