import { describe, expect, it } from 'vitest';
import type { AgentView, AlertView } from '../../../src/state/applyEvent.js';
import { ASCII_GLYPHS, UNICODE_GLYPHS } from '../../../src/ui/theme.js';
import { agentDetailModel } from '../../../src/ui/viewModels/agentDetail.js';
import { wrapText } from '../../../src/ui/viewModels/format.js';
import { describeCapabilities } from '../../../src/contract/capabilities.js';
import { agentTableModel } from '../../../src/ui/viewModels/agentTable.js';
import { alertsPage } from '../../../src/ui/viewModels/alerts.js';
import { boundSeries, chartCapacity, chartModel, chartReadings, CHARTS } from '../../../src/ui/viewModels/charts.js';
import { fit, formatCount, formatDuration, truncate, wrapSpans } from '../../../src/ui/viewModels/format.js';
import { elapsedSeconds, headerModel } from '../../../src/ui/viewModels/header.js';
import { computeLayout } from '../../../src/ui/viewModels/layout.js';
import { filterLog, highlightSpans, logPaneModel, matchRanges } from '../../../src/ui/viewModels/logPane.js';
import { labelStarts, phaseBarModel, planShareDone, proportionalWidths } from '../../../src/ui/viewModels/phaseBar.js';
import type { CheckpointView, PhaseView } from '../../../src/state/runState.js';
import fc from 'fast-check';
import { pickerModel, pickerOrder } from '../../../src/ui/viewModels/picker.js';
import { foldAll } from '../../../src/state/fold.js';
import type { MegatestEvent } from '../../../src/contract/events.js';
import { fixtureEvents, fixtureState } from '../helpers.js';
import { gaugesFromState, sessionMetricsAt } from '../../../src/state/snapshot.js';

const midRun = fixtureState(250); // in the testing phase, after a crash and a restore
const done = fixtureState();
const spanText = (spans: readonly { text: string }[]) => spans.map((s) => s.text).join('');

describe('format', () => {
  it('truncates with an ellipsis and pads to width', () => {
    expect(truncate('implementation', 6)).toBe('imple…');
    expect(truncate('abc', 6)).toBe('abc');
    expect(fit('abc', 5, 'right')).toBe('  abc');
    expect(fit('implementation', 6, 'left', '~')).toBe('imple~');
  });
  it('formats durations and counts compactly', () => {
    expect(formatDuration(45)).toBe('45s');
    expect(formatDuration(725)).toBe('12m05s');
    expect(formatDuration(3720)).toBe('1h02m');
    expect(formatCount(950)).toBe('950');
    expect(formatCount(12_345)).toBe('12.3k');
    expect(formatCount(4_560_000)).toBe('4.56M');
  });
});

describe('wrapSpans', () => {
  const rowsOf = (rows: readonly (readonly { text: string }[])[]) => rows.map(spanText);
  it('keeps a line that fits on one row, and an empty one as one empty row', () => {
    expect(rowsOf(wrapSpans([{ text: 'all of it', role: 'text' }], 20, 3))).toEqual(['all of it']);
    expect(wrapSpans([], 20, 3)).toEqual([[]]);
  });
  it('breaks at the last space that fits, at a newline, and cuts a word wider than a row', () => {
    expect(rowsOf(wrapSpans([{ text: 'one two three four', role: 'text' }], 9, 3))).toEqual(['one two', 'three', 'four']);
    expect(rowsOf(wrapSpans([{ text: 'first\nsecond', role: 'text' }], 20, 3))).toEqual(['first', 'second']);
    expect(rowsOf(wrapSpans([{ text: 'abcdefghij', role: 'text' }], 4, 3))).toEqual(['abcd', 'efgh', 'ij']);
  });
  it('keeps the roles of the spans it splits', () => {
    const rows = wrapSpans([{ text: 'key ', role: 'key' }, { text: 'long words', role: 'muted' }], 8, 3);
    expect(rows).toEqual([[{ text: 'key ', role: 'key' }, { text: 'long', role: 'muted' }], [{ text: 'words', role: 'muted' }]]);
  });
  it('ends the last row it may use with the ellipsis when more is left', () => {
    const rows = rowsOf(wrapSpans([{ text: 'aaaa bbbb cccc dddd', role: 'text' }], 6, 2, '~'));
    expect(rows).toEqual(['aaaa', 'bbbb ~']);
    for (const row of rows) expect(row.length).toBeLessThanOrEqual(6);
  });
});

describe('header', () => {
  it('shows the session, SIMULATED, status and progress', () => {
    const model = headerModel(midRun, { nowMs: Date.parse('2025-11-24T09:12:00Z'), runDir: 'test_runs/x' });
    expect(model).toMatchObject({ sessionId: 'mega-20251124-090000-a1b2', project: 'RedQueue', agentKind: 'sim', simulated: true, status: 'running', orchestratorWarning: null });
    expect(model.phaseText).toBe('phase 3/4 testing');
    // Elapsed is the clock's 12 min; progress follows the schedule, which the restore of
    // checkpoint_003 (taken 09:10:43, restored 09:11:29) put back by 46 s; the ETA is the
    // duration less elapsed, since a restore gives the session no time back.
    expect(model.progressText).toBe('12m00s / 20m00s  56%  ETA 8m00s');
  });
  it('N% is the share the phase bar fills, as phases end early and hand their time on', () => {
    // Each phase that ends early re-proportions the bar; the schedule's share of the duration then read 33% over a bar at 41%.
    const seqs = fixtureEvents().map((e) => e.seq);
    for (const seq of seqs.filter((_, i) => i % 5 === 0)) {
      const state = fixtureState(seq);
      if (state.ended || state.currentPhaseIndex < 0) continue;
      const nowMs = Date.parse(state.lastEventTs!);
      const header = headerModel(state, { nowMs, runDir: 'x' });
      const bar = phaseBarModel(state.phases, state.currentPhaseIndex, state.checkpoints, { width: 100, scheduleSeconds: header.scheduleSeconds, glyphs: ASCII_GLYPHS });
      const shown = Number(/(\d+)%/.exec(header.progressText)![1]);
      // one column of the bar is 1%: the figure and the fill agree to rounding
      expect(Math.abs(shown - bar.filled), `seq ${seq}: header ${header.progressText}, bar filled ${bar.filled}/100`).toBeLessThanOrEqual(1);
    }
    // A first phase that ended early keeps its budget on the bar and the next one starts sooner: the bar runs ahead of
    // the schedule's share of the duration (the report: header 33% over a bar at 41%, "plan 52%" over 75%).
    const nowMs = Date.parse('2025-11-24T09:12:00Z');
    const { scheduleSeconds: s, totalSeconds: t } = headerModel(midRun, { nowMs, runDir: 'x' });
    const phase = (name: string, durationSeconds: number, startedAtSeconds: number | null, status: PhaseView['status']): PhaseView => ({
      name, durationSeconds, status, criteriaPassed: null, criteriaTotal: null, criteria: [], tasks: [], startedAtSeconds, startedAt: null, endedAt: null,
    });
    const phases = [phase('bootstrap', 0.2 * t, 0, 'passed'), phase('implementation', 0.3 * t, s - 0.1 * t, 'running'), phase('testing', 0.25 * t, null, 'pending'), phase('docs', 0.25 * t, null, 'pending')];
    const early = { ...midRun, phases, currentPhaseIndex: 1 };
    const header = headerModel(early, { nowMs, runDir: 'x' });
    const bar = phaseBarModel(phases, 1, [], { width: 100, scheduleSeconds: header.scheduleSeconds, glyphs: ASCII_GLYPHS });
    expect(bar.filled).toBe(30);
    expect(header.progressFields[1]).toBe('plan 30%');
  });
  it('stops the clock and says how to resume when the orchestrator died mid-run', () => {
    const dead = { ...midRun, orchestrator: 'dead' as const };
    const model = headerModel(dead, { nowMs: Date.parse('2025-11-24T10:00:00Z'), runDir: 'test_runs/x' });
    expect(model.orchestratorWarning).toBe('orchestrator not running');
    expect(model.resumeHint).toBe('orchestrator not running — megatest resume test_runs/x');
    expect(model.statusRole).toBe('critical');
    // The clock stopped at the last event the dead orchestrator wrote.
    const lastEventSeconds = (Date.parse(midRun.lastEventTs!) - Date.parse('2025-11-24T09:00:00Z')) / 1000;
    expect(elapsedSeconds(dead, Date.parse('2025-11-24T10:00:00Z'))).toBe(lastEventSeconds);
    // No ETA: nothing is running towards the end the ETA would name.
    expect(model.progressText).not.toContain('ETA');
    expect(model.progressText).toMatch(/^\S+ \/ 20m00s  \d+%$/);
  });
  it('an ended run shows its outcome, not a warning', () => {
    const model = headerModel({ ...done, orchestrator: 'dead' }, { nowMs: Date.now(), runDir: 'x' });
    expect(model.orchestratorWarning).toBeNull();
    expect(model.resumeHint).toBeNull();
    expect(model.status).toBe('completed (exit 0)');
    expect(model.elapsedSeconds).toBe(1200);
  });
  it('a completed run did all of its plan: 100%, though the restore put its schedule back; a failed one shows where it stood', () => {
    const model = headerModel(done, { nowMs: Date.now(), runDir: 'x' });
    expect(model.scheduleSeconds).toBeLessThan(model.totalSeconds);
    expect(model.progressText).toBe('20m00s / 20m00s  100%');
    const failed = headerModel({ ...done, ended: { ...done.ended!, status: 'failed' } }, { nowMs: Date.now(), runDir: 'x' });
    // The bar's share: every phase had ended, so its bar is full (in the failure's colour) and so is the figure.
    expect(failed.progressText).toBe(`20m00s / 20m00s  ${Math.floor(planShareDone(done.phases, done.currentPhaseIndex, failed.scheduleSeconds)! * 100)}%`);
  });
});

describe('phase bar', () => {
  it('splits the width in proportion to the phases’ durations', () => {
    expect(proportionalWidths([200, 400, 400, 200], 78)).toEqual([13, 26, 26, 13]);
    expect(proportionalWidths([1, 2, 2, 1], 20)).toEqual([3, 7, 7, 3]);
    expect(proportionalWidths([1, 100], 4)).toEqual([1, 3]);
    for (const width of [4, 17, 80, 119, 300]) expect(proportionalWidths([3600, 7200, 7200, 3600], width).reduce((a, b) => a + b)).toBe(width);
  });

  it.each([20, 78, 118])('fills the phases before, the current one by its used share, and marks checkpoints at width %i', (width) => {
    // testing started at schedule 600 s with 400 s: at 800 s it is half used.
    const model = phaseBarModel(midRun.phases, midRun.currentPhaseIndex, midRun.checkpoints, { width, scheduleSeconds: 800, glyphs: UNICODE_GLYPHS });
    expect(spanText(model.bar)).toHaveLength(width);
    expect(spanText(model.labels)).toHaveLength(width);
    const testing = model.segments[2]!;
    expect(model.filled).toBe(testing.start + Math.round(testing.width / 2));
    expect(model.segments.map((s) => s.current)).toEqual([false, false, true, false]);
    // Checkpoints 001 and 002 ended planning and implementation: at their segments' last columns; 003 (forced, 643 s)
    // is 43 s into testing's 400 s budget, that far into its segment.
    const [planning, implementation] = model.segments;
    const end = (s: { start: number; width: number }) => s.start + s.width - 1;
    expect(model.markColumns).toEqual([...new Set([end(planning!), end(implementation!), testing.start + Math.floor((43 / 400) * testing.width)])]);
    for (const column of model.markColumns) expect([...spanText(model.bar)][column]).toBe(UNICODE_GLYPHS.checkpointMark);
  });

  it('marks each checkpoint in its own phase: a run whose phases ended early and handed their time on has its phase-end marks at their phases\' ends', () => {
    const phase = (name: string, durationSeconds: number, startedAtSeconds: number, status: PhaseView['status']): PhaseView => ({
      name, durationSeconds, status, criteriaPassed: null, criteriaTotal: null, criteria: [], tasks: [], startedAtSeconds, startedAt: null, endedAt: null,
    });
    // Planned 18/31/29/12 s; each phase ended in a few seconds and the next got the time left.
    const phases = [phase('bootstrap', 18, 0, 'passed'), phase('development', 44, 5, 'passed'), phase('refinement', 66, 12, 'passed'), phase('finalization', 78, 20, 'running')];
    const checkpoint = (id: string, phaseName: string, trigger: CheckpointView['trigger'], atSeconds: number): CheckpointView => ({
      id, seq: 1, ts: '', atSeconds, phase: phaseName, trigger, files: 1, bytes: 1, linesOfCode: null, testPassRate: null,
    });
    const checkpoints = [checkpoint('c1', 'bootstrap', 'phase', 5), checkpoint('c2', 'development', 'phase', 12), checkpoint('c3', 'refinement', 'phase', 20), checkpoint('c4', 'finalization', 'time', 59)];
    const model = phaseBarModel(phases, 3, checkpoints, { width: 120, scheduleSeconds: 60, glyphs: UNICODE_GLYPHS });
    const [bootstrap, development, refinement, finalization] = model.segments;
    const end = (s: { start: number; width: number }) => s.start + s.width - 1;
    expect(model.markColumns).toEqual([end(bootstrap!), end(development!), end(refinement!), finalization!.start + Math.floor((39 / 78) * finalization!.width)]);
  });

  it('labels name the phases with their outcome, cut to fit', () => {
    const wide = phaseBarModel(done.phases, done.currentPhaseIndex, [], { width: 118, scheduleSeconds: 1200, glyphs: ASCII_GLYPHS });
    expect(spanText(wide.labels)).toContain('+ implementation');
    const narrow = phaseBarModel(done.phases, done.currentPhaseIndex, [], { width: 24, scheduleSeconds: 1200, glyphs: ASCII_GLYPHS });
    expect(spanText(narrow.labels)).toMatch(/^pl~ \+ impl~ \+ test~ po~ $/);
    expect(spanText(narrow.bar)).toBe('#'.repeat(24));
  });

  it('a short phase shows its whole name, moved left into the room its neighbour leaves, rather than cut', () => {
    // The demo's plan (18, 31, 29 and 12 s) in its last phase, at 80 columns: finalization's segment is narrower than its name.
    const phase = (name: string, durationSeconds: number, status: PhaseView['status']): PhaseView => ({
      name, durationSeconds, status, criteriaPassed: null, criteriaTotal: null, criteria: [], tasks: [], startedAtSeconds: 0, startedAt: null, endedAt: null,
    });
    const phases = [phase('bootstrap', 18, 'passed'), phase('development', 31, 'passed'), phase('refinement', 29, 'passed'), phase('finalization', 12, 'running')];
    const model = phaseBarModel(phases, 3, [], { width: 80, scheduleSeconds: 85, glyphs: ASCII_GLYPHS });
    const line = spanText(model.labels);
    expect(line).toHaveLength(80);
    const lastName = `${ASCII_GLYPHS.running} finalization`;
    expect(model.segments[3]!.width).toBeLessThan(lastName.length);
    expect(line.endsWith(lastName)).toBe(true);
    // The names that fit their segments stay at their starts.
    for (const [i, name] of ['+ bootstrap', '+ development', '+ refinement'].entries()) expect(line.indexOf(name)).toBe(model.segments[i]!.start);
    // The moved name keeps its phase's colour.
    expect(model.labels.at(-1)).toEqual({ text: lastName, role: 'phase.current' });
  });

  it('places whole labels one column apart within the width, at their segments\' starts when they fit there, or says they cannot fit', () => {
    const layout = fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 20 })), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(layout, fc.integer({ min: 0, max: 40 }), (pairs, extra) => {
        const segmentWidths = pairs.map(([w]) => w);
        const widths = pairs.map(([, label]) => label);
        const width = segmentWidths.reduce((a, b) => a + b, 0) + extra;
        const segmentStarts = segmentWidths.map((_, i) => segmentWidths.slice(0, i).reduce((a, b) => a + b, 0));
        const starts = labelStarts(segmentStarts, widths, width);
        const needed = widths.reduce((a, b) => a + b, 0) + widths.length - 1;
        if (starts === null) return needed > width;
        if (needed > width || starts[0]! < 0 || starts.at(-1)! + widths.at(-1)! > width) return false;
        for (let i = 1; i < starts.length; i++) if (starts[i]! < starts[i - 1]! + widths[i - 1]! + 1) return false;
        // Every label that fits its own segment, as do all before it, keeps its segment's start.
        const allFit = segmentWidths.every((w, i) => widths[i]! <= (i === segmentWidths.length - 1 ? w + extra : w - 1));
        return !allFit || starts.every((start, i) => start === segmentStarts[i]);
      }),
    );
    expect(labelStarts([0, 10, 20], [5, 5, 5], 30)).toEqual([0, 10, 20]);
    expect(labelStarts([0, 10, 27], [5, 5, 8], 30)).toEqual([0, 10, 22]);
    expect(labelStarts([0, 10, 27], [9, 12, 8], 30)).toBeNull();
  });

  it('with no phases: waiting for the plan before the session starts; after, that its files record none (a Bash legacy run)', () => {
    const options = { width: 78, scheduleSeconds: 0, glyphs: UNICODE_GLYPHS };
    expect(phaseBarModel([], -1, [], options).placeholder).toBe('waiting for the session plan…');
    expect(phaseBarModel([], -1, [], { ...options, sessionStarted: true }).placeholder).toBe("no phases: the run's files record none");
    expect(phaseBarModel(done.phases, done.currentPhaseIndex, [], { ...options, sessionStarted: true }).placeholder).toBe('');
  });
});

describe('charts', () => {
  it('bounds each series to what its chart can draw', () => {
    const series = Array.from({ length: 500 }, (_, i) => i);
    expect(boundSeries(series, 40)).toEqual(series.slice(500 - chartCapacity(40)));
    expect(boundSeries([1, 2], 40)).toEqual([1, 2]);
  });

  it.each([[39, 4], [60, 8]])('draws exactly the asked size (%i wide, %i high)', (width, height) => {
    for (const definition of CHARTS) {
      const model = chartModel(definition, done.series, { width, height, glyphs: UNICODE_GLYPHS });
      expect(model.lines).toHaveLength(height);
      for (const line of model.lines) expect([...line].length).toBeLessThanOrEqual(width);
      expect(model.points).toBe(Math.min(done.series[definition.series].length, chartCapacity(width)));
    }
  });

  it('uses ASCII glyphs when asked and says when nothing was measured', () => {
    const ascii = chartModel(CHARTS[0]!, done.series, { width: 39, height: 4, glyphs: ASCII_GLYPHS });
    expect(ascii.lines.join('')).toMatch(/^[\x20-\x7e]*$/);
    const empty = chartModel(CHARTS[3]!, { ...done.series, coverage: [] }, { width: 39, height: 4, glyphs: ASCII_GLYPHS });
    expect(empty.latest).toBe('not measured yet');
    expect(empty.points).toBe(0);
  });

  it("a measured figure the fold says is not measured now is said so, not the last point's older figure; the rate keeps its last", () => {
    const passRate = CHARTS.find((c) => c.series === 'testPassRate')!;
    const coverage = CHARTS.find((c) => c.series === 'coverage')!;
    const rate = CHARTS.find((c) => c.series === 'tokensPerMinute')!;
    const series = { ...done.series, testPassRate: [95, 97], coverage: [80, 81], tokensPerMinute: [1200, 1500] };
    const readings = { tokensPerMinute: null, testPassRate: null, linesOfCode: 10, coverage: null, errors: 0 };
    const options = { width: 39, height: 4, glyphs: UNICODE_GLYPHS, readings };
    expect(chartModel(passRate, series, options).latest).toBe('not measured');
    expect(chartModel(coverage, series, options).latest).toBe('not measured');
    expect(chartModel(rate, series, options).latest).toBe('1.50k');
    // Measured now: the reading.
    expect(chartModel(passRate, series, { ...options, readings: { ...readings, testPassRate: 50 } }).latest).toBe('50%');
  });

  it('draws a lone point as a short line, not the bare axis', () => {
    const passRate = CHARTS.find((c) => c.series === 'testPassRate')!;
    const one = chartModel(passRate, { ...done.series, testPassRate: [0.81] }, { width: 39, height: 4, glyphs: UNICODE_GLYPHS });
    expect(one.points).toBe(1);
    // The plot right of the axis holds a line glyph (the axis column alone is all asciichart drew before).
    const plot = one.lines.map((line) => line.replace(/^.*?[┼┤]/u, ''));
    expect(plot.some((line) => /[─╶╴╭╮╰╯]/u.test(line))).toBe(true);
  });
});

describe('chart titles: the figure as the fold has it now', () => {
  const chart = (series: string) => CHARTS.find((c) => c.series === series)!;
  // The recording's first test run, before any snapshot with a pass rate.
  const events = fixtureEvents();
  const firstRun = events.find((e) => e.type === 'test_run' && e.passed + e.failed > 0);
  if (!firstRun || firstRun.type !== 'test_run') throw new Error('sim_session.jsonl has no test run');

  it('a test run after the last snapshot: its pass rate and coverage, not "not measured yet"', () => {
    const state = fixtureState(firstRun.seq);
    expect(state.series.testPassRate).toEqual([]);
    const readings = chartReadings(state, Date.parse(firstRun.ts), 'replay');
    const passRate = chartModel(chart('testPassRate'), state.series, { width: 39, height: 4, glyphs: ASCII_GLYPHS, readings });
    expect(passRate.latest).toBe(`${formatCount(Math.round(((firstRun.passed * 100) / (firstRun.passed + firstRun.failed)) * 10) / 10)}%`);
    // No snapshot has one yet: the line is the one point now, on its 0..100% axis.
    expect(passRate.points).toBe(1);
    expect(passRate.lines[0]).toMatch(/^ +100%/);
    const coverage = chartModel(chart('coverage'), state.series, { width: 39, height: 4, glyphs: ASCII_GLYPHS, readings });
    expect(coverage.latest).toBe(`${formatCount(Math.round(firstRun.coverage! * 10) / 10)}%`);
    expect(chartModel(chart('coverage'), state.series, { width: 39, height: 4, glyphs: ASCII_GLYPHS }).latest).toBe('not measured yet');
  });

  it('errors since the last snapshot are counted', () => {
    const errorSeqs = events.filter((e) => e.type === 'error').map((e) => e.seq);
    const state = fixtureState(errorSeqs[0]!);
    const errors = chartModel(chart('errors'), state.series, { width: 39, height: 4, glyphs: ASCII_GLYPHS, readings: chartReadings(state, Date.parse(state.lastEventTs!), 'replay') });
    expect(errors.latest).toBe('1');
    // A count's axis has a whole number on every row (it read 1, 0.8, 0.5, 0.3, 0 over one error).
    const labels = (model: { lines: string[] }) => model.lines.map((line) => line.match(/^ *(\S+?)[┤┼|+]/)?.[1]);
    const tall = chartModel(chart('errors'), state.series, { width: 39, height: 5, glyphs: UNICODE_GLYPHS, readings: chartReadings(state, Date.parse(state.lastEventTs!), 'replay') });
    expect(labels(tall)).toEqual(['4', '3', '2', '1', '0']);
    const six = chartModel(chart('errors'), { ...state.series, errors: [0, 2, 6] }, { width: 39, height: 5, glyphs: UNICODE_GLYPHS });
    expect(labels(six)).toEqual(['8', '6', '4', '2', '0']);
    // From 10 units a row the labels are whole already, and the top one is the series' top.
    const lines = chartModel(chart('linesOfCode'), { ...state.series, linesOfCode: [0, 433] }, { width: 39, height: 5, glyphs: UNICODE_GLYPHS });
    expect(labels(lines)).toEqual(['433', '325', '217', '108', '0']);
    const few = chartModel(chart('linesOfCode'), { ...state.series, linesOfCode: [0, 21] }, { width: 39, height: 5, glyphs: UNICODE_GLYPHS });
    expect(labels(few)).toEqual(['24', '18', '12', '6', '0']);
    // no tokens yet (every agent waiting): not 0.3 and 0.7 tokens a minute
    const idle = chartModel(chart('tokensPerMinute'), { ...state.series, tokensPerMinute: [0, 0] }, { width: 39, height: 4, glyphs: UNICODE_GLYPHS });
    expect(labels(idle)).toEqual(['3', '2', '1', '0']);
    // A percentage keeps its 0..100 axis.
    expect(labels(chartModel(chart('coverage'), done.series, { width: 39, height: 5, glyphs: UNICODE_GLYPHS }))).toEqual(['100%', '75%', '50%', '25%', '0%']);
  });

  it('tokens/min is the last minute’s, live and at a replay’s cursor alike', () => {
    const at = Date.parse(midRun.lastEventTs!);
    const live = chartReadings(midRun, at, 'live');
    const inWindow = midRun.tokenWindow.filter((bucket) => bucket.sec > Math.floor(at / 1000) - 60 && bucket.sec <= Math.floor(at / 1000));
    expect(live.tokensPerMinute).toBe(inWindow.reduce((sum, bucket) => sum + bucket.tokens, 0));
    expect(midRun.series.tokensPerMinute.length).toBeGreaterThan(0);
    expect(chartReadings(midRun, at, 'replay').tokensPerMinute).toBe(live.tokensPerMinute);
  });

  it('a replay whose snapshots never measured tokens/min (an import on line order) shows none', () => {
    const at = Date.parse(midRun.lastEventTs!);
    const unmeasured = { ...midRun, series: { ...midRun.series, tokensPerMinute: [] } };
    expect(chartReadings(unmeasured, at, 'replay').tokensPerMinute).toBeNull();
    expect(chartModel(chart('tokensPerMinute'), unmeasured.series, { width: 39, height: 4, glyphs: ASCII_GLYPHS, readings: chartReadings(unmeasured, at, 'replay') }).latest).toBe('not measured yet');
  });

  it('the line ends at the title’s figure: the snapshots, then now where it differs', () => {
    const at = Date.parse(midRun.lastEventTs!);
    const readings = chartReadings(midRun, at, 'live');
    const snapshots = midRun.series.tokensPerMinute;
    expect(readings.tokensPerMinute).not.toBe(snapshots.at(-1));
    const tokens = chartModel(chart('tokensPerMinute'), midRun.series, { width: 200, height: 4, glyphs: ASCII_GLYPHS, readings });
    expect(tokens.points).toBe(snapshots.length + 1);
    const same = { ...readings, tokensPerMinute: snapshots.at(-1)! };
    expect(chartModel(chart('tokensPerMinute'), midRun.series, { width: 200, height: 4, glyphs: ASCII_GLYPHS, readings: same }).points).toBe(snapshots.length);
  });

  it('a paused run shows its last snapshot’s tokens/min, as a minute of the pause goes by', () => {
    const at = Date.parse(midRun.lastEventTs!);
    expect(chartReadings(midRun, at, 'live').tokensPerMinute).not.toBeNull();
    const paused = { ...midRun, status: 'paused' as const };
    for (const later of [0, 1_000, 30_000, 59_000]) expect(chartReadings(paused, at + later, 'live').tokensPerMinute).toBeNull();
    const tokens = chartModel(chart('tokensPerMinute'), paused.series, { width: 39, height: 4, glyphs: ASCII_GLYPHS, readings: chartReadings(paused, at + 30_000, 'live') });
    expect(tokens.latest).toBe(formatCount(paused.series.tokensPerMinute.at(-1)!));
  });

  it('a pause holds tokens/min at its rate as the pause began, snapshot or none', () => {
    const at = Date.parse(midRun.lastEventTs!);
    const rateThen = chartReadings(midRun, at, 'live').tokensPerMinute;
    expect(rateThen).not.toBeNull();
    const paused = { ...midRun, status: 'paused' as const, pause: { since: new Date(at).toISOString(), by: 'engine', why: null } };
    for (const later of [0, 1_000, 30_000, 59_000, 600_000]) expect(chartReadings(paused, at + later, 'live').tokensPerMinute).toBe(rateThen);
    // Before the first snapshot there is no last point to fall back on: the rate is still the pause's, not 0.
    const beforeAnySnapshot = { ...paused, series: { ...paused.series, tokensPerMinute: [] } };
    expect(chartReadings(beforeAnySnapshot, at + 30_000, 'live').tokensPerMinute).toBe(rateThen);
  });

  it('a run whose orchestrator died shows the rate up to its last event, as status does: not the start snapshot’s 0', () => {
    const last = Date.parse(midRun.lastEventTs!);
    const rateThen = chartReadings(midRun, last, 'live').tokensPerMinute;
    expect(rateThen).toBeGreaterThan(0);
    // Snapshots only from the start (0): falling back to them read "tokens/min 0" while status said the rate.
    const dead = { ...midRun, orchestrator: 'dead' as const, series: { ...midRun.series, tokensPerMinute: [0] } };
    for (const later of [0, 30_000, 600_000]) expect(chartReadings(dead, last + later, 'live').tokensPerMinute).toBe(rateThen);
    // The figure status gives: the fold's metrics at the last event.
    expect(rateThen).toBe(sessionMetricsAt(dead, last, { ...gaugesFromState(dead), status: 'running' }).tokens_per_minute);
    const tokens = chartModel(chart('tokensPerMinute'), dead.series, { width: 39, height: 4, glyphs: ASCII_GLYPHS, readings: chartReadings(dead, last + 600_000, 'live') });
    expect(tokens.latest).toBe(formatCount(rateThen!));
    expect(tokens.points).toBe(2);
  });

  it('a run that has ended shows its last snapshot’s tokens/min, not a window running down', () => {
    const readings = chartReadings(done, Date.parse(done.lastEventTs!) + 3_600_000, 'live');
    expect(readings.tokensPerMinute).toBeNull();
    const tokens = chartModel(chart('tokensPerMinute'), done.series, { width: 39, height: 4, glyphs: ASCII_GLYPHS, readings });
    expect(tokens.latest).toBe(formatCount(done.series.tokensPerMinute.at(-1)!));
  });
});

describe('agent table', () => {
  it('fits every row to the width, truncating the task', () => {
    const long: AgentView = { ...done.agents[0]!, name: 'agent-with-a-long-name', task: 'implement the persistent priority lanes with retry and backoff' };
    for (const width of [60, 80, 120]) {
      const model = agentTableModel([long, ...done.agents.slice(1)], { width, rows: 10, selected: null, glyphs: UNICODE_GLYPHS });
      const headerText = model.header.map((c) => c.text).join(' ');
      expect([...headerText].length).toBe(width);
      for (const row of model.rows) expect([...row.cells.map((c) => c.text).join(' ')].length).toBe(width);
      expect(model.rows.find((r) => r.name === long.name)!.cells.map((c) => c.text).join(' ')).toContain('agent-wi…');
    }
  });

  it('a run that recorded no token usage: the tokens column says so (–), never 0', () => {
    const agent = done.agents[0]!;
    const column = (usageRecorded?: boolean) => {
      const model = agentTableModel([agent], { width: 80, rows: 5, selected: null, glyphs: UNICODE_GLYPHS, usageRecorded });
      const at = model.header.findIndex((c) => c.text.trim() === 'tokens');
      return model.rows[0]!.cells[at]!.text.trim();
    };
    expect(column()).toBe(formatCount(agent.tokens));
    expect(column(false)).toBe('–');
  });

  it('lists the agents in name order, numbers by value, whatever order they started in', () => {
    const base = done.agents[0]!;
    const started = ['agent-10', 'agent-2', 'reviewer', 'agent-1'].map((name) => ({ ...base, name }));
    const model = agentTableModel(started, { width: 80, rows: 10, selected: null, glyphs: UNICODE_GLYPHS });
    expect(model.rows.map((r) => r.name)).toEqual(['agent-1', 'agent-2', 'agent-10', 'reviewer']);
  });

  it('drops the least needed columns when narrow', () => {
    const titles = (width: number) => agentTableModel(done.agents, { width, rows: 4, selected: null, glyphs: UNICODE_GLYPHS }).columns.map((c) => c.title);
    expect(titles(120)).toEqual(['', 'agent', 'role', 'status', 'task', 'tokens', 'tools', 'ctx', 'trust', 'idle', 'proto']);
    expect(titles(80)).toContain('proto');
    expect(titles(60)).not.toContain('idle');
    expect(titles(60)).toContain('task');
    expect(titles(40)).toEqual(['', 'agent', 'status', 'task', 'tokens']);
  });

  it('keeps the selected agent in view and marks it', () => {
    const model = agentTableModel(done.agents, { width: 80, rows: 2, selected: 'agent-4', glyphs: ASCII_GLYPHS });
    expect(model.rows.map((r) => r.name)).toEqual(['agent-3', 'agent-4']);
    expect(model.rows[1]!.selected).toBe(true);
    expect(model.rows[1]!.cells[0]!.text).toBe('>');
    expect(model).toMatchObject({ hiddenAbove: 2, hiddenBelow: 0 });
  });
});

describe('log pane', () => {
  it('finds matches case-insensitively and highlights them where drawn', () => {
    expect(matchRanges('Error: an error', 'ERROR')).toEqual([
      { start: 0, end: 5 },
      { start: 10, end: 15 },
    ]);
    const spans = highlightSpans(
      [
        { text: 'ab', role: 'muted' },
        { text: 'cd', role: 'text' },
      ],
      [{ start: 1, end: 3 }],
    );
    expect(spans).toEqual([
      { text: 'a', role: 'muted' },
      { text: 'b', role: 'highlight' },
      { text: 'c', role: 'highlight' },
      { text: 'd', role: 'text' },
    ]);
  });

  it('follows the newest lines, filters, and colours levels', () => {
    const model = logPaneModel(done.log, { filter: '', anchorId: null, height: 5, width: 80 });
    expect(model.rows.map((r) => r.id)).toEqual(done.log.slice(-5).map((l) => l.id));
    expect(model.following).toBe(true);
    const filtered = logPaneModel(done.log, { filter: 'checkpoint_00', anchorId: null, height: 20, width: 80 });
    expect(filtered.shown).toBe(filterLog(done.log, 'checkpoint_00').length);
    expect(filtered.shown).toBeGreaterThan(3);
    for (const row of filtered.rows) expect(row.spans.some((s) => s.role === 'highlight' && s.text.toLowerCase() === 'checkpoint_00')).toBe(true);
    const errorRow = logPaneModel(filterLog(done.log, 'exited with code'), { filter: '', anchorId: null, height: 1, width: 80 }).rows[0]!;
    expect(errorRow.spans.find((s) => s.text === 'ERROR')?.role).toBe('log.ERROR');
  });

  it('shows the page ending at the anchor when scrolled back, cut to the width', () => {
    const anchor = done.log[50]!.id;
    const model = logPaneModel(done.log, { filter: '', anchorId: anchor, height: 10, width: 30 });
    expect(model.rows.at(-1)!.id).toBe(anchor);
    expect(model.following).toBe(false);
    // Lines wrap at 30 columns: fewer than 10 lines fill the 10 rows.
    const [top] = /^(\d+)–51 of 207$/.exec(model.position)!.slice(1).map(Number);
    expect(top).toBeGreaterThan(42);
    expect(model.rows).toHaveLength(10);
    for (const row of model.rows) expect([...spanText(row.spans)].length).toBeLessThanOrEqual(30);
  });

  it('a newest line taller than the pane shows its head (time and level), cut with an ellipsis; so does a line above the others', () => {
    const last = done.log.at(-1)!;
    const full = logPaneModel([last], { filter: '', anchorId: null, height: 20, width: 24 }).rows.map((r) => spanText(r.spans));
    expect(full.length).toBeGreaterThan(2);
    const cut = logPaneModel([last], { filter: '', anchorId: null, height: 2, width: 24, ellipsis: '~' }).rows.map((r) => spanText(r.spans));
    expect(cut).toHaveLength(2);
    expect(cut[0]).toBe(full[0]);
    expect(cut[1]!.endsWith('~')).toBe(true);
    expect([...cut[1]!].length).toBeLessThanOrEqual(24);
    // Above a newer line, an older line that only partly fits shows its head (never a fragment without its time), cut the same way.
    const two = logPaneModel([last, { ...last, id: last.id + 1 }], { filter: '', anchorId: null, height: full.length + 1, width: 24, ellipsis: '~' }).rows.map((r) => spanText(r.spans));
    expect(two).toEqual([[...full[0]!].slice(0, 23).join('') + '~', ...full]);
  });

  it('wraps a long line rather than cutting it, at spaces: every word is on screen', () => {
    const line = { ...done.log.at(-1)!, message: Array.from({ length: 20 }, (_, i) => `word${i}`).join(' ') };
    const model = logPaneModel([line], { filter: '', anchorId: null, height: 20, width: 30 });
    expect(model.rows.length).toBeGreaterThan(1);
    expect(new Set(model.rows.map((r) => r.id))).toEqual(new Set([line.id]));
    for (const row of model.rows) expect([...spanText(row.spans)].length).toBeLessThanOrEqual(30);
    // Rows break at spaces (continuation rows indented): read back, they say the whole line, no word cut.
    const words = model.rows.flatMap((r) => spanText(r.spans).trim().split(/\s+/));
    expect(words.filter((w) => w.startsWith('word'))).toEqual(line.message.split(' '));
    // A pane too short for the whole line shows its head (its time, level and source), cut with an ellipsis.
    const short = logPaneModel([line], { filter: '', anchorId: null, height: 2, width: 30 });
    expect(short.rows.map((r) => r.key)).toEqual(model.rows.slice(0, 2).map((r) => r.key));
  });
});

describe('alerts and picker', () => {
  it('lists the newest alerts first, within the width', () => {
    const rows = alertsPage(done.alerts, { anchorSeq: null, rows: 3, width: 40, ellipsis: '…' }).rows;
    expect(rows).toHaveLength(3);
    expect(rows[0]!.text).toContain('session completed');
    expect(rows[0]!.role).toBe('good');
    for (const row of rows) expect([...row.text].length).toBeLessThanOrEqual(31);
  });

  it('wraps each alert onto the rows it needs, so one that says what to do is read whole', () => {
    const alert = (seq: number, text: string) => ({ seq, ts: '2026-12-05T10:19:53.000Z', kind: 'alert' as const, tone: 'critical' as const, text, agent: null });
    const auth = 'authentication on agent-1: task "Create the Cargo workspace" failed (exit code 1): Invalid API key · Please run /login — paused; continue with `megatest continue`';
    const rows = alertsPage([alert(1, 'an older alert that is long enough to need two rows of this pane, at least'), alert(2, auth)], { anchorSeq: null, rows: 5, width: 70, ellipsis: '…' }).rows;
    // the newest: the three rows it needs, blank time on the rows it continues on; the older one: its two
    expect(rows.map((r) => [r.key, r.time])).toEqual([
      ['2.0', '10:19:53'],
      ['2.1', '        '],
      ['2.2', '        '],
      ['1.0', '10:19:53'],
      ['1.1', '        '],
    ]);
    expect(rows.slice(0, 3).map((r) => r.text).join(' ')).toBe(auth);
    for (const row of rows) expect([...row.text].length).toBeLessThanOrEqual(61);
    // a pane too short for the newest: its head, cut (PgDn, with the alerts in the log's place, reaches the older one)
    const tight = alertsPage([alert(1, 'older'), alert(2, auth)], { anchorSeq: null, rows: 2, width: 60, ellipsis: '…' }).rows;
    expect(tight.map((r) => r.key)).toEqual(['2.0', '2.1']);
    expect(tight[1]!.text.endsWith('…')).toBe(true);
  });

  it('lists checkpoints newest first with id, time, phase, trigger, LOC and pass rate', () => {
    const model = pickerModel(done.checkpoints, { index: 1, width: 80, rows: 10, selectedMark: '>', ellipsis: '~' });
    expect(model.header.map((c) => c.text.trim())).toEqual(['', 'checkpoint', 'time', 'phase', 'trigger', 'LOC', 'pass']);
    const texts = model.rows.map((r) => r.cells.map((c) => c.text.trim()).filter(Boolean));
    expect(texts[0]!.slice(0, 4)).toEqual(['checkpoint_005', '09:19:59', 'polish', 'final']);
    expect(texts[0]!.at(-1)).toBe('95%');
    expect(model.rows[1]!.selected).toBe(true);
    expect(texts[4]!.at(-1)).toBe('–'); // checkpoint_001: no tests had run
  });

  it('marks a checkpoint an alert found damaged: "!" and its id in red, selected or not', () => {
    const events = fixtureEvents();
    const last = events.at(-1)!;
    const damagedId = done.checkpoints[2]!.id;
    const alert = { seq: last.seq + 1, ts: last.ts, type: 'alert', level: 'warning', message: `restore of ${damagedId} refused: checksum mismatch`, checkpoint: damagedId } as MegatestEvent;
    const state = foldAll([...events, alert]);
    expect(state.checkpoints.filter((c) => c.damaged).map((c) => c.id)).toEqual([damagedId]);
    const at = pickerOrder(state.checkpoints).findIndex((c) => c.id === damagedId);
    const elsewhere = pickerModel(state.checkpoints, { index: at === 0 ? 1 : 0, width: 80, rows: 10, selectedMark: '>', ellipsis: '~' }).rows[at]!;
    expect(elsewhere.cells[0]).toMatchObject({ text: '!', role: 'critical' });
    expect(elsewhere.cells[1]).toMatchObject({ role: 'critical' });
    const chosen = pickerModel(state.checkpoints, { index: at, width: 80, rows: 10, selectedMark: '>', ellipsis: '~' }).rows[at]!;
    expect(chosen.cells[0]!.text).toBe('>');
    expect(chosen.cells[1]).toMatchObject({ role: 'critical' });
    // The others are as they were.
    expect(pickerModel(state.checkpoints, { index: at, width: 80, rows: 10, selectedMark: '>', ellipsis: '~' }).rows.filter((r) => r.cells[1]!.role === 'critical')).toHaveLength(1);
  });
});

describe('layout', () => {
  it('fits 80x24 with two charts, the top agents and a few log lines', () => {
    const layout = computeLayout(80, 24, { agents: 6, alerts: 5 });
    expect(layout.charts).toMatchObject({ perRow: 2, chartRows: 1, count: 2 });
    expect(layout.agents.rows).toBeGreaterThanOrEqual(3);
    expect(layout.log.rows).toBeGreaterThanOrEqual(3);
    expect(layout.alerts.rows).toBe(0);
    const used = layout.header + layout.phaseBar + layout.charts.chartRows * (layout.charts.height + 1) + 2 + layout.agents.rows + 1 + layout.log.rows + layout.footer;
    expect(used).toBe(23);
  });

  it('uses the room of 120x40: all five charts, every agent, log beside alerts', () => {
    const layout = computeLayout(120, 40, { agents: 6, alerts: 5 });
    expect(layout.charts).toMatchObject({ perRow: 3, chartRows: 2, count: 5 });
    expect(layout.agents.rows).toBe(6);
    expect(layout.alerts.beside).toBe(true);
    expect(layout.log.width + 1 + layout.alerts.width).toBe(120);
    expect(layout.log.rows).toBeGreaterThanOrEqual(10);
  });

  it('never asks for more rows than the screen has', () => {
    for (const [columns, rows] of [[80, 24], [100, 30], [120, 40], [200, 60], [60, 16]] as const) {
      const layout = computeLayout(columns, rows, { agents: 20, alerts: 20 });
      const logBlock = layout.alerts.beside ? 1 + layout.log.rows : 1 + layout.log.rows + (layout.alerts.rows > 0 ? 1 + layout.alerts.rows : 0);
      const used = layout.header + layout.phaseBar + layout.charts.chartRows * (layout.charts.height + 1) + 2 + layout.agents.rows + logBlock + layout.footer;
      expect(used, `${columns}x${rows}`).toBeLessThanOrEqual(rows - 1);
    }
  });

  it('in a short pane (a tmux split of 12 to 20 rows) the charts go before the agents and the log do, and nothing overflows', () => {
    // At 100x14 the agent grid showed its column header and no agent: the layout asked for one row more than there was.
    for (let rows = 12; rows <= 60; rows += 1) {
      for (const columns of [50, 80, 100, 120, 200]) {
        for (const timeline of [0, 2]) {
          for (const messageRows of [1, 2]) {
            for (const counts of [{ agents: 2, alerts: 0 }, { agents: 6, alerts: 5 }, { agents: 16, alerts: 20 }]) {
              const layout = computeLayout(columns, rows, { ...counts, timeline, messageRows });
              const at = `${columns}x${rows} timeline ${timeline} message ${messageRows} ${JSON.stringify(counts)}`;
              const logBlock = layout.alerts.beside ? 1 + layout.log.rows : 1 + layout.log.rows + (layout.alerts.rows > 0 ? 1 + layout.alerts.rows : 0);
              const used = layout.header + layout.phaseBar + layout.timeline + layout.charts.chartRows * (layout.charts.height + 1) + 2 + layout.agents.rows + logBlock + layout.footer;
              // The screen's fixed parts, an agent and a log line: what any height must show before a chart.
              const essential = layout.header + layout.phaseBar + timeline + layout.footer + 3 + 2;
              if (rows - 1 < essential) continue;
              expect(used, at).toBeLessThanOrEqual(rows - 1);
              expect(layout.agents.rows, at).toBeGreaterThanOrEqual(1);
              expect(layout.log.rows, at).toBeGreaterThanOrEqual(1);
              if (layout.charts.count > 0) expect(layout.charts.height, at).toBeGreaterThanOrEqual(2);
              expect(layout.charts.count === 0, at).toBe(layout.charts.chartRows === 0);
            }
          }
        }
      }
    }
  });
});

describe('agent detail', () => {
  const lineOf = (agent: AgentView, label: string, usageRecorded?: boolean) =>
    agentDetailModel(agent, [], null, { width: 80, rows: 20, glyphs: UNICODE_GLYPHS, usageRecorded }).rows.map(spanText).find((row) => row.startsWith(label))!;

  const SIM_CAPABILITIES = { nativeCheckpoint: false, nativeCompress: true, nativeResume: false, tokenUsage: false, cost: false, pause: true };

  it("counts its errors, recoveries and limits each as what it is, and lists them all where its output leaves room", () => {
    const agent = done.agents[0]!;
    const entry = (seq: number, kind: AlertView['kind'], text: string): AlertView => ({ seq, ts: '2026-03-01T12:00:00.000Z', kind, tone: 'warning', text, agent: agent.name });
    const alerts = [entry(1, 'error', 'agent_crash: exited with code 101'), entry(2, 'recovery', 'restore_checkpoint #1 started'), entry(3, 'recovery', 'restore_checkpoint #1 succeeded'), entry(4, 'error', 'other agent')].map((a, i) =>
      i === 3 ? { ...a, agent: 'someone-else' } : a,
    );
    const rows = agentDetailModel(agent, alerts, ['one line of its own'], { width: 80, rows: 20, glyphs: UNICODE_GLYPHS }).rows.map(spanText);
    const mine = alerts.filter((a) => a.agent === agent.name);
    expect(rows).toContain(`Errors ${mine.filter((a) => a.kind === 'error').length} · recoveries ${mine.filter((a) => a.kind === 'recovery').length}`);
    for (const a of mine) expect(rows.some((row) => row.includes(a.text))).toBe(true);
  });

  it('wraps the task and what the agent can do at spaces, so every word shows at 80 columns', () => {
    const agent = { ...done.agents[0]!, task: 'Run the tests and fix what fails; add the batch settings module (src/features/) with its node:test tests', capabilities: SIM_CAPABILITIES };
    const rows = agentDetailModel(agent, [], null, { width: 80, rows: 30, glyphs: UNICODE_GLYPHS }).rows.map(spanText);
    const from = (label: string, count: number) => rows.slice(rows.findIndex((row) => row.startsWith(label)), rows.findIndex((row) => row.startsWith(label)) + count);
    const words = (lines: string[]) => lines.map((line) => line.slice(12).trim()).join(' ');
    expect(words(from('task', 2))).toBe(agent.task);
    expect(words(from('can do', 2))).toBe(describeCapabilities(SIM_CAPABILITIES));
    for (const row of rows) expect([...row].length).toBeLessThanOrEqual(80);
    // a word longer than the line is cut where the line ends
    expect(wrapText('ab cdefghij k', 6, '  ')).toEqual(['  ab', '  cdef', '  ghij', '  k']);
    expect(wrapText('', 10, '  ')).toEqual(['  ']);
  });

  it('a model of "" is the agent program\'s own default; none known is –', () => {
    const agent = done.agents[0]!;
    expect(lineOf({ ...agent, model: 'gpt-5-codex' }, 'role')).toContain('model gpt-5-codex');
    expect(lineOf({ ...agent, model: '' }, 'role')).toContain('model its default');
    expect(lineOf({ ...agent, model: null }, 'role')).toContain('model –');
  });

  it('tokens not recorded by the run: said, with no sparkline', () => {
    const agent = done.agents[0]!;
    expect(lineOf(agent, 'tokens')).toContain(formatCount(agent.tokens));
    expect(lineOf(agent, 'tokens', false).trim()).toBe('tokens      not recorded');
  });
});
