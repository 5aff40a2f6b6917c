// The checkpoint keeper choosing and restoring a checkpoint.
//
// When none can be restored: a blob whose content is corrupt but whose size
// and frame are right passes read()'s quick look, and only the restore's
// read-back refuses it. A running session then starts its agents again as
// they were; a resume, whose agents are not started yet, must leave them to
// its caller (startUp), which starts them once. Starting them here too left
// a second process per agent at work in project/, its output ignored (found
// with a sim run whose checkpoint blobs were damaged this way, then
// `megatest resume`).
//
// Who checks the blobs: with agents running, a quick look at each before
// they are stopped; a resume leaves it to the restore, which reads every
// blob back anyway, and falls back from a checkpoint that lacks one.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ControlError } from '../../src/contract/control.js';
import type { EventInput } from '../../src/contract/events.js';
import { BlobStore } from '../../src/checkpoint/blobStore.js';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import type { AgentPool } from '../../src/engine/agentPool.js';
import { CheckpointKeeper } from '../../src/engine/checkpointKeeper.js';
import type { EngineContext } from '../../src/engine/context.js';
import type { Measurer } from '../../src/engine/measurer.js';
import { SerialQueue } from '../../src/engine/serialQueue.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'megatest-keeper-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const FILE_TEXT = 'export const answer = 42;\n'.repeat(80);

/** A checkpoint of project/ as the keeper takes one; the sha256 of answer.js's blob. */
async function takeCheckpoint(store: CheckpointStore, project: string, seq: number): Promise<string> {
  const { snapshot } = await store.checkpoint(project, (taken) => ({
    timestamp: new Date(0).toISOString(),
    session_id: 'keeper',
    phase: 'development',
    phase_index: 1,
    trigger: 'phase',
    last_event_seq: seq,
    elapsed_seconds: 60,
    agent_states: [],
    working_memory: {},
    file_system_state: { root: 'project', excluded: taken.excluded, entries: taken.entries },
    test_results: null,
    metrics: null,
    git_commit: null,
  }));
  return snapshot.entries.find((entry) => entry.path === 'answer.js')!.sha256!;
}

function newRun(name: string) {
  const root = path.join(scratch, name);
  const project = path.join(root, 'project');
  mkdirSync(project, { recursive: true });
  writeFileSync(path.join(project, 'answer.js'), FILE_TEXT);
  return { store: new CheckpointStore(path.join(root, 'checkpoints')), project };
}

/** A run folder with one checkpoint of project/, whose one file's blob is then damaged in place (same size, one byte near its end). */
async function runWithDamagedCheckpoint(name: string) {
  const { store, project } = newRun(name);
  const sha256 = await takeCheckpoint(store, project, 1);
  const blob = readFileSync(store.blobPath(sha256));
  blob[blob.length - 2]! ^= 0x55;
  writeFileSync(store.blobPath(sha256), blob);
  // The agents' work since the checkpoint, which a refused restore must leave alone.
  writeFileSync(path.join(project, 'answer.js'), `${FILE_TEXT}// since\n`);
  return { store, project };
}

function keeperOver(store: CheckpointStore, project: string, measurer: Partial<Measurer> = {}) {
  const events: EventInput[] = [];
  const logged: string[] = [];
  const ctx = {
    store,
    queue: new SerialQueue(),
    paths: { project },
    status: 'running',
    restoreGeneration: 0,
    info: { session_id: 'keeper' },
    currentPhase: { name: 'development' },
    phaseIndex: 1,
    completedTasks: () => [],
    events: { flush: () => undefined, lastSeq: 7 },
    state: { counters: { toolCalls: 0, totalTokens: 0 }, phaseEnded: false, phases: [], checkpoints: [], measured: { linesOfCode: 0, testPassRate: 1, lastBuildOk: true } },
    scheduleMs: () => 60_000,
    setStatus: (status: string) => void (ctx.status = status as EngineContext['status']),
    emit: (event: EventInput) => events.push(event),
    log: { info: (_from: string, line: string) => void logged.push(line), warn: () => undefined, error: () => undefined },
  } as unknown as EngineContext;
  const slots = [{ name: 'agent-1' }, { name: 'agent-2' }];
  const pool = {
    slots,
    resumeState: (slot: { name: string }) => ({ name: slot.name, as: 'they were' }),
    stopAll: vi.fn(async () => undefined),
    startAll: vi.fn(async () => undefined),
    startAllOrReport: vi.fn(async () => undefined),
    assignAll: vi.fn(),
    control: vi.fn(),
    find: (name: string) => slots.find((slot) => slot.name === name),
    modelOf: () => 'model-a',
  };
  const keeper = new CheckpointKeeper(ctx, pool as unknown as AgentPool, { onRestored: () => undefined, ...measurer } as unknown as Measurer);
  return { keeper, pool, events, logged };
}

describe('CheckpointKeeper: no checkpoint can be restored', () => {
  let store: CheckpointStore;
  let project: string;
  let caseNumber = 0;
  beforeEach(async () => {
    caseNumber += 1;
    ({ store, project } = await runWithDamagedCheckpoint(`run-${caseNumber}`));
    // The damage is past what read() looks at: only the read-back finds it.
    await expect(store.read('checkpoint_001')).resolves.toMatchObject({ id: 'checkpoint_001' });
  });

  it('a resume starts no agent: its caller starts them once', async () => {
    const { keeper, pool, events } = keeperOver(store, project);
    const announce = vi.fn();
    expect(await keeper.resumeFrom(undefined, announce)).toBe(false);
    expect(pool.startAll).not.toHaveBeenCalled();
    expect(announce).toHaveBeenCalledTimes(1);
    const alerts = events.filter((event) => event.type === 'alert').map((event) => (event as { message: string }).message);
    expect(alerts[0]).toMatch(/^checkpoint checkpoint_001 is invalid \(1 blob fails its sha256 check: .*\(for "answer\.js"\).*falling back to the one before$/);
    expect(alerts[1]).toBe('resume found no valid checkpoint among 1; the current phase starts again on the current project/');
    // The alert names the checkpoint, so the views mark it damaged.
    expect(events.find((event) => event.type === 'alert')).toMatchObject({ checkpoint: 'checkpoint_001' });
    expect(readFileSync(path.join(project, 'answer.js'), 'utf8')).toBe(`${FILE_TEXT}// since\n`);
  });

  it('a named resume is refused and starts no agent either; the event log says why', async () => {
    const { keeper, pool, events } = keeperOver(store, project);
    await expect(keeper.resumeFrom('checkpoint_001', () => undefined)).rejects.toThrow(/restore refused: .*fails its sha256 check/);
    expect(pool.startAll).not.toHaveBeenCalled();
    const alerts = events.filter((event) => event.type === 'alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ level: 'warning', checkpoint: 'checkpoint_001' });
    expect((alerts[0] as { message: string }).message).toMatch(/^restore of checkpoint_001 refused: 1 blob fails its sha256 check: .*; project\/ and the session are as they were$/);
  });

  it('a named restore of a checkpoint whose file fails its checksum is refused before the agents stop, and the event log says why', async () => {
    const file = path.join(path.dirname(project), 'checkpoints', 'checkpoint_001.json');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('"development"', '"refinement"'));
    const { keeper, pool, events } = keeperOver(store, project);
    await expect(keeper.restore('checkpoint_001', 'restore asked by api', false)).rejects.toThrow(/restore refused: .*checksum/);
    expect(pool.stopAll).not.toHaveBeenCalled();
    const alerts = events.filter((event) => event.type === 'alert').map((event) => (event as { message: string }).message);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/^restore of checkpoint_001 refused: .*checksum.*; project\/ and the session are as they were$/);
    expect(readFileSync(path.join(project, 'answer.js'), 'utf8')).toBe(`${FILE_TEXT}// since\n`);
  });

  it('a running session gets its agents back as they were', async () => {
    const { keeper, pool } = keeperOver(store, project);
    const refused = keeper.restore(undefined, 'recovery from agent_crash on agent-2', true);
    await expect(refused).rejects.toBeInstanceOf(ControlError);
    await expect(refused).rejects.toThrow('no valid checkpoint to restore');
    expect(pool.stopAll).toHaveBeenCalledTimes(1);
    // Mid-session: an agent that cannot start is its crash, for recovery (continueStartFails.test.ts), not the restore's failure.
    expect(pool.startAll).not.toHaveBeenCalled();
    expect(pool.startAllOrReport).toHaveBeenCalledTimes(1);
    expect(pool.startAllOrReport).toHaveBeenCalledWith([
      { name: 'agent-1', as: 'they were' },
      { name: 'agent-2', as: 'they were' },
    ]);
    expect(readFileSync(path.join(project, 'answer.js'), 'utf8')).toBe(`${FILE_TEXT}// since\n`);
  });
});

describe('CheckpointKeeper: who checks the blobs of the checkpoint to restore', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a resume leaves them to the restore, which reads each back: no quick look first', async () => {
    const { store, project } = newRun('resume-intact');
    await takeCheckpoint(store, project, 1);
    writeFileSync(path.join(project, 'answer.js'), 'lost work\n');
    const quickLook = vi.spyOn(BlobStore.prototype, 'blobProblem');
    const { keeper, pool, events } = keeperOver(store, project);
    expect(await keeper.resumeFrom(undefined, () => undefined)).toBe(true);
    expect(quickLook).not.toHaveBeenCalled();
    expect(readFileSync(path.join(project, 'answer.js'), 'utf8')).toBe(FILE_TEXT);
    expect(events.find((event) => event.type === 'checkpoint_restored')).toMatchObject({ id: 'checkpoint_001', reason: 'megatest resume' });
    // A resume's agent that cannot start fails the session's start: startAll throws to its caller.
    expect(pool.startAll).toHaveBeenCalledTimes(1);
    expect(pool.startAllOrReport).not.toHaveBeenCalled();
  });

  it('a restore with agents running starts them again from the checkpoint, an agent that cannot start being its crash', async () => {
    const { store, project } = newRun('running-intact');
    await takeCheckpoint(store, project, 1);
    writeFileSync(path.join(project, 'answer.js'), 'lost work\n');
    const { keeper, pool, events } = keeperOver(store, project);
    await keeper.restore(undefined, 'recovery from agent_crash on agent-2', true);
    expect(readFileSync(path.join(project, 'answer.js'), 'utf8')).toBe(FILE_TEXT);
    expect(pool.startAll).not.toHaveBeenCalled();
    expect(pool.startAllOrReport).toHaveBeenCalledTimes(1);
    expect(events.filter((event) => event.type === 'checkpoint_restored')).toEqual([expect.objectContaining({ id: 'checkpoint_001' })]);
  });

  it('a resume whose newest checkpoint lacks a blob falls back to the one before, saying so', async () => {
    const { store, project } = newRun('resume-missing');
    await takeCheckpoint(store, project, 1);
    writeFileSync(path.join(project, 'answer.js'), `${FILE_TEXT}// newer\n`);
    const newer = await takeCheckpoint(store, project, 2);
    rmSync(store.blobPath(newer));
    writeFileSync(path.join(project, 'answer.js'), 'lost work\n');
    const { keeper, events } = keeperOver(store, project);
    expect(await keeper.resumeFrom(undefined, () => undefined)).toBe(true);
    const skipped = events.find((event) => event.type === 'alert') as { message: string } | undefined;
    expect(skipped?.message).toMatch(/^checkpoint checkpoint_002 is invalid \(1 blob missing: .*\(for "answer\.js"\).*; falling back to the one before$/);
    expect(events.find((event) => event.type === 'checkpoint_restored')).toMatchObject({ id: 'checkpoint_001' });
    expect(readFileSync(path.join(project, 'answer.js'), 'utf8')).toBe(FILE_TEXT);
  });

  it('with agents running, each blob is looked at before they are stopped: a checkpoint lacking one is skipped without stopping them', async () => {
    const { store, project } = newRun('running-missing');
    const only = await takeCheckpoint(store, project, 1);
    rmSync(store.blobPath(only));
    const quickLook = vi.spyOn(BlobStore.prototype, 'blobProblem');
    const { keeper, pool } = keeperOver(store, project);
    await expect(keeper.restore(undefined, 'recovery from agent_crash on agent-2', true)).rejects.toThrow('no valid checkpoint to restore');
    expect(quickLook).toHaveBeenCalled();
    expect(pool.stopAll).not.toHaveBeenCalled();
    expect(pool.startAll).not.toHaveBeenCalled();
  });
});

describe('CheckpointKeeper: what a checkpoint records', () => {
  it('the lines of code as the measurer last counted them, which a phase gate does after the last snapshot', async () => {
    // The fold still holds the session's first snapshot (0 lines); the gate before this phase checkpoint counted the file's lines.
    const { store, project } = newRun('phase-count');
    const gateCount = FILE_TEXT.split('\n').filter((line) => line.trim() !== '').length;
    const { keeper, events } = keeperOver(store, project, {
      linesOfCode: gateCount,
      lastTestRun: null,
      snapshot: () => ({ lines_of_code: gateCount }) as ReturnType<Measurer['snapshot']>,
    });
    await keeper.create('phase');
    expect(events.find((event) => event.type === 'checkpoint_created')).toMatchObject({ id: 'checkpoint_001', trigger: 'phase', lines_of_code: gateCount });
    expect((await store.read('checkpoint_001')).body.metrics).toMatchObject({ lines_of_code: gateCount });
  });

  it('no count when nothing was counted yet, rather than a 0', async () => {
    const { store, project } = newRun('no-count');
    const { keeper, events } = keeperOver(store, project, { linesOfCode: null, lastTestRun: null, snapshot: () => ({}) as ReturnType<Measurer['snapshot']> });
    await keeper.create('forced');
    const created = events.find((event) => event.type === 'checkpoint_created');
    expect(created).toBeDefined();
    expect(created).not.toHaveProperty('lines_of_code', expect.anything());
  });

  it('says which items it left out because their names are not UTF-8: an alert when more are left out, a log line each time', async () => {
    const { store, project } = newRun('unnamed');
    writeFileSync(Buffer.concat([Buffer.from(`${project}/caf`), Buffer.from([0xe9]), Buffer.from('.txt')]), 'latin-1');
    const measured = { linesOfCode: null, lastTestRun: null, snapshot: () => ({}) as ReturnType<Measurer['snapshot']> };
    const { keeper, events } = keeperOver(store, project, measured);
    const alerts = () => events.filter((event) => event.type === 'alert').map((event) => (event as { message: string }).message);
    await keeper.create('forced');
    expect(alerts()).toEqual([
      'checkpoint checkpoint_001 left out 1 item with a name that is not UTF-8, which a manifest cannot hold (a restore leaves them as they are): caf\\xe9.txt',
    ]);
    await keeper.create('forced');
    expect(alerts()).toHaveLength(1);
    writeFileSync(Buffer.concat([Buffer.from(`${project}/na`), Buffer.from([0xef]), Buffer.from('ve.md')]), 'latin-1');
    await keeper.create('forced');
    expect(alerts()[1]).toMatch(/^checkpoint checkpoint_003 left out 2 items with a name that is not UTF-8, .*: caf\\xe9\.txt, na\\xefve\.md$/);
  });

  it("a restore's log line gives the event's time (the toast's), then the time with the agents started again, each named", async () => {
    const { store, project } = newRun('restore-times');
    await takeCheckpoint(store, project, 1);
    const { keeper, logged, events } = keeperOver(store, project, { onRestored: () => undefined, linesOfCode: null });
    await keeper.restore(undefined, 'restore asked by key', false);
    const event = events.find((e) => e.type === 'checkpoint_restored') as { ms: number };
    const line = logged.find((text) => text.startsWith('restored checkpoint_001'));
    expect(line).toMatch(new RegExp(`^restored checkpoint_001 \\(restore asked by key\\): phase development, 1 entries, ${event.ms} ms \\(\\d+ ms with the agents started again\\)$`));
  });
});
