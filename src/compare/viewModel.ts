// `megatest compare` as data: runs side by side, each figure with its delta
// against the first run and whether it is better, the seed's bands as
// ratings, and each success criterion. Pure: every figure is a reading of
// each run's one fold (runFigures, the counters, the clock) and the criteria
// its report judged; nothing is counted here.

import type { FinalReport } from '../report/build.js';
import { criterionMeasured } from '../report/criteria.js';
import { runFigures, type RunFigures } from '../report/figures.js';
import type { CriterionResult } from '../contract/events.js';
import { recordedDurationSeconds, type RunState } from '../state/runState.js';
import { reportedCostUsd } from '../state/tallies.js';
import { compactDuration } from '../state/durationText.js';
import { BANDS, rateBand, type BandName, type BandRating } from '../report/bands.js';

export interface CompareRunInput {
  /** How the run is named on the command line. */
  name: string;
  /** The run's fold (events.jsonl, or a legacy folder's converted files). */
  state: RunState;
  /** Its report, for the criteria and the header. */
  report: FinalReport;
}

/** What one figure is read from. */
interface RunReading {
  state: RunState;
  figures: RunFigures;
}

/** Which way is better for a figure; `none` when neither is (duration, checkpoints). */
export type Better = 'lower' | 'higher' | 'none';
export type Verdict = 'better' | 'worse' | 'same' | 'n/a';

export interface CompareCell {
  value: number | null;
  /** Against the first run: value - first; null for the first run or when either is unknown. */
  delta: number | null;
  /** null for the first run (the base). */
  verdict: Verdict | null;
  rating?: BandRating;
}

export type FigureFormat = 'seconds' | 'count' | 'ratio' | 'percent' | 'fraction' | 'usd';

export interface CompareRow {
  key: string;
  label: string;
  format: FigureFormat;
  better: Better;
  band?: BandName;
  cells: CompareCell[];
}

export interface CriterionCell {
  passed: boolean | null;
  /** false when the run's report failed the criterion for want of its figure (a legacy run that never recorded it); null when the run has no such criterion. */
  measured: boolean | null;
  evidence: string | null;
  /** The run's own wording of the criterion where it differs from the row's (the first run's): a scaled target differs with the run's length. */
  description: string | null;
  /** Against the first run; n/a when either has no such criterion, did not measure it, or words it otherwise (another target). */
  verdict: Verdict | null;
  /** Why the run's report left the criterion out of its verdict (an import: "an import builds no project"); null otherwise. */
  not_judged: string | null;
}

export interface CriterionRow {
  id: string;
  description: string;
  level: string;
  cells: CriterionCell[];
}

export interface CompareRunHeader {
  name: string;
  session_id: string;
  project: string;
  agent_kind: string;
  simulated: boolean;
  /** python | bash | unknown for a legacy run; null for a megatest run. */
  legacy: string | null;
  status: string;
  /** The problems found in a legacy run's files (damaged or missing; one file may have several, and some lost nothing). */
  damage: number;
  /** How many files those problems are in. */
  damaged_files: number;
}

export interface CompareView {
  runs: CompareRunHeader[];
  rows: CompareRow[];
  criteria: CriterionRow[];
  /** What makes the deltas mean less than they seem: another project, another planned length, the same run twice. */
  notes: string[];
}

function perUnit(numerator: number | null, denominator: number | null): number | null {
  return numerator !== null && denominator !== null && denominator > 0 ? numerator / denominator : null;
}

interface FigureSpec {
  key: string;
  label: string;
  format: FigureFormat;
  better: Better;
  band?: BandName;
  /** A total over the run (tokens, errors, cost): judged only between runs that completed, as a run stopped early spent less. */
  total?: boolean;
  read: (run: RunReading) => number | null;
}

const FIGURES: readonly FigureSpec[] = [
  {
    key: 'duration',
    label: 'duration (active)',
    format: 'seconds',
    better: 'none',
    // none for an import in line order: its times give the order of its lines, not a duration
    read: ({ state }) => recordedDurationSeconds(state),
  },
  { key: 'tokens', label: 'tokens', format: 'count', better: 'lower', total: true, read: ({ figures }) => figures.totalTokens },
  {
    key: 'tokens_per_loc',
    label: 'tokens/LOC',
    format: 'ratio',
    better: 'lower',
    band: 'tokens_per_loc',
    read: ({ figures }) => perUnit(figures.totalTokens, figures.linesOfCode),
  },
  {
    key: 'tool_calls_per_task',
    label: 'tool calls/task',
    format: 'ratio',
    better: 'lower',
    band: 'tool_calls_per_task',
    read: ({ figures }) => perUnit(figures.toolCalls, figures.tasksCompleted),
  },
  { key: 'test_pass_rate', label: 'test pass rate', format: 'fraction', better: 'higher', read: ({ figures }) => figures.testPassRate },
  { key: 'coverage', label: 'line coverage', format: 'percent', better: 'higher', band: 'coverage', read: ({ figures }) => figures.testCoverage },
  { key: 'lines_of_code', label: 'lines of code', format: 'count', better: 'higher', read: ({ figures }) => figures.linesOfCode },
  { key: 'errors', label: 'errors', format: 'count', better: 'lower', total: true, read: ({ figures }) => figures.errors },
  // more recoveries means both more failures and more survived: neither way is better
  { key: 'recoveries', label: 'recoveries', format: 'count', better: 'none', read: ({ figures }) => figures.recoveries },
  { key: 'checkpoints', label: 'checkpoints', format: 'count', better: 'none', read: ({ figures }) => figures.checkpoints },
  // what the agents reported (Claude Code's total_cost_usd): not recorded for one that reports none (the sim, Codex)
  { key: 'cost_usd', label: 'cost', format: 'usd', better: 'lower', total: true, read: ({ state }) => reportedCostUsd(state) },
];

const EPSILON = 1e-9;

function verdictOf(value: number | null, base: number | null, better: Better): Verdict {
  if (value === null || base === null) return 'n/a';
  if (Math.abs(value - base) < EPSILON) return 'same';
  if (better === 'none') return 'n/a';
  return (value < base) === (better === 'lower') ? 'better' : 'worse';
}

/** A run that completed: its totals are those of the whole run (not of one interrupted, killed, still going or empty). */
function completed(run: RunReading): boolean {
  return run.state.ended?.status === 'completed';
}

function figureRow(spec: FigureSpec, runs: readonly RunReading[]): CompareRow {
  const values = runs.map((run) => {
    const value = spec.read(run);
    return value === null || !Number.isFinite(value) ? null : value;
  });
  const base = values[0] ?? null;
  return {
    key: spec.key,
    label: spec.label,
    format: spec.format,
    better: spec.better,
    ...(spec.band ? { band: spec.band } : {}),
    cells: values.map((value, index) => ({
      value,
      delta: index === 0 || value === null || base === null ? null : value - base,
      verdict: index === 0 ? null : spec.total === true && !(completed(runs[0]!) && completed(runs[index]!)) ? 'n/a' : verdictOf(value, base, spec.better),
      ...(spec.band ? { rating: rateBand(value, BANDS[spec.band]) } : {}),
    })),
  };
}

function criterionRows(reports: readonly FinalReport[]): CriterionRow[] {
  const order: { id: string; description: string; level: string }[] = [];
  for (const report of reports) {
    for (const c of report.criteria) if (!order.some((o) => o.id === c.id)) order.push({ id: c.id, description: c.description, level: c.level });
  }
  return order.map((o) => {
    const found = reports.map((r) => r.criteria.find((c) => c.id === o.id) ?? null);
    const notJudged = reports.map((r) => r.criteria_not_judged?.find((c) => c.id === o.id)?.reason ?? null);
    const base = found[0];
    const judged = (c: CriterionResult | null | undefined): c is CriterionResult => c !== null && c !== undefined && criterionMeasured(c);
    return {
      ...o,
      cells: found.map((c, index) => ({
        passed: c?.passed ?? null,
        measured: c === null ? null : criterionMeasured(c),
        evidence: c?.evidence ?? null,
        description: c !== null && c.description !== o.description ? c.description : null,
        // Two runs judged on different targets (a scaled one) passed different tests: neither is better.
        verdict: index === 0 ? null : !judged(c) || !judged(base) || c.description !== base.description ? 'n/a' : c.passed === base.passed ? 'same' : c.passed ? 'better' : 'worse',
        not_judged: c === null ? notJudged[index]! : null,
      })),
    };
  });
}

/**
 * One line for each pair of runs whose deltas do not compare like with like.
 * The table gave them with nothing said: a 6 h run's tokens against a 1 h
 * run's, a database project's LOC against a task queue's, or zero deltas of a
 * run given twice.
 */
function comparabilityNotes(inputs: readonly CompareRunInput[]): string[] {
  const notes: string[] = [];
  const [base, ...others] = inputs;
  if (base === undefined) return notes;
  const planned = (input: CompareRunInput) => input.state.session?.durationSeconds ?? null;
  for (const [offset, run] of others.entries()) {
    const twin = inputs.slice(0, offset + 1).find((earlier) => earlier.report.session_id === run.report.session_id);
    if (twin !== undefined) {
      notes.push(`${run.name} is the same run as ${twin.name} (session ${run.report.session_id}): its deltas against it are nothing but zero`);
      continue;
    }
    if (run.report.project !== base.report.project) {
      notes.push(`${run.name} built another project (${run.report.project}) than the base (${base.report.project}): its deltas compare different work`);
    }
    const [mine, theirs] = [planned(run), planned(base)];
    if (mine !== null && theirs !== null && mine !== theirs) {
      notes.push(`${run.name} was planned for ${compactDuration(mine)}, the base for ${compactDuration(theirs)}: its totals (tokens, LOC, tasks, cost) differ by plan too`);
    }
  }
  return notes;
}

export function compareRuns(inputs: readonly CompareRunInput[]): CompareView {
  const reports = inputs.map((i) => i.report);
  const readings = inputs.map(({ state }) => ({ state, figures: runFigures(state) }));
  return {
    runs: inputs.map(({ name, report }) => ({
      name,
      session_id: report.session_id,
      project: report.project,
      agent_kind: report.agent_kind,
      simulated: report.simulated,
      legacy: report.legacy?.runner ?? null,
      status: report.status,
      damage: report.legacy?.damage.length ?? 0,
      damaged_files: new Set(report.legacy?.damage.map((d) => d.file) ?? []).size,
    })),
    rows: FIGURES.map((spec) => figureRow(spec, readings)),
    criteria: criterionRows(reports),
    notes: comparabilityNotes(inputs),
  };
}
