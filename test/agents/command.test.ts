import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CommandAdapter, LineSplitter } from '../../src/agents/command.js';
import { CliTaskAdapter } from '../../src/agents/cliTaskAdapter.js';
import { cliSpecFor, COMMAND_CAPABILITIES, createAdapter, SIM_CAPABILITIES } from '../../src/agents/index.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { restoreNotice } from '../../src/agents/taskPrompt.js';
import { makeLaunch, Recorder, removeTempDirs, waitFor } from './helpers.js';
import { isPidAlive } from '../../src/io/processAlive.js';

const FIXTURE = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'protocolAgent.mjs');

function fixtureCommand(mode: string): string {
  // close-stdin: the shell closes the pipe's read end before node starts.
  const closeStdin = mode === 'close-stdin' ? 'exec 0<&-; ' : '';
  return `${closeStdin}FIXTURE_MODE=${mode} exec node '${FIXTURE}'`;
}

afterAll(removeTempDirs);

const started: CommandAdapter[] = [];
afterEach(async () => {
  for (const adapter of started.splice(0)) await adapter.stop(200);
});

function adapterFor(mode: string, overrides = {}): CommandAdapter {
  const adapter = new CommandAdapter(makeLaunch({ env: { FIXTURE_EXTRA: 'from-launch-env' }, ...overrides }), {
    command: fixtureCommand(mode),
  });
  started.push(adapter);
  return adapter;
}

describe('LineSplitter', () => {
  it('holds partial lines and multi-byte characters split across chunks', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    const bytes = Buffer.from('first\nsé', 'utf8');
    splitter.push(bytes.subarray(0, bytes.length - 1));
    splitter.push(Buffer.concat([bytes.subarray(bytes.length - 1), Buffer.from('cond\nthird')]));
    expect(lines).toEqual(['first', 'sécond']);
    splitter.end();
    expect(lines).toEqual(['first', 'sécond', 'third']);
  });
});

describe('CommandAdapter', () => {
  it('runs the command with the MEGATEST_* environment and parses its lines', async () => {
    const adapter = adapterFor('normal');
    const recorder = new Recorder();
    await adapter.start(recorder.onMessage, recorder.onExit);
    expect(adapter.pid).toBeGreaterThan(0);
    // stdout and stderr are two pipes: the stderr line written before "ready" may be read after it.
    await waitFor(() => recorder.hasOutput(/^ready$/) && recorder.hasOutput(/^warning: this went to stderr$/), 'the fixture to be ready');

    const intro = recorder.outputs()[0];
    expect(intro).toContain('fixture agent agent-1 role=developer phase=development model=test-model');
    expect(intro).toContain('extra=from-launch-env');
    expect(intro).toContain(`cwd=${adapter['launch'].projectDir}`);
    const launch = adapter['launch'];
    expect(intro).toContain(`session=${launch.sessionDir} project=${launch.projectDir} home=${path.join(launch.agentDir, 'home')}`);
    expect(recorder.of('tool_call')).toEqual([{ type: 'tool_call', tool: 'read_file', ok: true, duration_ms: 12 }]);
    // The tokens line arrived in two writes: it must still be one message.
    expect(recorder.of('tokens')).toEqual([{ type: 'tokens', input: 1200, output: 80, model: 'fixture-model' }]);
    expect(recorder.of('context')).toEqual([{ type: 'context', tokens: 4321 }]);
    // A malformed protocol line is a parse failure (kept in output.log); the stderr line is output.
    expect(recorder.of('parse_failure')).toEqual([
      { type: 'parse_failure', line: '{"type":"tool_call","tool":"shell"}', reason: expect.stringMatching(/^bad tool_call message: ok .*duration_ms /) },
    ]);
    expect(recorder.outputs()).toContain('warning: this went to stderr');
    // output.log is written through a stream: the line is there once the stream has written it.
    const outputLog = path.join(adapter['launch'].agentDir, 'output.log');
    await waitFor(() => existsSync(outputLog) && readFileSync(outputLog, 'utf8').includes('{"type":"tool_call","tool":"shell"}'), 'the malformed line in output.log');

    adapter.assign({ phase: 'testing', objectives: ['write tests', 'fix bugs'], duration_seconds: 30 });
    expect(adapter.control('checkpoint')).toEqual({ ok: true });
    await waitFor(() => recorder.hasOutput(/received \{"cmd":"checkpoint"\}/), 'the checkpoint command to arrive');
    expect(recorder.outputs()).toContain(
      'received {"cmd":"phase","name":"testing","objectives":["write tests","fix bugs"],"duration_seconds":30}',
    );
    expect(recorder.of('task_done').map((m) => m.task)).toEqual(['write tests', 'fix bugs']);
    expect(adapter.resumeState()).toEqual({
      kind: 'command',
      name: 'agent-1',
      role: 'developer',
      model: 'fixture-model',
      phase: 'testing',
      objectives: ['write tests', 'fix bugs'],
      completed: ['write tests', 'fix bugs'],
      context_tokens: 4321,
    });

    const exit = await adapter.stop(5000);
    // What it last said on stderr goes with the exit (a crash's error event quotes it).
    expect(exit).toEqual({ code: 0, signal: null, stderrClue: 'warning: this went to stderr' });
    expect(recorder.exits).toEqual([exit]);
    expect(adapter.control('pause')).toEqual({ ok: false, reason: 'agent is not running' });
    expect(() => adapter.assign({ phase: 'x', objectives: [], duration_seconds: 1 })).toThrow(/agent is not running/);

    const log = readFileSync(path.join(adapter['launch'].agentDir, 'output.log'), 'utf8');
    expect(log).toContain('{"type":"tokens","input":1200,"output":80,"model":"fixture-model"}');
    expect(log).toContain('warning: this went to stderr');
    expect(log).toContain('received {"cmd":"stop"}');
  });

  it('after a restore, its first phase command says what the restore undid, before any note of its own; later ones do not', async () => {
    const restored = { id: 'checkpoint_003', taken_at: '2026-03-01T10:20:30.000Z', worked_after: true };
    const adapter = adapterFor('normal', { restored });
    const recorder = new Recorder();
    await adapter.start(recorder.onMessage, recorder.onExit);
    await waitFor(() => recorder.hasOutput(/^ready$/), 'the fixture to be ready');
    adapter.assign({ phase: 'development', objectives: ['a'], duration_seconds: 60, note: 'Your last step failed.' });
    adapter.assign({ phase: 'development', objectives: ['b'], duration_seconds: 50 });
    await waitFor(() => recorder.of('task_done').length === 2, 'both phase commands to arrive');
    const received = recorder.outputs().filter((line) => line.startsWith('received {"cmd":"phase"')).map((line) => JSON.parse(line.slice('received '.length)) as { note?: string; objectives: string[] });
    expect(received.map((command) => command.objectives)).toEqual([['a'], ['b']]);
    expect(received[0]!.note).toBe(`${restoreNotice(restored, 'none')}\n\nYour last step failed.`);
    expect(received[0]!.note).toContain('checkpoint checkpoint_003, taken at 2026-03-01 10:20:30 UTC');
    expect(received[1]!.note).toBeUndefined();
  });

  it('a Python agent that prints without flushing is heard line by line, not when it stops (PYTHONUNBUFFERED)', async () => {
    // This machine may set it already; a user's shell often does not.
    const before = process.env.PYTHONUNBUFFERED;
    delete process.env.PYTHONUNBUFFERED;
    try {
      // print() to a pipe is held in 8 KB blocks unless Python is told otherwise; then it waits on stdin for ever.
      const script = 'import json, sys; print(json.dumps({"type": "state", "status": "working", "task": "t1"})); sys.stdin.read()';
      const adapter = new CommandAdapter(makeLaunch(), { command: `exec python3 -c '${script}'` });
      started.push(adapter);
      const recorder = new Recorder();
      await adapter.start(recorder.onMessage, recorder.onExit);
      await waitFor(() => recorder.of('state').length > 0, 'the state line while the agent runs');
      expect(recorder.of('state')[0]).toMatchObject({ status: 'working', task: 't1' });
      expect(recorder.exits).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.PYTHONUNBUFFERED;
      else process.env.PYTHONUNBUFFERED = before;
    }
  });

  it('reports the exit of an agent that ends on its own, once', async () => {
    const adapter = adapterFor('exit-early');
    const recorder = new Recorder();
    await adapter.start(recorder.onMessage, recorder.onExit);
    await waitFor(() => recorder.exits.length > 0, 'the exit');
    expect(recorder.exits).toEqual([{ code: 3, signal: null }]);
    expect(recorder.outputs()[0]).toMatch(/^fixture agent agent-1/);
    expect(adapter.control('checkpoint')).toEqual({ ok: false, reason: 'agent is not running' });
    expect(await adapter.stop(100)).toEqual({ code: 3, signal: null });
    expect(recorder.exits).toHaveLength(1);
  });

  it('says so when the agent closed its stdin', async () => {
    const adapter = adapterFor('close-stdin');
    const recorder = new Recorder();
    await adapter.start(recorder.onMessage, recorder.onExit);
    await waitFor(() => recorder.hasOutput(/^stdin closed$/), 'the fixture to close its stdin');
    // The first write may be accepted by the pipe before the EPIPE comes back.
    await waitFor(() => !adapter.control('checkpoint').ok, 'control to report the closed stdin');
    const outcome = adapter.control('compress');
    expect(outcome.ok).toBe(false);
    expect(outcome.reason).toMatch(/stdin is closed/);
  });

  it('escalates stop to SIGTERM then SIGKILL of the whole process group', async () => {
    const adapter = adapterFor('stubborn');
    const recorder = new Recorder();
    await adapter.start(recorder.onMessage, recorder.onExit);
    await waitFor(() => recorder.hasOutput(/^grandchild \d+$/), 'the grandchild pid');
    const grandchild = Number(recorder.outputs().find((line) => line.startsWith('grandchild '))!.split(' ')[1]);
    expect(isPidAlive(grandchild)).toBe(true);

    // The product's default grace (5 s, then 5 s after SIGTERM): the fixture must read the stop
    // and take the SIGTERM within them, which a loaded machine does, where ~1 s was a race.
    const GRACE_MS = 5000;
    const began = Date.now();
    const exit = await adapter.stop(GRACE_MS);
    expect(exit).toMatchObject({ code: null, signal: 'SIGKILL' });
    // It waited (a lower bound: a loaded machine only adds to it).
    expect(Date.now() - began).toBeGreaterThanOrEqual(GRACE_MS);
    expect(recorder.hasOutput(/received \{"cmd":"stop"\}/)).toBe(true);
    expect(recorder.hasOutput(/ignoring SIGTERM/)).toBe(true);
    // Gone, or a zombie (killed, not yet reaped by whoever adopted it): isPidAlive counts neither as running.
    await waitFor(() => !isPidAlive(grandchild), 'the grandchild to die with the group');
    expect(recorder.exits).toHaveLength(1);
  });

  it('fails to start with a message naming the command and folder', async () => {
    const launch = makeLaunch();
    const adapter = new CommandAdapter(launch, { command: 'true' });
    // A missing working folder is created rather than failing.
    await adapter.start(() => undefined, () => undefined);
    expect(existsSync(launch.projectDir)).toBe(true);
    await adapter.stop(100);
    expect(() => new CommandAdapter(launch, { command: '  ' })).toThrow(/agent command is empty/);
  });
});

describe('createAdapter', () => {
  const sim = { template: 'task_queue', seed: 1, tokensPerMinute: 1, toolCallsPerMinute: 1, faults: [], sessionStartMs: 0 };
  it('builds every kind, each saying what it can do', () => {
    const command = createAdapter('command', makeLaunch(), { command: 'true', binary: '', sim });
    expect(command.kind).toBe('command');
    expect(command.capabilities).toEqual(COMMAND_CAPABILITIES);
    const simAdapter = createAdapter('sim', makeLaunch(), { command: '', binary: '', sim });
    expect(simAdapter.kind).toBe('sim');
    // The sim's token counts are simulated, never usage.
    expect(simAdapter.capabilities).toEqual(SIM_CAPABILITIES);
    expect(simAdapter.capabilities.tokenUsage).toBe(false);
    for (const kind of ['selfware', 'claude-code', 'codex'] as const) {
      const adapter = createAdapter(kind, makeLaunch(), { command: '', binary: '/opt/agent', sim });
      expect(adapter).toBeInstanceOf(CliTaskAdapter);
      expect(adapter.kind).toBe(kind);
      expect(adapter.capabilities).toEqual(cliSpecFor(kind)!.capabilities);
    }
  });

  it('says how a resume state was taken', () => {
    const resume = { kind: 'command' as const, name: 'agent-1', role: 'developer', model: 'm', phase: 'development', objectives: ['a'], completed: [], context_tokens: 0 };
    expect(createAdapter('command', makeLaunch(), { command: 'true', binary: '', sim }).resumed).toBeNull();
    expect(createAdapter('command', makeLaunch({ resume }), { command: 'true', binary: '', sim }).resumed).toEqual({
      ok: false,
      reason: 'the JSONL protocol has no resume: the agent starts afresh on its remaining tasks',
    });
    expect(createAdapter('sim', makeLaunch({ resume: { ...resume, kind: 'sim', completed: ['a'], context_tokens: 900 } }), { command: '', binary: '', sim }).resumed).toEqual({
      ok: true,
      detail: "from megatest's state: 1 task done, context 900 tokens",
    });
  });
});
