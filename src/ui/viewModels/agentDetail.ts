// One agent's detail (Enter on the selected agent): who it is (role, model,
// status, task), what it can do when asked, its tokens and tool calls over
// time, its errors, and the last lines it printed. A pure reading of the
// fold's AgentView and alerts, plus the output lines the console was given.

import { describeCapabilities } from '../../contract/capabilities.js';
import type { AgentView, AlertView } from '../../state/applyEvent.js';
import { trustOf } from '../../state/runState.js';
import type { Glyphs } from '../theme.js';
import { agentStatusRole, idleSecondsAt } from './agentTable.js';
import { alertRole } from './alerts.js';
import { clipSpansWithEllipsis, clockTime, formatCount, formatDuration, spansWidth, truncate, wrapSpans, type Span } from './format.js';

export interface AgentDetailModel {
  title: string;
  /** Lines to draw, each already cut to the width. */
  rows: Span[][];
}

/** How much each snapshot added to a running total: the activity between snapshots. */
export function increments(totals: readonly number[]): number[] {
  return totals.slice(1).map((value, i) => Math.max(0, value - totals[i]!));
}

/** The last `width` values as one line of the glyphs' eight levels, scaled to their largest. */
export function sparkline(values: readonly number[], width: number, glyphs: Pick<Glyphs, 'spark'>): string {
  const shown = values.slice(Math.max(0, values.length - Math.max(0, width)));
  const top = Math.max(0, ...shown);
  const levels = glyphs.spark.length;
  return shown.map((v) => glyphs.spark[top === 0 ? 0 : Math.min(levels - 1, Math.floor((v / top) * (levels - 1) + 0.5))]).join('');
}

/** The agent's own lines from its raw output: protocol messages (JSON objects) are its events, already shown as figures. */
export function ownOutputLines(lines: readonly string[]): string[] {
  return lines.filter((line) => line.trim() !== '' && !/^\s*\{.*\}\s*$/.test(line));
}


/** "Errors 1", or "Errors 1 · recoveries 2 · limits 1": what the list below holds, each counted as what it is (the header counts errors only). */
function errorsTitle(entries: readonly AlertView[]): string {
  const count = (kind: AlertView['kind']) => entries.filter((e) => e.kind === kind).length;
  const recoveries = count('recovery');
  const limits = count('limit');
  return [`Errors ${count('error')}`, ...(recoveries > 0 ? [`recoveries ${recoveries}`] : []), ...(limits > 0 ? [`limits ${limits}`] : [])].join(' · ');
}

function idleText(seconds: number | null): string {
  return seconds === null ? '–' : formatDuration(seconds);
}

/**
 * The detail of `agent` in `rows` lines of `width`. `output` is the agent's
 * last raw output lines, or null where the console has none to give (replay).
 */
export function agentDetailModel(
  agent: AgentView,
  alerts: readonly AlertView[],
  output: readonly string[] | null,
  /** usageRecorded false: the run recorded no token usage (an import of output without it): tokens are unknown, not 0. */
  options: { width: number; rows: number; glyphs: Glyphs; usageRecorded?: boolean; activityNowMs?: number },
): AgentDetailModel {
  const { width, glyphs } = options;
  const rows: Span[][] = [];
  const label = (text: string): Span => ({ text: text.padEnd(12), role: 'muted' });
  // Whole fields: where the row is too narrow for the model, it is left out, not cut mid-word ("status workin").
  const who = (withModel: boolean): Span[] => [
    label('role'),
    { text: agent.role || '–', role: 'text' },
    // "" is the agent program's own default model ([agents] models = [""]).
    ...(withModel ? [{ text: '   model ', role: 'muted' as const }, { text: agent.model === null ? '–' : agent.model || 'its default', role: 'text' as const }] : []),
    { text: '   status ', role: 'muted' },
    { text: agent.status, role: agentStatusRole(agent.status) },
    ...(agent.exitCause ? [{ text: ` (${agent.exitCause})`, role: 'muted' as const }] : []),
  ];
  rows.push(spansWidth(who(true)) <= width ? who(true) : who(false));
  // Wrapped after the label to at most `most` rows; what does not fit ends the last with the ellipsis, never dropped unsaid.
  const labelled = (name: string, text: string, role: Span['role'], most: number) =>
    wrapSpans([{ text, role }], Math.max(1, width - 12), most, glyphs.ellipsis).forEach((row, i) => rows.push([i === 0 ? label(name) : { text: ' '.repeat(12), role: 'text' }, ...row]));
  labelled('task', agent.task ?? '–', agent.task ? 'text' : 'muted', 3);
  labelled('can do', agent.capabilities ? describeCapabilities(agent.capabilities) : 'not recorded (a log older than capabilities)', agent.capabilities ? 'text' : 'muted', 2);

  const series = agent.series ?? { tokens: [], toolCalls: [] };
  const sparkWidth = Math.max(0, width - 12 - 24);
  const over = (totals: readonly number[]) => (totals.length > 1 ? sparkline(increments(totals), sparkWidth, glyphs) : 'no snapshots yet');
  if (options.usageRecorded === false) rows.push([label('tokens'), { text: 'not recorded', role: 'muted' }]);
  else rows.push([label('tokens'), { text: formatCount(agent.tokens).padEnd(24), role: 'text' }, { text: over(series.tokens), role: 'accent' }]);
  const failed = agent.failedToolCalls > 0 ? ` (${agent.failedToolCalls} failed)` : '';
  rows.push([label('tool calls'), { text: `${formatCount(agent.toolCalls)}${failed}`.padEnd(24), role: agent.failedToolCalls > 0 ? 'warning' : 'text' }, { text: over(series.toolCalls), role: 'accent' }]);
  const trust = trustOf(agent);
  const context = agent.contextTokens === null ? '–' : `${formatCount(agent.contextTokens)}${agent.maxContextTokens ? ` of ${formatCount(agent.maxContextTokens)}` : ''}`;
  rows.push([
    label('context'),
    { text: context, role: 'text' },
    { text: '   trust ', role: 'muted' },
    { text: trust === null ? '–' : trust.toFixed(2), role: 'text' },
    { text: '   idle ', role: 'muted' },
    { text: idleText(idleSecondsAt(agent, options.activityNowMs)), role: 'text' },
  ]);

  // The rest is shared by its errors, recoveries and limits (newest first: a third, or what its output leaves) and its output.
  const errors = alerts.filter((a) => a.agent === agent.name && (a.kind === 'error' || a.kind === 'recovery' || a.kind === 'limit'));
  const own = output === null ? null : ownOutputLines(output);
  const left = Math.max(0, options.rows - rows.length);
  const outputWants = 1 + (own === null ? 1 : Math.max(1, own.length));
  const errorRows = Math.min(errors.length, Math.max(1, Math.floor(left / 3), left - 1 - outputWants));
  rows.push([{ text: errorsTitle(errors), role: 'title' }]);
  if (errors.length === 0) rows.push([{ text: '  none', role: 'muted' }]);
  for (const e of errors.slice(-errorRows).reverse()) {
    rows.push([
      { text: `  ${clockTime(e.ts)} `, role: 'muted' },
      { text: truncate(e.text, Math.max(0, width - 11), glyphs.ellipsis), role: alertRole(e.tone) },
    ]);
  }
  const outputRoom = Math.max(0, options.rows - rows.length - 1);
  rows.push([{ text: own === null ? 'Output' : `Output (last ${Math.min(outputRoom, own.length)} of its lines)`, role: 'title' }]);
  if (own === null) rows.push([{ text: '  not shown in replay: agents/<name>/output.log has no times to replay it by', role: 'muted' }]);
  else if (own.length === 0) rows.push([{ text: '  nothing yet', role: 'muted' }]);
  else for (const line of own.slice(-outputRoom)) rows.push([{ text: `  ${line}`, role: 'text' }]);

  return {
    title: `Agent ${agent.name}`,
    rows: rows.slice(0, Math.max(0, options.rows)).map((row) => clipSpansWithEllipsis(row, width, glyphs.ellipsis)),
  };
}
