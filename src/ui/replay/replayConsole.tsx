// Replay mode of the console: the same <App/> (header, phase bar, charts,
// agents, log, alerts, key line, help) fed by the replay controller instead
// of the live tail, plus the timeline bar and status line. Also renders one
// frame to plain text for `megatest replay --frame`. Loaded through
// ../runReplay.ts, which picks React's production build first.

import { render, renderToString } from 'ink';
import type { ReplaySource } from '../../replay/types.js';
import type { ActionResult, ConsoleActions } from '../actions.js';
import { App } from '../App.js';
import type { ConsolePorts } from '../consolePorts.js';
import { glyphsFor, type Look } from '../components/themeContext.js';
import { showToast } from '../../state/uiState.js';
import { MAX_FPS, SizedApp } from '../liveConsole.js';
import { drawUntilLeft, NOT_STOPPED, NOT_STOPPED_MS, type ScreenKeys } from '../terminalScreen.js';
import { detectDisplay } from '../theme.js';
import { ReplayController, type ReplayTarget, type ReplayTimers } from './controller.js';

export interface ReplayConsoleOptions {
  source: ReplaySource;
  runDir: string;
  at?: ReplayTarget;
  speed?: number;
  play?: boolean;
  theme?: string;
  ascii?: boolean;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Environment for NO_COLOR / locale / TERM detection (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  timers?: ReplayTimers;
  /** No orchestrator runs the run (ReplayOptions.orchestratorGone). */
  orchestratorGone?: boolean;
  /** The theme read, Ctrl-Z (src/cli/consolePorts.ts; tests pass fakes). */
  ports: ConsolePorts;
}

// The run controls (c z r p Q) are not bound in replay; should one be reached, it says why.
const notInReplay = async (): Promise<ActionResult> => ({ ok: false, message: 'a replay only watches a recording; nothing to control' });
export const REPLAY_ACTIONS: ConsoleActions = {
  checkpoint: notInReplay,
  compress: notInReplay,
  restore: notInReplay,
  pause: notInReplay,
  resume: notInReplay,
  stop: notInReplay,
};

export function lookFor(env: Readonly<Record<string, string | undefined>>, flags: { theme?: string; ascii?: boolean }, loadTheme: ConsolePorts['loadTheme']): Look {
  const display = detectDisplay(env, flags);
  return { theme: loadTheme(display.theme), glyphs: glyphsFor(display.ascii) };
}

export interface StartedReplay {
  controller: ReplayController;
  /** Resolves when the person leaves (q or Ctrl+C). */
  done: Promise<void>;
}

export async function startReplayConsole(options: ReplayConsoleOptions): Promise<StartedReplay> {
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  const look = lookFor(options.env ?? process.env, { theme: options.theme, ascii: options.ascii }, options.ports.loadTheme);
  const controller = await ReplayController.open(options.source, { at: options.at, speed: options.speed, play: options.play, timers: options.timers, orchestratorGone: options.orchestratorGone });

  let leave!: () => void;
  const left = new Promise<void>((resolve) => {
    leave = resolve;
  });
  const draw = (keys: ScreenKeys | undefined) =>
    render(
      <SizedApp
        store={controller.store}
        actions={REPLAY_ACTIONS}
        look={look}
        runDir={options.runDir}
        stdout={stdout}
        replay={controller}
        onExit={() => leave()}
        screenKeys={keys}
      />,
      { stdout, stdin, maxFps: MAX_FPS, patchConsole: false, exitOnCtrlC: true },
    );
  const notStopped = () => controller.store.getState().updateUi((ui) => showToast(ui, 'info', NOT_STOPPED, Date.now(), NOT_STOPPED_MS));
  const done = (async () => {
    await drawUntilLeft({ stdout, draw, left, stopJob: () => options.ports.stopJob(), onNotStopped: notStopped });
    controller.close();
  })();
  return { controller, done };
}

export async function runReplayConsole(options: ReplayConsoleOptions): Promise<void> {
  await (await startReplayConsole(options)).done;
}

/** Frame text without ANSI styling. */
export function plainText(frame: string): string {
  // eslint-disable-next-line no-control-regex
  return frame.replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '').replace(/[ \t]+$/gm, '');
}

/** The console as the controller shows it now, as plain text `columns` wide and `rows` high. */
export function frameText(controller: ReplayController, options: { runDir: string; columns: number; rows: number; look: Look }): string {
  const frame = renderToString(
    <App
      store={controller.store}
      actions={REPLAY_ACTIONS}
      look={options.look}
      runDir={options.runDir}
      columns={options.columns}
      rows={options.rows}
      replay={controller}
      now={() => controller.position.getState().clockMs}
      onExit={() => undefined}
    />,
    { columns: options.columns },
  );
  return plainText(frame);
}

export interface ReplayFrameOptions {
  source: ReplaySource;
  runDir: string;
  at?: ReplayTarget;
  speed?: number;
  columns: number;
  rows: number;
  ascii?: boolean;
  env?: Readonly<Record<string, string | undefined>>;
  /** No orchestrator runs the run (ReplayOptions.orchestratorGone). */
  orchestratorGone?: boolean;
  /** The theme read (src/cli/consolePorts.ts's loadTheme; the frame is in the mono theme). */
  loadTheme: ConsolePorts['loadTheme'];
}

/** One frame at `at` (default the end) as plain text: for scripts and bug reports. */
export async function replayFrame(options: ReplayFrameOptions): Promise<string> {
  const controller = await ReplayController.open(options.source, { at: options.at ?? { kind: 'end' }, speed: options.speed, follow: false, orchestratorGone: options.orchestratorGone });
  try {
    // Plain text whatever the terminal: mono theme; ASCII when asked or when the locale cannot draw Unicode.
    const look = lookFor({ ...(options.env ?? process.env), NO_COLOR: '1' }, { ascii: options.ascii }, options.loadTheme);
    return frameText(controller, { runDir: options.runDir, columns: options.columns, rows: options.rows, look });
  } finally {
    controller.close();
  }
}
