// Checkpoint store benchmark (DESIGN §7): a generated project of 5,000 files /
// 50 MB; first checkpoint, incremental checkpoint with 1% of files changed,
// storage after 20 checkpoints with 5% churn each against the project size,
// and restore time, each beside `cp -a` of the same tree in the same run.
// Targets: incremental >= 10x faster than cp -a; 20 checkpoints < 1.5x the
// project's size. Exits 1 if a target is missed.
//
//   npm run build && node bench/checkpoint.mjs [--files N] [--mb N] [--keep]
//
// Everything is measured on this machine, files in the page cache (as a live
// run's project/ is); cp -a is timed the same way, three times, median.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const DIST_STORE = new URL('../dist/checkpoint/store.js', import.meta.url);

// Deterministic choices (which files, sizes, edits); the bytes of base64 files come from crypto.
function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYWORDS = ['const', 'let', 'function', 'return', 'if', 'else', 'for', 'while', 'await', 'async', 'import', 'export', 'from', 'new', 'this', 'throw', 'try', 'catch', 'class', 'extends', 'interface', 'type', 'switch', 'case', 'break'];
const WORDS = ['queue', 'task', 'worker', 'result', 'error', 'index', 'count', 'value', 'items', 'name', 'state', 'config', 'handler', 'message', 'payload', 'retry', 'timeout', 'priority', 'lease', 'ack', 'store', 'cursor', 'offset', 'batch', 'metrics'];
const PUNCT = ['(', ')', '{', '}', ';', '=', '=>', '.', ',', '+', '<', '>', '!', '&&', '||', '[', ']', ':'];

/** Source-like text: indented lines of keywords, identifiers with random suffixes, numbers, strings. */
function sourceText(size, random) {
  const lines = [];
  let length = 0;
  while (length < size) {
    const indent = '  '.repeat(Math.floor(random() * 5));
    const tokens = [];
    const count = 3 + Math.floor(random() * 9);
    for (let index = 0; index < count; index += 1) {
      const pick = random();
      if (pick < 0.2) tokens.push(KEYWORDS[Math.floor(random() * KEYWORDS.length)]);
      else if (pick < 0.55) tokens.push(WORDS[Math.floor(random() * WORDS.length)] + (random() < 0.5 ? WORDS[Math.floor(random() * WORDS.length)].replace(/^./, (c) => c.toUpperCase()) : ''));
      else if (pick < 0.7) tokens.push(`${WORDS[Math.floor(random() * WORDS.length)]}_${Math.floor(random() * 1e6).toString(36)}`);
      else if (pick < 0.8) tokens.push(String(Math.floor(random() * 100000)));
      else if (pick < 0.85) tokens.push(`'${Math.floor(random() * 2 ** 40).toString(36)}'`);
      else tokens.push(PUNCT[Math.floor(random() * PUNCT.length)]);
    }
    const line = indent + tokens.join(' ');
    lines.push(line);
    length += line.length + 1;
  }
  return Buffer.from(lines.join('\n') + '\n').subarray(0, size);
}

/** Base64 of random bytes in 76-column lines: fixtures, snapshots, encoded assets. */
function base64Data(size) {
  const text = randomBytes(Math.ceil(size * 0.75) + 3).toString('base64').replace(/.{76}/g, '$&\n');
  return Buffer.from(text).subarray(0, size);
}

function makeContent(kind, size, random) {
  return kind === 'text' ? sourceText(size, random) : base64Data(size);
}

/** An edit: a region of the file rewritten with new content of its kind, the size moving a little. */
function editedContent(old, kind, random) {
  const start = Math.floor(random() * old.length * 0.8);
  const replaced = Math.max(16, Math.floor(old.length * (0.02 + random() * 0.1)));
  const inserted = Math.max(16, Math.floor(replaced * (0.8 + random() * 0.4)));
  return Buffer.concat([old.subarray(0, start), makeContent(kind, inserted, random), old.subarray(Math.min(old.length, start + replaced))]);
}

function generateProject(root, fileCount, totalBytes, random) {
  // sizes: log-normal (many small files, a few large), scaled to the total
  const raw = Array.from({ length: fileCount }, () => Math.exp(1.1 * Math.sqrt(-2 * Math.log(random() || 1e-9)) * Math.cos(2 * Math.PI * random())));
  const scale = totalBytes / raw.reduce((sum, value) => sum + value, 0);
  const files = [];
  for (let index = 0; index < fileCount; index += 1) {
    const dir = `pkg${index % 10}/src/module${Math.floor(index / 10) % 50}`;
    // by bytes about half source-like text and half base64 data
    const kind = index % 2 === 0 ? 'text' : 'data';
    const name = `${dir}/file${index}.${kind === 'text' ? 'ts' : 'b64'}`;
    const size = Math.max(64, Math.round(raw[index] * scale));
    mkdirSync(path.join(root, dir), { recursive: true });
    writeFileSync(path.join(root, name), makeContent(kind, size, random));
    files.push({ name, kind });
  }
  return files;
}

/** Changes `fraction` of the files: most are edited, some deleted, as many added. */
function churn(root, files, fraction, random, counter) {
  const changes = Math.max(1, Math.round(files.length * fraction));
  const deletes = Math.floor(changes * 0.1);
  const adds = deletes;
  const edits = changes - deletes - adds;
  for (let index = 0; index < edits; index += 1) {
    const file = files[Math.floor(random() * files.length)];
    const absolute = path.join(root, file.name);
    writeFileSync(absolute, editedContent(readFileSync(absolute), file.kind, random));
  }
  for (let index = 0; index < deletes; index += 1) {
    const [file] = files.splice(Math.floor(random() * files.length), 1);
    unlinkSync(path.join(root, file.name));
  }
  for (let index = 0; index < adds; index += 1) {
    counter.next += 1;
    const kind = random() < 0.5 ? 'text' : 'data';
    const name = `pkg${counter.next % 10}/src/added/new${counter.next}.${kind === 'text' ? 'ts' : 'b64'}`;
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), makeContent(kind, 2000 + Math.floor(random() * 20000), random));
    files.push({ name, kind });
  }
  return changes;
}

function timeCpA(source, scratch, label) {
  const runs = [];
  for (let run = 0; run < 3; run += 1) {
    const target = path.join(scratch, `cp-${label}-${run}`);
    const started = performance.now();
    const result = spawnSync('cp', ['-a', source, target]);
    runs.push(performance.now() - started);
    if (result.status !== 0) throw new Error(`cp -a ${source} ${target} failed: ${result.stderr}`);
    rmSync(target, { recursive: true, force: true });
  }
  return median(runs);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function bodyFor(snapshot, index) {
  return {
    timestamp: new Date().toISOString(),
    session_id: 'bench',
    phase: 'implementation',
    phase_index: 1,
    trigger: 'time',
    last_event_seq: index,
    elapsed_seconds: index * 60,
    agent_states: [],
    working_memory: {},
    file_system_state: { root: 'project', excluded: snapshot.excluded, entries: snapshot.entries },
    test_results: null,
    metrics: null,
    git_commit: null,
  };
}

async function checkpoint(store, project, index) {
  const started = performance.now();
  const snapshot = await store.snapshot(project);
  await store.write(bodyFor(snapshot, index));
  return { ms: performance.now() - started, snapshot };
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const ms = (value) => `${value.toFixed(0)} ms`;

function table(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  return rows.map((row, index) => {
    const line = row.map((cell, column) => String(cell).padEnd(widths[column])).join('  ');
    return index === 0 ? `${line}\n${widths.map((width) => '-'.repeat(width)).join('  ')}` : line;
  }).join('\n');
}

export async function main(argv = process.argv.slice(2)) {
  const option = (name, fallback) => {
    const index = argv.indexOf(name);
    if (index === -1) return fallback;
    const value = Number(argv[index + 1]);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`bench/checkpoint.mjs: ${name} needs a positive number, got ${argv[index + 1]}`);
    return value;
  };
  const fileCount = option('--files', 5000);
  const totalBytes = option('--mb', 50) * 1024 * 1024;
  const keep = argv.includes('--keep');

  let CheckpointStore, diskUsage;
  try {
    ({ CheckpointStore, diskUsage } = await import(DIST_STORE.href));
  } catch (error) {
    throw new Error(`bench/checkpoint.mjs needs the build: run \`npm run build\` first (${fileURLToPath(DIST_STORE)}: ${error.message})`);
  }

  const scratch = mkdtempSync(path.join(tmpdir(), 'megatest-bench-ck-'));
  const random = prng(20250101);
  const counter = { next: fileCount };
  try {
    const project = path.join(scratch, 'project');
    mkdirSync(project);
    let started = performance.now();
    const files = generateProject(project, fileCount, totalBytes, random);
    const generateMs = performance.now() - started;
    const projectUsage = await diskUsage(project);
    process.stderr.write(`generated ${projectUsage.files} files, ${mb(projectUsage.bytes)} in ${ms(generateMs)}\n`);

    // 1. first checkpoint and incremental ones (1% of files changed), beside cp -a
    const cpFirst = timeCpA(project, scratch, 'first');
    const speedStore = new CheckpointStore(path.join(scratch, 'speed', 'checkpoints'));
    const first = await checkpoint(speedStore, project, 1);
    const incremental = [];
    for (let round = 0; round < 3; round += 1) {
      churn(project, files, 0.01, random, counter);
      incremental.push(await checkpoint(speedStore, project, 2 + round));
    }
    const cpIncremental = timeCpA(project, scratch, 'incremental');
    const incrementalMs = median(incremental.map((result) => result.ms));
    const incrementalNew = incremental.map((result) => result.snapshot.newBlobs);

    // 2. storage: 20 checkpoints in a fresh store, 5% churn before each after the first
    const storageStore = new CheckpointStore(path.join(scratch, 'storage', 'checkpoints'));
    const originalTree = (await checkpoint(storageStore, project, 1)).snapshot.entries;
    const originalCopy = path.join(scratch, 'original-copy');
    spawnSync('cp', ['-a', project, originalCopy]);
    const churnMs = [];
    for (let index = 2; index <= 20; index += 1) {
      churn(project, files, 0.05, random, counter);
      churnMs.push((await checkpoint(storageStore, project, index)).ms);
    }
    const storeUsage = await diskUsage(path.join(scratch, 'storage', 'checkpoints'));
    const storageBytes = await storageStore.storageBytes();
    const finalProject = await diskUsage(project);
    // the smaller of the project before and after the churn, so the ratio is not flattered
    const projectBytes = Math.min(projectUsage.bytes, finalProject.bytes);
    const manifestBytes = readdirSync(path.join(scratch, 'storage', 'checkpoints'))
      .filter((name) => name.endsWith('.json'))
      .reduce((sum, name) => sum + statSync(path.join(scratch, 'storage', 'checkpoints', name)).size, 0);

    started = performance.now();
    const listing = await new CheckpointStore(path.join(scratch, 'storage', 'checkpoints')).list();
    const listMs = performance.now() - started;
    if (listing.length !== 20 || !listing.every((item) => item.valid)) throw new Error(`expected 20 valid checkpoints, list() gave ${JSON.stringify(listing.map((item) => [item.id, item.valid, item.reason]))}`);

    // 3. restore: roll project/ (19 x 5% churn later) back to checkpoint 1, and restore into an empty folder
    started = performance.now();
    const rollback = await storageStore.restore(project, originalTree);
    const rollbackMs = performance.now() - started;
    const rollbackCheck = spawnSync('diff', ['-r', '--no-dereference', originalCopy, project]);
    if (rollbackCheck.status !== 0) throw new Error(`restored project/ differs from the original: ${rollbackCheck.stdout}`.slice(0, 2000));
    const emptyTarget = path.join(scratch, 'restored-empty');
    const fresh = new CheckpointStore(path.join(scratch, 'storage', 'checkpoints'));
    started = performance.now();
    const full = await fresh.restore(emptyTarget, originalTree);
    const fullMs = performance.now() - started;
    const cpRestore = timeCpA(originalCopy, scratch, 'restore');

    const incrementalSpeedup = cpIncremental / incrementalMs;
    const storageRatio = storageBytes / projectBytes;
    const incrementalOk = incrementalSpeedup >= 10;
    const storageOk = storageRatio < 1.5;

    const rows = [
      ['measure', 'megatest', 'cp -a (same tree)', 'ratio', 'target'],
      ['first checkpoint', `${ms(first.ms)} (${first.snapshot.files} files, ${mb(first.snapshot.bytes)}, ${mb(first.snapshot.newBlobBytes)} gzip)`, ms(cpFirst), `${(first.ms / cpFirst).toFixed(2)}x the time`, '-'],
      ['incremental, 1% files changed', `${ms(incrementalMs)} (median of 3; ${incrementalNew.join('/')} new blobs)`, ms(cpIncremental), `${incrementalSpeedup.toFixed(1)}x faster`, `>= 10x faster: ${incrementalOk ? 'PASS' : 'FAIL'}`],
      ['storage, 20 checkpoints, 5% churn', `${mb(storageBytes)} (blobs ${mb(storageBytes - manifestBytes)}, checkpoint files ${mb(manifestBytes)}; ${mb(storeUsage.allocatedBytes)} on disk)`, `${mb(20 * projectBytes)} (20 copies)`, `${storageRatio.toFixed(2)}x project (${mb(projectBytes)}); ${(storeUsage.allocatedBytes / projectUsage.allocatedBytes).toFixed(2)}x in disk blocks`, `< 1.5x: ${storageOk ? 'PASS' : 'FAIL'}`],
      ['checkpoints 2-20 (5% churn)', `${ms(median(churnMs))} median, ${ms(Math.max(...churnMs))} max`, '', '', '-'],
      ['restore: roll back 19 x 5% churn', `${ms(rollbackMs)} (${rollback.written} written, ${rollback.deleted} deleted)`, ms(cpRestore), `${(rollbackMs / cpRestore).toFixed(2)}x the time`, '-'],
      ['restore into an empty folder', `${ms(fullMs)} (${full.written} written)`, ms(cpRestore), `${(fullMs / cpRestore).toFixed(2)}x the time`, '-'],
      ['list() of 20 checkpoints', `${ms(listMs)} (checksums + every blob checked)`, '', '', '-'],
    ];
    const report = `checkpoint store: ${fileCount} files, ${mb(projectUsage.bytes)} (half source-like text, half base64 data), durable writes (fsync)\n${table(rows)}\n`;
    process.stdout.write(report);
    const passed = incrementalOk && storageOk;
    if (!passed) process.stdout.write('checkpoint bench: a target was missed\n');
    return {
      passed,
      figures: { files: fileCount, projectBytes, firstMs: first.ms, cpFirstMs: cpFirst, incrementalMs, cpIncrementalMs: cpIncremental, incrementalSpeedup, storageBytes, storageRatio, rollbackMs, fullRestoreMs: fullMs, cpRestoreMs: cpRestore, listMs },
    };
  } finally {
    if (keep) process.stderr.write(`kept ${scratch}\n`);
    else rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().then(
    (result) => {
      process.exitCode = result.passed ? 0 : 1;
    },
    (error) => {
      process.stderr.write(`${error.stack ?? error}\n`);
      process.exitCode = 1;
    },
  );
}
