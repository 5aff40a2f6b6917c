// The console's hold on the terminal: the alternate screen while it draws,
// given back on the way out, and given back for a while on Ctrl-Z. Raw mode
// hands Ctrl-Z to the console as a key, and a full-screen program the shell
// stops as it is leaves its screen and raw mode behind; so the console
// unmounts (Ink leaves raw mode and shows the cursor), leaves the alternate
// screen, stops its job, and after `fg` draws with a new Ink instance: a
// whole frame, as Ink writes only what changed since its last one. Ctrl-L
// draws a whole frame the same way, on a cleared screen: what another
// program wrote over the console (a `wall` message, a kernel line) goes.

import { assertNever } from '../contract/assertNever.js';

/** The alternate screen, and the cursor at its top: Ink draws from where the cursor is, which after `fg` is under the shell's last line. */
export const ENTER_ALTERNATE_SCREEN = '\u001B[?1049h\u001B[H';
export const LEAVE_ALTERNATE_SCREEN = '\u001B[?1049l';
/** Ctrl-Z where no shell with job control started the console: nothing would ever continue it. */
export const NOT_STOPPED = 'Ctrl-Z: no shell with job control started this console, so it cannot be suspended; q leaves it and the run goes on';
/** How long NOT_STOPPED stays: twice a toast's time, as it is long and unexpected. */
export const NOT_STOPPED_MS = 8000;

/** The whole screen erased, the cursor at its top. */
export const CLEAR_SCREEN = '\u001B[2J\u001B[H';

/** What the console keeps of an Ink instance. */
export interface DrawnConsole {
  unmount(): void;
  waitUntilExit(): Promise<unknown>;
}

/** What the keys ask of the terminal: Ctrl-Z and Ctrl-L. */
export interface ScreenKeys {
  suspend(): void;
  redraw(): void;
}

export interface ScreenSession {
  stdout: NodeJS.WriteStream;
  /** Renders the console; `keys` are what Ctrl-Z and Ctrl-L call (absent when stdout is no terminal). */
  draw(keys: ScreenKeys | undefined): DrawnConsole;
  /** Resolves when the person has chosen to leave (q, a stop). Ctrl-C unmounts Ink, which ends the session too. */
  left: Promise<unknown>;
  /** Stops the job until the shell continues it; resolves whether it was stopped (src/io/jobControl.ts). */
  stopJob(): Promise<boolean>;
  /** Said when Ctrl-Z could not stop the job: no shell with job control started it. */
  onNotStopped(): void;
}

type Asked = 'suspend' | 'redraw';

/** Draws the console until the person leaves, suspending to the shell on Ctrl-Z and drawing anew on Ctrl-L. */
export async function drawUntilLeft(session: ScreenSession): Promise<void> {
  const { stdout } = session;
  const fullScreen = stdout.isTTY === true;
  if (fullScreen) stdout.write(ENTER_ALTERNATE_SCREEN);
  const left = session.left.then(() => 'left' as const);
  try {
    for (;;) {
      let ask!: (what: Asked) => void;
      const asked = new Promise<Asked>((resolve) => {
        ask = resolve;
      });
      const instance = session.draw(fullScreen ? { suspend: () => ask('suspend'), redraw: () => ask('redraw') } : undefined);
      const exited = instance.waitUntilExit().then(
        () => 'left' as const,
        () => 'left' as const,
      );
      const why = await Promise.race([left, exited, asked]);
      instance.unmount();
      if (why === 'left') return;
      // Ink's last frame and its leaving raw mode are written before the screen is cleared or given back.
      await exited;
      switch (why) {
        case 'redraw':
          stdout.write(CLEAR_SCREEN);
          break;
        case 'suspend': {
          stdout.write(LEAVE_ALTERNATE_SCREEN);
          const stopped = await session.stopJob();
          stdout.write(ENTER_ALTERNATE_SCREEN);
          if (!stopped) session.onNotStopped();
          break;
        }
        default:
          assertNever(why, 'screen request');
      }
    }
  } finally {
    if (fullScreen) stdout.write(LEAVE_ALTERNATE_SCREEN);
  }
}
