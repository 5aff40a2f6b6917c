// The tmux server of an end-to-end test file. tmux ends its server when the
// last session closes, and a `new-session` sent while it is shutting down
// fails with "server exited unexpectedly": a test that kills one session and
// opens the next (a console detached, then attached again) raced that
// shutdown, and lost on a loaded machine. Started with `exit-empty off`, the
// server stays until the file's afterAll kills it.

import { execFileSync, spawnSync } from 'node:child_process';
import { waitFor } from './cli.js';

/** tmux arguments that start the server and keep it up with no session. */
export const TMUX_KEEP_SERVER = ['start-server', ';', 'set-option', '-g', 'exit-empty', 'off'];

/** Whether tmux is installed. */
export const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;

/**
 * One test file's own tmux server (its own socket, so files running side by
 * side never meet), with what the tests do to it: commands, the pane's text,
 * and waits on what the pane shows.
 */
export class TmuxServer {
  readonly socket: string;

  constructor(name: string) {
    this.socket = `megatest-${name}-${process.pid}`;
  }

  run(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Starts the server, kept up with no session (above). */
  start(): void {
    this.run(...TMUX_KEEP_SERVER);
  }

  kill(): void {
    try {
      this.run('kill-server');
    } catch {
      // already gone
    }
  }

  /** The pane's text as a person sees it. */
  screen(session: string): string {
    return this.run('capture-pane', '-p', '-t', session);
  }

  /**
   * Polls the pane until `pattern` shows; fails with the last screen seen,
   * and the footers seen on the way: a toast that answered a key (a refusal,
   * say) is gone from the screen by the time the wait gives up.
   */
  async waitForScreen(session: string, pattern: RegExp, timeoutMs = 30_000, everyMs = 100): Promise<string> {
    let last = '';
    const footers: string[] = [];
    try {
      return await waitFor(
        () => {
          try {
            last = this.screen(session);
          } catch {
            return undefined;
          }
          const footer = last.trimEnd().split('\n').slice(-2).join(' | ');
          if (footers.at(-1) !== footer && footers.length < 40) footers.push(footer);
          return pattern.test(last) ? last : undefined;
        },
        `${pattern} on screen`,
        timeoutMs,
        everyMs,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- footers seen ---\n${footers.join('\n')}\n--- screen ---\n${last}`);
    }
  }
}
