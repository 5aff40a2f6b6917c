// A writer killed with SIGKILL at whatever instant it happens to be in (hashing,
// writing blobs, syncing them, writing or publishing the checkpoint file)
// leaves only whole checkpoints behind: every checkpoint file present passes read(), and the
// newest one restores.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { walkTree } from './tree-walk.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
// The store and what it imports, compiled on the fly so a child process can run them without a build.
const MODULES = importedModules('checkpoint/store.ts');

/** The file and every project module it imports, directly or not (relative `from '….js'` specifiers), as paths under src/. */
function importedModules(entry: string): string[] {
  const found = new Set<string>([entry]);
  for (const relative of found) {
    const source = readFileSync(path.join(SRC, relative), 'utf8');
    for (const [, specifier] of source.matchAll(/\bfrom '(\.{1,2}\/[^']+)\.js'/g)) {
      found.add(path.posix.normalize(path.posix.join(path.posix.dirname(relative), `${specifier}.ts`)));
    }
  }
  return [...found];
}

const WRITER = `
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CheckpointStore } from './checkpoint/store.js';
const [runDir, round] = process.argv.slice(2);
const project = path.join(runDir, 'project');
const store = new CheckpointStore(path.join(runDir, 'checkpoints'));
// Carry on from the last published cycle: the cycle a kill interrupted is
// written again with the same content, so a torn blob from it would be reused.
const last = await store.newestValid();
for (let cycle = last === null ? 0 : last.body.working_memory.cycle + 1; ; cycle += 1) {
  for (let index = 0; index < 40; index += 1) {
    const file = path.join(project, 'dir' + (index % 4), 'file' + ((cycle * 7 + index) % 120) + '.txt');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, ('cycle ' + cycle + ' index ' + index + '\\n').repeat(200 + index * 10));
  }
  // Enough new blobs that the snapshot packs on two threads (blobPacker.ts), and a restore reads back on two.
  for (let index = 0; index < 300; index += 1) {
    const file = path.join(project, 'bulk' + (index % 3), 'b' + index + '.txt');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'cycle ' + cycle + ' bulk ' + index + '\\n');
  }
  const bodyOf = (snapshot) => ({ timestamp: new Date().toISOString(), session_id: 'kill-test', phase: 'p', phase_index: 0, trigger: 'forced',
    last_event_seq: cycle, elapsed_seconds: 0, agent_states: [], working_memory: { round, cycle }, test_results: null, metrics: null, git_commit: null,
    file_system_state: { root: 'project', excluded: snapshot.excluded, entries: snapshot.entries } });
  // Both ways of taking one: checkpoint() (one flush, as the orchestrator does), and snapshot() then write().
  const written = cycle % 2 === 0
    ? (await store.checkpoint(project, bodyOf)).written
    : await store.write(bodyOf(await store.snapshot(project)));
  process.stdout.write(written.id + ' ' + Date.now() + '\\n');
}
`;

let buildDir: string;
let runDir: string;

beforeAll(() => {
  buildDir = mkdtempSync(path.join(tmpdir(), 'megatest-ckkill-build-'));
  runDir = mkdtempSync(path.join(tmpdir(), 'megatest-ckkill-run-'));
  for (const relative of MODULES) {
    const output = ts.transpileModule(readFileSync(path.join(SRC, relative), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    mkdirSync(path.dirname(path.join(buildDir, relative)), { recursive: true });
    writeFileSync(path.join(buildDir, relative.replace(/\.ts$/, '.js')), output);
  }
  writeFileSync(path.join(buildDir, 'package.json'), '{"type":"module"}');
  writeFileSync(path.join(buildDir, 'writer.js'), WRITER);
  mkdirSync(path.join(runDir, 'project'));
});
afterAll(() => {
  rmSync(buildDir, { recursive: true, force: true });
  rmSync(runDir, { recursive: true, force: true });
});

/**
 * Runs the writer until it has published `checkpoints` more, then SIGKILLs it
 * `delayMs` later, wherever it is by then: the delays spread the kills over
 * the writer's cycle (project edits, hashing, blob writes, checkpoint file).
 */
function runAndKill(round: number, checkpoints: number, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(buildDir, 'writer.js'), runDir, String(round)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let published = 0;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      published += chunk.toString().split('\n').filter(Boolean).length;
      if (published >= checkpoints && child.exitCode === null) setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer ended without being killed: ${stderr}`))));
  });
}

describe('CheckpointStore under kill -9', () => {
  it('leaves every published checkpoint whole, whatever instant the writer dies at', async () => {
    const delaysMs = [0, 2, 5, 9, 14, 20, 27, 35];
    for (let round = 0; round < delaysMs.length; round += 1) {
      await runAndKill(round, 1 + (round % 2), delaysMs[round]);
      const store = new CheckpointStore(path.join(runDir, 'checkpoints'));
      const listing = await store.list();
      expect(listing.length).toBeGreaterThan(round);
      for (const item of listing) expect(item, `${item.id}: ${item.reason}`).toMatchObject({ valid: true });
      // list() reads the checkpoint files only: every blob of every checkpoint is read back too.
      for (const verified of await store.verifyAll()) expect(verified, `${verified.id}: ${verified.reason}`).toMatchObject({ usable: true });
      const newest = await store.newestValid();
      expect(newest?.id).toBe(listing.at(-1)?.id);
      const restoreInto = path.join(runDir, `restored${round}`);
      await store.restore(restoreInto, newest?.body.file_system_state.entries ?? []);
      const again = await new CheckpointStore(path.join(runDir, 'checkpoints')).snapshot(restoreInto);
      expect(again.entries).toEqual(newest?.body.file_system_state.entries);
      expect(Object.keys(walkTree(restoreInto)).length).toBe(newest?.body.file_system_state.entries.length);
    }
  });
});
