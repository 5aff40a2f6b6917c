// Shared by the UI tests: the recorded fixture folded into a store, a fake
// ConsoleActions that records calls, and an Ink render at any terminal size
// (ink-testing-library's fake terminal is fixed at 100 columns).

import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReactElement } from 'react';
import { render } from 'ink';
import { parseEventLine, type MegatestEvent } from '../../src/contract/events.js';
import { applyEvents, applyLogLines, initialConsoleState, type ConsoleState } from '../../src/state/applyEvent.js';
import type { ActionResult, ConsoleActions } from '../../src/ui/actions.js';
import { loadTheme } from '../../src/cli/consolePorts.js';
import { glyphsFor, type Look } from '../../src/ui/components/themeContext.js';

export const FIXTURE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/events');

export function fixtureEvents(): MegatestEvent[] {
  return readFileSync(path.join(FIXTURE_DIR, 'sim_session.jsonl'), 'utf8')
    .split('\n')
    .map(parseEventLine)
    .filter((e): e is MegatestEvent => e !== null);
}

export function fixtureLogLines(): string[] {
  return readFileSync(path.join(FIXTURE_DIR, 'sim_session.log'), 'utf8').split('\n').filter((l) => l !== '');
}

/** The fixture folded up to (not including) the first event with seq > `untilSeq`. */
export function fixtureState(untilSeq = Infinity): ConsoleState {
  const events = fixtureEvents().filter((e) => e.seq <= untilSeq);
  const lastTs = events[events.length - 1]?.ts ?? '';
  const log = fixtureLogLines().filter((l) => l.split(' ')[0]! <= lastTs);
  return applyLogLines(applyEvents(initialConsoleState(), events), log);
}

export function look(themeName = 'dark', ascii = false): Look {
  return { theme: loadTheme(themeName), glyphs: glyphsFor(ascii) };
}

export interface FakeActions extends ConsoleActions {
  calls: string[];
}

export function fakeActions(answer: (name: string, arg?: string) => ActionResult | Error = (name) => ({ ok: true, message: `${name} done` })): FakeActions {
  const calls: string[] = [];
  const respond = async (name: string, arg?: string): Promise<ActionResult> => {
    calls.push(arg === undefined ? name : `${name} ${arg}`);
    const result = answer(name, arg);
    if (result instanceof Error) throw result;
    return result;
  };
  return {
    calls,
    checkpoint: () => respond('checkpoint'),
    compress: (agent?: string) => respond('compress', agent),
    restore: (id: string) => respond('restore', id),
    pause: () => respond('pause'),
    resume: () => respond('resume'),
    stop: () => respond('stop'),
  };
}

class FakeStdout extends EventEmitter {
  frames: string[] = [];
  isTTY = false;
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string) => {
    this.frames.push(frame);
    return true;
  };
}

export class FakeStdin extends EventEmitter {
  isTTY = true;
  private buffered: string | null = null;
  write(data: string) {
    this.buffered = data;
    this.emit('readable');
    this.emit('data', data);
  }
  read() {
    const data = this.buffered;
    this.buffered = null;
    return data;
  }
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

export function fakeTerminal(columns: number, rows: number) {
  return { stdout: new FakeStdout(columns, rows), stdin: new FakeStdin() };
}

/** Renders at a given terminal width; each frame is written whole (debug mode). */
export function renderAt(tree: ReactElement, columns: number, rows = 40) {
  const { stdout, stdin } = fakeTerminal(columns, rows);
  const instance = render(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return { ...instance, stdin, lastFrame: () => stdout.frames[stdout.frames.length - 1] ?? '', frames: () => stdout.frames.length };
}

/** Frame text without ANSI styling. */
export function plain(frame: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  return (frame ?? '').replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '');
}
