// The whole screen as data: every view-model the console draws, from the
// run, the person's choices, the clock and the terminal's size, in one pure
// function. The console draws a frame only when `frame` changed
// (sameFrame): Ink lays out and re-encodes the whole screen at every React
// commit, so a flush of events or a clock tick that moves nothing on screen
// must not reach React at all (useScreen.ts).

import { assertNever } from '../../contract/assertNever.js';
import { isTerminalStatus, type ConsoleState } from '../../state/applyEvent.js';
import { lastEventMs } from '../../state/readings.js';
import { runFigures } from '../../report/figures.js';
import { stepBackTarget, type ConsoleMode, type ToastTone, type UiState } from '../../state/uiState.js';
import { helpSections, KEYMAP, keyLineItems, RUN_CONTROL_ACTIONS, type KeyContext, type KeyLineItem } from '../keymap.js';
import type { Glyphs } from '../theme.js';
import { agentDetailModel, type AgentDetailModel } from './agentDetail.js';
import { agentTableModel, type AgentTableModel } from './agentTable.js';
import { alertsPage, alertsTitleDetail, type AlertRow, type AlertsPane } from './alerts.js';
import { CHARTS, chartModel, chartReadings, type ChartModel } from './charts.js';
import { wrapSpans, type Span } from './format.js';
import { headerModel, resumeHintText, type HeaderModel } from './header.js';
import { helpModel, type HelpModel } from './help.js';
import { computeLayout, layoutWidth, type Layout } from './layout.js';
import { logPaneModel, type LogPaneModel } from './logPane.js';
import { phaseBarModel, type PhaseBarModel } from './phaseBar.js';
import { pickerIndexOf, pickerModel, type PickerModel } from './picker.js';
import { runControlsOff } from './runControls.js';
import { replayStatusSpans, timelineModel, type ReplayPosition } from './timeline.js';

export interface ScreenInput {
  run: ConsoleState;
  ui: UiState;
  /** The wall clock to the second (live mode's now). */
  wallMs: number;
  /** Replay's cursor while the console replays with controls; null live. */
  position: ReplayPosition | null;
  columns: number;
  rows: number;
  glyphs: Glyphs;
  runDir: string;
  /** Live elapsed never goes back: the most shown so far. */
  minElapsedSeconds: number;
  /** The open agent detail's output lines (null: no reader, as in replay). */
  agentOutput: readonly string[] | null;
  /** A stop was accepted; the console waits for the run to end. */
  stopping: boolean;
}

export interface DashboardModel {
  kind: 'dashboard';
  layout: Layout;
  agentTable: AgentTableModel;
  agentCount: number;
  selected: string | null;
  logPane: DrawnLogPane;
  filter: string;
  alerts: AlertRow[];
  /** The alerts pane's title: how many, or which when paged back, and the keys for it in the log's place. */
  alertsDetail: string;
  alertCount: number;
  alertsInLogPlace: boolean;
}

/** The log pane as drawn. */
export type DrawnLogPane = LogPaneModel;

export type BodyModel =
  | DashboardModel
  | { kind: 'help'; help: HelpModel }
  | { kind: 'agent'; name: string; detail: AgentDetailModel | null }
  | { kind: 'picker'; picker: PickerModel }
  | { kind: 'confirm'; prompt: string };

/** The header as drawn: its text, not the exact seconds behind it. */
export type DrawnHeader = Omit<HeaderModel, 'elapsedSeconds' | 'scheduleSeconds' | 'totalSeconds' | 'resumeHint' | 'stoppedHint'>;

/** Rows the message line may take: a toast or the resume command, wrapped, rather than cut. */
export const MESSAGE_MAX_ROWS = 3;

/** Everything drawn, as plain data. */
export interface Frame {
  width: number;
  height: number;
  header: DrawnHeader;
  /** A word beside the status while replaying. */
  replayState: string | undefined;
  phaseBar: PhaseBarModel;
  /** Replay's timeline bar (null where a short pane has no row for it) and status line; null live. */
  timeline: { bar: Span[] | null; status: Span[] } | null;
  charts: ChartModel[];
  chartsPerRow: number;
  chartWidth: number;
  bodyRows: number;
  body: BodyModel;
  /** The message line's rows: one, or up to MESSAGE_MAX_ROWS for a message a person must read whole. */
  message: Span[][];
  keys: KeyLineItem[];
}

export interface ScreenModel {
  frame: Frame;
  /** Not drawn (never compared): what keys act on. */
  context: KeyContext;
  mode: ConsoleMode;
  ended: boolean;
  /** Elapsed seconds shown (the floor live elapsed keeps to). */
  elapsedSeconds: number;
  layout: Layout;
  bodyRows: number;
  help: HelpModel;
  /** The log pane's rows and width, which PgUp and PgDn page it by (logPageAnchor). */
  logPaging: { rows: number; width: number };
  /** The alerts pane PgUp and PgDn page, when Tab has put it in the log's place; null: they page the log. */
  alertsPaging: AlertsPane | null;
}

function contextOf(ui: UiState): KeyContext {
  const kind = ui.overlay.kind;
  switch (kind) {
    case 'none':
      return 'main';
    case 'help':
    case 'filter':
    case 'picker':
    case 'confirm':
      return kind;
    case 'agent':
      return 'agent';
    default:
      return assertNever(kind, 'overlay');
  }
}

/**
 * The help, an agent's detail and the checkpoint picker are read, not
 * glanced at: where the charts sit in a single row (a terminal under 38
 * rows) they take the charts' place too. At 80x24 the body has 12 rows
 * beside the charts, and an agent whose task and abilities wrap had none
 * left for its output. A taller terminal keeps its charts: the body has
 * room there. A confirmation keeps them, so the run stays in sight.
 */
export function overlayTakesCharts(kind: UiState['overlay']['kind'], layout: Layout): boolean {
  if (layout.charts.chartRows !== 1) return false;
  switch (kind) {
    case 'help':
    case 'agent':
    case 'picker':
      return true;
    case 'none':
    case 'filter':
    case 'confirm':
      return false;
    default:
      return assertNever(kind, 'overlay');
  }
}

function toastRole(tone: ToastTone): Span['role'] {
  return tone === 'good' ? 'good' : tone === 'critical' ? 'critical' : 'info';
}

/** Whether the run has ended, by its own event or its status word. */
export function runEnded(run: ConsoleState): boolean {
  return run.ended !== null || isTerminalStatus(run.status);
}

export function screenModel(input: ScreenInput): ScreenModel {
  const { run, ui, glyphs, position } = input;
  const replaying = ui.mode === 'replay' && position !== null;
  // Replay's clock is the recording's: where the cursor stands in it.
  const nowMs = replaying ? position.clockMs : ui.mode === 'replay' && run.lastEventTs ? Date.parse(run.lastEventTs) : input.wallMs;
  const context = contextOf(ui);
  const ended = runEnded(run);
  // Agents' idle time runs with the session: held while it is paused, and at its last event once it ended or its orchestrator is gone.
  const activityNowMs = ended || run.orchestrator === 'dead' ? lastEventMs(run) : run.status === 'paused' && run.pause ? Math.min(nowMs, Date.parse(run.pause.since)) : nowMs;

  const header = headerModel(run, { nowMs, runDir: input.runDir, minElapsedSeconds: ui.mode === 'live' ? input.minElapsedSeconds : 0 });
  // The message line comes first: a long one (the resume command) takes up to MESSAGE_MAX_ROWS rows, and the body the rest.
  const width = layoutWidth(input.columns);
  let message: Span[] = [];
  if (ui.overlay.kind === 'filter') message = [{ text: '/', role: 'key' }, { text: `${ui.overlay.draft}${glyphs.barNow}`, role: 'text' }];
  else if (ui.toast) message = [{ text: ui.toast.message, role: toastRole(ui.toast.tone) }];
  else if (input.stopping && !ended) message = [{ text: 'stopping: waiting for the run to end (q leaves now)', role: 'info' }];
  else if (header.resumeHint) message = [{ text: resumeHintText(input.runDir, width), role: 'critical' }];
  else if (header.stoppedHint) message = [{ text: header.stoppedHint, role: 'warning' }];
  else if (run.ended) message = [{ text: `session ${run.ended.status}${run.ended.reason ? `: ${run.ended.reason}` : ''} — q leaves the console`, role: run.ended.status === 'completed' ? 'good' : 'warning' }];
  // The filter prompt is typed into: it stays one row, its end (the cursor) in sight of SpanLine's cut.
  const wantedMessageRows = ui.overlay.kind === 'filter' ? [message] : wrapSpans(message, width, MESSAGE_MAX_ROWS, glyphs.ellipsis);
  const layout = computeLayout(input.columns, input.rows, { agents: run.agents.length, alerts: run.alerts.length, timeline: replaying ? 2 : 0, messageRows: wantedMessageRows.length });
  // A pane too short for the whole message leaves it fewer rows (layout.ts): wrapped again, its last row ends with the ellipsis.
  const messageRoom = layout.footer - 1;
  const messageRows = wantedMessageRows.length > messageRoom ? wrapSpans(message, width, messageRoom, glyphs.ellipsis) : wantedMessageRows;
  // A run that ended before its last phase did (timeout, stop, failure): the bar shows where.
  const stoppedEarly = run.ended !== null && run.ended.status !== 'completed';
  const phaseBar = phaseBarModel(run.phases, run.currentPhaseIndex, run.checkpoints, {
    width: layout.width,
    scheduleSeconds: header.scheduleSeconds,
    glyphs,
    stopped: stoppedEarly,
    sessionStarted: run.session !== null,
  });
  const readings = chartReadings(run, nowMs, ui.mode);
  // A run that recorded no token usage (the header's n/a tok): each agent's is unknown too, not 0.
  const usageRecorded = runFigures(run).totalTokens !== null;
  const charts = overlayTakesCharts(ui.overlay.kind, layout)
    ? []
    : CHARTS.slice(0, layout.charts.count).map((d) => chartModel(d, run.series, { width: layout.charts.width, height: layout.charts.height, glyphs, readings }));
  const chartRowsDrawn = charts.length === 0 ? 0 : layout.charts.chartRows * (layout.charts.height + 1);
  const bodyRows = layout.height - layout.header - layout.phaseBar - layout.timeline - chartRowsDrawn - layout.footer;
  const help = helpModel(helpSections(KEYMAP, ui.mode, glyphs.ascii), { width: layout.width, rows: bodyRows - 1, scroll: ui.overlay.kind === 'help' ? ui.overlay.scroll : 0 });
  const logPane = logPaneModel(run.log, {
    filter: ui.filter,
    anchorId: ui.logAnchorId,
    height: layout.log.rows,
    width: layout.log.width,
    ellipsis: glyphs.ellipsis,
  });

  const keys = keyLineItems(KEYMAP, {
    context,
    mode: ui.mode,
    width: layout.width,
    ascii: glyphs.ascii,
    texts: {
      // "compress" alone means all (the help says so): with `Q stop` the line fits 80 columns.
      compress: ui.selectedAgent ? `compress ${ui.selectedAgent}` : 'compress',
      pauseResume: run.status === 'paused' ? 'continue' : 'pause',
      detach: ended || ui.mode === 'replay' ? 'quit' : 'detach',
      replayPlayPause: position?.playing ? 'pause' : 'play',
      back: stepBackTarget(ui) === 'filter' ? 'clear filter' : 'deselect',
      togglePane: ui.bottomPane === 'log' ? `alerts${run.alerts.length > 0 ? ` (${run.alerts.length})` : ''}` : 'log',
    },
    hide: [
      // Nothing answers them: the run has ended, or its orchestrator is gone (the message line says how to resume) or stopped.
      ...(ended || runControlsOff(run) !== null ? RUN_CONTROL_ACTIONS : []),
      ...(ui.selectedAgent === null ? (['agentDetail'] as const) : []),
      ...(stepBackTarget(ui) === null ? (['back'] as const) : []),
      ...(layout.alerts.rows > 0 ? (['togglePane'] as const) : []),
    ],
  });

  // No room for the alerts beside or below the log: Tab puts them in the log's place, where the page keys scroll them.
  const alertsPaging = layout.alerts.rows === 0 && ui.bottomPane === 'alerts' ? { rows: layout.log.rows, width: layout.log.width } : null;

  let body: BodyModel;
  if (ui.overlay.kind === 'help') {
    body = { kind: 'help', help };
  } else if (ui.overlay.kind === 'agent') {
    const name = ui.overlay.name;
    const agent = run.agents.find((a) => a.name === name);
    const detail = agent ? agentDetailModel(agent, run.alerts, input.agentOutput, { width: layout.width, rows: Math.max(1, bodyRows - 1), glyphs, usageRecorded, activityNowMs }) : null;
    body = { kind: 'agent', name, detail };
  } else if (ui.overlay.kind === 'picker') {
    body = { kind: 'picker', picker: pickerModel(run.checkpoints, { index: pickerIndexOf(run.checkpoints, ui.overlay.id), width: layout.width, rows: Math.max(1, bodyRows - 2), selectedMark: glyphs.selected, ellipsis: glyphs.ellipsis }) };
  } else if (ui.overlay.kind === 'confirm') {
    body = { kind: 'confirm', prompt: ui.overlay.request.prompt };
  } else {
    // Beside or below the log the pane shows the newest alerts: the page keys scroll the log there.
    const alertsShown = alertsPaging ?? layout.alerts;
    const page = alertsPage(run.alerts, { anchorSeq: alertsPaging ? ui.alertAnchorSeq : null, rows: alertsShown.rows, width: alertsShown.width, ellipsis: glyphs.ellipsis });
    body = {
      kind: 'dashboard',
      layout,
      agentTable: agentTableModel(run.agents, {
        width: layout.width,
        rows: layout.agents.rows,
        selected: ui.selectedAgent,
        glyphs,
        usageRecorded,
        activityNowMs,
        // Nothing has updated them since the orchestrator died: the grid says so, as `megatest status` does.
        lastRecordedTs: header.orchestratorWarning !== null && run.orchestrator === 'dead' ? run.lastEventTs : null,
      }),
      agentCount: run.agents.length,
      selected: ui.selectedAgent,
      logPane,
      filter: ui.filter,
      alerts: page.rows,
      alertsDetail: alertsTitleDetail(page, { inLogPlace: alertsPaging !== null }),
      alertCount: run.alerts.length,
      alertsInLogPlace: alertsPaging !== null,
    };
  }

  const { elapsedSeconds, scheduleSeconds: _schedule, totalSeconds: _total, resumeHint: _hint, stoppedHint: _stopped, ...drawnHeader } = header;
  const frame: Frame = {
    width: layout.width,
    height: layout.height,
    header: drawnHeader,
    replayState: ui.mode === 'replay' ? 'replay' : undefined,
    phaseBar,
    timeline: replaying && layout.timeline > 0 ? { bar: layout.timeline > 1 ? timelineModel(position, { width: layout.width, glyphs }).bar : null, status: replayStatusSpans(position) } : null,
    charts,
    chartsPerRow: layout.charts.perRow,
    chartWidth: layout.charts.width,
    bodyRows,
    body,
    message: messageRows,
    keys,
  };
  return { frame, context, mode: ui.mode, ended, elapsedSeconds, layout, bodyRows, help, logPaging: { rows: layout.log.rows, width: layout.log.width }, alertsPaging };
}

/**
 * Two frames draw the same screen. The header's exact seconds are left out of
 * the frame (its text is in), so past an hour, when elapsed reads "1h02m",
 * the clock costs a frame a minute, not a second; a count the header rounds
 * ("1.2M tok") costs none until its text changes.
 */
export function sameFrame(a: Frame, b: Frame): boolean {
  return samePlainData(a, b);
}

/**
 * Deep equality of plain data (what view-models are: arrays, plain objects,
 * strings, numbers, booleans, null, undefined). Anything else (a Map, a
 * function) is equal only to itself: at worst, an extra frame.
 */
export function samePlainData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!samePlainData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype) return false;
  const aRecord = a as Record<string, unknown>;
  const bRecord = b as Record<string, unknown>;
  const keys = Object.keys(aRecord);
  if (keys.length !== Object.keys(bRecord).length) return false;
  for (const key of keys) if (!(key in bRecord) || !samePlainData(aRecord[key], bRecord[key])) return false;
  return true;
}
