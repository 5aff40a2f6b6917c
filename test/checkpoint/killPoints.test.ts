// kill -9 of a writer at set points of a checkpoint, each reached by the
// writer itself (it says so and waits to be killed), not by a timer: before
// its first blob takes its name, halfway through the blobs' renames, and
// with every blob renamed and the checkpoint file written to its temp name
// but not yet published. After each: every checkpoint listed usable is one
// `verify` reads whole and the newest is the one before the kill; what a
// resume does (removeUnnamedBlobsLeft) leaves in objects/ only blobs a
// checkpoint names; and the next checkpoint is whole.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { blobFiles, testBody } from '../helpers/checkpointTree.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/** The file and every project module it imports, directly or not, as paths under src/. */
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

/** Files a checkpoint writes: 40 of them change between the first checkpoint and the second. */
const FILES = 40;

// The writer takes checkpoint 1, changes every file, and takes checkpoint 2 with the hook armed: at the point named
// by its argument it prints "at POINT" and waits for the kill. Blobs take their names by renameSync (blobPacker.ts),
// the checkpoint file by fs.promises.link (checkpointFiles.ts): both are wrapped before the store is imported.
const WRITER = `
import fs, { mkdirSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
const [runDir, point] = process.argv.slice(2);
let armed = false;
let renames = 0;
const stop = (at) => { process.stdout.write('at ' + at + '\\n'); for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000); };
const rename = fs.renameSync;
fs.renameSync = (from, to) => {
  if (armed && to.includes('/objects/')) {
    if (point === 'first-rename' && renames === 0) stop(point);
    if (point === 'half-renamed' && renames === ${FILES / 2}) stop(point);
    renames += 1;
  }
  return rename(from, to);
};
const link = fs.promises.link;
fs.promises.link = async (from, to) => {
  if (armed && point === 'publish') stop(point);
  return link(from, to);
};
syncBuiltinESMExports();
const { CheckpointStore } = await import('./checkpoint/store.js');
const project = path.join(runDir, 'project');
const store = new CheckpointStore(path.join(runDir, 'checkpoints'));
const put = (round) => {
  for (let index = 0; index < ${FILES}; index += 1) {
    const file = path.join(project, 'd' + (index % 4), 'f' + index + '.txt');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, ('round ' + round + ' file ' + index + '\\n').repeat(50));
  }
};
const bodyOf = (taken) => ({ timestamp: 't', session_id: 'kill', phase: 'p', phase_index: 0, trigger: 'forced', last_event_seq: 1, elapsed_seconds: 0,
  agent_states: [], working_memory: {}, test_results: null, metrics: null, git_commit: null,
  file_system_state: { root: 'project', excluded: taken.excluded, entries: taken.entries } });
put(1);
await store.checkpoint(project, bodyOf);
put(2);
armed = true;
await store.checkpoint(project, bodyOf);
process.stdout.write('not stopped\\n');
`;

let buildDir: string;
let base: string;

beforeAll(() => {
  buildDir = mkdtempSync(path.join(tmpdir(), 'megatest-killpoints-build-'));
  base = mkdtempSync(path.join(tmpdir(), 'megatest-killpoints-run-'));
  for (const relative of importedModules('checkpoint/store.ts')) {
    const output = ts.transpileModule(readFileSync(path.join(SRC, relative), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    mkdirSync(path.dirname(path.join(buildDir, relative)), { recursive: true });
    writeFileSync(path.join(buildDir, relative.replace(/\.ts$/, '.js')), output);
  }
  writeFileSync(path.join(buildDir, 'package.json'), '{"type":"module"}');
  writeFileSync(path.join(buildDir, 'writer.js'), WRITER);
});
afterAll(() => {
  rmSync(buildDir, { recursive: true, force: true });
  rmSync(base, { recursive: true, force: true });
});

/** Runs the writer until it says it is at `point`, then SIGKILLs it. */
function runToPointAndKill(runDir: string, point: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(buildDir, 'writer.js'), runDir, point], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes(`at ${point}\n`)) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer ended without being killed at ${point}: ${stdout}${stderr}`))));
  });
}


describe('a writer killed at a point of its checkpoint', () => {
  for (const point of ['first-rename', 'half-renamed', 'publish']) {
    it(`${point}: the checkpoints listed usable are those verify reads whole, and a resume leaves only named blobs`, async () => {
      const runDir = path.join(base, point);
      mkdirSync(path.join(runDir, 'project'), { recursive: true });
      await runToPointAndKill(runDir, point);
      const checkpointsDir = path.join(runDir, 'checkpoints');

      const store = new CheckpointStore(checkpointsDir);
      const listed = (await store.list()).filter((listing) => listing.valid).map((listing) => listing.id);
      const verified = (await new CheckpointStore(checkpointsDir).verifyAll()).filter((result) => result.usable).map((result) => result.id);
      expect(listed).toEqual(['checkpoint_001']);
      expect(verified).toEqual(listed);
      expect((await store.newestValid())?.id).toBe('checkpoint_001');

      const named = await store.blobsNamedBy(listed);
      await store.removeUnnamedBlobsLeft();
      expect(blobFiles(checkpointsDir)).toEqual(named);

      // The next checkpoint, of the project as the kill left it, is whole and names every blob left.
      const next = await store.checkpoint(path.join(runDir, 'project'), (taken) => testBody(taken.entries));
      expect(next.written.id).toBe('checkpoint_002');
      expect((await new CheckpointStore(checkpointsDir).verify(next.written.id)).usable).toBe(true);
      expect(blobFiles(checkpointsDir)).toEqual(await store.blobsNamedBy(await store.ids()));
      expect(readdirSync(checkpointsDir).filter((name) => name.startsWith('.'))).toEqual([]);
    }, 60_000);
  }
});
