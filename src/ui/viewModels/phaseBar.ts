// The phase bar: the session's phases side by side, each as wide as its
// share of the planned duration, filled up to the elapsed time, with a mark
// where each checkpoint was taken. A run that ended before its last phase
// did (timeout, stop, failure) shows where it stopped: its phase marked
// stopped, and a stop mark at the point the run reached.

import type { CheckpointView, PhaseView } from '../../state/applyEvent.js';
import type { Glyphs, ThemeRole } from '../theme.js';
import { fit, textWidth, type Span } from './format.js';

export interface PhaseSegment {
  name: string;
  start: number;
  width: number;
  status: PhaseView['status'];
  current: boolean;
  /** The run ended in this phase before the phase did. */
  stopped: boolean;
}

export interface PhaseBarModel {
  segments: PhaseSegment[];
  /** Names above the bar, one span per phase. */
  labels: Span[];
  /** The bar itself with checkpoint marks, as runs of one role each. */
  bar: Span[];
  /** Columns filled (elapsed share of the plan). */
  filled: number;
  /** Bar columns that carry a checkpoint mark. */
  markColumns: number[];
  /** The column of the stop mark, for a run that ended early; null otherwise. */
  stopColumn: number | null;
  /** What the bar's place says when there are no phases to draw ('' when there are). */
  placeholder: string;
}

/**
 * Splits `width` columns in proportion to `weights` (largest remainder), at
 * least one column each while there is room.
 */
export function proportionalWidths(weights: readonly number[], width: number): number[] {
  if (weights.length === 0 || width <= 0) return weights.map(() => 0);
  const total = weights.reduce((a, b) => a + Math.max(0, b), 0);
  const shares = weights.map((w) => (total > 0 ? (Math.max(0, w) / total) * width : width / weights.length));
  const minimum = width >= weights.length ? 1 : 0;
  const widths = shares.map((s) => Math.max(minimum, Math.floor(s)));
  let used = widths.reduce((a, b) => a + b, 0);
  const order = shares.map((s, i) => ({ i, rest: s - Math.floor(s) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (let k = 0; used < width; k = (k + 1) % order.length) {
    widths[order[k]!.i]! += 1;
    used += 1;
  }
  // Minimums may overshoot: take the excess back from the widest.
  while (used > width) {
    const widest = widths.indexOf(Math.max(...widths));
    widths[widest]! -= 1;
    used -= 1;
  }
  return widths;
}

function phaseRole(segment: PhaseSegment): ThemeRole {
  if (segment.status === 'passed') return 'phase.done';
  if (segment.status === 'failed' || segment.stopped) return 'phase.failed';
  if (segment.current) return 'phase.current';
  return 'phase.pending';
}

function pushSpan(spans: Span[], text: string, role: ThemeRole): void {
  const last = spans[spans.length - 1];
  if (last && last.role === role) last.text += text;
  else spans.push({ text, role });
}

function phaseIcon(segment: PhaseSegment, glyphs: Glyphs): string {
  if (segment.status === 'passed') return glyphs.ok;
  if (segment.status === 'failed') return glyphs.failed;
  if (segment.stopped) return glyphs.stopped;
  return segment.current ? glyphs.running : '';
}

/**
 * Where each whole label can start, one column apart, none past `width`:
 * at its segment's start where it fits, else as near to it as the labels
 * around it allow (a short last phase's name moves left into the room its
 * neighbour's name leaves). Null when the whole names do not fit side by side.
 */
export function labelStarts(segmentStarts: readonly number[], labelWidths: readonly number[], width: number): number[] | null {
  const starts = segmentStarts.slice();
  for (let i = 1; i < starts.length; i++) starts[i] = Math.max(starts[i]!, starts[i - 1]! + labelWidths[i - 1]! + 1);
  for (let i = starts.length - 1; i >= 0; i--) {
    const limit = i === starts.length - 1 ? width - labelWidths[i]! : starts[i + 1]! - labelWidths[i]! - 1;
    starts[i] = Math.min(starts[i]!, limit);
  }
  return starts.length > 0 && starts[0]! < 0 ? null : starts;
}

/** The names above the bar, each with its outcome's icon, in `width` columns. */
function phaseLabels(segments: readonly PhaseSegment[], width: number, glyphs: Glyphs): Span[] {
  const labels: Span[] = [];
  const whole = segments.map((segment) => {
    const icon = phaseIcon(segment, glyphs);
    return icon ? `${icon} ${segment.name}` : segment.name;
  });
  const starts = labelStarts(
    segments.map((segment) => segment.start),
    whole.map((text) => textWidth(text)),
    width,
  );
  if (starts !== null) {
    // Whole names: each from its start up to the next one's (the last to the end), in its phase's colour.
    segments.forEach((segment, i) => {
      if (i === 0 && starts[0]! > 0) pushSpan(labels, ' '.repeat(starts[0]!), phaseRole(segment));
      const end = i + 1 < segments.length ? starts[i + 1]! : width;
      pushSpan(labels, fit(whole[i]!, end - starts[i]!, 'left', glyphs.ellipsis), phaseRole(segment));
    });
    return labels;
  }
  // Too many or too long to show whole: each name cut to its own segment.
  segments.forEach((segment, i) => {
    const room = segment.width > 1 ? segment.width - 1 : segment.width;
    // In a narrow segment the name says more than the icon; the colour still tells the outcome.
    const text = whole[i] !== segment.name && textWidth(whole[i]!) > room && room < 6 ? segment.name : whole[i]!;
    // A one-column gap keeps neighbouring names apart.
    const cell = segment.width > 1 ? fit(text, segment.width - 1, 'left', glyphs.ellipsis) + ' ' : fit(text, segment.width, 'left', glyphs.ellipsis);
    pushSpan(labels, cell, phaseRole(segment));
  });
  return labels;
}

/**
 * The plan's share done, 0..1: phases before the current one whole, the
 * current one by the share of its own budget used (whole once it ended), each
 * weighted by its budget. The bar fills to this, and the header's N% is it:
 * the header's schedule/duration read 33% over a bar filled to 41% once a
 * phase had ended early and handed its time on. Null with no phase budgets.
 */
export function planShareDone(phases: readonly PhaseView[], currentIndex: number, scheduleSeconds: number): number | null {
  const planned = phases.reduce((sum, p) => sum + Math.max(0, p.durationSeconds), 0);
  if (planned <= 0) return null;
  const current = phases[currentIndex];
  if (!current) return 0;
  const before = phases.slice(0, currentIndex).reduce((sum, p) => sum + Math.max(0, p.durationSeconds), 0);
  const ended = current.status === 'passed' || current.status === 'failed';
  const used = current.startedAtSeconds === null || current.durationSeconds <= 0 ? 0 : (scheduleSeconds - current.startedAtSeconds) / current.durationSeconds;
  const share = ended ? 1 : Math.min(1, Math.max(0, used));
  return Math.min(1, (before + share * Math.max(0, current.durationSeconds)) / planned);
}

export function phaseBarModel(
  phases: readonly PhaseView[],
  currentIndex: number,
  checkpoints: readonly CheckpointView[],
  options: { width: number; scheduleSeconds: number; glyphs: Glyphs; stopped?: boolean; sessionStarted?: boolean },
): PhaseBarModel {
  const { width, glyphs } = options;
  const widths = proportionalWidths(
    phases.map((p) => p.durationSeconds),
    width,
  );
  // Ended early: in the phase it was in, or, between phases, at the start of the next.
  const inPhase = phases[currentIndex]?.status === 'running';
  const stoppedIndex = options.stopped === true && currentIndex >= 0 ? (inPhase ? currentIndex : currentIndex + 1) : -1;
  let start = 0;
  const segments = phases.map((phase, i) => {
    const current = i === currentIndex;
    const stopped = i === stoppedIndex;
    const segment: PhaseSegment = { name: phase.name, start, width: widths[i]!, status: phase.status, current, stopped };
    start += widths[i]!;
    return segment;
  });
  const planned = phases.reduce((sum, p) => sum + p.durationSeconds, 0);
  const column = (seconds: number) => (planned > 0 ? Math.min(width - 1, Math.floor((seconds / planned) * width)) : 0);
  // Phases before the current one are full; the current one is filled by the
  // share of its own budget used, so a restore to an earlier phase shows there.
  let filled = 0;
  const current = currentIndex >= 0 ? phases[currentIndex] : undefined;
  const currentSegment = currentIndex >= 0 ? segments[currentIndex] : undefined;
  if (current && currentSegment) {
    const ended = current.status === 'passed' || current.status === 'failed';
    const used = current.startedAtSeconds === null || current.durationSeconds <= 0 ? 0 : (options.scheduleSeconds - current.startedAtSeconds) / current.durationSeconds;
    filled = currentSegment.start + (ended ? currentSegment.width : Math.round(Math.min(1, Math.max(0, used)) * currentSegment.width));
  }

  const labels = phaseLabels(segments, width, glyphs);

  const marks = new Set(planned > 0 ? checkpoints.map((c) => markColumn(c, phases, segments) ?? column(c.atSeconds)) : []);
  const stoppedSegment = segments.find((s) => s.stopped && s.width > 0);
  // The stop mark goes where the fill ends, inside the phase it stopped in, over any checkpoint mark there.
  const stopColumn = stoppedSegment ? Math.min(stoppedSegment.start + stoppedSegment.width - 1, Math.max(stoppedSegment.start, filled)) : null;
  const bar: Span[] = [];
  for (const segment of segments) {
    for (let x = segment.start; x < segment.start + segment.width; x++) {
      if (x === stopColumn) pushSpan(bar, glyphs.stopped, 'phase.failed');
      else if (marks.has(x)) pushSpan(bar, glyphs.checkpointMark, 'checkpoint');
      else if (x < filled) pushSpan(bar, glyphs.barDone, segment.status === 'failed' || segment.stopped ? 'phase.failed' : segment.status === 'passed' ? 'phase.done' : 'phase.current');
      else if (x === filled && segment.current && stopColumn === null) pushSpan(bar, glyphs.barNow, 'phase.current');
      else pushSpan(bar, glyphs.barTodo, 'phase.pending');
    }
  }
  // A session with no phases is one whose files recorded none (the Bash runner kept no phases): its plan is not coming.
  const placeholder = segments.length > 0 ? '' : options.sessionStarted === true ? 'no phases: the run\'s files record none' : 'waiting for the session plan…';
  return { segments, labels, bar, filled, markColumns: [...marks].sort((a, b) => a - b), stopColumn, placeholder };
}

/**
 * A checkpoint's column: in its own phase's segment, as far in as it was
 * into that phase's budget (a phase-end or final checkpoint at the segment's
 * end). The segments are the phases' budgets, which change as phases end
 * early and hand their time on; placed on the plan's one time axis, a run
 * that finished early drew its phase-end checkpoints inside development.
 * Null for a checkpoint whose phase is not on the bar (an older log).
 */
function markColumn(checkpoint: CheckpointView, phases: readonly PhaseView[], segments: readonly PhaseSegment[]): number | null {
  const index = phases.findIndex((p) => p.name === checkpoint.phase);
  const phase = phases[index];
  const segment = segments[index];
  if (!phase || !segment || segment.width <= 0) return null;
  const last = segment.start + segment.width - 1;
  if (checkpoint.trigger === 'phase' || checkpoint.trigger === 'final') return last;
  if (phase.startedAtSeconds === null || phase.durationSeconds <= 0) return segment.start;
  const into = Math.min(1, Math.max(0, (checkpoint.atSeconds - phase.startedAtSeconds) / phase.durationSeconds));
  return Math.min(last, segment.start + Math.floor(into * segment.width));
}

