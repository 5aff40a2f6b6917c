// The console draws a frame only when something on screen changed, and its
// lines never enter Ink's text-measure cache (which keeps every string it
// measured for the life of the process).

import { Text } from 'ink';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyEvent, applyLogLines, setOrchestratorLiveness } from '../../src/state/applyEvent.js';
import { elapsedSecondsAt, lastEventMs } from '../../src/state/runState.js';
import stringWidth from 'string-width';
import { formatDuration } from '../../src/ui/viewModels/format.js';
import { createConsoleStore } from '../../src/state/store.js';
import { initialUiState } from '../../src/state/uiState.js';
import { App } from '../../src/ui/App.js';
import { glyphsFor } from '../../src/ui/components/themeContext.js';
import { CLOCK_TICK_MS } from '../../src/ui/useScreen.js';
import { sameFrame, samePlainData, screenModel, type ScreenInput } from '../../src/ui/viewModels/screen.js';
import { fakeActions, fixtureState, look, plain, renderAt } from './helpers.js';

// A deadline for a stuck test, not an expectation: a loaded machine draws and reads 5-10x slower.
const WAIT = { timeout: 30_000, interval: 10 };
const RUN_DIR = 'test_runs/mega-20251124-090000-a1b2';

afterEach(() => {
  vi.useRealTimers();
});

function liveRun() {
  return setOrchestratorLiveness(fixtureState(250), 'alive');
}

function input(overrides: Partial<ScreenInput> = {}): ScreenInput {
  const run = liveRun();
  return {
    run,
    ui: initialUiState('live'),
    wallMs: lastEventMs(run),
    position: null,
    columns: 120,
    rows: 40,
    glyphs: glyphsFor(false),
    runDir: RUN_DIR,
    minElapsedSeconds: 0,
    agentOutput: null,
    stopping: false,
    ...overrides,
  };
}

describe('sameFrame', () => {
  it('a new state object that reads the same draws the same frame; a new log line does not', () => {
    const base = input();
    const first = screenModel(base).frame;
    expect(sameFrame(first, screenModel({ ...base, run: { ...base.run } }).frame)).toBe(true);
    const withLine = applyLogLines(base.run, ['2025-11-24T09:11:59.000Z INFO  [agent-1] one more line']);
    expect(sameFrame(first, screenModel({ ...base, run: withLine }).frame)).toBe(false);
  });

  it('past an hour the header reads minutes: the clock changes the frame once a minute, not every second', () => {
    const base = input();
    const at = (seconds: number) => screenModel({ ...base, wallMs: base.wallMs + seconds * 1000 }).frame;
    // Under an hour elapsed reads seconds: a second later is another frame.
    expect(sameFrame(at(0), at(1))).toBe(false);
    const hours = 2 * 3600;
    const seconds = (s: number) => at(hours + s);
    const minuteStart = 60 - (Math.floor(screenModel({ ...base, wallMs: base.wallMs + hours * 1000 }).elapsedSeconds) % 60);
    expect(sameFrame(seconds(minuteStart), seconds(minuteStart + 1))).toBe(true);
    expect(sameFrame(seconds(minuteStart), seconds(minuteStart + 60))).toBe(false);
  });

  it('compares plain data deeply and anything else by identity', () => {
    expect(samePlainData({ a: [1, { b: 'x' }], c: null }, { a: [1, { b: 'x' }], c: null })).toBe(true);
    expect(samePlainData({ a: [1, { b: 'x' }] }, { a: [1, { b: 'y' }] })).toBe(false);
    expect(samePlainData({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(samePlainData(new Map([[1, 1]]), new Map([[1, 1]]))).toBe(false);
  });
});

describe('the console draws only when its frame changes', () => {
  it('store updates that change nothing on screen, and clock ticks under a fixed clock, draw no frame', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const run = liveRun();
    const store = createConsoleStore('live', run);
    const now = () => lastEventMs(run);
    const screen = renderAt(<App store={store} actions={fakeActions()} look={look()} runDir={RUN_DIR} columns={120} rows={40} now={now} onExit={() => {}} />, 120, 40);
    await vi.waitFor(() => expect(plain(screen.lastFrame())).toContain('── Log'), WAIT);
    const framesBefore = () => screen.frames();
    const drawn = framesBefore();
    for (let i = 0; i < 20; i++) {
      store.getState().updateRun((r) => ({ ...r }));
      vi.advanceTimersByTime(CLOCK_TICK_MS);
    }
    // A visible change afterwards draws (so the updates before it were seen, and drew nothing).
    store.getState().updateRun((r) => applyLogLines(r, ['2025-11-24T09:11:59.000Z INFO  [agent-1] the line that shows']));
    await vi.waitFor(() => expect(plain(screen.lastFrame())).toContain('the line that shows'), WAIT);
    expect(screen.frames() - drawn).toBe(1);
    screen.unmount();
  });
});

describe("Ink's text-measure cache", () => {
  it('does not grow with the lines the console draws', async () => {
    // Ink keeps what measureText measured in a module-level Map of
    // { width, height } it never clears; count what goes in while a busy log scrolls.
    const set = Map.prototype.set;
    let measured = 0;
    const spy = vi.spyOn(Map.prototype, 'set').mockImplementation(function (this: Map<unknown, unknown>, key: unknown, value: unknown) {
      if (typeof key === 'string' && typeof value === 'object' && value !== null && 'width' in value && 'height' in value) measured += 1;
      return set.call(this, key, value);
    });
    try {
      // The count sees Ink's cache: a plain <Text> of a new string goes into it.
      const probe = renderAt(<Text>a probe line measured once</Text>, 120, 5);
      await vi.waitFor(() => expect(plain(probe.lastFrame())).toContain('a probe line'), WAIT);
      probe.unmount();
      expect(measured).toBeGreaterThan(0);
      const run = liveRun();
      const store = createConsoleStore('live', run);
      const screen = renderAt(<App store={store} actions={fakeActions()} look={look()} runDir={RUN_DIR} columns={120} rows={40} now={() => lastEventMs(run)} onExit={() => {}} />, 120, 40);
      await vi.waitFor(() => expect(plain(screen.lastFrame())).toContain('── Log'), WAIT);
      const before = measured;
      for (let i = 0; i < 50; i++) {
        store.getState().updateRun((r) => applyLogLines(r, [`2025-11-24T09:11:59.000Z INFO  [agent-1] distinct line ${i}`]));
        await vi.waitFor(() => expect(plain(screen.lastFrame())).toContain(`distinct line ${i}`), WAIT);
      }
      expect(measured - before).toBe(0);
      screen.unmount();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('the resume command when the orchestrator is gone', () => {
  const deadRun = () => setOrchestratorLiveness(fixtureState(250), 'dead');
  const rowsText = (rows: readonly (readonly { text: string }[])[]) => rows.map((row) => row.map((span) => span.text).join(''));

  it('is one message row when it fits, and the header says only that the orchestrator is not running', () => {
    const model = screenModel(input({ run: deadRun(), columns: 120 }));
    expect(rowsText(model.frame.message)).toEqual([`orchestrator not running — megatest resume ${RUN_DIR}`]);
    expect(model.frame.header.orchestratorWarning).toBe('orchestrator not running');
    expect(model.layout.footer).toBe(2);
  });

  it('gets a row of its own at 80 columns, whole, and the body gives up the row', () => {
    const runDir = 'megatest_runs/mega-20251124-090000-a1b2';
    const short = screenModel(input({ run: deadRun(), columns: 80, rows: 24, runDir: 'x' }));
    const model = screenModel(input({ run: deadRun(), columns: 80, rows: 24, runDir }));
    expect(rowsText(model.frame.message)).toEqual(['orchestrator not running — carry the run on with:', `megatest resume ${runDir}`]);
    expect(model.layout.footer).toBe(3);
    expect(model.bodyRows).toBe(short.bodyRows - 1);
  });

  it('a path too long for a row is wrapped, never cut', () => {
    const runDir = `/home/someone/${'deep/'.repeat(24)}mega-20251124-090000-a1b2`;
    const rows = rowsText(screenModel(input({ run: deadRun(), columns: 80, rows: 24, runDir })).frame.message);
    expect(rows.length).toBeLessThanOrEqual(3);
    for (const row of rows) expect(row.length).toBeLessThanOrEqual(80);
    expect(rows.join('\n').replace('megatest resume\n', 'megatest resume ').replaceAll('\n', '')).toBe(`megatest resume ${runDir}`);
  });

  it('is drawn whole by the console at 80x24', async () => {
    const runDir = '/home/someone/redis-queue/runs/mega-20251124-090000-a1b2';
    const run = deadRun();
    const store = createConsoleStore('live', run);
    const screen = renderAt(<App store={store} actions={fakeActions()} look={look()} runDir={runDir} columns={80} rows={24} now={() => lastEventMs(run)} onExit={() => {}} />, 80, 24);
    await vi.waitFor(() => expect(plain(screen.lastFrame()).split('\n')).toContain(`megatest resume ${runDir}`), WAIT);
    const lines = plain(screen.lastFrame()).split('\n');
    expect(lines.length).toBeLessThanOrEqual(23);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    screen.unmount();
  });
});

describe('a stopped orchestrator (Ctrl-Z, SIGSTOP)', () => {
  const rowsText = (rows: readonly (readonly { text: string }[])[]) => rows.map((row) => row.map((span) => span.text).join(''));

  it('the header says so, the message line says why keys go unanswered and what continues it, and the run controls leave the key line', () => {
    const alive = screenModel(input({ run: setOrchestratorLiveness(fixtureState(250), 'alive'), columns: 120 }));
    const model = screenModel(input({ run: setOrchestratorLiveness(fixtureState(250), 'stopped'), columns: 120 }));
    expect(model.frame.header.orchestratorWarning).toBe('orchestrator stopped');
    expect(rowsText(model.frame.message)).toEqual(['orchestrator stopped (Ctrl-Z or SIGSTOP): it answers no key until `fg` in its terminal (or kill -CONT) continues it']);
    const keys = (m: typeof model) => m.frame.keys.map((item) => item.action);
    expect(keys(alive)).toEqual(expect.arrayContaining(['checkpoint', 'pauseResume', 'stop']));
    for (const action of ['checkpoint', 'compress', 'restore', 'pauseResume', 'stop']) expect(keys(model)).not.toContain(action);
    expect(alive.frame.header.orchestratorWarning).toBeNull();
    expect(rowsText(alive.frame.message).join('')).toBe('');
  });
});

describe('elapsed in the header', () => {
  // `megatest resume` on a terminal opens the console while the log still
  // ends where the killed orchestrator left it: until the resume's event
  // arrives the clock seems to have run through the gap. The floor that keeps
  // elapsed from going back kept that too (35 s shown for 25 s, ten seconds).
  it('a resume takes the dead gap back out of it, though it was shown', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const run = liveRun();
    const crashedAt = lastEventMs(run);
    const gapMs = 20_000;
    let nowMs = crashedAt + gapMs;
    const store = createConsoleStore('live', run);
    const screen = renderAt(<App store={store} actions={fakeActions()} look={look()} runDir={RUN_DIR} columns={120} rows={40} now={() => nowMs} onExit={() => {}} />, 120, 40);
    const elapsedShown = () => /^(\S+) \/ /m.exec(plain(screen.lastFrame()).split('\n')[1] ?? '')?.[1];
    const before = elapsedSecondsAt(run, crashedAt);
    await vi.waitFor(() => expect(elapsedShown()).toBe(formatDuration(before + gapMs / 1000)), WAIT);
    store.getState().updateRun((r) =>
      applyEvent(r, { seq: r.lastSeq + 1, ts: new Date(nowMs).toISOString(), type: 'command', name: 'resume', source: 'cli', detail: 'newest valid checkpoint' }),
    );
    nowMs += CLOCK_TICK_MS;
    vi.advanceTimersByTime(CLOCK_TICK_MS);
    await vi.waitFor(() => expect(elapsedShown()).toBe(formatDuration(before + CLOCK_TICK_MS / 1000)), WAIT);
    screen.unmount();
  });
});

describe('a short pane (a tmux split)', () => {
  it.each([
    [100, 14],
    [80, 16],
    [50, 12],
  ])('at %ix%i draws no more rows than it has, with an agent and the log in sight (the charts give way)', async (columns, rows) => {
    const run = liveRun();
    const store = createConsoleStore('live', run);
    const screen = renderAt(<App store={store} actions={fakeActions()} look={look()} runDir={RUN_DIR} columns={columns} rows={rows} now={() => lastEventMs(run)} onExit={() => {}} />, columns, rows);
    await vi.waitFor(() => expect(plain(screen.lastFrame())).toContain('── Log'), WAIT);
    const lines = plain(screen.lastFrame()).split('\n');
    expect(lines.length).toBeLessThanOrEqual(rows - 1);
    const agentsTitle = lines.findIndex((line) => line.startsWith('── Agents'));
    expect(agentsTitle).toBeGreaterThan(0);
    // Its column header, then an agent's row.
    expect(lines[agentsTitle + 2]).toMatch(/^\s*agent-\d/);
    const logTitle = lines.findIndex((line) => line.startsWith('── Log'));
    expect(lines[logTitle + 1]?.trim()).not.toBe('');
    screen.unmount();
  });
});

describe('the reading views on a short terminal', () => {
  const output = Array.from({ length: 30 }, (_, i) => `[sim] output line ${i + 1}`);
  const at = (columns: number, rows: number, overlay: ScreenInput['ui']['overlay']) => {
    const base = input({ columns, rows, agentOutput: output });
    return screenModel({ ...base, ui: { ...base.ui, selectedAgent: 'agent-1', overlay } });
  };

  it("an agent's detail, the help and the picker take the charts' place at 80x24, so the detail has room for output", () => {
    const dashboard = at(80, 24, { kind: 'none' });
    expect(dashboard.frame.charts.length).toBeGreaterThan(0);
    const chartBlock = dashboard.layout.charts.chartRows * (dashboard.layout.charts.height + 1);
    for (const overlay of [{ kind: 'agent', name: 'agent-1' }, { kind: 'help', scroll: 0 }, { kind: 'picker', id: '' }] as const) {
      const model = at(80, 24, overlay);
      expect(model.frame.charts, overlay.kind).toEqual([]);
      expect(model.bodyRows, overlay.kind).toBe(dashboard.bodyRows + chartBlock);
    }
    const detail = at(80, 24, { kind: 'agent', name: 'agent-1' }).frame.body;
    if (detail.kind !== 'agent' || detail.detail === null) throw new Error('no agent detail drawn');
    const lines = detail.detail.rows.map((row) => row.map((span) => span.text).join(''));
    const shown = lines.filter((line) => line.startsWith('  [sim] output line'));
    expect(shown.length).toBeGreaterThanOrEqual(3);
    // The newest lines, in order, as the title says.
    expect(shown.at(-1)).toBe('  [sim] output line 30');
    expect(lines).toContain(`Output (last ${shown.length} of its lines)`);
  });

  it('a confirmation keeps the charts in sight, and a taller terminal keeps them under every view', () => {
    const confirm = at(80, 24, { kind: 'confirm', request: { kind: 'stop', prompt: 'Stop the run?' } });
    expect(confirm.frame.charts.length).toBeGreaterThan(0);
    const tall = at(120, 40, { kind: 'agent', name: 'agent-1' });
    expect(tall.layout.charts.chartRows).toBe(2);
    expect(tall.frame.charts.length).toBe(tall.layout.charts.count);
  });

  it('drawn at 80x24: the detail under the phase bar, no chart axis, its output in sight', async () => {
    const run = liveRun();
    const store = createConsoleStore('live', run);
    store.getState().updateUi((ui) => ({ ...ui, selectedAgent: 'agent-1', overlay: { kind: 'agent', name: 'agent-1' } }));
    const { lastFrame } = renderAt(
      <App store={store} actions={fakeActions()} look={look()} runDir={RUN_DIR} columns={80} rows={24} now={() => lastEventMs(run)} onExit={() => {}} readAgentOutput={async () => output} />,
      80,
      24,
    );
    await vi.waitFor(() => expect(plain(lastFrame())).toContain('[sim] output line 30'), WAIT);
    const screenText = plain(lastFrame());
    expect(screenText).toContain('── Agent agent-1');
    expect(screenText).not.toMatch(/tokens\/min/);
  });
});

describe('an agent that prints emoji and CJK', () => {
  it('at 80x24 the frame keeps its 24 rows, each within 80 columns, the header on top, in the dashboard and the detail', async () => {
    // Measured in code points, a row of 漢字 took twice its columns: the terminal wrapped it and scrolled the header off.
    const base = liveRun();
    const ts = base.log[base.log.length - 1]!.ts;
    const run = applyLogLines(
      { ...base, agents: base.agents.map((a) => ({ ...a, task: `🔧 ${a.task ?? 'work'} — 修复 ✨ 👩‍👩‍👧‍👦` })) },
      [`${ts} ERROR [agent-1] 💥 连接失败 timeout ETIMEDOUT 🌐 — café ${'漢字'.repeat(20)}`],
    );
    for (const overlay of [{ kind: 'none' as const }, { kind: 'agent' as const, name: 'agent-1' }]) {
      const store = createConsoleStore('live', run);
      store.getState().updateUi((ui) => ({ ...ui, selectedAgent: 'agent-1', overlay }));
      const screen = renderAt(<App store={store} actions={fakeActions()} look={look()} runDir={RUN_DIR} columns={80} rows={24} now={() => lastEventMs(run)} onExit={() => {}} readAgentOutput={async () => [`🚀 ${'長'.repeat(60)}`]} />, 80, 24);
      await vi.waitFor(() => expect(plain(screen.lastFrame())).toContain('megatest'), WAIT);
      const lines = plain(screen.lastFrame()).split('\n');
      expect(lines[0]).toMatch(/^megatest/);
      expect(lines.length).toBeLessThanOrEqual(24);
      for (const line of lines) expect(stringWidth(line), line).toBeLessThanOrEqual(80);
      screen.unmount();
    }
  });
});

describe('an agent that prints colours, tabs, carriage returns and bells', () => {
  it('no escape sequence or control character of its reaches the terminal, and every row keeps its width', async () => {
    // Drawn as printed, "error\rOVER" sent the cursor back and "OVER" overwrote the row's time ("OVER1:12 agent-1: …"),
    // a tab jumped past the column laid out for it, and an agent's ESC [2J would have cleared the screen.
    const base = liveRun();
    const ts = base.log[base.log.length - 1]!.ts;
    const run = applyLogLines(
      { ...base, agents: base.agents.map((a) => ({ ...a, task: `task\twith\u001b[1mbold\u001b[0m` })) },
      [`${ts} ERROR [agent-1] \u001b[31merror:\u001b[0m compile\tfailed\rOVER`],
    );
    const output = ['\u001b[32mgreen\u001b[0m then\ttab', 'progress 10%\rprogress 100%', 'clear \u001b[2J\u001b[H bell\u0007 back\u0008X', 'title \u001b]0;a title\u0007 end'];
    for (const overlay of [{ kind: 'none' as const }, { kind: 'agent' as const, name: 'agent-1' }]) {
      const store = createConsoleStore('live', run);
      store.getState().updateUi((ui) => ({ ...ui, selectedAgent: 'agent-1', overlay }));
      const screen = renderAt(<App store={store} actions={fakeActions()} look={look()} runDir={RUN_DIR} columns={80} rows={24} now={() => lastEventMs(run)} onExit={() => {}} readAgentOutput={async () => output} />, 80, 24);
      await vi.waitFor(() => expect(plain(screen.lastFrame())).toContain(overlay.kind === 'agent' ? 'progress 10% progress 100%' : 'compile failed OVER'), WAIT);
      const raw = screen.lastFrame();
      // Ink's own colours (ESC [ … m) only: no other escape sequence, no tab, carriage return, bell or backspace.
      // eslint-disable-next-line no-control-regex
      expect(raw.replace(/\u001b\[[0-9;]*m/g, '')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
      const lines = plain(raw).split('\n');
      expect(lines[0]).toMatch(/^megatest/);
      expect(lines.length).toBeLessThanOrEqual(24);
      for (const line of lines) expect(stringWidth(line), line).toBeLessThanOrEqual(80);
      const text = plain(raw);
      expect(text).toMatch(/task withbo/);
      if (overlay.kind === 'agent') {
        expect(text).toContain('green then tab');
        expect(text).toContain('clear  bell^G back^HX');
        expect(text).toContain('title  end');
      } else expect(text).toMatch(/\d\d:\d\d:\d\d ERROR \[agent-1\] error: compile failed OVER/);
      screen.unmount();
    }
  });
});
