import { describe, expect, it } from 'vitest';
import { findBinding, helpSections, KEYMAP, keyLineItems, keyLineWidth, keyNameOf, keystrokesOf, type KeyContext } from '../../src/ui/keymap.js';
import type { Key } from 'ink';

const noKey: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false, super: false, hyper: false,
  capsLock: false, numLock: false,
} as Key;

describe('keymap', () => {
  it('binds the issue’s keys in live mode', () => {
    const expected: Record<string, string> = { c: 'checkpoint', z: 'compress', r: 'restore', p: 'pauseResume', '/': 'filter', up: 'selectUp', down: 'selectDown', '?': 'help', q: 'detach', Q: 'stop', pageup: 'pageUp', pagedown: 'pageDown', end: 'followNewest', f: 'followNewest' };
    for (const [key, action] of Object.entries(expected)) expect(findBinding(KEYMAP, 'main', 'live', key)?.action).toBe(action);
    expect(findBinding(KEYMAP, 'picker', 'live', 'return')?.action).toBe('pickerChoose');
    expect(findBinding(KEYMAP, 'confirm', 'live', 'y')?.action).toBe('confirmYes');
    // Replay keys only work in replay mode.
    expect(findBinding(KEYMAP, 'main', 'live', 'n')).toBeNull();
    expect(findBinding(KEYMAP, 'main', 'live', 'space')).toBeNull();
    // Replay: the keys; the live-only run controls are not bound.
    const replay: Record<string, string> = {
      space: 'replayPlayPause', right: 'replayStepForward', left: 'replayStepBack', 'shift-right': 'replayMinuteForward', 'shift-left': 'replayMinuteBack',
      '+': 'replayFaster', '-': 'replaySlower', g: 'replayStart', G: 'replayEnd', n: 'replayNextCheckpoint', N: 'replayPrevCheckpoint',
      e: 'replayNextError', E: 'replayPrevError', q: 'detach', '?': 'help',
    };
    for (const [key, action] of Object.entries(replay)) expect(findBinding(KEYMAP, 'main', 'replay', key)?.action).toBe(action);
    for (const key of ['c', 'z', 'r', 'p', 'Q']) expect(findBinding(KEYMAP, 'main', 'replay', key)).toBeNull();
  });

  it('binds Esc (step back), Enter (agent detail) and Tab (log/alerts) on the dashboard, and the help’s and the detail’s keys, in both modes', () => {
    for (const mode of ['live', 'replay'] as const) {
      expect(findBinding(KEYMAP, 'main', mode, 'escape')?.action).toBe('back');
      expect(findBinding(KEYMAP, 'main', mode, 'return')?.action).toBe('agentDetail');
      expect(findBinding(KEYMAP, 'main', mode, 'tab')?.action).toBe('togglePane');
      const help: Record<string, string> = { up: 'helpUp', down: 'helpDown', pageup: 'helpPageUp', pagedown: 'helpPageDown', escape: 'helpClose', '?': 'helpClose', q: 'helpClose' };
      for (const [key, action] of Object.entries(help)) expect(findBinding(KEYMAP, 'help', mode, key)?.action, `${mode} help ${key}`).toBe(action);
      for (const key of ['escape', 'return', 'q']) expect(findBinding(KEYMAP, 'agent', mode, key)?.action).toBe('detailClose');
    }
  });

  it('binds Ctrl+Z (suspend to the shell) and Ctrl+L (redraw) everywhere, in both modes, and lists each once in the help', () => {
    for (const mode of ['live', 'replay'] as const) {
      for (const context of ['main', 'filter', 'picker', 'confirm', 'help', 'agent'] as KeyContext[]) {
        expect(findBinding(KEYMAP, context, mode, 'ctrl-z')?.action, `${mode}/${context}`).toBe('suspend');
        expect(findBinding(KEYMAP, context, mode, 'ctrl-l')?.action, `${mode}/${context}`).toBe('redraw');
      }
      const rows = helpSections(KEYMAP, mode, false).flatMap((section) => section.rows.map((row) => `${section.title}: ${row.keys}`));
      expect(rows.filter((row) => /Ctrl\+[ZL]$/.test(row))).toEqual(['Console: Ctrl+Z', 'Console: Ctrl+L']);
    }
  });

  it('never gives one key two meanings in the same context and mode', () => {
    for (const mode of ['live', 'replay'] as const) {
      for (const context of ['main', 'filter', 'picker', 'confirm', 'help', 'agent'] as KeyContext[]) {
        const seen = new Map<string, string>();
        for (const binding of KEYMAP.filter((b) => b.contexts.includes(context) && b.modes.includes(mode))) {
          for (const key of binding.keys) {
            expect(seen.get(key), `${mode}/${context} key ${key}`).toBeUndefined();
            seen.set(key, binding.action);
          }
        }
      }
    }
  });

  it('turns Ink key reports into names', () => {
    expect(keyNameOf('c', noKey)).toBe('c');
    expect(keyNameOf('', { ...noKey, upArrow: true })).toBe('up');
    expect(keyNameOf('', { ...noKey, pageUp: true })).toBe('pageup');
    expect(keyNameOf('\r', { ...noKey, return: true })).toBe('return');
    expect(keyNameOf('', { ...noKey, delete: true })).toBe('backspace');
    expect(keyNameOf('c', { ...noKey, ctrl: true })).toBeNull();
    expect(keyNameOf('z', { ...noKey, ctrl: true })).toBe('ctrl-z');
    expect(keyNameOf('z', { ...noKey, ctrl: true, meta: true })).toBeNull();
    expect(keyNameOf('l', { ...noKey, ctrl: true })).toBe('ctrl-l');
    expect(keyNameOf(' ', noKey)).toBe('space');
    expect(keyNameOf('', { ...noKey, leftArrow: true })).toBe('left');
    expect(keyNameOf('', { ...noKey, rightArrow: true, shift: true })).toBe('shift-right');
  });

  it('splits what arrived in one read into the keys pressed, and leaves a single key or a flagged one whole', () => {
    const names = (input: string, key: Key = noKey) => keystrokesOf(input, key).map((stroke) => keyNameOf(stroke.input, stroke.key));
    expect(names('q\r')).toEqual(['q', 'return']);
    expect(names('Qy')).toEqual(['Q', 'y']);
    expect(names('/e\u007f\t')).toEqual(['/', 'e', 'backspace', 'tab']);
    expect(keystrokesOf('Q', noKey)).toEqual([{ input: 'Q', key: noKey }]);
    expect(keystrokesOf('Qy', noKey)[0]!.key.shift).toBe(true);
    // one character of two UTF-16 units is one key
    expect(keystrokesOf('😀', noKey)).toHaveLength(1);
    // Alt+x and the like come flagged: left to keyNameOf, which ignores them
    expect(names('ab', { ...noKey, meta: true })).toEqual([null]);
    // a paste is not keys: pasted text with a c, a p and a Q in it takes no checkpoint, pause or stop
    expect(keystrokesOf('Compress the paste', noKey)).toEqual([{ input: 'Compress the paste', key: noKey }]);
    expect(names('Qy\r')).toEqual(['Q', 'y', 'return']);
  });

  it('a held navigation or speed key (one read of many copies over a slow link) is that many keys; a run control repeated stays a paste', () => {
    const names = (input: string) => keystrokesOf(input, noKey).map((stroke) => keyNameOf(stroke.input, stroke.key));
    expect(names('jjjjjjjj')).toEqual(Array(8).fill('j'));
    expect(names('kkkkk')).toEqual(Array(5).fill('k'));
    expect(names('++++++')).toEqual(Array(6).fill('+'));
    expect(names('-----')).toEqual(Array(5).fill('-'));
    // run controls (and y, which confirms one) never come from a paste, however repeated
    for (const letter of ['c', 'z', 'r', 'p', 'Q', 'y']) expect(names(letter.repeat(6))).toEqual([null]);
    // mixed characters past the limit are still a paste
    expect(names('jjjjk')).toEqual([null]);
  });

  it('fits the key line to the width, dropping the least needed first', () => {
    const wide = keyLineItems(KEYMAP, { context: 'main', mode: 'live', width: 200, ascii: false });
    expect(wide.map((i) => i.action)).toEqual(['checkpoint', 'compress', 'restore', 'pauseResume', 'filter', 'selectDown', 'agentDetail', 'back', 'togglePane', 'help', 'detach', 'stop']);
    for (const width of [30, 60, 80, 120]) {
      const items = keyLineItems(KEYMAP, { context: 'main', mode: 'live', width, ascii: false });
      expect(keyLineWidth(items)).toBeLessThanOrEqual(width);
      // `?` and `q` are always there: the way to every other key, and out.
      expect(items.map((i) => i.action)).toEqual(expect.arrayContaining(['help', 'detach']));
    }
    // Even where nothing else fits.
    expect(keyLineItems(KEYMAP, { context: 'main', mode: 'live', width: 5, ascii: false }).map((i) => i.action)).toEqual(['help', 'detach']);
    // At 80 columns the dashboard's line keeps `Q stop` too (the console's "compress" text for all agents).
    const at80 = keyLineItems(KEYMAP, { context: 'main', mode: 'live', width: 80, ascii: false, texts: { compress: 'compress' }, hide: ['agentDetail', 'back', 'togglePane'] });
    expect(at80.map((i) => i.action)).toEqual(['checkpoint', 'compress', 'restore', 'pauseResume', 'filter', 'help', 'detach', 'stop']);
    for (const width of [30, 60, 80, 120]) {
      const items = keyLineItems(KEYMAP, { context: 'main', mode: 'replay', width, ascii: true });
      expect(keyLineWidth(items)).toBeLessThanOrEqual(width);
      expect(items.map((i) => i.action)).toEqual(expect.arrayContaining(['replayPlayPause', 'help', 'detach']));
    }
    const replayWide = keyLineItems(KEYMAP, { context: 'main', mode: 'replay', width: 200, ascii: false });
    expect(replayWide.map((i) => `${i.key} ${i.text}`)).toContain('←→ step');
    expect(replayWide.map((i) => i.action)).not.toContain('checkpoint');
    const narrow = keyLineItems(KEYMAP, { context: 'main', mode: 'live', width: 30, ascii: false });
    expect(narrow.map((i) => i.action)).not.toContain('compress');
    const texts = keyLineItems(KEYMAP, { context: 'main', mode: 'live', width: 200, ascii: true, texts: { compress: 'compress agent-2' } });
    expect(texts.find((i) => i.action === 'compress')?.text).toBe('compress agent-2');
    expect(texts.find((i) => i.action === 'selectDown')?.key).toBe('up/dn');
    const hidden = keyLineItems(KEYMAP, { context: 'main', mode: 'live', width: 200, ascii: false, hide: ['checkpoint'] });
    expect(hidden.map((i) => i.action)).not.toContain('checkpoint');
  });

  it('draws the help from the same table, ASCII labels when asked', () => {
    const sections = helpSections(KEYMAP, 'live', true);
    expect(sections.map((s) => s.title)).toEqual(['Console', 'While typing a filter', 'Restore picker', 'Confirm dialog', 'Agent detail', 'This help', 'The header']);
    // The header's "plan N%" (after a restore) is said somewhere a person looks.
    expect(sections.at(-1)!.rows.map((r) => r.keys)).toContain('plan N%');
    const all = sections.flatMap((s) => s.rows);
    for (const binding of KEYMAP.filter((b) => b.modes.includes('live'))) {
      expect(all.some((r) => r.description === binding.description)).toBe(true);
    }
    for (const row of all) expect(row.keys).toMatch(/^[\x20-\x7e]+$/);
  });
});
