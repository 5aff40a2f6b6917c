// The console screen. It reads the store through the screen model (every
// view-model, pure functions tested without rendering; useScreen.ts draws a
// frame only when it changed), draws it, and maps keys to actions through
// the one keymap. It never spawns a process or opens a file: runConsole
// feeds the store and hands in the actions.

import React, { useCallback, useEffect, useState } from 'react';
import { Box, useInput, type Key } from 'ink';
import { useStore } from 'zustand';
import { assertNever } from '../contract/assertNever.js';
import { checkpointFigures } from '../state/applyEvent.js';
import type { ConsoleStore } from '../state/store.js';
import {
  anchorAlerts,
  applyFilter,
  cancelFilter,
  closeOverlay,
  eraseFilter,
  followLog,
  moveSelection,
  movePicker,
  openAgentDetail,
  openOverlay,
  scrollHelp,
  anchorLog,
  showToast,
  startFilter,
  stepBack,
  toggleBottomPane,
  typeFilter,
  type ToastTone,
} from '../state/uiState.js';
import { settleAction, type ActionResult, type ConsoleActions, type ConsoleOutcome, type ReplayControls } from './actions.js';
import { findBinding, KEYMAP, keyNameOf, keystrokesOf, RUN_CONTROL_ACTIONS, type ActionId } from './keymap.js';
import { agentsByName } from './viewModels/agentTable.js';
import { alertsPageDown, alertsPageUp } from './viewModels/alerts.js';
import { logPageAnchor } from './viewModels/logPane.js';
import { clockTime } from './viewModels/format.js';
import { pickerOrder } from './viewModels/picker.js';
import { controlVerb, refusedControlText, runControlsOff } from './viewModels/runControls.js';
import type { Frame } from './viewModels/screen.js';
import { runReplayAction } from './replay/replayKeys.js';
import { Charts } from './components/Charts.js';
import { DashboardBody } from './components/DashboardBody.js';
import { Footer } from './components/Footer.js';
import { Header } from './components/Header.js';
import { AgentDetailOverlay, ConfirmDialog, HelpOverlay, RestorePicker } from './components/Overlays.js';
import { PhaseBar } from './components/PhaseBar.js';
import { Timeline } from './components/Timeline.js';
import { TooSmall } from './components/TooSmall.js';
import { isTooSmall } from './viewModels/tooSmall.js';
import { LookProvider, type Look } from './components/themeContext.js';
import { useAgentOutput } from './useAgentOutput.js';
import type { ScreenKeys } from './terminalScreen.js';
import { useScreen } from './useScreen.js';

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
  /** Ctrl-Z (to the shell until `fg`) and Ctrl-L (a whole frame again): src/ui/terminalScreen.ts; absent when the console is in no terminal. */
  screenKeys?: ScreenKeys;
}

export function App(props: AppProps) {
  return (
    <LookProvider look={props.look}>
      <Dashboard {...props} />
    </LookProvider>
  );
}

function Dashboard({ store, actions, look, runDir, columns, rows, onExit, now = Date.now, replay, readAgentOutput, screenKeys }: AppProps) {
  const updateUi = store.getState().updateUi;
  const { glyphs } = look;
  // Which agent's output to read: the overlay is the person's choice, so it changes only on a key.
  const openAgent = useStore(store, (s) => (s.ui.overlay.kind === 'agent' ? s.ui.overlay.name : null));
  const agentOutput = useAgentOutput(openAgent, readAgentOutput);
  // After a stop was accepted, stay until the run has really ended (its report
  // is then written), so the CLI finds the final status; q leaves sooner.
  const [stopping, setStopping] = useState(false);
  // Its session_ended, not a terminal status a last metrics snapshot shows a moment before it.
  const stoppedForGood = useStore(store, (s) => stopping && (s.run.ended !== null || s.run.orchestrator === 'dead'));
  useEffect(() => {
    if (stoppedForGood) onExit('stopped');
  }, [stoppedForGood, onExit]);

  const screen = useScreen({ store, position: replay?.position ?? null, now }, { columns, rows, glyphs, runDir, agentOutput, stopping });
  const { frame } = screen.model;

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

  // Keys act on the state as it is now, which may be newer than the frame on screen.
  const dispatch = (action: ActionId): void => {
    const { run, ui } = store.getState();
    const { ended, layout, bodyRows, help, logPaging, alertsPaging } = screen.current();
    // As the key line hides them: a dialog (r, Q) whose confirm key would be refused does not open either.
    const off = ended ? 'ended' : runControlsOff(run);
    if (off !== null && RUN_CONTROL_ACTIONS.includes(action)) {
      if (ui.overlay.kind === 'confirm' || ui.overlay.kind === 'picker') updateUi(closeOverlay);
      toast('info', refusedControlText(off, controlVerb(action, ui.overlay), run, runDir));
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
        else updateUi((u) => openOverlay(u, { kind: 'picker', id: pickerOrder(run.checkpoints)[0]!.id }));
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
      case 'pageUp':
      case 'pageDown':
        if (alertsPaging) {
          const page = action === 'pageUp' ? alertsPageUp : alertsPageDown;
          updateUi((u) => anchorAlerts(u, page(run.alerts, u.alertAnchorSeq, alertsPaging)));
        } else {
          const direction = action === 'pageUp' ? -1 : 1;
          updateUi((u) => anchorLog(u, logPageAnchor(run.log, { filter: u.filter, anchorId: u.logAnchorId, height: logPaging.rows, width: logPaging.width }, direction)));
        }
        return;
      case 'followNewest':
        updateUi(alertsPaging ? (u) => anchorAlerts(u, null) : followLog);
        return;
      case 'help':
        updateUi((u) => openOverlay(u, { kind: 'help', scroll: 0 }));
        return;
      case 'detach':
        onExit(stopping ? 'stopped' : ended ? 'ended' : 'detached');
        return;
      case 'suspend':
        if (screenKeys) screenKeys.suspend();
        else toast('info', 'Ctrl-Z: this console is not in a terminal; nothing to suspend');
        return;
      case 'redraw':
        screenKeys?.redraw();
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
        updateUi((u) => movePicker(u, pickerOrder(run.checkpoints).map((c) => c.id), action === 'pickerUp' ? -1 : 1));
        return;
      case 'pickerChoose': {
        if (ui.overlay.kind !== 'picker') return;
        const selectedId = ui.overlay.id;
        const chosen = run.checkpoints.find((c) => c.id === selectedId);
        if (!chosen) return;
        const damaged = chosen.damaged ? ` It was found damaged: its restore will be refused, project/ left as it is.` : '';
        const prompt = `Restore ${chosen.id} (${clockTime(chosen.ts)}, phase ${chosen.phase}, ${checkpointFigures(chosen)})? project/ goes back to that point.${damaged}`;
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

  const handleKey = (input: string, key: Key): void => {
    const { context, mode } = screen.current();
    const name = keyNameOf(input, key);
    const binding = name === null ? null : findBinding(KEYMAP, context, mode, name);
    if (binding) dispatch(binding.action);
    // Typed (or pasted) text goes to the filter prompt.
    else if (context === 'filter' && !key.ctrl && !key.meta && /^[^\u0000-\u001f\u007f]+$/.test(input)) updateUi((u) => typeFilter(u, input));
  };

  useInput((input: string, key: Key) => {
    for (const stroke of keystrokesOf(input, key)) handleKey(stroke.input, stroke.key);
  });

  // A terminal smaller than any layout: the header's first row, what size is needed, the key line (the keys work as ever).
  if (isTooSmall(columns, rows)) {
    return <TooSmall columns={columns} rows={rows} header={frame.header} replayState={frame.replayState} keys={frame.keys} />;
  }
  return <ScreenView frame={frame} />;
}

/** Draws a frame; every panel skips its redraw when its part of the frame is unchanged. */
function ScreenView({ frame }: { frame: Frame }) {
  const { body, width } = frame;
  let drawn: React.ReactNode;
  switch (body.kind) {
    case 'help':
      drawn = <HelpOverlay model={body.help} width={width} />;
      break;
    case 'agent':
      drawn = <AgentDetailOverlay name={body.name} model={body.detail} width={width} />;
      break;
    case 'picker':
      drawn = <RestorePicker model={body.picker} width={width} />;
      break;
    case 'confirm':
      drawn = <ConfirmDialog prompt={body.prompt} width={width} />;
      break;
    case 'dashboard':
      drawn = (
        <DashboardBody
          layout={body.layout}
          agentTable={body.agentTable}
          agentCount={body.agentCount}
          selected={body.selected}
          logPane={body.logPane}
          filter={body.filter}
          alerts={body.alerts}
          alertsDetail={body.alertsDetail}
          alertCount={body.alertCount}
          alertsInLogPlace={body.alertsInLogPlace}
        />
      );
      break;
    default:
      drawn = assertNever(body, 'screen body');
  }

  // Clipped top to bottom only: every line is already cut to width (view
  // models and wrap="truncate"), and a horizontal clip makes Ink re-slice
  // every line of every frame through its ANSI tokenizer, the costliest part
  // of a frame under load.
  return (
    <Box flexDirection="column" width={width} height={frame.height} overflowY="hidden">
      <Header model={frame.header} width={width} replayState={frame.replayState} />
      <PhaseBar model={frame.phaseBar} />
      {frame.timeline ? <Timeline bar={frame.timeline.bar} status={frame.timeline.status} width={width} /> : null}
      <Charts charts={frame.charts} perRow={frame.chartsPerRow} width={frame.chartWidth} />
      <Box flexDirection="column" height={frame.bodyRows} overflowY="hidden">
        {drawn}
      </Box>
      <Footer message={frame.message} keys={frame.keys} width={width} />
    </Box>
  );
}
