// A terminal smaller than the dashboard can be laid out in (a tmux split, a
// phone's SSH window). The frame was drawn at least 20x10 whatever the
// terminal: taller than the terminal, it scrolled the header (and SIMULATED)
// off the top and drew the panes' titles into each other. Now such a terminal
// gets the header's first row, what size is needed and the key line, never
// more rows than it has, and the keys work as ever.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { App } from '../../src/ui/App.js';
import type { ConsoleOutcome } from '../../src/ui/actions.js';
import { createConsoleStore } from '../../src/state/store.js';
import { MIN_CONSOLE_COLUMNS, MIN_CONSOLE_ROWS } from '../../src/ui/viewModels/tooSmall.js';
import { fakeActions, fixtureState, look, plain } from './helpers.js';

// A deadline for a stuck test, not an expectation: a loaded machine draws 5-10x slower.
const WAIT = { timeout: 30_000, interval: 10 };
const NOW = () => Date.parse('2025-11-24T09:12:00Z');

afterEach(() => {
  cleanup();
});

function setup(columns: number, rows: number, ascii = false) {
  const outcomes: ConsoleOutcome[] = [];
  const instance = render(
    <App
      store={createConsoleStore('live', fixtureState(250))}
      actions={fakeActions()}
      look={look('mono', ascii)}
      runDir="test_runs/mega-20251124-090000-a1b2"
      columns={columns}
      rows={rows}
      now={NOW}
      onExit={(outcome) => outcomes.push(outcome)}
    />,
  );
  const lines = () => plain(instance.lastFrame()).split('\n');
  return { instance, lines, outcomes };
}

describe('a terminal too small for the dashboard', () => {
  // [columns, rows]: too short, too narrow, both, and a sliver.
  const sizes: [number, number][] = [
    [80, 8],
    [30, 10],
    [20, 6],
    [39, 24],
    [80, 11],
    [25, 3],
  ];
  for (const [columns, rows] of sizes) {
    it(`${columns}x${rows}: never more rows than the terminal has, none wider, the header's first row on top`, () => {
      const { lines } = setup(columns, rows);
      const drawn = lines();
      // One less than the terminal, as the dashboard, so nothing scrolls.
      expect(drawn.length).toBeLessThanOrEqual(rows - 1);
      for (const line of drawn) expect(stringWidth(line), line).toBeLessThanOrEqual(columns);
      expect(drawn[0]).toMatch(/^megatest +SIMULATED/);
      if (rows - 1 >= 3) {
        expect(drawn.slice(1).join(' ')).toContain(`${columns}x${rows}`);
        expect(drawn.at(-1)).toMatch(/q detach/);
      }
    });
  }

  it('says what size it needs, in full where the rows allow: the columns, the rows, or both', () => {
    const said = (columns: number, rows: number) => setup(columns, rows).lines().slice(1, -1).join(' ').replace(/ +/g, ' ');
    const both = said(30, 10);
    expect(both).toContain(`30x10 is too small for the console: it needs ${MIN_CONSOLE_COLUMNS}x${MIN_CONSOLE_ROWS} or more.`);
    expect(both).toContain('The run goes on.');
    // Wide enough, too short: only the rows are named.
    expect(said(120, 9)).toContain(`120x9 is too small for the console: it needs ${MIN_CONSOLE_ROWS} rows or more.`);
    // Tall enough, too narrow: only the columns.
    expect(said(30, 40)).toContain(`30x40 is too small for the console: it needs ${MIN_CONSOLE_COLUMNS} columns or more.`);
  });

  it('ASCII only where asked', () => {
    const { lines } = setup(30, 10, true);
    for (const line of lines()) expect(line).toMatch(/^[\x20-\x7e]*$/);
  });

  it('the keys still work: q leaves the console', async () => {
    const { instance, outcomes } = setup(30, 10);
    instance.stdin.write('q');
    await vi.waitFor(() => expect(outcomes).toEqual(['detached']), WAIT);
  });

  it('at the smallest size it names, the dashboard itself, within the terminal', () => {
    const { lines } = setup(MIN_CONSOLE_COLUMNS, MIN_CONSOLE_ROWS);
    const drawn = lines();
    expect(drawn.join('\n')).not.toContain('too small');
    expect(drawn.length).toBeLessThanOrEqual(MIN_CONSOLE_ROWS - 1);
    expect(drawn.join('\n')).toMatch(/Agents/);
    expect(drawn.join('\n')).toMatch(/Log/);
  });
});
