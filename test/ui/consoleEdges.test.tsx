// The console's rough edges, as a person meets them at 80x24: the help
// scrolls and the key line keeps `?` and `q`; Esc steps back (overlay,
// filter, selection); Enter opens an agent's detail; Tab reaches the alerts;
// long log lines wrap; agents are in name order; a timed-out run's phase bar
// shows where it stopped; "1 alert", not "1 alerts".

import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import type { MegatestEvent } from '../../src/contract/events.js';
import { App } from '../../src/ui/App.js';
import { KEYMAP } from '../../src/ui/keymap.js';
import { createConsoleStore } from '../../src/state/store.js';
import { applyEvent, applyLogLines, type ConsoleState } from '../../src/state/applyEvent.js';
import { fakeActions, fixtureEvents, fixtureState, look, plain } from './helpers.js';

// A deadline for a stuck test, not an expectation: a loaded machine draws and reads 5-10x slower.
const WAIT = { timeout: 30_000, interval: 10 };
const NOW = () => Date.parse('2025-11-24T09:12:00Z');
const RUN_DIR = 'test_runs/mega-20251124-090000-a1b2';
const KEYS = { up: '\u001B[A', down: '\u001B[B', enter: '\r', escape: '\u001B', tab: '\t', pageDown: '\u001B[6~', pageUp: '\u001B[5~' };

afterEach(() => {
  cleanup();
});

function setup(options: { state?: ConsoleState; columns?: number; rows?: number; readAgentOutput?: (agent: string) => Promise<string[]> } = {}) {
  const store = createConsoleStore('live', options.state ?? fixtureState(250));
  const instance = render(
    <App
      store={store}
      actions={fakeActions()}
      look={look('mono')}
      runDir={RUN_DIR}
      columns={options.columns ?? 80}
      rows={options.rows ?? 24}
      now={NOW}
      onExit={() => undefined}
      readAgentOutput={options.readAgentOutput}
    />,
  );
  const frame = () => plain(instance.lastFrame());
  const press = async (key: string, expected: string | RegExp | ((text: string) => boolean)) => {
    instance.stdin.write(key);
    await vi.waitFor(() => {
      if (typeof expected === 'function') expect(expected(frame())).toBe(true);
      else expect(frame()).toMatch(expected);
    }, WAIT);
  };
  const keyLine = () => frame().split('\n').at(-1)!;
  return { store, frame, press, keyLine };
}

describe('the console at 80x24', () => {
  it('the key line keeps ? and q, and Q stop', () => {
    const { keyLine } = setup();
    expect(keyLine()).toMatch(/\? help/);
    expect(keyLine()).toMatch(/q detach/);
    expect(keyLine()).toMatch(/Q stop/);
    expect([...keyLine()].length).toBeLessThanOrEqual(80);
  });

  it('? help scrolls with ↓ and PgDn to every key (q, Q and the dialogs’ too), and back with ↑ and PgUp', async () => {
    const { frame, press, keyLine } = setup();
    await press('?', /── Help/);
    expect(frame()).toMatch(/↓ \d+ more/);
    expect(keyLine()).toMatch(/\?\/Esc close help/);
    let seen = frame();
    while (/↓ \d+ more/.test(frame())) {
      const before = frame();
      await press(KEYS.pageDown, (text) => text !== before);
      seen += frame();
    }
    for (const binding of KEYMAP.filter((b) => b.modes.includes('live'))) expect(seen).toContain(binding.description.slice(0, 30));
    expect(frame()).toMatch(/↑ \d+ more/);
    const bottom = frame();
    await press(KEYS.up, (text) => text !== bottom);
    while (/↑ \d+ more/.test(frame())) {
      const before = frame();
      await press(KEYS.pageUp, (text) => text !== before);
    }
    expect(frame()).toMatch(/── Help[^\n]*\nConsole/);
    await press(KEYS.escape, /── Agents/);
  });

  it('Esc clears an applied filter, then deselects the agent', async () => {
    const { store, press } = setup();
    await press(KEYS.down, /selected agent-1/);
    await press('/', () => store.getState().ui.overlay.kind === 'filter');
    await press('agent', /filter "agent"/);
    await press(KEYS.enter, () => store.getState().ui.overlay.kind === 'none');
    expect(store.getState().ui.overlay.kind).toBe('none');
    await press(KEYS.escape, (text) => !text.includes('filter "agent"'));
    expect(store.getState().ui).toMatchObject({ filter: '', selectedAgent: 'agent-1' });
    await press(KEYS.escape, /none selected/);
    expect(store.getState().ui.selectedAgent).toBeNull();
  });

  it('a filter that matches nothing says so in the log pane, and Esc clears it', async () => {
    const { store, frame, press } = setup();
    const total = store.getState().run.log.length;
    await press('/', () => store.getState().ui.overlay.kind === 'filter');
    await press('zzz', new RegExp(`filter "zzz" 0/${total}`));
    await press(KEYS.enter, /c checkpoint/);
    const pane = frame().split('── Log')[1]!.split('\n').slice(1);
    expect(pane[0]).toBe('no line matches the filter (Esc clears it)');
    await press(KEYS.escape, (text) => !text.includes('no line matches'));
    expect(store.getState().ui.filter).toBe('');
  });

  it('Enter on the selected agent opens its detail: role, model, status, task, capabilities, tokens and tool calls over time, its output, its errors; Esc goes back', async () => {
    const output = ['[sim] simulated agent agent-3 (role tester, seed 7)', '{"type":"tokens","input":10,"output":2,"model":"m"}', '[sim] unit tests: wrote src/queue.js and its tests'];
    const asked: string[] = [];
    const { press, frame } = setup({
      columns: 100,
      rows: 40,
      readAgentOutput: async (agent) => {
        asked.push(agent);
        return output;
      },
    });
    await press(KEYS.enter, /select an agent first/);
    for (let i = 0; i < 3; i++) await press(KEYS.down, new RegExp(`selected agent-${i + 1}`));
    await press(KEYS.enter, /── Agent agent-3/);
    const agent = fixtureState(250).agents.find((a) => a.name === 'agent-3')!;
    const text = frame();
    for (const expected of ['role', agent.role, 'model', 'status', agent.status, 'task', 'can do', 'tokens', 'tool calls', 'Errors', 'agent_crash', 'Output']) expect(text).toContain(expected);
    // Tokens and tool calls over time: a sparkline of the snapshots.
    expect(text).toMatch(/tokens\s+\S+\s+[▁▂▃▄▅▆▇█]{3,}/);
    await vi.waitFor(() => expect(frame()).toContain('[sim] unit tests: wrote src/queue.js and its tests'), WAIT);
    // Its own lines, not the protocol messages (those are the figures above).
    expect(frame()).not.toContain('"type":"tokens"');
    expect(asked).toContain('agent-3');
    await press(KEYS.escape, /── Agents/);
  });

  it('Tab shows the alerts in the log’s place, and the log again', async () => {
    const { press, frame } = setup();
    expect(frame()).toMatch(/── Log .*\d+ alerts: Tab shows/);
    await press(KEYS.tab, /── Alerts/);
    expect(frame()).toContain('restored checkpoint_');
    expect(frame()).not.toContain('── Log');
    await press(KEYS.tab, /── Log/);
  });

  it('with the alerts in the log’s place, PgDn and PgUp page the alerts (not the hidden log), End goes back to the newest; a long alert wraps whole', async () => {
    const state = fixtureState(250);
    const last = state.alerts.at(-1)!;
    const paused = { ...last, seq: last.seq + 1, tone: 'critical' as const, text: 'consensus_deadlock on agent-2: consensus deadlock: no quorum after voting timeout — paused; continue with `megatest continue` or the console\'s p key' };
    const alerts = [...state.alerts, paused];
    const { store, frame, press } = setup({ state: { ...state, alerts } });
    await press(KEYS.tab, /── Alerts/);
    const pane = () => frame().split('── Alerts')[1]!;
    // The newest alert, read whole over the rows it needs: its instructions are on screen.
    expect(pane().replace(/\s+/g, ' ')).toContain(paused.text);
    expect(pane()).toMatch(new RegExp(`── ${alerts.length} · PgUp/PgDn scroll · Tab shows the log`));
    await press(KEYS.pageDown, new RegExp(`── \\d+–\\d+ of ${alerts.length} · PgUp/PgDn scroll`));
    expect(pane()).not.toContain('megatest continue');
    expect(store.getState().ui.logAnchorId).toBeNull();
    // To the oldest alert, a page at a time.
    const oldest = alerts[0]!.text.slice(0, 40);
    for (let i = 0; i < alerts.length && !pane().includes(oldest); i += 1) {
      const before = frame();
      await press(KEYS.pageDown, (text) => text !== before);
    }
    expect(pane()).toContain(oldest);
    await press(KEYS.pageUp, (text) => !text.includes(oldest));
    await press('f', /megatest continue/);
    expect(pane()).toMatch(new RegExp(`── ${alerts.length} · `));
    expect(store.getState().ui.logAnchorId).toBeNull();
    // Back on the log, PgUp scrolls it.
    await press(KEYS.tab, /── Log/);
    await press(KEYS.pageUp, /── Log ─+ \d+–\d+ of \d+/);
  });

  it('long log lines wrap: every word of the newest line is on screen', () => {
    const long = `2025-11-24T09:11:59.000Z INFO  [orchestrator] ${Array.from({ length: 12 }, (_, i) => `word${i}`).join(' ')} and the end of the line`;
    const { frame } = setup({ state: applyLogLines(fixtureState(250), [long]) });
    const log = frame().split('── Log')[1]!;
    for (let i = 0; i < 12; i++) expect(log).toContain(`word${i}`);
    expect(log).toContain('end of the line');
  });

  it('lists the agents in name order and selects in that order', async () => {
    const state = fixtureState(250);
    const { frame, press } = setup({ state: { ...state, agents: [...state.agents].reverse() } });
    const grid = frame().split('── Agents')[1]!.split('── Log')[0]!;
    expect(grid.indexOf('agent-1')).toBeLessThan(grid.indexOf('agent-2'));
    await press(KEYS.down, /selected agent-1/);
  });

  it('a timed-out run’s phase bar shows where it stopped', () => {
    const last = fixtureEvents().find((e) => e.seq === 250)!;
    const ended: MegatestEvent = { seq: 251, ts: last.ts, type: 'session_ended', status: 'timeout', exit_code: 124, reason: 'duration limit reached in phase 3 of 4' };
    const { frame } = setup({ state: applyEvent(fixtureState(250), ended) });
    const [labels, bar] = frame().split('\n').slice(2, 4);
    expect(labels).toMatch(/■ testing/);
    expect(bar).toContain('■');
    // Nothing after the stop is drawn as done.
    expect(bar!.slice(bar!.indexOf('■') + 1)).not.toContain('█');
  });

  it('says "1 alert", not "1 alerts"', () => {
    const state = fixtureState(250);
    const { frame } = setup({ state: { ...state, alerts: state.alerts.slice(-1) } });
    expect(frame()).toContain('1 alert: Tab shows');
    expect(frame()).not.toContain('1 alerts');
  });
});
