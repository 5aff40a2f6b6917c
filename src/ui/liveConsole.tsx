// Wires the live console: tail of the run folder → batching store → <App/>,
// rendered by Ink at no more than 15 frames a second. Loaded through
// runConsole.ts, which picks the React build first. Resolves when the
// person leaves: 'detached' (the run goes on; the CLI prints the attach
// line), 'stopped' (they stopped the run) or 'ended' (the run had ended).

import React, { useEffect, useState } from 'react';
import { render } from 'ink';
import { createConsoleStore, InputBatcher, type ConsoleStore } from '../state/store.js';
import { MAX_LOG_LINES } from '../state/limits.js';
import { showToast } from '../state/uiState.js';
import type { ConsoleActions, ConsoleOutcome } from './actions.js';
import type { LiveConsolePorts } from './consolePorts.js';
import { App } from './App.js';
import { glyphsFor, type Look } from './components/themeContext.js';
import { drawUntilLeft, NOT_STOPPED, NOT_STOPPED_MS, type ScreenKeys } from './terminalScreen.js';
import { detectDisplay } from './theme.js';

export interface RunConsoleOptions {
  runDir: string;
  actions: ConsoleActions;
  theme?: string;
  ascii?: boolean;
  isOrchestratorAlive: () => boolean;
  /** Whether the live orchestrator is stopped (Ctrl-Z, SIGSTOP): there, but answering nothing (the CLI reads /proc). */
  isOrchestratorStopped?: () => boolean;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Environment for NO_COLOR / locale / TERM detection (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** An agent's last output lines, for its detail (the CLI reads them; the console touches no file). */
  readAgentOutput?: (agent: string) => Promise<string[]>;
  /** The run folder followed, the theme read, Ctrl-Z (src/cli/consolePorts.ts; tests pass fakes). */
  ports: LiveConsolePorts;
}

/** Frames per second at most: cheap redraws over SSH. */
export const MAX_FPS = 15;
export const LIVENESS_POLL_MS = 2000;

export interface StartedConsole {
  store: ConsoleStore;
  outcome: Promise<ConsoleOutcome>;
}

/** <App/> at the terminal's size, following resizes (replay uses it too). */
export function SizedApp({ stdout, ...props }: Omit<React.ComponentProps<typeof App>, 'columns' | 'rows'> & { stdout: NodeJS.WriteStream }) {
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return <App {...props} columns={size.columns} rows={size.rows} />;
}

/** Starts the console and returns its store (for tests and callers that watch it) and outcome. */
export function startConsole(options: RunConsoleOptions): StartedConsole {
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  const display = detectDisplay(options.env ?? process.env, { theme: options.theme, ascii: options.ascii });
  const look: Look = { theme: options.ports.loadTheme(display.theme), glyphs: glyphsFor(display.ascii) };

  const store = createConsoleStore('live');
  const batcher = new InputBatcher(store);
  const toast = (tone: 'info' | 'good' | 'critical', message: string, durationMs?: number) => store.getState().updateUi((ui) => showToast(ui, tone, message, Date.now(), durationMs));

  // A big run is not folded whole again: from events.idx's folded state, and the log lines the console keeps.
  const tail = options.ports.follow(options.runDir, {
    onEvents: (events) => batcher.pushEvents(events),
    onLogLines: (lines) => batcher.pushLogLines(lines),
    onStatus: (status) => batcher.pushStatus(status),
    onMetrics: (metrics) => batcher.pushMetrics(metrics),
    onReset: (file) => batcher.reset(file),
    onError: (error) => toast('critical', error.message),
    onStart: (state) => batcher.pushStart(state),
  }, { fromIndex: true, logLines: MAX_LOG_LINES });

  // A dead orchestrator is said by the header's warning (headerModel), which waits for the run's
  // state: a toast here, before the tail has read the run folder, told a finished run to resume.
  // Nor is it told before the log has been read to its end: a frame drawn while a loaded machine
  // was still applying a finished run's events showed it running, with a dead orchestrator.
  let caughtUp = false;
  const checkLiveness = () => {
    if (!caughtUp) return;
    let liveness: 'alive' | 'stopped' | 'dead';
    try {
      liveness = !options.isOrchestratorAlive() ? 'dead' : options.isOrchestratorStopped?.() ? 'stopped' : 'alive';
    } catch {
      liveness = 'dead';
    }
    batcher.pushLiveness(liveness);
  };
  void tail.caughtUp.then(() => {
    caughtUp = true;
    checkLiveness();
  });
  const liveness = setInterval(checkLiveness, LIVENESS_POLL_MS);

  let resolveOutcome!: (outcome: ConsoleOutcome) => void;
  const chosen = new Promise<ConsoleOutcome>((resolve) => {
    resolveOutcome = resolve;
  });
  let outcome: ConsoleOutcome | null = null;
  const draw = (keys: ScreenKeys | undefined) =>
    render(
      <SizedApp
        store={store}
        actions={options.actions}
        look={look}
        runDir={options.runDir}
        readAgentOutput={options.readAgentOutput}
        stdout={stdout}
        onExit={(result) => {
          outcome = result;
          resolveOutcome(result);
        }}
        screenKeys={keys}
      />,
      { stdout, stdin, maxFps: MAX_FPS, patchConsole: false, exitOnCtrlC: true },
    );

  const finished = (async (): Promise<ConsoleOutcome> => {
    // A big run's folded start (events.idx) is in the store before the first frame: that frame
    // shows the run, and no frame of the empty state is laid out first (a full screen costs
    // hundreds of ms on a loaded machine). Placing the readers reads no more than the index.
    await tail.placed;
    batcher.flush();
    // Ctrl+C unmounts without choosing: the run goes on, as with q.
    await drawUntilLeft({ stdout, draw, left: chosen, stopJob: () => options.ports.stopJob(), onNotStopped: () => toast('info', NOT_STOPPED, NOT_STOPPED_MS) });
    clearInterval(liveness);
    batcher.close();
    await tail.close();
    return outcome ?? 'detached';
  })();
  return { store, outcome: finished };
}

