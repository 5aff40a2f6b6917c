// Tagged cache folders (CACHEDIR.TAG, https://bford.info/cachedir/) are left
// out of checkpoints and left alone by restores, as .git and node_modules
// are: Cargo tags its target/, and every checkpoint after a `cargo build`
// stored its build output. A folder is left out by its tag, never by its
// name: src/target/ without a tag is source, and a tag file that does not
// carry the signature is an ordinary file.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/store.js';

const TAG = 'Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by cargo.\n';

let runDir: string;
let project: string;
let checkpoints: string;

beforeEach(() => {
  runDir = mkdtempSync(path.join(tmpdir(), 'megatest-cachedir-'));
  project = path.join(runDir, 'project');
  checkpoints = path.join(runDir, 'checkpoints');
  mkdirSync(project);
});
afterEach(() => rmSync(runDir, { recursive: true, force: true }));

function put(relative: string, content: string): void {
  mkdirSync(path.dirname(path.join(project, relative)), { recursive: true });
  writeFileSync(path.join(project, relative), content);
}

/** A Cargo workspace after a build: sources, a tagged target/ at the root and in a member. */
function cargoWorkspace(): void {
  put('Cargo.toml', '[workspace]\nmembers = ["crates/queue"]\n');
  put('crates/queue/src/lib.rs', 'pub fn push() {}\n');
  put('crates/queue/src/target/mod.rs', 'pub struct Target;\n');
  put('target/CACHEDIR.TAG', TAG);
  put('target/debug/deps/libqueue.rlib', 'build output\n'.repeat(100));
  put('crates/queue/target/CACHEDIR.TAG', TAG);
  put('crates/queue/target/debug/incremental/s-1/dep-graph.bin', 'graph');
  // Named like a tag, but without the signature: an ordinary file of an ordinary folder.
  put('notes/CACHEDIR.TAG', 'Signature: not the one\n');
}

describe('tagged cache folders', () => {
  it('are left out of a snapshot and recorded as excluded; a folder named target without a tag, or a tag without the signature, is kept', async () => {
    cargoWorkspace();
    const result = await new CheckpointStore(checkpoints).snapshot(project);
    expect(result.excluded).toEqual(['crates/queue/target', 'target']);
    const paths = result.entries.map((entry) => entry.path);
    expect(paths.filter((p) => p === 'target' || p.startsWith('target/') || p.startsWith('crates/queue/target'))).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(['Cargo.toml', 'crates/queue/src/lib.rs', 'crates/queue/src/target/mod.rs', 'notes/CACHEDIR.TAG']));
  });

  it('stay left out when the walk reuses its listings, and a folder tagged since is left out from then on', async () => {
    cargoWorkspace();
    put('build-cache/a.bin', 'a');
    const store = new CheckpointStore(checkpoints);
    const first = await store.snapshot(project);
    expect(first.entries.map((entry) => entry.path)).toContain('build-cache/a.bin');
    put('build-cache/CACHEDIR.TAG', TAG);
    const second = await store.snapshot(project);
    expect(second.excluded).toEqual(['build-cache', 'crates/queue/target', 'target']);
    expect(second.entries.map((entry) => entry.path).filter((p) => p.startsWith('build-cache'))).toEqual([]);
    const third = await store.snapshot(project);
    expect(third.excluded).toEqual(second.excluded);
    expect(third.entries).toEqual(second.entries);
  });

  it('are left alone by a restore, which puts the rest back', async () => {
    cargoWorkspace();
    const store = new CheckpointStore(checkpoints);
    const { entries } = await store.snapshot(project);
    put('crates/queue/src/lib.rs', 'pub fn push() { broken }\n');
    put('target/debug/deps/newer.rlib', 'a later build\n');
    await store.restore(project, entries);
    expect(readFileSync(path.join(project, 'crates/queue/src/lib.rs'), 'utf8')).toBe('pub fn push() {}\n');
    // The build output is the later build's, untouched: neither rolled back nor removed.
    expect(readFileSync(path.join(project, 'target/debug/deps/newer.rlib'), 'utf8')).toBe('a later build\n');
    expect(readFileSync(path.join(project, 'target/debug/deps/libqueue.rlib'), 'utf8')).toBe('build output\n'.repeat(100));
  });
});

describe('a checkpoint taken before its folder was tagged', () => {
  it('is restored around the folder, now a cache: the rest goes back, the folder is left as it is', async () => {
    put('src/lib.rs', 'pub fn a() {}\n');
    put('target/debug/old.rlib', 'old build\n');
    const store = new CheckpointStore(checkpoints);
    const { entries } = await store.snapshot(project);
    expect(entries.map((entry) => entry.path)).toContain('target/debug/old.rlib');
    put('target/CACHEDIR.TAG', TAG);
    put('target/debug/old.rlib', 'rebuilt\n');
    put('target/debug/new.rlib', 'new build\n');
    put('src/lib.rs', 'changed\n');
    await store.restore(project, entries);
    expect(readFileSync(path.join(project, 'src/lib.rs'), 'utf8')).toBe('pub fn a() {}\n');
    expect(readFileSync(path.join(project, 'target/debug/old.rlib'), 'utf8')).toBe('rebuilt\n');
    expect(readFileSync(path.join(project, 'target/debug/new.rlib'), 'utf8')).toBe('new build\n');
  });
});
