// The README's console keys and the keymap (src/ui/keymap.ts) agree: every
// key of the live dashboard has a row in the README's key table and every
// key the table names works on the live dashboard; the replay paragraph's
// "Keys: …" names every replay key and only keys that work in a replay.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { KEYMAP, type ConsoleMode, type KeyBinding } from '../../src/ui/keymap.js';

const README = readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');

/** How the README writes a named key; any other key is written as itself. */
const WRITTEN: Record<string, string> = {
  '↑': 'up',
  '↓': 'down',
  '←': 'left',
  '→': 'right',
  'Shift+←': 'shift-left',
  'Shift+→': 'shift-right',
  Enter: 'return',
  Esc: 'escape',
  Tab: 'tab',
  PgUp: 'pageup',
  PgDn: 'pagedown',
  End: 'end',
  'Ctrl-Z': 'ctrl-z',
  'Ctrl-L': 'ctrl-l',
  space: 'space',
};
const keyName = (written: string) => WRITTEN[written] ?? written;

const dashboard = (mode: ConsoleMode): KeyBinding[] => KEYMAP.filter((binding) => binding.contexts.includes('main') && binding.modes.includes(mode));

describe('README console keys and src/ui/keymap.ts', () => {
  it('the key table names every live dashboard key, and only those', () => {
    const start = README.indexOf('\n| key | does |\n');
    expect(start).toBeGreaterThan(0);
    const rows = README.slice(start).split('\n\n')[0]!.split('\n').slice(3);
    const named = rows.flatMap((row) => [...row.split(' | ')[0]!.matchAll(/`([^`]+)`/g)].map((match) => keyName(match[1]!)));
    const live = dashboard('live');
    const working = new Set(live.flatMap((binding) => binding.keys));
    expect(named.filter((key) => !working.has(key))).toEqual([]);
    expect(live.filter((binding) => !binding.keys.some((key) => named.includes(key))).map((binding) => binding.action)).toEqual([]);
  });

  it('the replay paragraph names every replay-only key, and only keys a replay takes', () => {
    const match = /`megatest replay DIR` shows[\s\S]*?Keys: ([\s\S]*?); the run controls \(`([^`]+)`\) are\s+live only/.exec(README);
    expect(match, 'the replay paragraph\'s "Keys: …; the run controls (`…`) are live only"').not.toBeNull();
    const named = [...match![1]!.matchAll(/`([^`]+)`/g)].map((key) => keyName(key[1]!));
    const replay = dashboard('replay');
    const working = new Set(replay.flatMap((binding) => binding.keys));
    expect(named.filter((key) => !working.has(key))).toEqual([]);
    const replayOnly = replay.filter((binding) => !binding.modes.includes('live'));
    expect(replayOnly.filter((binding) => !binding.keys.some((key) => named.includes(key))).map((binding) => binding.action)).toEqual([]);
    // The run controls it calls live only are live dashboard keys that a replay does not take.
    const liveOnly = match![2]!.split(' ');
    for (const key of liveOnly) {
      expect(dashboard('live').some((binding) => binding.keys.includes(key)), key).toBe(true);
      expect(working.has(key), key).toBe(false);
    }
  });
});
