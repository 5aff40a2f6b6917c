// The one keymap table. Input handling, the key line and the `?` help screen
// are all read from it, so a key cannot work without being listed, nor be
// listed without working.

import type { Key } from 'ink';
import type { ConsoleMode } from '../state/uiState.js';

export type { ConsoleMode };

/** What the keys are talking to right now: the dashboard, an open dialog, the help or an agent's detail. */
export type KeyContext = 'main' | 'filter' | 'picker' | 'confirm' | 'help' | 'agent';

export type ActionId =
  | 'checkpoint'
  | 'compress'
  | 'restore'
  | 'pauseResume'
  | 'filter'
  | 'selectUp'
  | 'selectDown'
  | 'pageUp'
  | 'pageDown'
  | 'followNewest'
  | 'help'
  | 'detach'
  | 'stop'
  | 'suspend'
  | 'redraw'
  | 'back'
  | 'agentDetail'
  | 'togglePane'
  | ReplayActionId
  | 'filterApply'
  | 'filterCancel'
  | 'filterErase'
  | 'pickerUp'
  | 'pickerDown'
  | 'pickerChoose'
  | 'pickerCancel'
  | 'confirmYes'
  | 'confirmNo'
  | 'helpUp'
  | 'helpDown'
  | 'helpPageUp'
  | 'helpPageDown'
  | 'helpClose'
  | 'detailClose';

/** What replay's keys ask of the replay controller (src/ui/replay/). */
export type ReplayActionId =
  | 'replayPlayPause'
  | 'replayStepForward'
  | 'replayStepBack'
  | 'replayMinuteForward'
  | 'replayMinuteBack'
  | 'replayFaster'
  | 'replaySlower'
  | 'replayStart'
  | 'replayEnd'
  | 'replayNextCheckpoint'
  | 'replayPrevCheckpoint'
  | 'replayNextError'
  | 'replayPrevError';

/** Named keys as `keyNameOf` reports them; any other key is its own character. */
export type NamedKey =
  | 'up'
  | 'down'
  | 'left'
  | 'right'
  | 'shift-left'
  | 'shift-right'
  | 'pageup'
  | 'pagedown'
  | 'home'
  | 'end'
  | 'return'
  | 'escape'
  | 'backspace'
  | 'tab'
  | 'space'
  | 'ctrl-z'
  | 'ctrl-l';
export type KeyName = NamedKey | string;

export interface KeyBinding {
  action: ActionId;
  keys: readonly KeyName[];
  /** How the key is written on screen; `asciiLabel` when only ASCII may be drawn. */
  label: string;
  asciiLabel?: string;
  /** How the key line writes it, when one entry stands for a pair of bindings (↑↓, ←→). */
  lineLabel?: string;
  asciiLineLabel?: string;
  /** Short word for the key line. */
  short: string;
  /** Sentence for the help screen. */
  description: string;
  /** The sentence in replay, where it differs (no run goes on, no `z`). */
  replayDescription?: string;
  contexts: readonly KeyContext[];
  modes: readonly ConsoleMode[];
  /**
   * Shown in the key line; higher numbers are dropped first when the line is
   * narrow, and 1 is never dropped (`?` and `q` are always there). Absent: help only.
   */
  keyLinePriority?: number;
}

const BOTH: readonly ConsoleMode[] = ['live', 'replay'];
const LIVE: readonly ConsoleMode[] = ['live'];
const REPLAY: readonly ConsoleMode[] = ['replay'];
const EVERYWHERE: readonly KeyContext[] = ['main', 'filter', 'picker', 'confirm', 'help', 'agent'];

/**
 * Actions that steer the running session: pointless once it has ended. The
 * picker's Enter and a confirm's yes are among them: the run can end while
 * either dialog is open.
 */
export const RUN_CONTROL_ACTIONS: readonly ActionId[] = ['checkpoint', 'compress', 'restore', 'pauseResume', 'stop', 'pickerChoose', 'confirmYes'];

export const KEYMAP: readonly KeyBinding[] = [
  { action: 'checkpoint', keys: ['c'], label: 'c', short: 'checkpoint', description: 'Take a checkpoint now', contexts: ['main'], modes: LIVE, keyLinePriority: 2 },
  { action: 'compress', keys: ['z'], label: 'z', short: 'compress', description: 'Compress the selected agent’s context, or every agent’s when none is selected', contexts: ['main'], modes: LIVE, keyLinePriority: 5 },
  { action: 'restore', keys: ['r'], label: 'r', short: 'restore', description: 'Choose a checkpoint to restore (asks to confirm)', contexts: ['main'], modes: LIVE, keyLinePriority: 4 },
  { action: 'pauseResume', keys: ['p'], label: 'p', short: 'pause', description: 'Pause the run, or continue a paused one', contexts: ['main'], modes: LIVE, keyLinePriority: 3 },
  // Replay: the live-only keys above (c z r p Q) are not bound here, so they neither work nor show.
  { action: 'replayPlayPause', keys: ['space'], label: 'space', short: 'play', description: 'Play or pause the replay', contexts: ['main'], modes: REPLAY, keyLinePriority: 1 },
  { action: 'replayStepForward', keys: ['right'], label: '→', asciiLabel: 'right', lineLabel: '←→', asciiLineLabel: '<>', short: 'step', description: 'Step one event forward', contexts: ['main'], modes: REPLAY, keyLinePriority: 2 },
  { action: 'replayStepBack', keys: ['left'], label: '←', asciiLabel: 'left', short: 'step back', description: 'Step one event back', contexts: ['main'], modes: REPLAY },
  { action: 'replayMinuteForward', keys: ['shift-right'], label: 'Shift+→', asciiLabel: 'Shift+right', lineLabel: 'S-←→', asciiLineLabel: 'S-<>', short: '1 min', description: 'One minute of the recording forward', contexts: ['main'], modes: REPLAY, keyLinePriority: 6 },
  { action: 'replayMinuteBack', keys: ['shift-left'], label: 'Shift+←', asciiLabel: 'Shift+left', short: '-1 min', description: 'One minute of the recording back', contexts: ['main'], modes: REPLAY },
  { action: 'replayFaster', keys: ['+', '='], label: '+', lineLabel: '+-', short: 'speed', description: 'Play faster (1x, 2x, 5x, 10x … 1000x)', contexts: ['main'], modes: REPLAY, keyLinePriority: 4 },
  { action: 'replaySlower', keys: ['-', '_'], label: '-', short: 'slower', description: 'Play slower', contexts: ['main'], modes: REPLAY },
  { action: 'replayStart', keys: ['g'], label: 'g', short: 'start', description: 'Go to the start of the run', contexts: ['main'], modes: REPLAY },
  { action: 'replayEnd', keys: ['G'], label: 'G', lineLabel: 'g/G', short: 'start/end', description: 'Go to the end of the run (its present, for a run still going)', contexts: ['main'], modes: REPLAY, keyLinePriority: 5 },
  { action: 'replayNextCheckpoint', keys: ['n'], label: 'n', lineLabel: 'n/N', short: 'ckpt', description: 'Jump to the next checkpoint or restore', contexts: ['main'], modes: REPLAY, keyLinePriority: 3 },
  { action: 'replayPrevCheckpoint', keys: ['N'], label: 'N', short: 'prev ckpt', description: 'Jump to the previous checkpoint or restore', contexts: ['main'], modes: REPLAY },
  { action: 'replayNextError', keys: ['e'], label: 'e', lineLabel: 'e/E', short: 'error', description: 'Jump to the next error or recovery', contexts: ['main'], modes: REPLAY, keyLinePriority: 3 },
  { action: 'replayPrevError', keys: ['E'], label: 'E', short: 'prev error', description: 'Jump to the previous error or recovery', contexts: ['main'], modes: REPLAY },
  { action: 'filter', keys: ['/'], label: '/', short: 'filter', description: 'Filter the log (Enter applies, Esc clears)', contexts: ['main'], modes: BOTH, keyLinePriority: 5 },
  { action: 'selectUp', keys: ['up', 'k'], label: '↑', asciiLabel: 'up', short: 'select', description: 'Select the agent above (above the first: none, so `z` means all)', replayDescription: 'Select the agent above (above the first: none)', contexts: ['main'], modes: BOTH },
  { action: 'selectDown', keys: ['down', 'j'], label: '↓', asciiLabel: 'dn', lineLabel: '↑↓', asciiLineLabel: 'up/dn', short: 'select', description: 'Select the agent below', contexts: ['main'], modes: BOTH, keyLinePriority: 8 },
  { action: 'agentDetail', keys: ['return'], label: 'Enter', short: 'detail', description: 'Open the selected agent’s detail: role, model, task, what it can do, tokens and tool calls over time, its output, its errors', contexts: ['main'], modes: BOTH, keyLinePriority: 7 },
  { action: 'back', keys: ['escape'], label: 'Esc', short: 'back', description: 'Step back: clear the applied filter, else the agent selection', contexts: ['main'], modes: BOTH, keyLinePriority: 6 },
  { action: 'togglePane', keys: ['tab'], label: 'Tab', short: 'alerts', description: 'Show the alerts in the log’s place, or the log again (when the screen has no room for both)', contexts: ['main'], modes: BOTH, keyLinePriority: 6 },
  // PgUp, PgDn and End page the pane in the log's place: the log, or the alerts when Tab put them there.
  { action: 'pageUp', keys: ['pageup'], label: 'PgUp', short: 'page up', description: 'Scroll the log back one page (stops following); with the alerts in its place (Tab), to newer alerts', contexts: ['main'], modes: BOTH },
  { action: 'pageDown', keys: ['pagedown'], label: 'PgDn', short: 'page down', description: 'Scroll the log forward one page (follows again at the end); with the alerts in its place, to older alerts', contexts: ['main'], modes: BOTH },
  { action: 'followNewest', keys: ['end', 'f'], label: 'End/f', short: 'follow', description: 'Follow the log’s newest lines; with the alerts in its place, back to the newest alert', contexts: ['main'], modes: BOTH },
  { action: 'help', keys: ['?'], label: '?', short: 'help', description: 'Show or hide this help', contexts: ['main'], modes: BOTH, keyLinePriority: 1 },
  { action: 'detach', keys: ['q'], label: 'q', short: 'detach', description: 'Leave the console; the run goes on (megatest attach brings it back)', contexts: ['main'], modes: LIVE, keyLinePriority: 1 },
  { action: 'detach', keys: ['q'], label: 'q', short: 'quit', description: 'Leave the replay', contexts: ['main'], modes: REPLAY, keyLinePriority: 1 },
  { action: 'stop', keys: ['Q'], label: 'Q', short: 'stop', description: 'Stop the run (asks to confirm)', contexts: ['main'], modes: LIVE, keyLinePriority: 2 },
  // Raw mode hands Ctrl-Z and Ctrl-L over as keys: the console stops its job, or draws anew, itself (terminalScreen.ts).
  { action: 'suspend', keys: ['ctrl-z'], label: 'Ctrl+Z', short: 'suspend', description: 'Suspend the console to the shell (`fg` brings it back); the run goes on', replayDescription: 'Suspend the replay to the shell (`fg` brings it back)', contexts: EVERYWHERE, modes: BOTH },
  { action: 'redraw', keys: ['ctrl-l'], label: 'Ctrl+L', short: 'redraw', description: 'Draw the whole screen again (after another program wrote over it)', contexts: EVERYWHERE, modes: BOTH },

  { action: 'filterApply', keys: ['return'], label: 'Enter', short: 'apply', description: 'Apply the filter', contexts: ['filter'], modes: BOTH, keyLinePriority: 1 },
  { action: 'filterCancel', keys: ['escape'], label: 'Esc', short: 'clear', description: 'Clear the filter', contexts: ['filter'], modes: BOTH, keyLinePriority: 1 },
  { action: 'filterErase', keys: ['backspace'], label: 'Bksp', short: 'erase', description: 'Erase the last character', contexts: ['filter'], modes: BOTH, keyLinePriority: 2 },

  { action: 'pickerUp', keys: ['up', 'k'], label: '↑', asciiLabel: 'up', short: 'newer', description: 'Move to the newer checkpoint', contexts: ['picker'], modes: LIVE, keyLinePriority: 2 },
  { action: 'pickerDown', keys: ['down', 'j'], label: '↓', asciiLabel: 'dn', short: 'older', description: 'Move to the older checkpoint', contexts: ['picker'], modes: LIVE, keyLinePriority: 2 },
  { action: 'pickerChoose', keys: ['return'], label: 'Enter', short: 'restore…', description: 'Restore the chosen checkpoint (asks to confirm)', contexts: ['picker'], modes: LIVE, keyLinePriority: 1 },
  { action: 'pickerCancel', keys: ['escape', 'q', 'r'], label: 'Esc', short: 'close', description: 'Close the picker', contexts: ['picker'], modes: LIVE, keyLinePriority: 1 },

  { action: 'confirmYes', keys: ['y', 'Y'], label: 'y', short: 'yes', description: 'Confirm', contexts: ['confirm'], modes: LIVE, keyLinePriority: 1 },
  { action: 'confirmNo', keys: ['n', 'N', 'escape'], label: 'n/Esc', short: 'no', description: 'Cancel', contexts: ['confirm'], modes: LIVE, keyLinePriority: 1 },

  { action: 'helpUp', keys: ['up', 'k'], label: '↑', asciiLabel: 'up', short: 'scroll', description: 'Scroll the help up a line', contexts: ['help'], modes: BOTH },
  { action: 'helpDown', keys: ['down', 'j'], label: '↓', asciiLabel: 'dn', lineLabel: '↑↓', asciiLineLabel: 'up/dn', short: 'scroll', description: 'Scroll the help down a line', contexts: ['help'], modes: BOTH, keyLinePriority: 2 },
  { action: 'helpPageUp', keys: ['pageup'], label: 'PgUp', short: 'page up', description: 'Scroll the help up a page', contexts: ['help'], modes: BOTH },
  { action: 'helpPageDown', keys: ['pagedown'], label: 'PgDn', lineLabel: 'PgUp/PgDn', short: 'page', description: 'Scroll the help down a page', contexts: ['help'], modes: BOTH, keyLinePriority: 3 },
  { action: 'helpClose', keys: ['?', 'escape', 'q'], label: '?/Esc', short: 'close help', description: 'Close the help', contexts: ['help'], modes: BOTH, keyLinePriority: 1 },

  { action: 'detailClose', keys: ['escape', 'return', 'q'], label: 'Esc', short: 'back', description: 'Close the agent’s detail, back to the dashboard', contexts: ['agent'], modes: BOTH, keyLinePriority: 1 },
];

/** Ink's (input, key) as one key name from the table's vocabulary. */
export function keyNameOf(input: string, key: Key): KeyName | null {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return key.shift ? 'shift-left' : 'left';
  if (key.rightArrow) return key.shift ? 'shift-right' : 'right';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'return';
  if (key.escape) return 'escape';
  // Terminals send DEL (backspace key) as either; Ink reports it as delete.
  if (key.backspace || key.delete) return 'backspace';
  if (key.tab) return 'tab';
  if (key.ctrl && !key.meta && input === 'z') return 'ctrl-z';
  if (key.ctrl && !key.meta && input === 'l') return 'ctrl-l';
  if (key.ctrl || key.meta) return null;
  if (input === ' ') return 'space';
  return input.length === 1 ? input : null;
}

/** The keys Ink reports with a flag of their own (its input is then empty or a name): never split. */
function isFlaggedKey(key: Key): boolean {
  return key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown || key.home || key.end || key.return || key.escape || key.backspace || key.delete || key.tab || key.ctrl || key.meta;
}

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageUp: false,
  pageDown: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** A control character a terminal sends for a key, as Ink's flag for that key. */
const CONTROL_KEYS: Readonly<Record<string, Partial<Key>>> = { '\r': { return: true }, '\t': { tab: true }, '\u007f': { delete: true }, '\b': { backspace: true } };

/** More characters than this in one read are a paste, not keys typed quickly. */
export const MAX_TYPED_TOGETHER = 4;

/**
 * Actions a held key repeats: moving through the view and the replay's
 * speed. A key held over a slow link arrives as one read of many copies
 * (`jjjjjjj`), which the paste guard swallowed whole.
 */
const REPEATABLE_ACTIONS: readonly ActionId[] = [
  'selectUp',
  'selectDown',
  'pageUp',
  'pageDown',
  'pickerUp',
  'pickerDown',
  'helpUp',
  'helpDown',
  'helpPageUp',
  'helpPageDown',
  'replayStepForward',
  'replayStepBack',
  'replayMinuteForward',
  'replayMinuteBack',
  'replayFaster',
  'replaySlower',
  'replayNextCheckpoint',
  'replayPrevCheckpoint',
  'replayNextError',
  'replayPrevError',
];

/**
 * One character repeated, which some binding repeats and none binds to a run
 * control (in any context or mode): `jjjjjj` is a held key, while `yyyyy` or
 * `rrrrr` stays a paste, as no paste may confirm, restore or stop anything.
 */
function isHeldKey(characters: readonly string[]): boolean {
  const first = characters[0]!;
  if (characters.some((c) => c !== first)) return false;
  const bindings = KEYMAP.filter((b) => b.keys.includes(first));
  return bindings.some((b) => REPEATABLE_ACTIONS.includes(b.action)) && !bindings.some((b) => RUN_CONTROL_ACTIONS.includes(b.action));
}

/**
 * What Ink handed over as one input, as the keys that were pressed. Ink
 * splits escape sequences (arrows, Esc) into keys of their own but gives
 * plain characters that arrive in one read as one string, as it gives a
 * paste: over SSH, keys typed quickly (`Q` then `y`, `q` then Enter, `+++`)
 * often arrive together, and the string matched no key. Up to
 * MAX_TYPED_TOGETHER characters, each is a key here, in order; the caller
 * handles them one at a time, so a key that opens the filter makes the next
 * ones its text. A longer string is a paste and stays whole: text for the
 * filter prompt, and no run control taken from the letters of pasted text;
 * except one navigation or speed key repeated (isHeldKey), which is keys.
 */
export function keystrokesOf(input: string, key: Key): { input: string; key: Key }[] {
  const characters = [...input];
  if (characters.length <= 1 || isFlaggedKey(key)) return [{ input, key }];
  if (characters.length > MAX_TYPED_TOGETHER && !isHeldKey(characters)) return [{ input, key }];
  return characters.map((character) => {
    const control = CONTROL_KEYS[character];
    if (control !== undefined) return { input: '', key: { ...NO_KEY, ...control } };
    return { input: character, key: { ...NO_KEY, shift: /[A-Z]/.test(character) } };
  });
}

export function findBinding(keymap: readonly KeyBinding[], context: KeyContext, mode: ConsoleMode, name: KeyName): KeyBinding | null {
  return keymap.find((b) => b.contexts.includes(context) && b.modes.includes(mode) && b.keys.includes(name)) ?? null;
}

export function keyLabel(binding: KeyBinding, ascii: boolean): string {
  return ascii ? (binding.asciiLabel ?? binding.label) : binding.label;
}

export interface KeyLineItem {
  action: ActionId;
  key: string;
  text: string;
}

/**
 * The key line for a context, fitted to `width`: entries are dropped from the
 * highest priority number down until the line fits. `texts` overrides an
 * entry's word (e.g. "compress agent-2", "continue"); `hide` leaves out
 * actions that cannot work now (run controls once the run has ended).
 */
export function keyLineItems(
  keymap: readonly KeyBinding[],
  options: { context: KeyContext; mode: ConsoleMode; width: number; ascii: boolean; texts?: Partial<Record<ActionId, string>>; hide?: readonly ActionId[] },
): KeyLineItem[] {
  const candidates = keymap
    .filter((b) => b.keyLinePriority !== undefined && b.contexts.includes(options.context) && b.modes.includes(options.mode) && !options.hide?.includes(b.action))
    .map((b, order) => ({ binding: b, order }));
  const items = (list: typeof candidates): KeyLineItem[] =>
    list
      .sort((a, b) => a.order - b.order)
      .map(({ binding }) => {
        // A pair (↑/↓, ←/→, n/N) shares one key line entry: the table lists them apart for help.
        const line = options.ascii ? (binding.asciiLineLabel ?? binding.lineLabel) : binding.lineLabel;
        const key = line ?? keyLabel(binding, options.ascii);
        return { action: binding.action, key, text: options.texts?.[binding.action] ?? binding.short };
      });
  let kept = [...candidates];
  // Priority 1 stays whatever the width: the way to the help and out of the console.
  const droppable = () => kept.filter((c) => (c.binding.keyLinePriority ?? 0) > 1);
  while (droppable().length > 0 && keyLineWidth(items(kept)) > options.width) {
    const worst = droppable().reduce((a, b) => ((b.binding.keyLinePriority ?? 0) >= (a.binding.keyLinePriority ?? 0) ? b : a));
    kept = kept.filter((c) => c !== worst);
  }
  return items(kept);
}

/** Each item draws as `key text`, items two spaces apart. */
export function keyLineWidth(items: readonly KeyLineItem[]): number {
  return items.reduce((sum, item, i) => sum + item.key.length + 1 + item.text.length + (i > 0 ? 2 : 0), 0);
}

export interface HelpRow {
  keys: string;
  description: string;
}
export interface HelpSection {
  title: string;
  rows: HelpRow[];
}

const CONTEXT_TITLES: Record<KeyContext, string> = {
  main: 'Console',
  filter: 'While typing a filter',
  picker: 'Restore picker',
  confirm: 'Confirm dialog',
  help: 'This help',
  agent: 'Agent detail',
};

export function helpSections(keymap: readonly KeyBinding[], mode: ConsoleMode, ascii: boolean): HelpSection[] {
  const contexts: KeyContext[] = ['main', 'filter', 'picker', 'confirm', 'agent', 'help'];
  // A key that works everywhere (Ctrl+Z) is listed once, under the first section it works in.
  const firstContext = (b: KeyBinding) => contexts.find((c) => b.contexts.includes(c));
  return contexts
    .map((context) => ({
      title: CONTEXT_TITLES[context],
      rows: keymap
        .filter((b) => firstContext(b) === context && b.modes.includes(mode))
        .map((b) => ({ keys: keyLabel(b, ascii), description: (mode === 'replay' ? b.replayDescription : undefined) ?? b.description })),
    }))
    .filter((section) => section.rows.length > 0)
    .concat(HEADER_TERMS);
}

/** The header's figures that are no key's: what its words mean, after the keys. */
const HEADER_TERMS: HelpSection = {
  title: 'The header',
  rows: [
    { keys: '12s / 1m00s', description: 'Active time (pauses left out) of the duration' },
    { keys: 'N%', description: "The plan's share done, as the phase bar fills: phases done, and the current one's share of its budget (a restore puts it back)" },
    { keys: 'plan N%', description: 'The same, labelled so once it stands 5% or more of the duration apart from the clock (phases ended early, or a restore)' },
    { keys: 'ETA', description: 'Time left before the duration limit ends the run' },
    { keys: 'err tok ckpt', description: 'Errors, tokens and checkpoints so far; then the cost, when an agent reports one' },
  ],
};
