// Sparkline charts (asciichart): one point per metrics snapshot, each series
// cut to the points its chart is wide enough to draw.

import asciichart from 'asciichart';
import type { ChartSeries, ConsoleState, SeriesName } from '../../state/applyEvent.js';
import { lastEventMs, tokensPerMinuteAt, usageRecorded } from '../../state/runState.js';
import type { Glyphs, ThemeRole } from '../theme.js';
import { fit, formatCount } from './format.js';

export interface ChartDefinition {
  series: SeriesName;
  title: string;
  role: ThemeRole;
  /** Fixed axis range, for percentages. */
  min?: number;
  max?: number;
  unit: string;
  /** A count (whole numbers): its axis has a whole number on every row. */
  whole?: boolean;
}

export const CHARTS: readonly ChartDefinition[] = [
  { series: 'tokensPerMinute', title: 'tokens/min', role: 'chart.tokensPerMinute', unit: '', whole: true },
  { series: 'testPassRate', title: 'test pass rate', role: 'chart.testPassRate', min: 0, max: 100, unit: '%' },
  { series: 'linesOfCode', title: 'lines of code', role: 'chart.linesOfCode', unit: '', whole: true },
  { series: 'coverage', title: 'coverage', role: 'chart.coverage', min: 0, max: 100, unit: '%' },
  { series: 'errors', title: 'errors', role: 'chart.errors', unit: '', whole: true },
];

/** Axis labels are this wide, so a chart's points are its width less this and the axis. */
export const LABEL_WIDTH = 6;

export interface ChartModel {
  title: string;
  role: ThemeRole;
  /** "412 now" or "not measured yet" */
  latest: string;
  /** Exactly `height` lines, each at most `width` columns. */
  lines: string[];
  /** How many points were drawn. */
  points: number;
}

export function chartCapacity(width: number): number {
  return Math.max(0, width - LABEL_WIDTH - 2);
}

/** The last points that fit a chart `width` columns wide. */
export function boundSeries(series: readonly number[], width: number): number[] {
  const capacity = chartCapacity(width);
  return series.length <= capacity ? [...series] : series.slice(series.length - capacity);
}

function label(value: number, unit: string): string {
  return fit(`${formatCount(Math.round(value * 10) / 10)}${unit}`, LABEL_WIDTH, 'right');
}

export type ChartReadings = Record<SeriesName, number | null>;

/**
 * Each chart's figure as the fold has it now, for its title. The points are
 * the snapshots' (one per health interval), but a test run, a phase gate's
 * count or an error since the last one is already known: the title said
 * "not measured yet" over a log that had just shown the tests' results.
 * Tokens/min is the last minute's, at the cursor in a replay as it was live
 * (a replay showed the snapshot's figure: 0 for the first half minute of a
 * run that had spent 46k tokens). Null, so the last point shows, where that
 * window means nothing: a run that has ended or lost its orchestrator (it
 * would only run down), and a recording whose snapshots do not measure the
 * rate (an import on line order, 1 ms per line, records it as null). A
 * paused run's is the rate as the pause began: its clock stands still, as
 * the header's elapsed does, and a window running down over an idle minute
 * redrew the whole screen every second of it (2.4% of a core in the console
 * bench's paused phase, against its 2% target for a screen that does not
 * change); the last snapshot's figure instead read 0 over an empty chart for
 * a pause before the first snapshot. A run whose orchestrator died (not
 * ended) shows the rate up to its last event, the figure `megatest status`
 * gives (statusFromFiles: the fold at lastEventMs): its snapshots may be
 * older (the start's 0, or none), and falling back to them dropped the
 * live point and read "tokens/min 0" beside status's 192k/min.
 */
export function chartReadings(run: ConsoleState, nowMs: number, mode: 'live' | 'replay'): ChartReadings {
  const { measured } = run;
  const rateUnrecorded = mode === 'replay' && run.series.tokensPerMinute.length === 0;
  const died = run.orchestrator === 'dead' && run.ended === null && run.session !== null && !rateUnrecorded && usageRecorded(run);
  const stopped = rateUnrecorded || run.ended !== null || run.orchestrator === 'dead' || run.session === null;
  // A dead run's "now" is its last event, as status reckons it (a pause then still holds the rate where it began).
  const atMs = died ? lastEventMs(run) : nowMs;
  const pausedAtMs = run.status === 'paused' && run.pause ? Math.min(atMs, Date.parse(run.pause.since)) : null;
  const rateAtMs = !died && (stopped || (run.status === 'paused' && pausedAtMs === null)) ? null : (pausedAtMs ?? atMs);
  return {
    tokensPerMinute: rateAtMs === null ? null : tokensPerMinuteAt(run, rateAtMs),
    testPassRate: measured.testPassRate === null ? null : measured.testPassRate * 100,
    linesOfCode: measured.linesOfCode,
    coverage: measured.testCoverage,
    errors: run.counters.errors,
  };
}

export function chartModel(definition: ChartDefinition, all: ChartSeries, options: { width: number; height: number; glyphs: Glyphs; readings?: ChartReadings }): ChartModel {
  const { width, height, glyphs } = options;
  const reading = options.readings?.[definition.series] ?? null;
  // The line ends at the title's figure: the snapshots (one per health interval), then now where it differs.
  // With only the snapshots, the first interval of a run (30 s by default) drew an empty 0..1 axis under "tokens/min 186k".
  const snapshots = all[definition.series];
  const source = reading === null || reading === snapshots[snapshots.length - 1] ? snapshots : [...snapshots, reading];
  const points = boundSeries(source, width);
  // A measured figure's reading is the fold's own: null is "not measured" now (the last test run gave no results), not
  // the last point drawn, which is of older code. The rate's null is a run that stopped: its last snapshot's rate stands.
  const fallsBack = options.readings === undefined || definition.series === 'tokensPerMinute';
  const last = reading ?? (fallsBack ? source[source.length - 1] : undefined);
  const latest = last === undefined || last === null ? (snapshots.length > 0 ? 'not measured' : 'not measured yet') : `${formatCount(Math.round(last * 10) / 10)}${definition.unit}`;
  const blank = () => Array.from({ length: height }, () => '');
  if (points.length === 0 || height <= 0 || chartCapacity(width) === 0) {
    return { title: definition.title, role: definition.role, latest, lines: blank(), points: 0 };
  }
  let min = definition.min ?? Math.min(...points);
  let max = definition.max ?? Math.max(...points);
  if (max <= min) max = min + 1; // a flat series lies on the floor of a one-unit axis
  min = Math.min(min, ...points);
  max = Math.max(max, ...points);
  // asciichart draws height + 1 rows, labelled evenly from min to max.
  const steps = Math.max(0, height - 1);
  // A small count's rows are whole units apart (the axis raised to the next multiple of the rows): 1 error drew a
  // 0..1 axis labelled 0.3, 0.5, 0.8, and 6 errors one labelled 1.5 and 4.5. From 10 units a row, labels are whole.
  if (definition.whole === true && steps > 0 && max - min < 10 * steps) {
    min = Math.floor(min);
    max = min + Math.max(1, Math.ceil((max - min) / steps)) * steps;
  }
  // asciichart draws a lone point as the axis tick only: the pass rate under "test pass rate 81%" looked empty until a second test run.
  const drawn = points.length === 1 ? [points[0]!, points[0]!] : points;
  const plotted = asciichart.plot(drawn, {
    height: steps,
    min,
    max,
    offset: 2,
    symbols: glyphs.chart,
    format: (value: number) => label(value, definition.unit),
  });
  const lines = plotted.split('\n').map((line) => [...line].slice(0, width).join('').trimEnd());
  // Rounding can give one row more or less than asked: keep the top rows' labels, pad at the top.
  while (lines.length > height) lines.splice(Math.floor(lines.length / 2), 1);
  while (lines.length < height) lines.unshift('');
  return { title: definition.title, role: definition.role, latest, lines, points: points.length };
}
