// prepareBranch on a finished run folder made here (config from loadConfig,
// checkpoints from the store, a short event log): which checkpoint it picks,
// what it refuses, and that a refusal leaves neither a branch nor a hidden
// staging folder, and never changes the original.

import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { unpackBlobSync } from '../../src/checkpoint/blobCodec.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore, type CheckpointBody, type FileEntry } from '../../src/checkpoint/store.js';
import { UsageError } from '../../src/config/errors.js';
import { RunFileReadError } from '../../src/io/readError.js';
import { loadConfig } from '../../src/config/load.js';
import { describeRun } from '../../src/cli/runSession.js';
import { isFinishedRun, prepareBranch } from '../../src/cli/resumeBranch.js';

let runsDir: string;
let runDir: string;
let ids: string[];
let manifests: FileEntry[][];

function fingerprint(root: string): Record<string, string> {
  const found: Record<string, string> = {};
  const visit = (relative: string): void => {
    for (const name of readdirSync(path.join(root, relative)).sort()) {
      const child = relative === '' ? name : `${relative}/${name}`;
      const absolute = path.join(root, child);
      if (statSync(absolute).isDirectory()) visit(child);
      else found[child] = createHash('sha256').update(readFileSync(absolute)).digest('hex');
    }
  };
  visit('');
  return found;
}

const event = (seq: number, type: string, rest: Record<string, unknown> = {}) => JSON.stringify({ seq, ts: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(), type, ...rest });

beforeEach(async () => {
  runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-prepare-branch-'));
  runDir = path.join(runsDir, 'done-run');
  const config = loadConfig({ flags: { project: 'task_queue', agents: 2, duration: '60s', sessionId: 'done-run', runsDir } });
  const { files } = describeRun(config, 'done-run');
  for (const dir of ['project', 'checkpoints', 'metrics', 'agents']) mkdirSync(path.join(runDir, dir), { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(runDir, name), content);
  writeFileSync(path.join(runDir, 'status'), 'completed\n');
  writeFileSync(path.join(runDir, 'session.log'), '');
  const store = new CheckpointStore(path.join(runDir, 'checkpoints'));
  ids = [];
  manifests = [];
  const lines = [event(1, 'session_started', { session_id: 'done-run', project: 'task_queue', agent_kind: 'sim', simulated: true })];
  for (let index = 1; index <= 3; index += 1) {
    writeFileSync(path.join(runDir, 'project', `file${index}.txt`), `content ${index}\n`.repeat(20));
    const snapshot = await store.snapshot(path.join(runDir, 'project'));
    const body: Omit<CheckpointBody, 'id'> = {
      timestamp: new Date().toISOString(),
      session_id: 'done-run',
      phase: 'development',
      phase_index: 1,
      trigger: 'phase',
      last_event_seq: lines.length,
      elapsed_seconds: index,
      agent_states: [],
      working_memory: {},
      file_system_state: { root: 'project', excluded: [], entries: snapshot.entries },
      test_results: null,
      metrics: null,
      git_commit: null,
    };
    const written = await store.write(body);
    ids.push(written.id);
    manifests.push(snapshot.entries);
    lines.push(event(lines.length + 1, 'checkpoint_created', { id: written.id }), event(lines.length + 2, 'tool_call'));
  }
  lines.push(event(lines.length + 1, 'session_ended', { status: 'completed', exit_code: 0 }));
  writeFileSync(path.join(runDir, 'events.jsonl'), lines.join('\n') + '\n');
});
afterEach(() => rmSync(runsDir, { recursive: true, force: true }));

function corrupt(checkpoint: number, file: string): void {
  const entry = manifests[checkpoint]!.find((e) => e.path === file)!;
  const blob = path.join(runDir, 'checkpoints', 'objects', entry.sha256!.slice(0, 2), entry.sha256!.slice(2));
  const content = unpackBlobSync(readFileSync(blob));
  content[0] ^= 0x20;
  writeFileSync(blob, gzipSync(content));
}

describe('prepareBranch', () => {
  it('branches from the newest checkpoint whose blobs verify, saying which it skipped; the original is unchanged', async () => {
    expect(isFinishedRun(runDir)).toBe(true);
    corrupt(2, 'file3.txt'); // only checkpoint_003 names file3.txt
    const before = fingerprint(runDir);
    const said: string[] = [];
    const branch = await prepareBranch(runDir, { say: (line) => said.push(line) });
    expect(branch.checkpointId).toBe(ids[1]);
    expect(branch.dir).toBe(path.join(runsDir, 'done-run-from-2'));
    expect(said[0]).toMatch(new RegExp(`^${ids[2]} skipped: .*file3\\.txt`));
    expect(fingerprint(runDir)).toEqual(before);
    expect(readdirSync(path.join(branch.dir, 'checkpoints')).sort()).toEqual([`${ids[0]}.json`, `${ids[1]}.json`, 'objects']);
    expect(readFileSync(path.join(branch.dir, 'status'), 'utf8')).toBe('starting\n');
    expect(readdirSync(path.join(branch.dir, 'project'))).toEqual([]);
    const events = readFileSync(path.join(branch.dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; id?: string });
    expect(events.at(-1)).toMatchObject({ type: 'checkpoint_created', id: ids[1] });
    expect(readdirSync(runsDir).sort()).toEqual(['done-run', 'done-run-from-2']);
  });

  it('changes the agent and model as asked, keeping the SIMULATED label of the sim work', async () => {
    const branch = await prepareBranch(runDir, { checkpoint: ids[0], agent: 'command', agentCmd: 'node agent.mjs', model: 'model-b' });
    const info = JSON.parse(readFileSync(path.join(branch.dir, 'config.json'), 'utf8')) as {
      session_id: string;
      agent_kind: string;
      simulated: boolean;
      config: { session: { session_id: string }; agents: { kind: string; command: string; models: string[] }; agent: { model: string } };
    };
    expect(info).toMatchObject({ session_id: 'done-run-from-1', agent_kind: 'command', simulated: true });
    expect(info.config.session.session_id).toBe('done-run-from-1');
    expect(info.config.agents).toMatchObject({ kind: 'command', command: 'node agent.mjs', models: ['model-b'] });
    expect(info.config.agent.model).toBe('model-b');
    const start = JSON.parse(readFileSync(path.join(branch.dir, 'events.jsonl'), 'utf8').split('\n')[0]!) as Record<string, unknown>;
    expect(start).toMatchObject({ session_id: 'done-run-from-1', agent_kind: 'command', simulated: true, resumed_from: { run: 'done-run', checkpoint: ids[0] } });
  });

  it('handed to another agent kind without --model: that program\'s own default model, not the models the original\'s kind used', async () => {
    const original = (JSON.parse(readFileSync(path.join(runDir, 'config.json'), 'utf8')) as { config: { agents: { models: string[] } } }).config.agents.models;
    expect(original.every((model) => model !== '')).toBe(true);
    const branch = await prepareBranch(runDir, { checkpoint: ids[0], agent: 'command', agentCmd: 'node agent.mjs' });
    const info = JSON.parse(readFileSync(path.join(branch.dir, 'config.json'), 'utf8')) as { config: { agents: { kind: string; models: string[] } } };
    expect(info.config.agents).toMatchObject({ kind: 'command', models: [''] });
    rmSync(branch.dir, { recursive: true, force: true });
    // The same kind keeps its models.
    const same = await prepareBranch(runDir, { checkpoint: ids[0], agent: 'sim' });
    expect((JSON.parse(readFileSync(path.join(same.dir, 'config.json'), 'utf8')) as { config: { agents: { models: string[] } } }).config.agents.models).toEqual(original);
    rmSync(same.dir, { recursive: true, force: true });
  });

  it('refuses bad requests with a UsageError, a damaged checkpoint as damage (exit 1), and leaves no folder, not even a hidden one', async () => {
    corrupt(0, 'file1.txt');
    const before = fingerprint(runDir);
    // The named checkpoint is there but fails its checks: the folder is damaged, not the command wrong.
    await expect(prepareBranch(runDir, { checkpoint: ids[0] })).rejects.toBeInstanceOf(RunFileReadError);
    await expect(prepareBranch(runDir, { checkpoint: ids[0] })).rejects.toThrow(new RegExp(`^megatest resume --checkpoint ${ids[0]}: refused: checkpoint ${ids[0]} cannot be used: .*sha256.*file1\\.txt`));
    const refusals: [Parameters<typeof prepareBranch>[1], RegExp][] = [
      [{ checkpoint: 'checkpoint_009' }, /no such checkpoint/],
      [{ checkpoint: ids[1], agent: 'robot' }, /--agent "robot": must be one of "sim", "command"/],
      [{ checkpoint: ids[1], agentCmd: 'x' }, /--agent-cmd is only for --agent command/],
      [{ checkpoint: ids[1], agent: 'command' }, /--agent command needs --agent-cmd/],
    ];
    for (const [options, message] of refusals) {
      const attempt = prepareBranch(runDir, options);
      await expect(attempt).rejects.toBeInstanceOf(UsageError);
      await expect(prepareBranch(runDir, options)).rejects.toThrow(message);
    }
    expect(readdirSync(runsDir)).toEqual(['done-run']);
    expect(fingerprint(runDir)).toEqual(before);
  });

  it('is not for a run that has not finished', () => {
    writeFileSync(path.join(runDir, 'status'), 'interrupted\n');
    expect(isFinishedRun(runDir)).toBe(false);
  });
});
