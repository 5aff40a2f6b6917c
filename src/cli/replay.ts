// `megatest replay DIR`: the console fed from a run folder's recorded events
// through the one fold, at a cursor the person moves (DESIGN §2, §11). With
// --frame it prints one frame as plain text instead, for scripts and bug
// reports; that needs no terminal.

import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../config/errors.js';
import { assertNever } from '../contract/assertNever.js';
import { integer } from './flagValues.js';
import { parseCommandArgs } from './parseOptions.js';
import { folderOrSessionId, oneRunFolderRefusal } from './commandArgs.js';
import { openReplaySource, refuseNonFolder } from '../replay/source.js';
import { existsSync } from 'node:fs';
import { runPaths } from '../io/runFolder.js';
import { isOrchestratorAlive } from '../io/sessions.js';
import type { ReplayTarget } from '../ui/runReplay.js';
import { THEME_NAMES } from '../ui/theme.js';

export const REPLAY_HELP = `usage: megatest replay DIR|ID [--runs-dir D] [--speed N] [--at SEQ|TIME]
                       [--frame [--width N] [--height N]] [--theme NAME]
                       [--ascii]

  Replays a run folder (finished, crashed, or still going: up to its present)
  in the console, every panel as the run was at the cursor. Opens at the start
  and plays; with --at it opens there, paused.

options:
  --speed N      1 to 1000 (default 1): seconds of the recording played per
                 second
  --at SEQ       a whole number: just after the event with that seq (0: before
                 the first event)
  --at TIME      an ISO time (2026-12-02T02:23:00Z; without a zone, local time),
                 or an offset from the first event: 90s, 5m, 1h30m
                 (outside the run: its start or end, and a line on stderr says
                 so)
  --frame        print one frame as plain text at --at (default: the end) and
                 exit
  --width N      the frame's width in columns (default 100, 40 to 400)
  --height N     the frame's height in rows (default 40, 12 to 200)
  --theme NAME   dark | light | high-contrast | mono (the frame is always plain
                 text)
  --ascii        ASCII glyphs only

keys: space play/pause, ←/→ one event, Shift+←/→ one minute,
      +/- speed (1x … 1000x), g/G start/end, n/N next/previous checkpoint or
      restore, e/E next/previous error or recovery, / filter the log, ? help,
      q quit`;

const OPTIONS = {
  speed: { type: 'string' },
  at: { type: 'string' },
  frame: { type: 'boolean' },
  width: { type: 'string' },
  height: { type: 'string' },
  theme: { type: 'string' },
  ascii: { type: 'boolean' },
  'runs-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** A whole-number option as run's are read (digits only, as written), or its default. */
function wholeNumber(flag: string, text: string | undefined, min: number, max: number, fallback: number): number {
  return integer(flag, text, min, max) ?? fallback;
}

const OFFSET = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;

/** --at: a seq, an ISO time, or an offset from the first event. */
export function parseReplayAt(text: string): ReplayTarget {
  const value = text.trim();
  if (/^\d+$/.test(value)) return { kind: 'seq', seq: Number(value) };
  const offset = OFFSET.exec(value);
  if (value !== '' && offset && (offset[1] ?? offset[2] ?? offset[3]) !== undefined) {
    const [, h = '0', m = '0', s = '0'] = offset;
    return { kind: 'offset', ms: Math.round((Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000) };
  }
  if (ISO_DATE.test(value)) {
    const ms = Date.parse(value.replace(' ', 'T'));
    if (Number.isFinite(ms)) return { kind: 'time', ms };
  }
  throw new UsageError(`--at ${JSON.stringify(text)}: expected a seq (e.g. 812), an ISO time (e.g. 2026-12-02T02:23:00Z) or an offset from the start (90s, 5m, 1h30m)`);
}

/**
 * Where --at falls outside the run, the line that says so: the cursor stops
 * at the run's first or last event, which a person would otherwise take for
 * the moment asked. Null when it falls within the run.
 */
export function atOutsideRun(at: string, target: ReplayTarget, run: { startMs: number; endMs: number; lastSeq: number | null }): string | null {
  const iso = (ms: number) => new Date(ms).toISOString();
  const past = (what: string) => `megatest replay: --at ${at}: past the run's last event (${what}); showing its end`;
  switch (target.kind) {
    case 'seq':
      return run.lastSeq !== null && target.seq > run.lastSeq ? past(`seq ${run.lastSeq}`) : null;
    case 'offset':
      return run.startMs + target.ms > run.endMs ? past(`${Math.floor((run.endMs - run.startMs) / 1000)} s after its first`) : null;
    case 'time':
      if (target.ms < run.startMs) return `megatest replay: --at ${at}: before the run's first event (${iso(run.startMs)}); showing its start`;
      return target.ms > run.endMs ? past(iso(run.endMs)) : null;
    case 'start':
    case 'end':
      return null;
    default:
      return assertNever(target, 'replay target');
  }
}

/** After this long reading events.jsonl for its index (a first open of a long run), a progress line shows on stderr. */
export const INDEX_PROGRESS_AFTER_MS = 500;
const INDEX_PROGRESS_EVERY_MS = 200;

/**
 * The first open of a long run reads its whole log for the seek index (6 s
 * for a million events) before the first frame: on a terminal, a line on
 * stderr says so and how far it is, rather than a blank screen. Nothing on
 * a stderr that is not a terminal, and nothing for a short read.
 */
export function indexProgress(stream: { isTTY?: boolean; write(text: string): unknown }, now: () => number = Date.now): { onProgress?: (offset: number, total: number) => void; done(): void } {
  if (stream.isTTY !== true) return { done: () => undefined };
  const started = now();
  let shownAt = -Infinity;
  let shown = false;
  return {
    onProgress(offset, total) {
      const t = now();
      if (t - started < INDEX_PROGRESS_AFTER_MS || t - shownAt < INDEX_PROGRESS_EVERY_MS || total <= 0) return;
      shownAt = t;
      shown = true;
      const mb = (n: number) => (n / 1e6).toFixed(0);
      stream.write(`\rmegatest replay: indexing events.jsonl (first open): ${Math.floor((Math.min(offset, total) / total) * 100)}% of ${mb(total)} MB\u001b[K`);
    },
    done() {
      if (shown) stream.write('\r\u001b[K');
    },
  };
}

function requireFolder(positionals: string[]): string {
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw oneRunFolderRefusal('replay', positionals);
  refuseNonFolder(dir);
  return dir;
}

export async function replayCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('replay', argv, OPTIONS);
  if (values.help) {
    process.stdout.write(REPLAY_HELP + '\n');
    return 0;
  }
  const speed = wholeNumber('--speed', values.speed, 1, 1000, 1);
  const at = values.at === undefined ? undefined : parseReplayAt(values.at);
  const columns = wholeNumber('--width', values.width, 40, 400, 100);
  const rows = wholeNumber('--height', values.height, 12, 200, 40);
  if (!values.frame && (values.width !== undefined || values.height !== undefined)) {
    throw new UsageError('megatest replay: --width and --height size a --frame; the console takes the terminal’s size');
  }
  if (values.theme !== undefined && !(THEME_NAMES as readonly string[]).includes(values.theme)) {
    throw new UsageError(`--theme ${JSON.stringify(values.theme)}: unknown theme; choose one of ${THEME_NAMES.join(', ')}`);
  }
  if (positionals.length === 1) positionals[0] = await folderOrSessionId('replay', positionals[0]!, values['runs-dir']);
  const dir = requireFolder(positionals);
  if (!values.frame && !(process.stdout.isTTY && process.stdin.isTTY)) throw new UsageError('replay needs a terminal; use --frame');

  // Beside a running orchestrator the index is its to write: one renamed over it made it write its own whole again.
  const progress = indexProgress(process.stderr);
  const source = await openReplaySource(dir, { readOnly: isOrchestratorAlive(dir), onProgress: progress.onProgress }).finally(() => progress.done());
  try {
    if (at !== undefined && values.at !== undefined) {
      const last = source.count() === 0 ? undefined : await source.eventAt(source.count() - 1);
      const outside = atOutsideRun(values.at, at, { startMs: source.startMs(), endMs: source.endMs(), lastSeq: last?.seq ?? null });
      if (outside !== null) process.stderr.write(`${outside}\n`);
    }
    // Loaded only now: the console's graph picks React's production build when it loads.
    const ui = await import('../ui/runReplay.js');
    const { CONSOLE_PORTS } = await import('./consolePorts.js');
    // A run whose control.json names a process that is gone, and that recorded no end, was killed: its end says so.
    const orchestratorGone = !source.legacy && existsSync(runPaths(source.runDir).controlJson) && !isOrchestratorAlive(source.runDir);
    if (values.frame) {
      const frame = await ui.replayFrame({ source, runDir: source.runDir, at, speed, columns, rows, ascii: values.ascii, orchestratorGone, loadTheme: CONSOLE_PORTS.loadTheme });
      process.stdout.write(frame.replace(/\n+$/, '') + '\n');
      return 0;
    }
    await ui.runReplayConsole({ source, runDir: source.runDir, at, speed, play: at === undefined, theme: values.theme, ascii: values.ascii, orchestratorGone, ports: CONSOLE_PORTS });
    return 0;
  } finally {
    await source.close();
  }
}
