// The agents' idle time counts on at the screen's clock, as `megatest status`
// counts it, instead of standing at the last snapshot's figure (up to a
// snapshot interval old); held while the session is paused and once it ended.

import { describe, expect, it } from 'vitest';
import { blankAgent } from '../../../src/state/foldParts.js';
import { applyEvent, setOrchestratorLiveness } from '../../../src/state/applyEvent.js';
import { lastEventMs } from '../../../src/state/runState.js';
import { initialUiState } from '../../../src/state/uiState.js';
import { glyphsFor } from '../../../src/ui/components/themeContext.js';
import { agentTableModel, idleSecondsAt } from '../../../src/ui/viewModels/agentTable.js';
import { formatDuration } from '../../../src/ui/viewModels/format.js';
import { screenModel, type ScreenInput } from '../../../src/ui/viewModels/screen.js';
import { fixtureState } from '../helpers.js';

const T = Date.parse('2026-03-01T12:00:00.000Z');

describe('idleSecondsAt', () => {
  it('none before a snapshot measured one; after it, seconds since the agent last did something', () => {
    const agent = { ...blankAgent('agent-1', T), lastActivityMs: T + 10_000 };
    expect(idleSecondsAt(agent, T + 45_000)).toBeNull();
    const measured = { ...agent, idleSeconds: 5 };
    expect(idleSecondsAt(measured, T + 45_000)).toBe(35);
    expect(idleSecondsAt(measured, T + 9_000)).toBe(0);
    // No clock given: the snapshot's own figure, as before.
    expect(idleSecondsAt(measured, undefined)).toBe(5);
  });

  it("is the agent table's idle cell", () => {
    const agent = { ...blankAgent('agent-1', T), idleSeconds: 5, lastActivityMs: T };
    const table = agentTableModel([agent], { width: 120, rows: 3, selected: null, glyphs: glyphsFor(false), activityNowMs: T + 62_000 });
    const idleColumn = table.columns.findIndex((c) => c.key === 'idle');
    expect(table.rows[0]!.cells[idleColumn]!.text.trim()).toBe('1m02s');
  });
});

describe('the screen clock for idle time', () => {
  const glyphs = glyphsFor(false);
  const input = (run: ScreenInput['run'], wallMs: number): ScreenInput => ({
    run,
    ui: initialUiState('live'),
    wallMs,
    position: null,
    columns: 120,
    rows: 40,
    glyphs,
    runDir: 'test_runs/x',
    minElapsedSeconds: 0,
    agentOutput: null,
    stopping: false,
  });
  const idleCells = (model: ReturnType<typeof screenModel>): string[] => {
    const body = model.frame.body;
    if (body.kind !== 'dashboard') throw new Error(body.kind);
    const table = body.agentTable;
    const at = table.columns.findIndex((c) => c.key === 'idle');
    return table.rows.map((row) => row.cells[at]!.text.trim());
  };

  it('runs on while the session runs, and holds from the moment it was paused', () => {
    const run = setOrchestratorLiveness(fixtureState(250), 'alive');
    const last = lastEventMs(run);
    const measured = run.agents.filter((a) => a.idleSeconds !== null);
    expect(measured.length).toBeGreaterThan(0);
    const later = idleCells(screenModel(input(run, last + 40_000)));
    const expected = (nowMs: number) =>
      [...run.agents]
        .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
        .map((a) => (a.idleSeconds === null ? '–' : formatDuration(Math.max(0, Math.round((nowMs - a.lastActivityMs) / 1000)))));
    expect(later).toEqual(expected(last + 40_000).slice(0, later.length));

    const pausedAt = new Date(last + 1000).toISOString();
    const paused = applyEvent(run, { seq: run.lastSeq + 1, ts: pausedAt, type: 'command', name: 'pause', source: 'key' });
    expect(paused.status).toBe('paused');
    expect(paused.pause?.since).toBe(pausedAt);
    const held = idleCells(screenModel(input(paused, last + 120_000)));
    expect(held).toEqual(expected(Date.parse(pausedAt)).slice(0, held.length));
  });
});

