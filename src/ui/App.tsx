// The console screen. It reads the store, turns state into view-models
// (pure functions, tested without rendering), draws them, and maps keys to
// actions through the one keymap. It never spawns a process or opens a file:
// runConsole feeds the store and hands in the actions.

import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Box, useInput, type Key } from 'ink';
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import { assertNever } from '../contract/assertNever.js';
import { checkpointFigures, isTerminalStatus } from '../state/applyEvent.js';
import type { ConsoleStore } from '../state/store.js';
import {
  applyFilter,
  cancelFilter,
  closeOverlay,
  eraseFilter,
  expireToast,
  followLog,
  moveSelection,
  movePicker,
  openAgentDetail,
  openOverlay,
  scrollHelp,
  scrollLog,
  showToast,
  startFilter,
  stepBack,
  stepBackTarget,
  toggleBottomPane,
  typeFilter,
  type ToastTone,
  type UiState,
} from '../state/uiState.js';
import { settleAction, type ActionResult, type ConsoleActions, type ConsoleOutcome, type ReplayControls } from './actions.js';
import { findBinding, helpSections, KEYMAP, keyLineItems, keyNameOf, RUN_CONTROL_ACTIONS, type ActionId, type KeyContext } from './keymap.js';
import { agentDetailModel } from './viewModels/agentDetail.js';
import { agentsByName, agentTableModel } from './viewModels/agentTable.js';
import { alertRows } from './viewModels/alerts.js';
import { CHARTS, chartModel } from './viewModels/charts.js';
import { clockTime, type Span } from './viewModels/format.js';
import { headerModel } from './viewModels/header.js';
import { helpModel } from './viewModels/help.js';
import { computeLayout } from './viewModels/layout.js';
import { logPaneModel } from './viewModels/logPane.js';
import { phaseBarModel } from './viewModels/phaseBar.js';
import { pickerModel, pickerOrder } from './viewModels/picker.js';
import { emptyReplayPosition, replayStatusSpans, timelineModel, type ReplayPosition } from './viewModels/timeline.js';
import { runReplayAction } from './replay/replayKeys.js';
import { Charts } from './components/Charts.js';
import { DashboardBody } from './components/DashboardBody.js';
import { Footer } from './components/Footer.js';
import { Header } from './components/Header.js';
import { AgentDetailOverlay, ConfirmDialog, HelpOverlay, RestorePicker } from './components/Overlays.js';
import { PhaseBar } from './components/PhaseBar.js';
import { Timeline } from './components/Timeline.js';
import { LookProvider, type Look } from './components/themeContext.js';
import { useAgentOutput } from './useAgentOutput.js';

export interface AppProps {
  store: ConsoleStore;
  actions: ConsoleActions;
  look: Look;
  runDir: string;
  columns: number;
  rows: number;
  onExit(outcome: ConsoleOutcome): void;
  /** The wall clock; tests pass a fixed one. */
  now?: () => number;
  /** Replay's controls and cursor; the console is in replay mode when the store says so. */
  replay?: ReplayControls;
  /**
   * The last lines an agent printed (its output.log), for the agent's detail;
   * the caller reads the file (the console touches none). Absent in replay,
   * whose recording has no times for them.
   */
  readAgentOutput?: (agent: string) => Promise<string[]>;
}

// Hooks cannot be skipped, so live mode reads a position that never changes.
const NO_REPLAY = createStore<ReplayPosition>()(() => emptyReplayPosition());

export function App(props: AppProps) {
  return (
    <LookProvider look={props.look}>
      <Dashboard {...props} />
    </LookProvider>
  );
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

function toastRole(tone: ToastTone): Span['role'] {
  return tone === 'good' ? 'good' : tone === 'critical' ? 'critical' : 'info';
}

function Dashboard({ store, actions, look, runDir, columns, rows, onExit, now = Date.now, replay, readAgentOutput }: AppProps) {
  const run = useStore(store, (s) => s.run);
  const ui = useStore(store, (s) => s.ui);
  const updateUi = store.getState().updateUi;
  const [wallMs, setWallMs] = useState(now);
  const replaying = ui.mode === 'replay' && replay !== undefined;
  const position = useStore(replay?.position ?? NO_REPLAY);

  useEffect(() => {
    const timer = setInterval(() => {
      const at = now();
      setWallMs(at);
      updateUi((u) => expireToast(u, at));
    }, 1000);
    return () => clearInterval(timer);
  }, [now, updateUi]);

  // Replay's clock is the recording's: where the cursor stands in it.
  const nowMs = replaying ? position.clockMs : ui.mode === 'replay' && run.lastEventTs ? Date.parse(run.lastEventTs) : wallMs;
  const { glyphs } = look;
  const layout = computeLayout(columns, rows, { agents: run.agents.length, alerts: run.alerts.length, timeline: replaying ? 2 : 0 });
  const context = contextOf(ui);

  // Live, elapsed only goes forward; replay may seek back, so it has no floor.
  const elapsedFloor = useRef(0);
  const header = useMemo(
    () => headerModel(run, { nowMs, runDir, minElapsedSeconds: ui.mode === 'live' ? elapsedFloor.current : 0 }),
    [run, nowMs, runDir, ui.mode],
  );
  if (ui.mode === 'live') elapsedFloor.current = Math.max(elapsedFloor.current, header.elapsedSeconds);
  // A run that ended before its last phase did (timeout, stop, failure): the bar shows where.
  const stoppedEarly = run.ended !== null && run.ended.status !== 'completed';
  const phaseBar = useMemo(
    () => phaseBarModel(run.phases, run.currentPhaseIndex, run.checkpoints, { width: layout.width, scheduleSeconds: header.scheduleSeconds, glyphs, stopped: stoppedEarly }),
    [run.phases, run.currentPhaseIndex, run.checkpoints, layout.width, header.scheduleSeconds, glyphs, stoppedEarly],
  );
  const charts = useMemo(
    () => CHARTS.slice(0, layout.charts.count).map((d) => chartModel(d, run.series, { width: layout.charts.width, height: layout.charts.height, glyphs })),
    [run.series, layout.charts.count, layout.charts.width, layout.charts.height, glyphs],
  );
  const agentTable = useMemo(
    () => agentTableModel(run.agents, { width: layout.width, rows: layout.agents.rows, selected: ui.selectedAgent, glyphs }),
    [run.agents, layout.width, layout.agents.rows, ui.selectedAgent, glyphs],
  );
  const logPane = useMemo(
    () => logPaneModel(run.log, { filter: ui.filter, anchorId: ui.logAnchorId, height: layout.log.rows, width: layout.log.width }),
    [run.log, ui.filter, ui.logAnchorId, layout.log.rows, layout.log.width],
  );
  // No room for the alerts beside or below the log: Tab puts them in the log's place.
  const alertsInLogPlace = layout.alerts.rows === 0 && ui.bottomPane === 'alerts';
  const alertsShown = alertsInLogPlace ? { rows: layout.log.rows, width: layout.log.width } : layout.alerts;
  const alerts = useMemo(
    () => alertRows(run.alerts, { rows: alertsShown.rows, width: alertsShown.width, ellipsis: glyphs.ellipsis }),
    [run.alerts, alertsShown.rows, alertsShown.width, glyphs],
  );
  const bodyRows = layout.height - layout.header - layout.phaseBar - layout.timeline - layout.charts.chartRows * (layout.charts.height + 1) - layout.footer;
  const help = useMemo(
    () => helpModel(helpSections(KEYMAP, ui.mode, glyphs.ascii), { width: layout.width, rows: bodyRows - 1, scroll: ui.overlay.kind === 'help' ? ui.overlay.scroll : 0 }),
    [ui.mode, ui.overlay, glyphs.ascii, layout.width, bodyRows],
  );

  const agentOutput = useAgentOutput(ui.overlay.kind === 'agent' ? ui.overlay.name : null, readAgentOutput);

  const toast = useCallback((tone: ToastTone, message: string) => updateUi((u) => showToast(u, tone, message, now())), [updateUi, now]);

  const perform = useCallback(
    async (label: string, call: () => Promise<ActionResult>): Promise<ActionResult> => {
      toast('info', `${label}…`);
      const result = await settleAction(call);
      toast(result.ok ? 'good' : 'critical', result.message || `${label}: ${result.ok ? 'done' : 'failed'}`);
      return result;
    },
    [toast],
  );

  const ended = run.ended !== null || isTerminalStatus(run.status);
  // After a stop was accepted, stay until the run has really ended (its report
  // is then written), so the CLI finds the final status; q leaves sooner.
  const [stopping, setStopping] = useState(false);
  // Its session_ended, not a terminal status a last metrics snapshot shows a moment before it.
  const stoppedForGood = stopping && (run.ended !== null || run.orchestrator === 'dead');
  useEffect(() => {
    if (stoppedForGood) onExit('stopped');
  }, [stoppedForGood, onExit]);

  const dispatch = (action: ActionId): void => {
    if (ended && RUN_CONTROL_ACTIONS.includes(action)) {
      toast('info', `the run has ended (${run.ended?.status ?? run.status}); nothing to ${action === 'pauseResume' ? 'pause' : action}`);
      return;
    }
    switch (action) {
      case 'checkpoint':
        void perform('checkpoint', () => actions.checkpoint());
        return;
      case 'compress': {
        const agent = ui.selectedAgent ?? undefined;
        void perform(agent ? `compress ${agent}` : 'compress all agents', () => actions.compress(agent));
        return;
      }
      case 'restore':
        if (run.checkpoints.length === 0) toast('info', 'no checkpoints yet: press c to take one');
        else updateUi((u) => openOverlay(u, { kind: 'picker', index: 0 }));
        return;
      case 'pauseResume':
        if (actions.togglePause) void perform(run.status === 'paused' ? 'continue' : 'pause', () => actions.togglePause!());
        else if (run.status === 'paused') void perform('continue', () => actions.resume());
        else void perform('pause', () => actions.pause());
        return;
      case 'filter':
        updateUi(startFilter);
        return;
      case 'selectUp':
      case 'selectDown': {
        // The grid's order: by name.
        const names = agentsByName(run.agents).map((a) => a.name);
        updateUi((u) => moveSelection(u, names, action === 'selectUp' ? -1 : 1));
        return;
      }
      case 'agentDetail':
        if (ui.selectedAgent === null) toast('info', 'select an agent first (↑/↓), then Enter');
        else updateUi(openAgentDetail);
        return;
      case 'back':
        updateUi(stepBack);
        return;
      case 'togglePane':
        if (layout.alerts.rows > 0) toast('info', 'the alerts are already on screen');
        else updateUi(toggleBottomPane);
        return;
      case 'helpUp':
      case 'helpDown':
      case 'helpPageUp':
      case 'helpPageDown': {
        const page = Math.max(1, bodyRows - 2);
        const delta = action === 'helpUp' ? -1 : action === 'helpDown' ? 1 : action === 'helpPageUp' ? -page : page;
        updateUi((u) => scrollHelp(u, delta, help.maxScroll));
        return;
      }
      case 'logPageUp':
      case 'logPageDown':
        updateUi((u) => scrollLog(u, logPane.visibleIds, layout.log.rows, action === 'logPageUp' ? -1 : 1));
        return;
      case 'logFollow':
        updateUi(followLog);
        return;
      case 'help':
        updateUi((u) => openOverlay(u, { kind: 'help', scroll: 0 }));
        return;
      case 'detach':
        onExit(stopping ? 'stopped' : ended ? 'ended' : 'detached');
        return;
      case 'stop':
        updateUi((u) => openOverlay(u, { kind: 'confirm', request: { kind: 'stop', prompt: 'Stop the run? The agents are stopped and the final report is written.' } }));
        return;
      case 'replayPlayPause':
      case 'replayStepForward':
      case 'replayStepBack':
      case 'replayMinuteForward':
      case 'replayMinuteBack':
      case 'replayFaster':
      case 'replaySlower':
      case 'replayStart':
      case 'replayEnd':
      case 'replayNextCheckpoint':
      case 'replayPrevCheckpoint':
      case 'replayNextError':
      case 'replayPrevError':
        if (replay) runReplayAction(replay, action);
        return;
      case 'filterApply':
        updateUi(applyFilter);
        return;
      case 'filterCancel':
        updateUi(cancelFilter);
        return;
      case 'filterErase':
        updateUi(eraseFilter);
        return;
      case 'pickerUp':
      case 'pickerDown':
        updateUi((u) => movePicker(u, run.checkpoints.length, action === 'pickerUp' ? -1 : 1));
        return;
      case 'pickerChoose': {
        if (ui.overlay.kind !== 'picker') return;
        const chosen = pickerOrder(run.checkpoints)[ui.overlay.index];
        if (!chosen) return;
        const prompt = `Restore ${chosen.id} (${clockTime(chosen.ts)}, phase ${chosen.phase}, ${checkpointFigures(chosen)})? project/ goes back to that point.`;
        updateUi((u) => openOverlay(u, { kind: 'confirm', request: { kind: 'restore', checkpointId: chosen.id, prompt } }));
        return;
      }
      case 'pickerCancel':
      case 'confirmNo':
      case 'helpClose':
      case 'detailClose':
        updateUi(closeOverlay);
        return;
      case 'confirmYes': {
        if (ui.overlay.kind !== 'confirm') return;
        const request = ui.overlay.request;
        updateUi(closeOverlay);
        if (request.kind === 'restore') void perform(`restore ${request.checkpointId}`, () => actions.restore(request.checkpointId));
        else
          void perform('stop', () => actions.stop()).then((result) => {
            if (result.ok) setStopping(true);
          });
        return;
      }
      default:
        assertNever(action, 'action');
    }
  };

  useInput((input: string, key: Key) => {
    const name = keyNameOf(input, key);
    const binding = name === null ? null : findBinding(KEYMAP, context, ui.mode, name);
    if (binding) dispatch(binding.action);
    // Typed (or pasted) text goes to the filter prompt.
    else if (context === 'filter' && !key.ctrl && !key.meta && /^[^\u0000-\u001f\u007f]+$/.test(input)) updateUi((u) => typeFilter(u, input));
  });

  const keyItems = keyLineItems(KEYMAP, {
    context,
    mode: ui.mode,
    width: layout.width,
    ascii: glyphs.ascii,
    texts: {
      // "compress" alone means all (the help says so): with `Q stop` the line fits 80 columns.
      compress: ui.selectedAgent ? `compress ${ui.selectedAgent}` : 'compress',
      pauseResume: run.status === 'paused' ? 'continue' : 'pause',
      detach: ended || ui.mode === 'replay' ? 'quit' : 'detach',
      replayPlayPause: position.playing ? 'pause' : 'play',
      back: stepBackTarget(ui) === 'filter' ? 'clear filter' : 'deselect',
      togglePane: ui.bottomPane === 'log' ? `alerts${run.alerts.length > 0 ? ` (${run.alerts.length})` : ''}` : 'log',
    },
    hide: [
      ...(ended ? RUN_CONTROL_ACTIONS : []),
      ...(ui.selectedAgent === null ? (['agentDetail'] as const) : []),
      ...(stepBackTarget(ui) === null ? (['back'] as const) : []),
      ...(layout.alerts.rows > 0 ? (['togglePane'] as const) : []),
    ],
  });

  let message: Span[] = [];
  if (ui.overlay.kind === 'filter') message = [{ text: '/', role: 'key' }, { text: `${ui.overlay.draft}${glyphs.barNow}`, role: 'text' }];
  else if (ui.toast) message = [{ text: ui.toast.message, role: toastRole(ui.toast.tone) }];
  else if (stopping && !ended) message = [{ text: 'stopping: waiting for the run to end (q leaves now)', role: 'info' }];
  else if (header.orchestratorWarning) message = [{ text: header.orchestratorWarning, role: 'critical' }];
  else if (run.ended) message = [{ text: `session ${run.ended.status}${run.ended.reason ? `: ${run.ended.reason}` : ''} — q leaves the console`, role: run.ended.status === 'completed' ? 'good' : 'warning' }];

  let body: React.ReactNode;
  if (ui.overlay.kind === 'help') {
    body = <HelpOverlay model={help} width={layout.width} />;
  } else if (ui.overlay.kind === 'agent') {
    const name = ui.overlay.name;
    const agent = run.agents.find((a) => a.name === name);
    const model = agent ? agentDetailModel(agent, run.alerts, agentOutput, { width: layout.width, rows: Math.max(1, bodyRows - 1), glyphs }) : null;
    body = <AgentDetailOverlay name={name} model={model} width={layout.width} />;
  } else if (ui.overlay.kind === 'picker') {
    const model = pickerModel(run.checkpoints, { index: ui.overlay.index, width: layout.width, rows: Math.max(1, bodyRows - 2), selectedMark: glyphs.selected, ellipsis: glyphs.ellipsis });
    body = <RestorePicker model={model} width={layout.width} />;
  } else if (ui.overlay.kind === 'confirm') {
    body = <ConfirmDialog prompt={ui.overlay.request.prompt} width={layout.width} />;
  } else {
    body = (
      <DashboardBody
        layout={layout}
        agentTable={agentTable}
        agentCount={run.agents.length}
        selected={ui.selectedAgent}
        logPane={logPane}
        filter={ui.filter}
        alerts={alerts}
        alertCount={run.alerts.length}
        alertsInLogPlace={alertsInLogPlace}
      />
    );
  }

  // Clipped top to bottom only: every line is already cut to width (view
  // models and wrap="truncate"), and a horizontal clip makes Ink re-slice
  // every line of every frame through its ANSI tokenizer, the costliest part
  // of a frame under load.
  return (
    <Box flexDirection="column" width={layout.width} height={layout.height} overflowY="hidden">
      <Header model={header} width={layout.width} replayState={ui.mode === 'replay' ? 'replay' : undefined} />
      <PhaseBar model={phaseBar} />
      {replaying ? <Timeline bar={timelineModel(position, { width: layout.width, glyphs }).bar} status={replayStatusSpans(position)} width={layout.width} /> : null}
      <Charts charts={charts} perRow={layout.charts.perRow} width={layout.charts.width} />
      <Box flexDirection="column" height={bodyRows} overflowY="hidden">
        {body}
      </Box>
      <Footer message={message} keys={keyItems} width={layout.width} />
    </Box>
  );
}
