// Checkpoint store benchmark (DESIGN §7, issue 13): a generated project
// (default 5,000 files / 50 MB; `--files 50000 --mb 500` for the large
// size). Each figure stands beside its reference, timed on the same tree in
// the same run, tools interleaved round by round, medians of `--rounds`:
//
//   first checkpoint           megatest | restic backup, git add+commit, cp -a
//                              (and the creating of as many empty files as it made blobs)
//   no-change checkpoint       megatest (same process; a new process: the stat cache on disk) | git, restic
//   1% of files changed        megatest | git, restic, cp -a
//   20 checkpoints, 5% churn   megatest storage | restic repository, git objects
//   full restore (empty dir)   megatest (a new process) | cp -a, restic restore
//   roll back 19 x 5% churn    megatest | cp -a
//   list() of 20 checkpoints   megatest
//   their blobs                megatest (blobsNamedBy: what `resume` of a finished run links into its branch)
//   verify of 20 checkpoints   megatest (a new process, as `megatest checkpoints verify` and the report) | restic check --read-data
//
// Targets (issue 13): first <= restic; no-change <= git; storage <= restic;
// full restore <= 1.3x cp -a; and (issue 3) 1% changed >= 10x faster than
// cp -a, storage < 1.5x the project. A target whose reference tool is not
// installed is reported as not measured. Exits 1 if a measured target is missed.
//
//   npm run build && node bench/checkpoint.mjs [--files N] [--mb N] [--rounds N] [--keep] [--dist DIR]
//
// Files are in the page cache (as a live run's project/ is); megatest runs
// in this process with fsync on, but for the steps that a person meets in a
// new process (the first checkpoint after a restart, a full restore by
// `megatest resume`): those run in a child of this script, timed there from
// the store's creation (the modules loaded, its code not yet compiled, no
// helper thread started), as a restarted orchestrator pays them. git and
// restic are separate processes (their start-up is in their figures). Every
// timed step starts after a `sync` (settle), the removal of the previous
// round's output before it.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpA, createEmptyFiles, discard, GitRef, median, ResticRef } from './checkpointRefs.mjs';

const DIST_STORE = new URL('../dist/checkpoint/store.js', import.meta.url);

// Deterministic choices (which files, sizes, edits); the bytes of base64 files come from crypto.
export function prng(seed) {
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

export function generateProject(root, fileCount, totalBytes, random) {
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

/** A checkpoint as the orchestrator takes one: store.checkpoint (a build from before it: snapshot, then write). */
export async function checkpoint(store, project, index) {
  const started = performance.now();
  if (typeof store.checkpoint === 'function') {
    const { snapshot } = await store.checkpoint(project, (taken) => bodyFor(taken, index));
    return { ms: performance.now() - started, snapshot };
  }
  const snapshot = await store.snapshot(project);
  await store.write(bodyFor(snapshot, index));
  return { ms: performance.now() - started, snapshot };
}

/**
 * Flushes what earlier steps left to write back, so no tool's timed step
 * pays for the one before it (on this VM's disk the write-back of 5,000
 * files swings a following step by up to 4x). The page cache stays warm.
 */
const settle = () => spawnSync('sync');

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const ms = (value) => (value === null ? 'not installed' : `${value.toFixed(0)} ms`);
const ratio = (value, reference) => (reference === null ? '-' : `${(value / reference).toFixed(2)}x`);

function table(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  return rows.map((row, index) => {
    const line = row.map((cell, column) => String(cell).padEnd(widths[column])).join('  ');
    return index === 0 ? `${line}\n${widths.map((width) => '-'.repeat(width)).join('  ')}` : line;
  }).join('\n');
}

/** Bytes of the files under dir (sizes, as the store's storageBytes counts them). */
function treeBytes(dir) {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += statSync(path.join(entry.parentPath ?? entry.path, entry.name), { throwIfNoEntry: false })?.size ?? 0;
  }
  return bytes;
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
  const rounds = option('--rounds', 3);
  const keep = argv.includes('--keep');
  const distIndex = argv.indexOf('--dist');
  const storeModule = distIndex === -1 ? DIST_STORE : pathToFileURL(path.resolve(argv[distIndex + 1], 'checkpoint/store.js'));

  let CheckpointStore, diskUsage;
  try {
    ({ CheckpointStore, diskUsage } = await import(storeModule.href));
  } catch (error) {
    throw new Error(`bench/checkpoint.mjs needs the build: run \`npm run build\` first (${fileURLToPath(storeModule)}: ${error.message})`);
  }
  const gitVersion = GitRef.version();
  const resticVersion = ResticRef.version();

  const scratch = mkdtempSync(path.join(tmpdir(), 'megatest-bench-ck-'));
  const at = (...parts) => path.join(scratch, ...parts);
  const random = prng(20250101);
  const counter = { next: fileCount };
  try {
    const project = at('project');
    mkdirSync(project);
    let started = performance.now();
    const files = generateProject(project, fileCount, totalBytes, random);
    const projectUsage = await diskUsage(project);
    process.stderr.write(`generated ${projectUsage.files} files, ${mb(projectUsage.bytes)} in ${ms(performance.now() - started)}; git: ${gitVersion ?? 'not installed'}; restic: ${resticVersion ?? 'not installed'}\n`);
    const git = gitVersion ? new GitRef(at('git', '.git'), project) : null;
    const restic = resticVersion ? new ResticRef(at('restic'), project, at('restic-cache')) : null;
    const step = (text) => process.stderr.write(`  ${text}\n`);

    // 1. first checkpoint, each tool into a fresh store, `rounds` times interleaved
    const first = { megatest: [], git: [], restic: [], cp: [], createOnly: [] };
    let speedStore = null;
    let firstSnapshot = null;
    for (let round = 0; round < rounds; round += 1) {
      discard(at('speed'));
      speedStore = new CheckpointStore(at('speed', 'checkpoints'));
      settle();
      const result = await checkpoint(speedStore, project, 1);
      first.megatest.push(result.ms);
      firstSnapshot = result.snapshot;
      if (git) {
        git.init();
        settle();
        first.git.push(git.commit());
      }
      if (restic) {
        restic.init();
        settle();
        first.restic.push(restic.backup());
      }
      discard(at('cp-first'));
      settle();
      first.cp.push(cpA(project, at('cp-first')));
      // The floor of one file a blob: as many empty files as the first checkpoint made blobs.
      discard(at('cp-first'));
      settle();
      first.createOnly.push(createEmptyFiles(at('create-only'), result.snapshot.newBlobs));
      discard(at('create-only'));
      step(`first checkpoint, round ${round + 1}: megatest ${ms(result.ms)}, git ${ms(first.git.at(-1) ?? null)}, restic ${ms(first.restic.at(-1) ?? null)}, cp -a ${ms(first.cp.at(-1))}, ${result.snapshot.newBlobs} empty files ${ms(first.createOnly.at(-1))}`);
    }
    discard(at('cp-first'));

    // 2. no change: the same store again, a new store over the same folder (a restarted process), git, restic
    const noChange = { same: [], restarted: [], git: [], restic: [] };
    for (let round = 0; round < rounds; round += 1) {
      settle();
      noChange.same.push((await checkpoint(speedStore, project, 2)).ms);
      settle();
      noChange.restarted.push(inNewProcess(['checkpoint', storeModule.href, at('speed', 'checkpoints'), project, '2']).ms);
      settle();
      if (git) noChange.git.push(git.commit());
      settle();
      if (restic) noChange.restic.push(restic.backup());
    }
    step(`no change: megatest ${ms(median(noChange.same))}, restarted ${ms(median(noChange.restarted))}, git ${ms(git ? median(noChange.git) : null)}, restic ${ms(restic ? median(noChange.restic) : null)}`);

    // 3. 1% of the files changed before each round; every tool checkpoints the same change
    const incremental = { megatest: [], git: [], restic: [], newBlobs: [] };
    for (let round = 0; round < rounds; round += 1) {
      churn(project, files, 0.01, random, counter);
      settle();
      const result = await checkpoint(speedStore, project, 3 + round);
      incremental.megatest.push(result.ms);
      incremental.newBlobs.push(result.snapshot.newBlobs);
      settle();
      if (git) incremental.git.push(git.commit());
      settle();
      if (restic) incremental.restic.push(restic.backup());
    }
    const cpIncremental = median(
      Array.from({ length: 3 }, () => {
        discard(at('cp-incremental'));
        settle();
        return cpA(project, at('cp-incremental'));
      }),
    );
    discard(at('cp-incremental'));
    step(`1% changed: megatest ${ms(median(incremental.megatest))}, git ${ms(git ? median(incremental.git) : null)}, restic ${ms(restic ? median(incremental.restic) : null)}`);

    // 4. storage: 20 checkpoints in fresh stores, 5% churn before each after the first
    const storageDir = at('storage', 'checkpoints');
    const storageStore = new CheckpointStore(storageDir);
    const storageGit = git ? new GitRef(at('storage-git', '.git'), project) : null;
    const storageRestic = restic ? new ResticRef(at('storage-restic'), project, at('restic-cache')) : null;
    storageGit?.init();
    storageRestic?.init();
    const originalTree = (await checkpoint(storageStore, project, 1)).snapshot.entries;
    storageGit?.commit();
    storageRestic?.backup();
    const originalCopy = at('original-copy');
    cpA(project, originalCopy);
    const churnMs = [];
    for (let index = 2; index <= 20; index += 1) {
      churn(project, files, 0.05, random, counter);
      churnMs.push((await checkpoint(storageStore, project, index)).ms);
      storageGit?.commit();
      storageRestic?.backup();
    }
    const storeUsage = await diskUsage(storageDir);
    const storageBytes = await storageStore.storageBytes();
    const finalProject = await diskUsage(project);
    // the smaller of the project before and after the churn, so the ratio is not flattered
    const projectBytes = Math.min(projectUsage.bytes, finalProject.bytes);
    const checkpointFileBytes = readdirSync(storageDir).filter((name) => name.endsWith('.json')).reduce((sum, name) => sum + statSync(path.join(storageDir, name)).size, 0);
    const gitBytes = storageGit ? treeBytes(storageGit.gitDir) : null;
    const resticBytes = storageRestic ? treeBytes(storageRestic.repo) : null;
    step(`storage: megatest ${mb(storageBytes)}, git ${gitBytes === null ? '-' : mb(gitBytes)}, restic ${resticBytes === null ? '-' : mb(resticBytes)}`);

    started = performance.now();
    const listing = await new CheckpointStore(storageDir).list();
    const listMs = performance.now() - started;
    if (listing.length !== 20 || !listing.every((item) => item.valid)) throw new Error(`expected 20 valid checkpoints, list() gave ${JSON.stringify(listing.map((item) => [item.id, item.valid, item.reason]))}`);
    // What a branch links (resumeBranch.ts): the same blobs, each shared listing gone through once (a build before it has no blobsNamedBy).
    let namedMs = null;
    const namedStore = new CheckpointStore(storageDir);
    if (typeof namedStore.blobsNamedBy === 'function') {
      started = performance.now();
      const named = await namedStore.blobsNamedBy(listing.map((item) => item.id));
      namedMs = performance.now() - started;
      const expected = new Set(listing.flatMap((item) => [...item.body.file_system_state.entries.filter((entry) => entry.type === 'file').map((entry) => entry.sha256), ...item.listings]));
      if (named.size !== expected.size || ![...named].every((sha256) => expected.has(sha256))) throw new Error(`blobsNamedBy gave ${named.size} blobs, list() names ${expected.size}`);
    }

    // Every blob of every checkpoint read back against its sha256, by a new process; restic reads back every pack.
    const verify = { megatest: [], restic: [] };
    let verified = null;
    for (let round = 0; round < rounds; round += 1) {
      settle();
      verified = inNewProcess(['verify', storeModule.href, storageDir]);
      if (verified.usable !== 20) throw new Error(`expected 20 usable checkpoints, verify gave ${verified.usable}`);
      verify.megatest.push(verified.ms);
      settle();
      if (storageRestic) verify.restic.push(storageRestic.checkReadData());
      step(`verify, round ${round + 1}: megatest ${ms(verify.megatest.at(-1))}, restic check --read-data ${ms(verify.restic.at(-1) ?? null)}`);
    }

    // 5. restore: roll project/ (19 x 5% churn later) back to checkpoint 1, byte for byte
    settle();
    started = performance.now();
    const rollback = await storageStore.restore(project, originalTree);
    const rollbackMs = performance.now() - started;
    const rollbackCheck = spawnSync('diff', ['-r', '--no-dereference', originalCopy, project]);
    if (rollbackCheck.status !== 0) throw new Error(`restored project/ differs from the original: ${rollbackCheck.stdout}`.slice(0, 2000));

    // 6. full restore of checkpoint 1 into an empty folder by a new store (a new process), beside cp -a and restic restore
    const full = { megatest: [], cp: [], restic: [] };
    let fullResult = null;
    writeFileSync(at('original-tree.json'), JSON.stringify(originalTree));
    const firstResticSnapshot = storageRestic?.firstSnapshot() ?? null;
    for (let round = 0; round < rounds; round += 1) {
      const target = at('restored-empty');
      discard(target);
      settle();
      fullResult = inNewProcess(['restore', storeModule.href, storageDir, target, at('original-tree.json')]);
      full.megatest.push(fullResult.ms);
      if (round === 0) {
        const check = spawnSync('diff', ['-r', '--no-dereference', originalCopy, target]);
        if (check.status !== 0) throw new Error(`restore into an empty folder differs from the original: ${check.stdout}`.slice(0, 2000));
      }
      discard(at('cp-restore'));
      settle();
      full.cp.push(cpA(originalCopy, at('cp-restore')));
      discard(at('restic-restore'));
      settle();
      if (storageRestic) full.restic.push(storageRestic.restore(at('restic-restore'), firstResticSnapshot));
      step(`full restore, round ${round + 1}: megatest ${ms(full.megatest.at(-1))}, cp -a ${ms(full.cp.at(-1))}, restic ${ms(full.restic.at(-1) ?? null)}`);
    }
    for (const name of ['restored-empty', 'cp-restore', 'restic-restore']) discard(at(name));

    const m = (values, present = true) => (present && values.length > 0 ? median(values) : null);
    const figures = {
      files: fileCount,
      projectBytes,
      firstMs: m(first.megatest),
      firstGitMs: m(first.git),
      firstResticMs: m(first.restic),
      firstCpMs: m(first.cp),
      createOnlyMs: m(first.createOnly),
      noChangeMs: m(noChange.same),
      noChangeRestartedMs: m(noChange.restarted),
      noChangeGitMs: m(noChange.git),
      noChangeResticMs: m(noChange.restic),
      incrementalMs: m(incremental.megatest),
      incrementalGitMs: m(incremental.git),
      incrementalResticMs: m(incremental.restic),
      cpIncrementalMs: cpIncremental,
      storageBytes,
      storageRatio: storageBytes / projectBytes,
      gitBytes,
      resticBytes,
      rollbackMs,
      fullRestoreMs: m(full.megatest),
      cpRestoreMs: m(full.cp),
      resticRestoreMs: m(full.restic),
      listMs,
      namedMs,
      verifyMs: m(verify.megatest),
      verifyResticMs: m(verify.restic),
    };
    const f = figures;
    const verdict = (ok) => (ok === null ? 'not measured' : ok ? 'PASS' : 'MISS');
    const targets = {
      first: f.firstResticMs === null ? null : f.firstMs <= f.firstResticMs,
      noChange: f.noChangeGitMs === null ? null : Math.max(f.noChangeMs, f.noChangeRestartedMs) <= f.noChangeGitMs,
      incremental: f.cpIncrementalMs / f.incrementalMs >= 10,
      storage: f.resticBytes === null ? f.storageRatio < 1.5 : f.storageRatio < 1.5 && f.storageBytes <= f.resticBytes,
      restore: f.fullRestoreMs <= 1.3 * f.cpRestoreMs,
    };
    const rows = [
      ['measure', 'megatest', 'git', 'restic', 'cp -a', 'target'],
      ['first checkpoint', `${ms(f.firstMs)} (${firstSnapshot.files} files, ${mb(firstSnapshot.bytes)} -> ${mb(firstSnapshot.newBlobBytes)} of blobs)`, ms(f.firstGitMs), ms(f.firstResticMs), ms(f.firstCpMs), `<= restic: ${verdict(targets.first)} (${ratio(f.firstMs, f.firstResticMs)})`],
      [`creating ${firstSnapshot.newBlobs} empty files (one a blob)`, ms(f.createOnlyMs), '', '', '', 'the file system\'s part of the first checkpoint'],
      ['no-change checkpoint', `${ms(f.noChangeMs)}; after a restart ${ms(f.noChangeRestartedMs)}`, ms(f.noChangeGitMs), ms(f.noChangeResticMs), '', `<= git: ${verdict(targets.noChange)} (${ratio(Math.max(f.noChangeMs, f.noChangeRestartedMs), f.noChangeGitMs)})`],
      ['1% of files changed', `${ms(f.incrementalMs)} (${incremental.newBlobs.join('/')} new blobs)`, ms(f.incrementalGitMs), ms(f.incrementalResticMs), ms(f.cpIncrementalMs), `>= 10x faster than cp -a: ${verdict(targets.incremental)} (${(f.cpIncrementalMs / f.incrementalMs).toFixed(1)}x)`],
      ['storage, 20 checkpoints at 5% churn', `${mb(f.storageBytes)} = ${f.storageRatio.toFixed(2)}x the project (checkpoint files ${mb(checkpointFileBytes)}; ${mb(storeUsage.allocatedBytes)} in blocks)`, f.gitBytes === null ? '-' : `${mb(f.gitBytes)} (${(f.gitBytes / projectBytes).toFixed(2)}x)`, f.resticBytes === null ? '-' : `${mb(f.resticBytes)} (${(f.resticBytes / projectBytes).toFixed(2)}x)`, `${mb(20 * projectBytes)} (20 copies)`, `< 1.5x and <= restic: ${verdict(targets.storage)}`],
      ['checkpoints 2-20 (5% churn)', `${ms(median(churnMs))} median, ${ms(Math.max(...churnMs))} max`, '', '', '', ''],
      ['full restore into an empty folder', `${ms(f.fullRestoreMs)} (${fullResult.written} written)`, '', ms(f.resticRestoreMs), ms(f.cpRestoreMs), `<= 1.3x cp -a: ${verdict(targets.restore)} (${ratio(f.fullRestoreMs, f.cpRestoreMs)})`],
      ['roll back 19 x 5% churn', `${ms(f.rollbackMs)} (${rollback.written} written, ${rollback.deleted} deleted)`, '', '', ms(f.cpRestoreMs), ratio(f.rollbackMs, f.cpRestoreMs)],
      ['list() of 20 checkpoints', ms(f.listMs), '', '', '', ''],
      ['their blobs, as a branch links them', f.namedMs === null ? 'not in this build' : ms(f.namedMs), '', '', '', ''],
      ['verify of 20 checkpoints (a new process)', `${ms(f.verifyMs)} (${verified.blobs} blobs read back)`, '', ms(f.verifyResticMs), '', f.verifyResticMs === null ? '' : `${ratio(f.verifyMs, f.verifyResticMs)} restic check --read-data`],
    ];
    const report = `checkpoint store: ${fileCount} files, ${mb(projectUsage.bytes)} (half source-like text, half base64 data), fsync on, medians of ${rounds} rounds\n${table(rows)}\n`;
    process.stdout.write(report);
    const passed = Object.values(targets).every((ok) => ok !== false);
    if (!passed) process.stdout.write('checkpoint bench: a target was missed\n');
    return { passed, figures };
  } finally {
    if (keep) process.stderr.write(`kept ${scratch}\n`);
    else rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * In a new process (this script run with --child): one checkpoint of
 * project by a new store over folder, one restore of the manifest in
 * entriesFile into target, or one verify of every checkpoint in folder;
 * prints the milliseconds from the store's creation to the end.
 */
async function child([what, storeHref, folder, target, extra]) {
  const { CheckpointStore } = await import(storeHref);
  if (what === 'checkpoint') {
    process.stdout.write(`${JSON.stringify({ ms: (await checkpoint(new CheckpointStore(folder), target, Number(extra))).ms })}\n`);
    return;
  }
  if (what === 'verify') {
    const started = performance.now();
    const results = await new CheckpointStore(folder).verifyAll();
    const ms = performance.now() - started;
    const blobs = new Set(results.flatMap((result) => result.body?.file_system_state.entries.filter((entry) => entry.type === 'file').map((entry) => entry.sha256) ?? [])).size;
    process.stdout.write(`${JSON.stringify({ ms, usable: results.filter((result) => result.usable).length, blobs })}\n`);
    return;
  }
  if (what !== 'restore') throw new Error(`bench/checkpoint.mjs --child: checkpoint, restore or verify, got ${what}`);
  const entries = JSON.parse(readFileSync(extra, 'utf8'));
  const started = performance.now();
  const { written } = await new CheckpointStore(folder).restore(target, entries);
  process.stdout.write(`${JSON.stringify({ ms: performance.now() - started, written })}\n`);
}

/** What `child(args)` printed, run in a new process: { ms } and, of a restore, { written }. */
function inNewProcess(args) {
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  let value = null;
  try {
    value = JSON.parse(run.stdout);
  } catch {
    // told below
  }
  if (run.status !== 0 || !Number.isFinite(value?.ms)) throw new Error(`bench/checkpoint.mjs --child ${args[0]} failed (${run.status}): ${run.stderr}`.slice(0, 2000));
  return value;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href && process.argv[2] === '--child') {
  child(process.argv.slice(3)).catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exitCode = 1;
  });
} else if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
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
