import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { App } from '../../src/ui/App.js';
import type { ConsoleOutcome } from '../../src/ui/actions.js';
import { createConsoleStore } from '../../src/state/store.js';
import { applyEvent, setOrchestratorLiveness } from '../../src/state/applyEvent.js';
import { fakeActions, fixtureState, look, plain, renderAt, type FakeActions } from './helpers.js';

// A deadline for a stuck test, not an expectation: a loaded machine draws and reads 5-10x slower.
const WAIT = { timeout: 30_000, interval: 10 };
const NOW = () => Date.parse('2025-11-24T09:12:00Z');
const RUN_DIR = 'test_runs/mega-20251124-090000-a1b2';
const KEYS = { up: '\u001B[A', down: '\u001B[B', enter: '\r', escape: '\u001B', backspace: '\u007F' };

afterEach(() => {
  cleanup();
});

function setup(options: { actions?: FakeActions; seq?: number; columns?: number; rows?: number; ascii?: boolean } = {}) {
  const store = createConsoleStore('live', fixtureState(options.seq ?? 250));
  const actions = options.actions ?? fakeActions();
  const exits: ConsoleOutcome[] = [];
  const tree = (
    <App
      store={store}
      actions={actions}
      look={look('dark', options.ascii ?? false)}
      runDir={RUN_DIR}
      columns={options.columns ?? 80}
      rows={options.rows ?? 24}
      now={NOW}
      onExit={(o) => exits.push(o)}
    />
  );
  const instance = render(tree);
  const frame = () => plain(instance.lastFrame());
  const press = async (key: string, expected: string | RegExp) => {
    instance.stdin.write(key);
    await vi.waitFor(() => expect(frame()).toMatch(expected), WAIT);
  };
  return { store, actions, exits, instance, frame, press };
}

describe('App at 80x24', () => {
  it('shows header, SIMULATED badge, phases, charts, agents, log and key line within 80x23', () => {
    const { frame } = setup();
    const text = frame();
    for (const expected of ['megatest', 'SIMULATED', 'running', 'mega-20251124-090000-a1b2', 'planning', 'implementation', 'testing', 'polish', 'tokens/min', 'test pass rate', 'agent-1', 'agent-3', '── Log', 'c checkpoint', '? help']) {
      expect(text).toContain(expected);
    }
    const lines = text.split('\n');
    expect(lines.length).toBeLessThanOrEqual(23);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
  });

  it('draws only ASCII when asked', () => {
    const { frame } = setup({ ascii: true });
    expect([...frame()].filter((c) => !/[\x20-\x7e\n]/.test(c))).toEqual([]);
  });

  it('c takes a checkpoint through the actions and shows the outcome as a toast', async () => {
    const { actions, press } = setup();
    await press('c', 'checkpoint done');
    expect(actions.calls).toEqual(['checkpoint']);
  });

  it('z compresses the selected agent, or all when none is selected', async () => {
    const { actions, press, frame } = setup();
    await press('z', 'compress done');
    await press(KEYS.down, 'compress agent-1');
    expect(frame()).toContain('selected agent-1');
    await press('z', /compress done/);
    await vi.waitFor(() => expect(actions.calls).toEqual(['compress', 'compress agent-1']), WAIT);
  });

  it('r opens the picker; Enter asks to confirm; y restores', async () => {
    const { actions, press, frame } = setup();
    await press('r', 'Restore a checkpoint');
    expect(frame()).toMatch(/checkpoint_003\s+09:10:43\s+testing\s+forced/);
    await press(KEYS.down, /▶ checkpoint_002/);
    await press(KEYS.enter, /Restore checkpoint_002 \(09:09:59, phase implementation/);
    expect(actions.calls).toEqual([]);
    await press('y', 'restore done');
    expect(actions.calls).toEqual(['restore checkpoint_002']);
  });

  it('the run ends while the picker or a confirm is open: Enter and y are neither offered nor acted on', async () => {
    const { actions, press, frame, store } = setup();
    await press('r', 'Enter restore…');
    await press(KEYS.enter, /Restore checkpoint_003 .*\n[\s\S]*y yes/);
    const end = () =>
      store.getState().updateRun((run) =>
        applyEvent(run, { seq: run.lastSeq + 1, ts: '2025-11-24T09:12:01.000Z', type: 'session_ended', status: 'completed', exit_code: 0, reason: 'all phases completed' }),
      );
    end();
    await vi.waitFor(() => expect(frame()).not.toContain('y yes'), WAIT);
    expect(frame()).toContain('n/Esc no');
    await press('y', 'the run has ended (completed); nothing to restore');
    expect(frame()).not.toContain('Restore checkpoint_003 (');
    await press('r', 'the run has ended (completed); nothing to restore');
    expect(actions.calls).toEqual([]);
  });

  it('the picker left open past the end browses but does not restore', async () => {
    const { actions, press, frame, store } = setup();
    await press('r', 'Enter restore…');
    store.getState().updateRun((run) =>
      applyEvent(run, { seq: run.lastSeq + 1, ts: '2025-11-24T09:12:01.000Z', type: 'session_ended', status: 'completed', exit_code: 0, reason: 'all phases completed' }),
    );
    await vi.waitFor(() => expect(frame()).not.toContain('Enter restore…'), WAIT);
    await press(KEYS.down, /▶ checkpoint_002/);
    await press(KEYS.enter, 'the run has ended (completed); nothing to restore');
    expect(frame()).not.toContain('Restore checkpoint_002 (');
    expect(actions.calls).toEqual([]);
  });

  it('n cancels a confirm without acting', async () => {
    const { actions, press, frame } = setup();
    await press('Q', 'Stop the run?');
    await press('n', 'c checkpoint');
    expect(frame()).not.toContain('Stop the run?');
    expect(actions.calls).toEqual([]);
  });

  it('Q stops the run after confirming and leaves with "stopped" once the run has ended', async () => {
    const { actions, press, exits, store } = setup();
    await press('Q', 'Stop the run?');
    await press('y', 'stop done');
    expect(actions.calls).toEqual(['stop']);
    expect(exits).toEqual([]);
    store.getState().updateRun((run) =>
      applyEvent(run, { seq: run.lastSeq + 1, ts: '2025-11-24T09:12:01.000Z', type: 'session_ended', status: 'interrupted', exit_code: 130, reason: 'stopped from the console' }),
    );
    await vi.waitFor(() => expect(exits).toEqual(['stopped']), WAIT);
  });

  it('an action that fails shows the error, e.g. a dead orchestrator', async () => {
    const actions = fakeActions(() => new Error(`orchestrator not running — megatest resume ${RUN_DIR}`));
    const { press } = setup({ actions });
    await press('p', `orchestrator not running — megatest resume ${RUN_DIR}`);
  });

  it('p pauses a running run and continues a paused one', async () => {
    const { actions, press, store } = setup();
    await press('p', 'pause done');
    store.getState().updateRun((run) => ({ ...run, status: 'paused' }));
    await vi.waitFor(() => expect(isPaused(store)).toBe(true), WAIT);
    await press('p', 'resume done');
    expect(actions.calls).toEqual(['pause', 'resume']);
  });

  it('p asks the orchestrator to toggle when it can, whatever the console last saw', async () => {
    const base = fakeActions();
    const calls: string[] = [];
    const actions = { ...base, togglePause: async () => (calls.push('togglePause'), { ok: true, message: 'continue: done' }) };
    const { press } = setup({ actions: actions as FakeActions });
    await press('p', 'continue: done');
    expect(calls).toEqual(['togglePause']);
    expect(base.calls).toEqual([]);
  });

  it('? shows the help drawn from the keymap; Esc closes it', async () => {
    const { press, frame, instance } = setup({ rows: 40 });
    await press('?', '── Help');
    expect(frame()).toContain('Take a checkpoint now');
    // Taller than 40 rows at 80 columns (descriptions wrap): PgDn pages to the rest.
    let seen = frame();
    for (let page = 0; page < 5 && !seen.includes('Stop the run (asks to confirm)') && /↓ \d+ more/.test(frame()); page += 1) {
      const before = frame();
      instance.stdin.write('\u001B[6~');
      await vi.waitFor(() => expect(frame()).not.toBe(before), WAIT);
      seen += frame();
    }
    expect(seen).toContain('Stop the run (asks to confirm)');
    await press(KEYS.escape, 'c checkpoint');
    expect(frame()).not.toContain('── Help');
  });

  it('/ filters the log as it is typed and highlights; Esc clears', async () => {
    const { press, frame } = setup();
    await press('/', /^\/▌/m);
    await press('c', /\/c▌/);
    await press('r', /\/cr▌/);
    await press('a', /filter "cra" \d+\/\d+/);
    await press(KEYS.backspace, /\/cr▌/);
    await press('ash', /filter "crash"/);
    await press(KEYS.enter, /c checkpoint/);
    const logLines = frame().split('── Log')[1]!.split('\n').slice(1).filter((l) => /^\d\d:/.test(l));
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) expect(line.toLowerCase()).toContain('crash');
    await press('/', /\/crash▌/);
    await press(KEYS.escape, /^(?![\s\S]*filter "crash")/);
  });

  it('keys that arrive in one read (typed quickly over SSH) act one after the other', async () => {
    const { actions, press, frame, instance, exits } = setup();
    // Q opens the confirm, y answers it
    await press('Qy', 'stop done');
    expect(actions.calls).toEqual(['stop']);
    // / opens the filter, the rest is its text, Enter applies it
    await press('/cr', /\/cr▌/);
    await press('ash\r', /filter "crash"/);
    expect(frame()).toContain('c checkpoint');
    const logLines = frame().split('── Log')[1]!.split('\n').slice(1).filter((l) => /^\d\d:/.test(l));
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) expect(line.toLowerCase()).toContain('crash');
    // after a stop was asked, q leaves as stopped
    instance.stdin.write('q\r');
    await vi.waitFor(() => expect(exits).toEqual(['stopped']), WAIT);
  });

  it('a paste is not keys: pasted text with c, p and Q in it takes no action', async () => {
    const { actions, instance, frame } = setup({ rows: 40 });
    instance.stdin.write('Please compress and Quit');
    // a key after it: once it shows, the paste has been handled
    instance.stdin.write('?');
    await vi.waitFor(() => expect(frame()).toContain('── Help'), WAIT);
    expect(frame()).not.toContain('Stop the run?');
    expect(actions.calls).toEqual([]);
  });

  it('q then Enter in one read (a shell habit) detaches', async () => {
    const { instance, exits } = setup();
    instance.stdin.write('q\r');
    await vi.waitFor(() => expect(exits).toEqual(['detached']), WAIT);
  });

  it('q detaches (the run goes on)', async () => {
    const { instance, exits } = setup();
    instance.stdin.write('q');
    await vi.waitFor(() => expect(exits).toEqual(['detached']), WAIT);
  });

  it('says when the orchestrator died, with the resume command', async () => {
    const { store, frame } = setup();
    store.getState().updateRun((run) => setOrchestratorLiveness(run, 'dead'));
    await vi.waitFor(() => expect(frame()).toContain(`orchestrator not running — megatest resume ${RUN_DIR}`), WAIT);
  });

  it('with the orchestrator gone (kill -9), Q and r open no dialog whose confirm key would be refused: a toast says why, as c does', async () => {
    const { store, frame, instance, actions } = setup();
    store.getState().updateRun((run) => setOrchestratorLiveness(run, 'dead'));
    await vi.waitFor(() => expect(frame()).toContain('orchestrator not running'), WAIT);
    expect(frame()).not.toContain('Q stop');
    instance.stdin.write('Q');
    await vi.waitFor(() => expect(frame()).toContain('nothing to stop: orchestrator not running'), WAIT);
    expect(store.getState().ui.overlay.kind).toBe('none');
    instance.stdin.write('r');
    await vi.waitFor(() => expect(frame()).toContain('nothing to restore: orchestrator not running'), WAIT);
    expect(store.getState().ui.overlay.kind).toBe('none');
    expect(actions.calls).toEqual([]);
  });

  it('with the orchestrator gone, the agent grid says its statuses are as last recorded', async () => {
    const { store, frame } = setup();
    expect(frame()).not.toContain('as last recorded');
    store.getState().updateRun((run) => setOrchestratorLiveness(run, 'dead'));
    await vi.waitFor(() => expect(frame()).toMatch(/Agents \d+ as last recorded \d\d:\d\d:\d\d/), WAIT);
  });

  it('with the orchestrator stopped (Ctrl-Z), Q opens no dialog and the toast says what continues it', async () => {
    const { store, frame, instance } = setup();
    store.getState().updateRun((run) => setOrchestratorLiveness(run, 'stopped'));
    await vi.waitFor(() => expect(frame()).toContain('orchestrator stopped'), WAIT);
    instance.stdin.write('Q');
    await vi.waitFor(() => expect(frame()).toContain('nothing to stop: orchestrator stopped'), WAIT);
    expect(store.getState().ui.overlay.kind).toBe('none');
  });

  it('after the end, q leaves with "ended" and run controls are gone', async () => {
    const { frame, instance, exits, actions } = setup({ seq: Infinity });
    expect(frame()).toContain('session completed');
    expect(frame()).not.toContain('c checkpoint');
    instance.stdin.write('c');
    await vi.waitFor(() => expect(frame()).toContain('the run has ended'), WAIT);
    expect(actions.calls).toEqual([]);
    instance.stdin.write('q');
    await vi.waitFor(() => expect(exits).toEqual(['ended']), WAIT);
  });
});

function isPaused(store: ReturnType<typeof createConsoleStore>): boolean {
  return store.getState().run.status === 'paused';
}

describe('App at 120x40', () => {
  it('uses the room: five charts, every agent, alerts beside the log', () => {
    const store = createConsoleStore('live', fixtureState(250));
    const { lastFrame, unmount } = renderAt(
      <App store={store} actions={fakeActions()} look={look()} runDir={RUN_DIR} columns={120} rows={40} now={NOW} onExit={() => {}} />,
      120,
      40,
    );
    const text = plain(lastFrame());
    for (const expected of ['SIMULATED', 'tokens/min', 'test pass rate', 'lines of code', 'coverage', 'errors', 'agent-1', 'agent-2', 'agent-3', 'agent-4', '── Alerts', 'restored checkpoint_003', 'Q stop']) {
      expect(text).toContain(expected);
    }
    const lines = text.split('\n');
    expect(lines.length).toBeLessThanOrEqual(39);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(120);
    unmount();
  });

  it('resizes live: a smaller size re-lays the screen', async () => {
    const store = createConsoleStore('live', fixtureState(250));
    const props = { store, actions: fakeActions(), look: look(), runDir: RUN_DIR, now: NOW, onExit: () => {} };
    const view = renderAt(<App {...props} columns={120} rows={40} />, 120, 40);
    expect(plain(view.lastFrame())).toContain('lines of code');
    view.rerender(<App {...props} columns={80} rows={24} />);
    await vi.waitFor(() => expect(plain(view.lastFrame())).not.toContain('lines of code'), WAIT);
    expect(plain(view.lastFrame()).split('\n').length).toBeLessThanOrEqual(23);
    view.unmount();
  });
});
