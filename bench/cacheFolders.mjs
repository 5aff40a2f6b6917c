// Cache folders in checkpoints: a Rust-like project (1,000 source files,
// ~1 MB) beside a target/ of build output (8,000 files of 16 KB, 131 MB),
// checkpointed with target/ tagged as Cargo tags it (CACHEDIR.TAG, left out)
// and untagged (stored), in turns: the first checkpoint, one after a rebuild
// (10% of the build output rewritten and one source edited), and the store's
// size. Medians of --rounds. No target: a comparison (issue 13's checkpoint
// targets are bench/checkpoint.mjs's).
//
//   npm run build && node bench/cacheFolders.mjs [--rounds 3] [--dist DIR]

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

const TAG = 'Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by cargo.\n';
const SOURCES = 1_000;
const OUTPUTS = 8_000;
const OUTPUT_BYTES = 16_384;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function bytesUnder(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? bytesUnder(full) : statSync(full).size;
  }
  return total;
}

const outputPath = (project, i) => path.join(project, 'target', 'debug', i % 2 ? 'deps' : `incremental/s-${i % 50}`, `o${i}.bin`);

function makeProject(project, tagged) {
  for (let i = 0; i < SOURCES; i += 1) {
    const dir = path.join(project, 'crates', `c${i % 20}`, 'src');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `m${i}.rs`), `pub fn f${i}() -> u32 { ${i} }\n`.repeat(40));
  }
  for (let i = 0; i < OUTPUTS; i += 1) {
    mkdirSync(path.dirname(outputPath(project, i)), { recursive: true });
    writeFileSync(outputPath(project, i), randomBytes(OUTPUT_BYTES));
  }
  if (tagged) writeFileSync(path.join(project, 'target', 'CACHEDIR.TAG'), TAG);
}

function body(taken, seq) {
  return { timestamp: new Date().toISOString(), session_id: 'bench', phase: 'development', phase_index: 1, trigger: 'forced', last_event_seq: seq, elapsed_seconds: 0, agent_states: [], working_memory: {}, file_system_state: { root: 'project', excluded: taken.excluded, entries: taken.entries }, test_results: null, metrics: null, git_commit: null };
}

async function timed(work) {
  spawnSync('sync');
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
}

async function oneRound(CheckpointStore, tagged) {
  const base = mkdtempSync(path.join(tmpdir(), 'megatest-cachebench-'));
  try {
    const project = path.join(base, 'project');
    makeProject(project, tagged);
    const store = new CheckpointStore(path.join(base, 'checkpoints'));
    const first = await timed(() => store.checkpoint(project, (taken) => body(taken, 1)));
    for (let i = 0; i < OUTPUTS / 10; i += 1) writeFileSync(outputPath(project, i), randomBytes(OUTPUT_BYTES));
    writeFileSync(path.join(project, 'crates/c0/src/m0.rs'), 'pub fn edited() {}\n');
    const rebuilt = await timed(() => store.checkpoint(project, (taken) => body(taken, 2)));
    return { first: first.ms, rebuilt: rebuilt.ms, storeBytes: bytesUnder(path.join(base, 'checkpoints')), projectBytes: bytesUnder(project), files: rebuilt.result.snapshot.files };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

export async function main(argv = []) {
  const { values } = parseArgs({ args: argv, options: { rounds: { type: 'string', default: '3' }, dist: { type: 'string' } } });
  const dist = values.dist ? path.resolve(values.dist) : new URL('../dist', import.meta.url).pathname;
  const { CheckpointStore } = await import(pathToFileURL(path.join(dist, 'checkpoint', 'store.js')).href);
  const rounds = Math.max(1, Number(values.rounds));
  const runs = { untagged: [], tagged: [] };
  for (let round = 0; round < rounds; round += 1) {
    for (const tagged of round % 2 === 0 ? [false, true] : [true, false]) runs[tagged ? 'tagged' : 'untagged'].push(await oneRound(CheckpointStore, tagged));
  }
  const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
  console.log(`cache folders: ${SOURCES} source files + target/ of ${OUTPUTS} files (${mb(OUTPUTS * OUTPUT_BYTES)}), fsync on, medians of ${rounds} rounds, in turns`);
  for (const [name, list] of Object.entries(runs)) {
    const m = (key) => median(list.map((run) => run[key]));
    console.log(`  target/ ${name.padEnd(8)}  first checkpoint ${m('first').toFixed(0)} ms; after a rebuild ${m('rebuilt').toFixed(0)} ms (${m('files')} files in the manifest); store ${mb(m('storeBytes'))} for a project of ${mb(m('projectBytes'))}`);
  }
  return { passed: true };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
