// The comparison as a Markdown table: one column per run, the first the
// base; each other run's cells carry their delta against the base and
// whether that is better. JSON output is the view model itself.

import { assertNever } from '../contract/assertNever.js';
import { BANDS, bandLegend } from '../report/bands.js';
import type { CompareCell, CompareRow, CompareRunHeader, CompareView, CriterionCell, FigureFormat, Verdict } from './viewModel.js';
import { countOf } from '../state/groupDigits.js';
import { compactDuration } from '../state/durationText.js';

const number = (value: number, digits: number) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** As the console and `ls` write a length of time (src/state/durationText.ts), with its sign. */
function duration(seconds: number): string {
  const text = compactDuration(Math.round(Math.abs(seconds)));
  return seconds < 0 ? `-${text}` : text;
}

export function formatFigure(value: number | null, format: FigureFormat): string {
  if (value === null) return format === 'usd' ? 'not recorded' : '—';
  switch (format) {
    case 'seconds':
      return duration(value);
    case 'count':
      return number(value, 0);
    case 'ratio':
      return number(value, 1);
    case 'percent':
      return `${number(value, 1)}%`;
    case 'fraction':
      return `${number(value * 100, 1)}%`;
    case 'usd':
      // as the report gives it: an agent's cost is often a few cents
      return `$${number(value, 4)}`;
    default:
      return assertNever(format, 'figure format');
  }
}

/** The size of a delta as the table shows it (no sign). */
function deltaSize(size: number, format: FigureFormat): string {
  switch (format) {
    case 'seconds':
      return duration(size);
    case 'percent':
      return `${number(size, 1)} pp`;
    case 'fraction':
      return `${number(size * 100, 1)} pp`;
    case 'count':
    case 'ratio':
    case 'usd':
      return formatFigure(size, format);
    default:
      return assertNever(format, 'figure format');
  }
}

/**
 * The delta as shown, and whether it shows as none: a difference below the
 * figure's precision (7.05 against 7.00 tool calls a task) reads "±0.0",
 * with no "better" or "worse" beside it (the JSON keeps the exact delta).
 */
function formatDelta(delta: number, format: FigureFormat): { text: string; shownAsNone: boolean } {
  const size = deltaSize(Math.abs(delta), format);
  const shownAsNone = !/[1-9]/.test(size);
  const sign = shownAsNone ? '±' : delta > 0 ? '+' : '−';
  return { text: `${sign}${size}`, shownAsNone };
}

function verdictWord(verdict: Verdict | null): string {
  return verdict === 'better' || verdict === 'worse' ? `, ${verdict}` : '';
}

function cellText(row: CompareRow, cell: CompareCell): string {
  const value = formatFigure(cell.value, row.format);
  const rating = cell.rating && cell.rating !== 'not measured' ? ` ${cell.rating}` : '';
  if (cell.verdict === null) return `${value}${rating}`;
  if (cell.delta === null) return `${value}${rating}`;
  const delta = formatDelta(cell.delta, row.format);
  return `${value}${rating} (${delta.text}${delta.shownAsNone ? '' : verdictWord(cell.verdict)})`;
}

const escape = (text: string) => text.replace(/\|/g, '\\|');

/**
 * A criterion's cell: PASS or FAIL, "not measured" where the run failed it for want of its figure,
 * and a note's number where the run's own criterion differs from the row's wording (its own target).
 */
function criterionCellText(cell: CriterionCell, notes: string[], runName: string): string {
  if (cell.passed === null) return cell.not_judged === null ? '—' : 'not judged';
  const unmeasured = cell.measured === false ? ' (not measured)' : '';
  let note = '';
  if (cell.description !== null) {
    notes.push(`${runName}: its criterion is "${cell.description}"`);
    note = ` [${notes.length}]`;
  }
  return `${cell.passed ? 'PASS' : 'FAIL'}${unmeasured}${note}${verdictWord(cell.verdict)}`;
}

export function renderCompareMarkdown(view: CompareView): string {
  const runs = view.runs;
  const notes: string[] = [];
  const header = `| | ${runs.map((r, i) => `${escape(r.name)}${i === 0 ? ' (base)' : ''}`).join(' | ')} |`;
  const rule = `|---|${runs.map(() => '---').join('|')}|`;
  const kind = (r: CompareView['runs'][number]) =>
    `${r.agent_kind}${r.simulated ? ' (SIMULATED)' : ''}${r.legacy ? `, legacy ${r.legacy}${r.damage > 0 ? `, ${damageWords(r)}` : ''}` : ''}`;
  const lines = [
    '# megatest compare',
    '',
    header,
    rule,
    `| session | ${runs.map((r) => escape(r.session_id)).join(' | ')} |`,
    `| project | ${runs.map((r) => escape(r.project)).join(' | ')} |`,
    `| agent | ${runs.map((r) => escape(kind(r))).join(' | ')} |`,
    `| status | ${runs.map((r) => r.status).join(' | ')} |`,
    ...view.rows.map((row) => `| ${row.label} | ${row.cells.map((cell) => escape(cellText(row, cell))).join(' | ')} |`),
    '',
    '## Success criteria',
    '',
    `| criterion | level | ${runs.map((r) => escape(r.name)).join(' | ')} |`,
    `|---|---|${runs.map(() => '---').join('|')}|`,
    ...view.criteria.map((c) => `| ${escape(c.description)} | ${c.level} | ${c.cells.map((cell, index) => escape(criterionCellText(cell, notes, runs[index]!.name))).join(' | ')} |`),
    '',
    ...notes.map((note, index) => `[${index + 1}] ${note}`),
    ...(notes.length > 0 ? [''] : []),
    ...view.notes.map((note) => `Note: ${note}.`),
    ...(view.notes.length > 0 ? [''] : []),
    'Deltas are against the base (the first run); "better" and "worse" follow each figure\'s direction (duration, recoveries and checkpoints have none); totals (tokens, errors, cost) are judged only between runs that completed.',
    // The bands of the rows shown (the report's build-time band has no row here).
    `Bands: ${view.rows.flatMap((row) => (row.band ? [bandLegend(BANDS[row.band])] : [])).join('; ')}.`,
    '',
  ];
  return lines.join('\n');
}

/**
 * A legacy run's damage as the report lists it: problems, and the files they are in. "14 damaged files" was 14
 * problems in 13 files (one of them recovered, nothing lost); `ls` says "(14 problems)".
 */
export function damageWords(run: Pick<CompareRunHeader, 'damage' | 'damaged_files'>): string {
  return `${countOf(run.damage, 'problem')} in ${countOf(run.damaged_files, 'file')}`;
}
