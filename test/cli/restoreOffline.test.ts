// `megatest restore DIR --checkpoint ID` on a run whose orchestrator is gone,
// `--to OUTDIR`, and `megatest checkpoints verify DIR`, through the built CLI
// on a run folder made here with the checkpoint store (no session needed:
// no orchestrator ever ran it, exactly the offline case).

import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { unpackBlobSync } from '../../src/checkpoint/blobCodec.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore, type CheckpointBody, type FileEntry } from '../../src/checkpoint/store.js';
import { BIN, BUILT, runCli as runCliWithin } from '../helpers/cli.js';
import { fingerprintTree as fingerprint } from '../helpers/checkpointTree.js';

/** A deadline only for a stuck command: a loaded machine may take long to start node. */
const runCli = (args: string[]) => runCliWithin(args, { timeoutMs: 180_000 });

const SCRIPT = ['/usr/bin/script', '/bin/script'].find((file) => existsSync(file));

let base: string;
let runDir: string;
let project: string;

function put(relative: string, content: string, mode = 0o644): void {
  const file = path.join(project, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  chmodSync(file, mode);
}

function body(entries: FileEntry[], phase: string): Omit<CheckpointBody, 'id'> {
  return {
    timestamp: new Date().toISOString(),
    session_id: 'offline-run',
    phase,
    phase_index: 0,
    trigger: 'phase',
    last_event_seq: 3,
    elapsed_seconds: 1,
    agent_states: [],
    working_memory: {},
    file_system_state: { root: 'project', excluded: [], entries },
    test_results: null,
    metrics: null,
    git_commit: null,
  };
}

/** What the manifest says the tree is, in fingerprint's terms. */
function manifestPrint(entries: FileEntry[]): Record<string, string> {
  return Object.fromEntries(entries.map((e) => [e.path, e.type === 'dir' ? `dir ${e.mode.toString(8)}` : `file ${e.mode.toString(8)} ${e.sha256}`]));
}

let first: { id: string; entries: FileEntry[] };
let second: { id: string; entries: FileEntry[] };

beforeEach(async () => {
  base = mkdtempSync(path.join(tmpdir(), 'megatest-offline-'));
  runDir = path.join(base, 'runs', 'offline-run');
  project = path.join(runDir, 'project');
  mkdirSync(project, { recursive: true });
  writeFileSync(path.join(runDir, 'config.json'), '{"session_id":"offline-run"}\n');
  writeFileSync(path.join(runDir, 'status'), 'completed\n');
  writeFileSync(path.join(runDir, 'events.jsonl'), '{"seq":1,"ts":"2025-01-01T00:00:00.000Z","type":"session_ended","status":"completed","exit_code":0}\n');
  writeFileSync(path.join(runDir, 'session.log'), '2025-01-01T00:00:00.000Z INFO  [orchestrator] session ended: completed, exit code 0\n');
  const store = new CheckpointStore(path.join(runDir, 'checkpoints'));
  put('bin/start.sh', '#!/bin/sh\necho start\n', 0o755);
  put('src/queue.js', 'export class Queue {}\n'.repeat(40));
  put('src/worker.js', 'export class Worker {}\n'.repeat(40));
  put('private.txt', 'only the owner\n', 0o600);
  let snapshot = await store.snapshot(project);
  first = { id: (await store.write(body(snapshot.entries, 'bootstrap'))).id, entries: snapshot.entries };
  put('src/queue.js', 'export class Queue { size = 0 }\n');
  put('src/added.js', 'added later\n');
  rmSync(path.join(project, 'bin'), { recursive: true });
  snapshot = await store.snapshot(project);
  second = { id: (await store.write(body(snapshot.entries, 'development'))).id, entries: snapshot.entries };
  // work after the last checkpoint, which an offline restore undoes
  put('src/worker.js', 'edited after the last checkpoint\n');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

function flipBitInContent(sha256: string): string {
  const blob = path.join(runDir, 'checkpoints', 'objects', sha256.slice(0, 2), sha256.slice(2));
  const content = unpackBlobSync(readFileSync(blob));
  content[0] ^= 0x01;
  writeFileSync(blob, gzipSync(content));
  return path.relative(path.join(runDir, 'checkpoints'), blob);
}

describe.skipIf(!BUILT)(`megatest restore offline${BUILT ? '' : ' (skipped: dist/ is not built; npm run build)'}`, () => {
  it('puts project/ back byte for byte (sha256 and mode of every file), notes it in session.log, leaves events.jsonl as it was', async () => {
    const events = readFileSync(path.join(runDir, 'events.jsonl'));
    const log = readFileSync(path.join(runDir, 'session.log'), 'utf8');
    const result = await runCli(['restore', runDir, '--checkpoint', first.id, '--yes']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`restored ${first.id} into .*project offline`));
    expect(fingerprint(project)).toEqual(manifestPrint(first.entries));
    expect(readFileSync(path.join(runDir, 'events.jsonl'))).toEqual(events);
    const logAfter = readFileSync(path.join(runDir, 'session.log'), 'utf8');
    expect(logAfter.startsWith(log)).toBe(true);
    const added = logAfter.slice(log.length).split('\n').filter(Boolean);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatch(new RegExp(`^\\S+ INFO  \\[restore\\] project/ put back to ${first.id} offline`));
    expect(readFileSync(path.join(runDir, 'status'), 'utf8')).toBe('completed\n');
  });

  it('refuses without --yes when there is no terminal to ask on: one line, exit 2, nothing changed', async () => {
    const before = fingerprint(runDir);
    const result = await runCli(['restore', runDir, '--checkpoint', second.id]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/without confirmation.*add --yes/);
    expect(fingerprint(runDir)).toEqual(before);
  });

  it.skipIf(!SCRIPT)(`asks on a terminal and restores on "y"${SCRIPT ? '' : ' (skipped: no script(1) to give it a terminal)'}`, async () => {
    const child = spawn(SCRIPT!, ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} restore ${JSON.stringify(runDir)} --checkpoint ${second.id}`, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let output = '';
    const asked = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('[y/N]')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await asked;
    expect(output).toContain(`back to ${second.id} (phase development, 4 files`);
    child.stdin.write('y\n');
    expect(await exited).toBe(0);
    expect(fingerprint(project)).toEqual(manifestPrint(second.entries));
  });

  it('--to OUTDIR writes the checkpoint tree to a fresh folder and does not touch the run', async () => {
    const before = fingerprint(runDir);
    writeFileSync(path.join(base, 'a-file'), 'not a folder\n');
    const out = path.join(base, 'exported', 'tree');
    const result = await runCli(['restore', runDir, '--checkpoint', first.id, '--to', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { '': _root, ...tree } = { '': '', ...fingerprint(out) };
    expect(tree).toEqual(manifestPrint(first.entries));
    expect(fingerprint(runDir)).toEqual(before);
    expect(readdirSync(path.dirname(out))).toEqual(['tree']);

    // an empty folder is fine too; a non-empty one, a file, or a folder inside the run are not
    const empty = path.join(base, 'empty');
    mkdirSync(empty);
    // named by its number alone, as a branch's folder (<id>-from-2) names it
    const byNumber = await runCli(['restore', runDir, '--checkpoint', String(Number(second.id.replace('checkpoint_', ''))), '--to', empty]);
    expect(byNumber.code, byNumber.stderr).toBe(0);
    expect(byNumber.stdout).toMatch(new RegExp(`^wrote ${second.id} of `));
    expect(fingerprint(empty)).toEqual(manifestPrint(second.entries));
    for (const [target, message] of [
      [out, /is not empty/],
      [path.join(base, 'a-file'), /is a file/],
      [path.join(runDir, 'exported'), /inside the run folder/],
      [path.join(base, 'a-file', 'below', 'out'), /^megatest: --to .*a-file\/below\/out: a part of that path is a file, not a folder$/m],
      // Node's recursive mkdir never returns there (ENOENT under /proc, which exists).
      ...(existsSync('/proc/self') ? ([['/proc/megatest-no-such/out', /^megatest: --to \/proc\/megatest-no-such\/out: cannot make the folder it goes in \(ENOENT\)$/m]] as const) : []),
      // Right under /proc: its staging folder beside it cannot be made either (a restore that looped for ever).
      ...(existsSync('/proc/self') ? ([['/proc/megatest-no-such', /^megatest: --to \/proc\/megatest-no-such: cannot be made there \(ENOENT: that file system holds no new folders, as under \/proc\)$/m]] as const) : []),
      // sysfs refuses new folders even to root: one line, no stack trace.
      ...(existsSync('/sys/kernel') ? ([['/sys/megatest-no-such', /^megatest: --to \/sys\/megatest-no-such: cannot write there \((EPERM|EACCES|ENOENT)\)$/m]] as const) : []),
    ] as const) {
      const refused = await runCli(['restore', runDir, '--checkpoint', first.id, '--to', target]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(message);
    }
    expect(fingerprint(runDir)).toEqual(before);
  });

  it('a bit flip in one blob: --to refuses without touching the run; restore refuses naming the checkpoint and the blob, project/ unchanged', async () => {
    const queue = first.entries.find((e) => e.path === 'src/queue.js')!;
    const blob = flipBitInContent(queue.sha256!);
    const runBefore = fingerprint(runDir);
    const exported = await runCli(['restore', runDir, '--checkpoint', first.id, '--to', path.join(base, 'never')]);
    expect(exported.code).toBe(1);
    expect(exported.stderr).toContain(`checkpoint ${first.id} cannot be used`);
    expect(exported.stderr).toContain(blob);
    expect(existsSync(path.join(base, 'never'))).toBe(false);
    expect(fingerprint(runDir)).toEqual(runBefore);

    const before = fingerprint(project);
    const result = await runCli(['restore', runDir, '--checkpoint', first.id, '--yes']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`checkpoint ${first.id} cannot be used`);
    expect(result.stderr).toContain(blob);
    expect(result.stderr).toContain('"src/queue.js"');
    expect(result.stderr).toMatch(/hashes to [0-9a-f]{64}, not to its name/);
    expect(fingerprint(project)).toEqual(before);
  });

  it('--json: a failure offline (a damaged checkpoint) gives the failure object on stdout too, exit 1', async () => {
    // stdout was empty: the object came only from the control commands and thrown refusals.
    flipBitInContent(first.entries.find((e) => e.path === 'src/queue.js')!.sha256!);
    for (const extra of [['--yes'], ['--to', path.join(base, 'never')]]) {
      const result = await runCli(['restore', runDir, '--checkpoint', first.id, '--json', ...extra]);
      expect(result.code).toBe(1);
      const lastLine = result.stderr.trimEnd().split('\n').at(-1);
      expect(JSON.parse(result.stdout)).toEqual({ ok: false, error: lastLine, exit_code: 1 });
    }
  });

  it('a bit flip in one blob: checkpoints verify names the checkpoint and the blob, exit 1', async () => {
    const blob = flipBitInContent(first.entries.find((e) => e.path === 'src/queue.js')!.sha256!);
    const verify = await runCli(['checkpoints', 'verify', runDir]);
    expect(verify.code).toBe(1);
    const lines = verify.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${first.id}  NOT usable: .*${blob.replace(/\//g, '\\/')}.*src/queue\\.js.*hashes to`));
    expect(lines[1]).toMatch(new RegExp(`^${second.id}  usable \\(phase development`));
  });

  it('checkpoints verify --json lists the bad blobs of each checkpoint', async () => {
    const blob = flipBitInContent(first.entries.find((e) => e.path === 'src/queue.js')!.sha256!);
    const verify = await runCli(['checkpoints', 'verify', runDir, '--json']);
    expect(verify.code).toBe(1);
    const json = JSON.parse(verify.stdout) as { checkpoints: { id: string; usable: boolean; bad_blobs: { blob: string; paths: string[] }[] }[] };
    expect(json.checkpoints.map((c) => [c.id, c.usable, c.bad_blobs.map((b) => [b.blob, b.paths])])).toEqual([
      [first.id, false, [[blob, ['src/queue.js']]]],
      [second.id, true, []],
    ]);
  });

  it('checkpoints verify: exit 0 when every checkpoint is usable, 2 on bad input', async () => {
    const good = await runCli(['checkpoints', 'verify', runDir]);
    expect(good.code).toBe(0);
    expect(good.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${first.id}  usable \\(phase bootstrap, trigger phase, 4 files, 4 blobs verified\\)$`)),
      expect.stringMatching(new RegExp(`^${second.id}  usable`)),
    ]);
    for (const args of [['checkpoints'], ['checkpoints', 'check', runDir], ['checkpoints', 'verify'], ['checkpoints', 'verify', path.join(base, 'nope')], ['checkpoints', 'verify', base]]) {
      const bad = await runCli(args);
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('bad restore input exits 2 with one line: no such checkpoint, a malformed id, no --checkpoint', async () => {
    for (const [args, message] of [
      [['restore', runDir, '--checkpoint', 'checkpoint_099', '--yes'], /checkpoint_099: no such checkpoint/],
      [['restore', runDir, '--checkpoint', 'latest', '--yes'], /^megatest restore: --checkpoint "latest": expected a checkpoint id or its number, e.g. checkpoint_003 or 3$/m],
      [['restore', runDir, '--checkpoint', 'checkpoint_2b', '--yes'], /--checkpoint "checkpoint_2b": expected a checkpoint id or its number/],
      [['restore', runDir, '--yes'], /--checkpoint ID is required/],
      [['restore', path.join(base, 'missing'), '--checkpoint', first.id, '--yes'], /no such run folder/],
    ] as const) {
      const result = await runCli([...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
  });
});
