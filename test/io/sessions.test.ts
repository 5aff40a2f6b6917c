import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/config/errors.js';
import { takeRunLock } from '../../src/io/runLock.js';
import { isOrchestratorAlive, listRuns, resolveSession } from '../../src/io/sessions.js';
import { deadPid, makeRun } from '../control/runFixtures.js';

let runsDir: string;

beforeEach(() => {
  runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-sessions-'));
});
afterEach(() => rmSync(runsDir, { recursive: true, force: true }));

describe('isOrchestratorAlive', () => {
  it('is true only for a control.json naming a live pid', () => {
    expect(isOrchestratorAlive(makeRun(runsDir, 'live', { control: { pid: process.pid } }))).toBe(true);
    expect(isOrchestratorAlive(makeRun(runsDir, 'dead', { control: { pid: deadPid() } }))).toBe(false);
    expect(isOrchestratorAlive(makeRun(runsDir, 'none'))).toBe(false);
    const garbled = makeRun(runsDir, 'garbled');
    writeFileSync(path.join(garbled, 'control.json'), '{"pid":');
    expect(isOrchestratorAlive(garbled)).toBe(false);
    const negative = makeRun(runsDir, 'negative');
    writeFileSync(path.join(negative, 'control.json'), JSON.stringify({ pid: -1, host: '127.0.0.1', port: 8080 }));
    expect(isOrchestratorAlive(negative)).toBe(false);
  });
});

describe('a control.json left by a killed orchestrator, its pid reused', () => {
  it('is not taken for the orchestrator: the pid must hold the run folder\'s lock, known by its start time', () => {
    // This process stands for the other process that got the pid; the lock names the orchestrator that died.
    const reused = makeRun(runsDir, 'reused', { control: { pid: process.pid } });
    writeFileSync(path.join(reused, 'orchestrator.lock'), JSON.stringify({ pid: deadPid(), start: 1, host: hostname(), role: 'orchestrator' }));
    expect(isOrchestratorAlive(reused)).toBe(false);
    expect(listRuns(runsDir).find((r) => r.id === 'reused')?.running).toBe(false);
    // Its lock held by the pid control.json names: alive. A lock naming the pid but another start: a reused pid again.
    const live = makeRun(runsDir, 'live-locked', { control: { pid: process.pid } });
    const lock = takeRunLock(live, 'run');
    try {
      expect(isOrchestratorAlive(live)).toBe(true);
      const held = JSON.parse(readFileSync(path.join(live, 'orchestrator.lock'), 'utf8')) as { start: number | null };
      if (held.start !== null) {
        writeFileSync(path.join(reused, 'orchestrator.lock'), JSON.stringify({ pid: process.pid, start: held.start + 1, host: hostname(), role: 'orchestrator' }));
        expect(isOrchestratorAlive(reused)).toBe(false);
      }
    } finally {
      lock.release();
    }
  });
});

describe('listRuns', () => {
  it('lists run folders newest first, skipping hidden folders and other things', () => {
    makeRun(runsDir, 'old', { createdAt: '2025-01-01T00:00:00Z', status: 'completed' });
    makeRun(runsDir, 'new', { createdAt: '2025-03-01T00:00:00Z', control: { pid: process.pid } });
    makeRun(runsDir, '.new2.123.creating', { createdAt: '2025-04-01T00:00:00Z' });
    mkdirSync(path.join(runsDir, 'not-a-run'));
    writeFileSync(path.join(runsDir, 'stray.txt'), 'x');
    const runs = listRuns(runsDir);
    expect(runs.map((r) => [r.id, r.status, r.running, r.startedAt])).toEqual([
      ['new', 'running', true, '2025-03-01T00:00:00Z'],
      ['old', 'completed', false, '2025-01-01T00:00:00Z'],
    ]);
    expect(runs[0]!.dir).toBe(path.join(runsDir, 'new'));
  });

  it('has no runs when the folder does not exist', () => {
    expect(listRuns(path.join(runsDir, 'missing'))).toEqual([]);
  });
});

describe('resolveSession', () => {
  it('takes a path to a run folder', () => {
    const dir = makeRun(runsDir, 'a');
    expect(resolveSession(dir, '/nowhere')).toBe(dir);
    expect(resolveSession(path.relative(process.cwd(), dir), '/nowhere')).toBe(dir);
  });

  it('takes a session id under the runs folder', () => {
    const dir = makeRun(runsDir, 'mega-20250101-000000-abcd');
    expect(resolveSession('mega-20250101-000000-abcd', runsDir)).toBe(dir);
  });

  it('picks the newest running session when none is named', () => {
    makeRun(runsDir, 'older-running', { createdAt: '2025-01-01T00:00:00Z', control: { pid: process.pid } });
    const newest = makeRun(runsDir, 'newer-running', { createdAt: '2025-02-01T00:00:00Z', control: { pid: process.pid } });
    makeRun(runsDir, 'newest-crashed', { createdAt: '2025-03-01T00:00:00Z', control: { pid: deadPid() } });
    makeRun(runsDir, 'newest-done', { createdAt: '2025-04-01T00:00:00Z', status: 'completed' });
    expect(resolveSession(undefined, runsDir)).toBe(newest);
  });

  it('says so when nothing runs', () => {
    makeRun(runsDir, 'done', { status: 'completed' });
    expect(() => resolveSession(undefined, runsDir)).toThrow(UsageError);
    expect(() => resolveSession(undefined, 'test_runs_nothing_here')).toThrow('no running session under test_runs_nothing_here; start one with megatest run');
  });

  it('names what it looked for when the session is not there', () => {
    expect(() => resolveSession('ghost', runsDir)).toThrow(`SESSION "ghost": no such session under ${runsDir}`);
    expect(() => resolveSession(path.join(runsDir, 'ghost'), runsDir)).toThrow(/no such run folder/);
    mkdirSync(path.join(runsDir, 'plain'));
    expect(() => resolveSession(path.join(runsDir, 'plain'), runsDir)).toThrow(/not a megatest run folder/);
    expect(() => resolveSession('..', runsDir)).toThrow(UsageError);
    writeFileSync(path.join(runsDir, 'a-file'), 'x');
    expect(() => resolveSession(path.join(runsDir, 'a-file'), runsDir)).toThrow(`SESSION ${path.join(runsDir, 'a-file')}: a file, not a run folder`);
  });
});
