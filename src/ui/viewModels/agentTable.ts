// The agent grid: one row per agent with the figures the orchestrator
// measured; columns fitted to the width, rows to the room, the selected
// agent always in view.

import type { AgentStatus } from '../../contract/events.js';
import { assertNever } from '../../contract/assertNever.js';
import type { AgentView } from '../../state/applyEvent.js';
import { compareAgentNames } from '../../state/agentNames.js';
import { trustOf } from '../../state/runState.js';
import type { Glyphs, ThemeRole } from '../theme.js';
import { clockTime, formatCount, formatDuration, textWidth } from './format.js';
import { fitCells, fitColumns, headerCells, windowStart, type Cell, type ColumnSpec, type FittedColumn } from './table.js';

export type AgentColumn = 'marker' | 'name' | 'role' | 'status' | 'task' | 'tokens' | 'tools' | 'context' | 'trust' | 'idle' | 'protocol';

export const AGENT_COLUMNS: readonly ColumnSpec<AgentColumn>[] = [
  { key: 'marker', title: '', width: 1 },
  { key: 'name', title: 'agent', width: 9 },
  { key: 'role', title: 'role', width: 9, dropPriority: 3 },
  { key: 'status', title: 'status', width: 8 },
  { key: 'task', title: 'task', width: 8, flexible: true },
  { key: 'tokens', title: 'tokens', width: 6, align: 'right' },
  { key: 'tools', title: 'tools', width: 5, align: 'right', dropPriority: 2 },
  { key: 'context', title: 'ctx', width: 4, align: 'right', dropPriority: 4 },
  { key: 'trust', title: 'trust', width: 5, align: 'right', dropPriority: 5 },
  { key: 'idle', title: 'idle', width: 6, align: 'right', dropPriority: 6 },
  // Lines that broke the agent's protocol (malformed, binary, out-of-bounds numbers, tasks not its own).
  { key: 'protocol', title: 'proto', width: 5, align: 'right', dropPriority: 7 },
];

export interface AgentRow {
  name: string;
  selected: boolean;
  cells: Cell[];
}

export interface AgentTableModel {
  columns: FittedColumn<AgentColumn>[];
  header: Cell[];
  rows: AgentRow[];
  hiddenAbove: number;
  hiddenBelow: number;
  /** Set when the orchestrator is gone: the statuses are what the event log last recorded ("as last recorded 20:21:00"), not what runs now. */
  asLastRecorded: string | null;
}

export function agentStatusRole(status: AgentStatus): ThemeRole {
  switch (status) {
    case 'working':
      return 'good';
    case 'starting':
    case 'waiting':
      return 'info';
    case 'idle':
    case 'exited':
      return 'muted';
    case 'blocked':
    case 'paused':
      return 'warning';
    case 'crashed':
      return 'critical';
    default:
      return assertNever(status, 'agent status');
  }
}

function contextCell(agent: AgentView): Cell {
  if (agent.contextTokens === null || !agent.maxContextTokens) return { text: '–', role: 'muted' };
  const share = agent.contextTokens / agent.maxContextTokens;
  return { text: `${Math.round(share * 100)}%`, role: share >= 0.95 ? 'critical' : share >= 0.8 ? 'warning' : 'text' };
}

function trustCell(agent: AgentView): Cell {
  const trust = trustOf(agent);
  if (trust === null) return { text: '–', role: 'muted' };
  return { text: trust.toFixed(2), role: trust < 0.5 ? 'critical' : trust < 0.8 ? 'warning' : 'text' };
}

/**
 * Seconds since the agent's last event, at `nowMs` (the screen's activity
 * clock: stopped while paused and once the run ended), as the orchestrator's
 * snapshot and `megatest status` count it; the snapshot's own figure was up to
 * a snapshot interval old. None before the first snapshot measured one.
 */
export function idleSecondsAt(agent: AgentView, nowMs: number | undefined): number | null {
  if (agent.idleSeconds === null || nowMs === undefined) return agent.idleSeconds;
  return Math.max(0, Math.round((nowMs - agent.lastActivityMs) / 1000));
}

/**
 * Agents in name order, numbers by value (agent-2 before agent-10): the grid's order and the selection's. The
 * fold keeps them so; a folded snapshot an older megatest kept (the seek index) may list them as they started.
 */
export function agentsByName<T extends { name: string }>(agents: readonly T[]): T[] {
  return [...agents].sort((a, b) => compareAgentNames(a.name, b.name));
}

/** The widest a role column grows to, and the task column's width it leaves: past these a role is cut rather than the task. */
const ROLE_MAX_WIDTH = 16;
const TASK_KEEPS = 10;

/**
 * The role column as wide as the longest role (up to ROLE_MAX_WIDTH), taken
 * from the task column while the task keeps TASK_KEEPS columns: at a fixed 9
 * the default role "documenter" was always cut.
 */
function widenRole(columns: FittedColumn<AgentColumn>[], agents: readonly AgentView[]): FittedColumn<AgentColumn>[] {
  const role = columns.find((c) => c.key === 'role');
  const task = columns.find((c) => c.key === 'task');
  if (!role || !task) return columns;
  const wanted = Math.min(ROLE_MAX_WIDTH, Math.max(0, ...agents.map((a) => textWidth(a.role || '–'))));
  const extra = Math.min(wanted - role.width, task.width - TASK_KEEPS);
  if (extra <= 0) return columns;
  return columns.map((c) => (c === role ? { ...c, width: c.width + extra } : c === task ? { ...c, width: c.width - extra } : c));
}

export function agentTableModel(
  unordered: readonly AgentView[],
  /** usageRecorded false: the run recorded no token usage (an import of output without it): tokens show as unknown, not 0. */
  options: {
    width: number;
    rows: number;
    selected: string | null;
    glyphs: Glyphs;
    usageRecorded?: boolean;
    activityNowMs?: number;
    /** The time of the last event when the orchestrator is gone before the run ended: nothing updates the statuses since. */
    lastRecordedTs?: string | null;
  },
): AgentTableModel {
  const frozen = options.lastRecordedTs !== undefined && options.lastRecordedTs !== null;
  const agents = agentsByName(unordered);
  const columns = widenRole(fitColumns(AGENT_COLUMNS, options.width), agents);
  const selectedIndex = options.selected === null ? -1 : agents.findIndex((a) => a.name === options.selected);
  const rowsShown = Math.max(0, options.rows);
  const start = windowStart(agents.length, rowsShown, selectedIndex);
  const visible = agents.slice(start, start + rowsShown);
  const rows = visible.map((agent) => {
    const selected = agent.name === options.selected;
    const idle = idleSecondsAt(agent, options.activityNowMs);
    const cells: Record<AgentColumn, Cell> = {
      marker: { text: selected ? options.glyphs.selected : ' ', role: 'accent' },
      name: { text: agent.name, role: selected ? 'accent' : 'text' },
      role: { text: agent.role || '–', role: 'muted' },
      // A frozen "working" in green read as work going on: muted, under the title's "as last recorded".
      status: { text: agent.status, role: frozen ? 'muted' : agentStatusRole(agent.status) },
      task: { text: agent.task ?? (agent.exitCause ? `(${agent.exitCause})` : '–'), role: agent.task ? 'text' : 'muted' },
      tokens: options.usageRecorded === false ? { text: '–', role: 'muted' } : { text: formatCount(agent.tokens), role: 'text' },
      tools: { text: formatCount(agent.toolCalls), role: agent.failedToolCalls > 0 ? 'warning' : 'text' },
      context: contextCell(agent),
      trust: trustCell(agent),
      idle: idle === null ? { text: '–', role: 'muted' } : { text: formatDuration(idle), role: idle >= 300 ? 'warning' : 'text' },
      protocol: { text: formatCount(agent.protocolErrors ?? 0), role: (agent.protocolErrors ?? 0) > 0 ? 'warning' : 'muted' },
    };
    return { name: agent.name, selected, cells: fitCells(columns, cells, options.glyphs.ellipsis) };
  });
  const asLastRecorded = frozen ? `as last recorded ${clockTime(options.lastRecordedTs!)}` : null;
  return { columns, header: headerCells(columns), rows, hiddenAbove: start, hiddenBelow: Math.max(0, agents.length - start - visible.length), asLastRecorded };
}
