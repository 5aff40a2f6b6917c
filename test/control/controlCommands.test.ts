// runControlCommand (src/cli/controlCommands.ts) against a control server
// over a fake engine, and against run folders whose orchestrator is gone.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runControlCommand } from '../../src/cli/controlCommands.js';
import { consoleActions } from '../../src/cli/console.js';
import { startControlServer, type ControlServer } from '../../src/control/server.js';
import { FakeEngine, sampleMetrics } from './fakeEngine.js';
import { deadPid, makeRun } from './runFixtures.js';

let runsDir: string;
let engine: FakeEngine;
const servers: ControlServer[] = [];

beforeEach(() => {
  runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-ctlcmd-'));
  engine = new FakeEngine();
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  rmSync(runsDir, { recursive: true, force: true });
});

function capture() {
  const logs: string[] = [];
  const errors: string[] = [];
  return { out: { log: (s: string) => logs.push(s), error: (s: string) => errors.push(s) }, logs, errors };
}

async function liveRun(id = 'live', createdAt = '2025-05-01T00:00:00Z'): Promise<string> {
  const dir = makeRun(runsDir, id, { createdAt });
  servers.push(await startControlServer({ engine, runDir: dir, port: 0, onWarning: () => undefined }));
  return dir;
}

describe("the console's keys", () => {
  it('answer in the words the same command prints in a shell (p says paused or continued, not "pause: done")', async () => {
    const dir = await liveRun('keys');
    const actions = consoleActions(dir);
    const said = [
      await actions.checkpoint(),
      await actions.togglePause!(),
      await actions.togglePause!(),
      await actions.compress('agent-2'),
      await actions.restore('checkpoint_004'),
      await actions.stop(),
    ];
    expect(said.every((answer) => answer.ok)).toBe(true);
    const { out, logs } = capture();
    engine.paused = false;
    engine.stopped = false;
    for (const [name, extra] of [['checkpoint', {}], ['pause', {}], ['continue', {}], ['compress', { agent: 'agent-2' }], ['restore', { checkpoint: 'checkpoint_004' }], ['stop', {}]] as const) {
      expect(await runControlCommand(name, { runsDir, session: dir, ...extra }, out)).toBe(0);
    }
    // The same answers but the checkpoint's number (the engine counts its checkpoints).
    const sameWords = (line: string) => line.replace(/checkpoint_\d+ created/, 'checkpoint_N created');
    expect(said.map((answer) => sameWords(answer.message))).toEqual(logs.map(sameWords));
    expect(said[1]!.message).toBe('paused');
    expect(said[2]!.message).toBe('continued');
    expect(engine.calls.filter((c) => c.source === 'key').map((c) => c.action)).toEqual(['checkpoint', 'pause', 'resume', 'compress', 'restore', 'stop']);
  });

  it('a refusal says which action failed and why', async () => {
    const dir = await liveRun('refused');
    engine.paused = true;
    const answer = await consoleActions(dir).pause();
    expect(answer.ok).toBe(false);
    expect(answer.message).toMatch(/^pause failed: .*already paused/);
  });
});

describe('runControlCommand: actions on a running session', () => {
  it('checkpoint on the newest running session prints the id', async () => {
    await liveRun();
    const { out, logs, errors } = capture();
    expect(await runControlCommand('checkpoint', { runsDir }, out)).toBe(0);
    expect(errors).toEqual([]);
    expect(logs).toEqual(['checkpoint checkpoint_001 created (10 files, 2,048 bytes, 5 ms)']);
    expect(engine.calls).toEqual([{ action: 'checkpoint', source: 'cli' }]);
  });

  it('with two running and none named, says which one it went to (the newest) and how to choose', async () => {
    await liveRun('older', '2025-05-01T00:00:00Z');
    await liveRun('newer', '2025-05-02T00:00:00Z');
    const { out, logs } = capture();
    expect(await runControlCommand('pause', { runsDir }, out)).toBe(0);
    expect(await runControlCommand('continue', { runsDir, session: 'older' }, out)).toBe(0);
    expect(logs).toEqual(['paused (session newer, the newest of 2 running; name one to choose: megatest pause SESSION)', 'continued']);
  });

  it('each command reaches its route, by session id and by folder', async () => {
    const dir = await liveRun('named');
    const { out, logs } = capture();
    expect(await runControlCommand('compress', { runsDir, session: 'named', agent: 'agent-2' }, out)).toBe(0);
    expect(await runControlCommand('pause', { runsDir, session: dir }, out)).toBe(0);
    expect(await runControlCommand('continue', { runsDir, session: dir }, out)).toBe(0);
    expect(await runControlCommand('restore', { runsDir, session: dir, checkpoint: 'checkpoint_004' }, out)).toBe(0);
    expect(await runControlCommand('stop', { runsDir, session: dir }, out)).toBe(0);
    expect(logs).toEqual([
      'compressed 1 agent: agent-2 20,000 -> 2,000 tokens',
      'paused',
      'continued',
      'restored checkpoint_004 (12 ms)',
      'stop requested; the session is ending',
    ]);
    expect(engine.calls.map((c) => [c.action, c.arg])).toEqual([
      ['compress', 'agent-2'],
      ['pause', undefined],
      ['resume', undefined],
      ['restore', 'checkpoint_004'],
      ['stop', undefined],
    ]);
  });

  it('prints the raw answer with --json', async () => {
    await liveRun();
    const { out, logs } = capture();
    expect(await runControlCommand('checkpoint', { runsDir, json: true }, out)).toBe(0);
    expect(JSON.parse(logs[0]!)).toMatchObject({ ok: true, event: { id: 'checkpoint_001' } });
  });

  it('with --json a failure is JSON on stdout too, and the line on stderr as always', async () => {
    await liveRun();
    const { out, logs, errors } = capture();
    expect(await runControlCommand('stop', { runsDir }, out)).toBe(0);
    logs.length = 0;
    expect(await runControlCommand('restore', { runsDir, checkpoint: 'checkpoint_001', json: true }, out)).toBe(1);
    expect(errors).toEqual(['megatest restore: cannot restore: the session is stopping']);
    expect(JSON.parse(logs.join('\n'))).toEqual({ ok: false, error: 'megatest restore: cannot restore: the session is stopping', exit_code: 1 });
    logs.length = 0;
    expect(await runControlCommand('compress', { runsDir, agent: 'agent-9', json: true }, out)).toBe(2);
    expect(JSON.parse(logs.join('\n'))).toMatchObject({ ok: false, exit_code: 2 });
  });

  it('exits 1 with the server’s message when the engine refuses', async () => {
    await liveRun();
    const { out, errors } = capture();
    expect(await runControlCommand('stop', { runsDir }, out)).toBe(0);
    expect(await runControlCommand('restore', { runsDir, checkpoint: 'checkpoint_001' }, out)).toBe(1);
    expect(errors).toEqual(['megatest restore: cannot restore: the session is stopping']);
  });

  it('exits 2 with the server’s message when the session has no such agent or checkpoint', async () => {
    await liveRun();
    const { out, errors } = capture();
    expect(await runControlCommand('restore', { runsDir, checkpoint: 'checkpoint_999' }, out)).toBe(2);
    expect(await runControlCommand('compress', { runsDir, agent: 'agent-9' }, out)).toBe(2);
    expect(errors).toEqual(['megatest restore: no such checkpoint checkpoint_999', 'megatest compress: unknown agent "agent-9"']);
  });

  it('exits 2 on bad arguments without calling anything', async () => {
    await liveRun();
    const { out, errors } = capture();
    expect(await runControlCommand('restore', { runsDir, checkpoint: '../../etc/passwd' }, out)).toBe(2);
    expect(await runControlCommand('restore', { runsDir }, out)).toBe(2);
    expect(await runControlCommand('pause', { runsDir, agent: 'agent-1' }, out)).toBe(2);
    expect(await runControlCommand('stop', { runsDir, checkpoint: 'checkpoint_001' }, out)).toBe(2);
    expect(await runControlCommand('pause', { runsDir, session: 'ghost' }, out)).toBe(2);
    expect(errors[0]).toMatch(/--checkpoint "\.\.\/\.\.\/etc\/passwd": expected checkpoint_ followed by digits/);
    expect(errors[4]).toMatch(/SESSION "ghost": no such session/);
    expect(engine.calls).toEqual([]);
  });
});

describe('runControlCommand: no orchestrator', () => {
  it('says in one line that nothing runs', async () => {
    makeRun(runsDir, 'done', { status: 'completed' });
    const { out, errors, logs } = capture();
    expect(await runControlCommand('pause', { runsDir }, out)).toBe(1);
    expect(errors).toEqual([`megatest pause: no running session under ${runsDir}; start one with megatest run`]);
    expect(logs).toEqual([]);
  });

  it('tells to resume a crashed session, and that an ended one has ended', async () => {
    const crashed = makeRun(runsDir, 'crashed', { status: 'running', control: { pid: deadPid() } });
    const ended = makeRun(runsDir, 'ended', { status: 'completed' });
    const { out, errors } = capture();
    expect(await runControlCommand('checkpoint', { runsDir, session: crashed }, out)).toBe(1);
    expect(await runControlCommand('checkpoint', { runsDir, session: 'ended' }, out)).toBe(1);
    expect(errors).toEqual([
      `megatest checkpoint: orchestrator not running — megatest resume ${crashed}`,
      `megatest checkpoint: the session in ${ended} has ended (completed); nothing to control`,
    ]);
  });
});

describe('runControlCommand status', () => {
  it('answers from the live orchestrator', async () => {
    const dir = await liveRun();
    await runControlCommand('checkpoint', { runsDir }, capture().out);
    const { out, logs, errors } = capture();
    expect(await runControlCommand('status', { runsDir }, out)).toBe(0);
    expect(errors).toEqual([]);
    const text = logs.join('\n');
    expect(text).toContain('fake-session  (task_queue, sim, SIMULATED)');
    expect(text).toContain(`folder     ${dir}`);
    expect(text).toMatch(/status     running {2}\(orchestrator pid \d+, http:\/\/127\.0\.0\.1:\d+\)/);
    expect(text).toContain('elapsed    00:12:34 / 06:00:00');
    expect(text).toContain('tests      117 passed, 3 failed (97.5% pass)   coverage 81.3%   LOC 3,456');
    expect(text).toContain('checkpoint checkpoint_001  phase development  forced');
  });

  it('answers from the files when the orchestrator is gone', async () => {
    const dir = makeRun(runsDir, 'crashed', {
      status: 'paused',
      control: { pid: deadPid() },
      metrics: sampleMetrics({ session_id: 'crashed', phase: 'refinement', lines_of_code: 999, test_pass_rate: null, test_coverage: null }),
      checkpoints: {
        'checkpoint_002.json': { sha256: 'ab', body: { id: 'checkpoint_002', phase: 'development', timestamp: '2025-01-01T01:00:00Z', trigger: 'time' } },
        'checkpoint_010.json': { sha256: 'cd', body: { id: 'checkpoint_010', phase: 'refinement', timestamp: '2025-01-01T02:00:00Z', trigger: 'phase' } },
        'checkpoint_009.json': 'torn{',
        'notes.json': '{}',
      },
    });
    const { out, logs, errors } = capture();
    expect(await runControlCommand('status', { runsDir, session: 'crashed' }, out)).toBe(0);
    expect(errors).toEqual([`orchestrator not running — megatest resume ${dir}`]);
    const text = logs.join('\n');
    expect(text).toContain('status     paused  (orchestrator not running; read from the files)');
    expect(text).toContain('phase      refinement');
    expect(text).toContain('tests      117 passed, 3 failed (no test run yet)   coverage n/a   LOC 999');
    expect(text).toContain('checkpoint checkpoint_010  phase refinement  phase  2025-01-01T02:00:00Z');

    const json = capture();
    expect(await runControlCommand('status', { runsDir, session: dir, json: true }, json.out)).toBe(0);
    const view = JSON.parse(json.logs.join('\n'));
    expect(view).toMatchObject({ running: false, status: 'paused', session_id: 'crashed', last_checkpoint: { id: 'checkpoint_010', trigger: 'phase' } });
    expect(view.metrics.lines_of_code).toBe(999);
  });

  it('reads a torn newest checkpoint by its file name, and a run without metrics', async () => {
    makeRun(runsDir, 'bare', { status: 'completed', checkpoints: { 'checkpoint_003.json': '{"sha' } });
    const { out, logs, errors } = capture();
    expect(await runControlCommand('status', { runsDir }, out)).toBe(0);
    expect(errors).toEqual([]); // a completed session is not something to resume
    expect(logs.join('\n')).toContain('metrics    none yet');
    expect(logs.join('\n')).toContain('checkpoint checkpoint_003');
  });

  it('exits 1 when there is no run at all', async () => {
    const { out, errors } = capture();
    expect(await runControlCommand('status', { runsDir }, out)).toBe(1);
    expect(errors[0]).toContain(`no runs under ${runsDir}`);
  });
});
