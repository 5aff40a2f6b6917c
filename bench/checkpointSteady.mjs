// The checkpoints of a running orchestrator, two builds of the store side by
// side: one store per build over one generated project, both past their
// first checkpoint; then each round a checkpoint with nothing changed and one
// after a few files changed (edited in place, deleted, added in new
// folders), the builds in turns (the order swapped every round), beside
// `git add -A` + `git commit` of the same tree in the same round. Each
// checkpoint's CPU time (this process, both its threads) is shown beside its
// wall time: it swings far less with the file system. Figures
// from separate runs cannot be set against each other on this VM (the cost
// of the file system swings from minute to minute, bench/checkpointVersus.mjs);
// in turns, both builds and git meet the same swings.
//
//   npm run build && node bench/checkpointSteady.mjs --dist OTHER/dist [--files N] [--mb N] [--rounds N] [--changes N]
//
// OTHER/dist is another tree's `tsc` output. --changes is how many files
// change before each "changed" checkpoint (default 50: 40 edited, 5 deleted,
// 5 added). Prints every round and the medians; exits 0 (it compares).

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkpoint, generateProject, prng } from './checkpoint.mjs';
import { GitRef, median } from './checkpointRefs.mjs';

const settle = () => spawnSync('sync');
const ms = (value) => (value === null ? 'not installed' : `${Math.round(value).toLocaleString('en-US')} ms`);

/** Every file under root, relative. */
function filesOf(root) {
  const found = [];
  const visit = (relative) => {
    for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) visit(child);
      else found.push(child);
    }
  };
  visit('');
  return found;
}

/** Changes `count` files: 80% edited in place (one byte), 10% deleted, 10% added in folders of their own. */
function change(root, files, count, random, counter) {
  const removed = Math.floor(count / 10);
  for (let index = 0; index < count - 2 * removed; index += 1) {
    const absolute = path.join(root, files[Math.floor(random() * files.length)]);
    const content = readFileSync(absolute);
    content[Math.floor(random() * content.length)] = 0x41 + Math.floor(random() * 26);
    writeFileSync(absolute, content);
  }
  for (let index = 0; index < removed; index += 1) unlinkSync(path.join(root, files.splice(Math.floor(random() * files.length), 1)[0]));
  for (let index = 0; index < removed; index += 1) {
    counter.next += 1;
    const name = `pkg${counter.next % 10}/src/added${Math.floor(counter.next / 50)}/new${counter.next}.ts`;
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), `export const added${counter.next} = ${counter.next};\n`.repeat(40));
    files.push(name);
  }
}

export async function main(argv = process.argv.slice(2)) {
  const value = (name, fallback) => {
    const index = argv.indexOf(name);
    return index === -1 ? fallback : argv[index + 1];
  };
  const number = (name, fallback) => {
    const parsed = Number(value(name, fallback));
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`bench/checkpointSteady.mjs: ${name} needs a positive number, got ${value(name)}`);
    return parsed;
  };
  const other = value('--dist', null);
  if (other === null) throw new Error('bench/checkpointSteady.mjs: --dist DIR (the other build) is needed');
  const fileCount = number('--files', 5000);
  const totalBytes = number('--mb', 50) * 1024 * 1024;
  const rounds = number('--rounds', 9);
  const changes = number('--changes', 50);
  const builds = [
    { name: 'this', module: new URL('../dist/checkpoint/store.js', import.meta.url) },
    { name: 'other', module: pathToFileURL(path.resolve(other, 'checkpoint/store.js')) },
  ];
  const scratch = mkdtempSync(path.join(tmpdir(), 'megatest-bench-steady-'));
  const at = (...parts) => path.join(scratch, ...parts);
  try {
    const project = at('project');
    mkdirSync(project);
    generateProject(project, fileCount, totalBytes, prng(20250101));
    const files = filesOf(project);
    for (const build of builds) {
      build.store = new (await import(build.module.href)).CheckpointStore(at(`checkpoints-${build.name}`));
      build.unchanged = [];
      build.changed = [];
      build.unchangedCpu = [];
      build.changedCpu = [];
    }
    const git = GitRef.version() === null ? null : new GitRef(at('git'), project);
    const reference = { unchanged: [], changed: [] };
    const say = (text) => process.stderr.write(`  ${text}\n`);
    // Past the first checkpoint, and one more: the running store's state (its index, what its walk read).
    for (const build of builds) for (let index = 0; index < 2; index += 1) await checkpoint(build.store, project, index);
    git?.init();
    git?.commit();
    settle();

    /** A checkpoint by build's store: its wall time pushed to `key`, its CPU time to `key`Cpu. */
    const timed = async (build, key, index) => {
      const before = process.cpuUsage();
      build[key].push((await checkpoint(build.store, project, index)).ms);
      const used = process.cpuUsage(before);
      build[`${key}Cpu`].push((used.user + used.system) / 1000);
    };
    const random = prng(7);
    const counter = { next: 0 };
    for (let round = 0; round < rounds; round += 1) {
      const order = round % 2 === 0 ? builds : [...builds].reverse();
      for (const build of order) {
        settle();
        await timed(build, 'unchanged', 10 + round);
      }
      settle();
      if (git) reference.unchanged.push(git.commit());
      change(project, files, changes, random, counter);
      for (const build of order) {
        settle();
        await timed(build, 'changed', 10 + round);
      }
      settle();
      if (git) reference.changed.push(git.commit());
      say(`round ${round + 1}: nothing changed: ${builds.map((b) => `${b.name} ${ms(b.unchanged.at(-1))}`).join(', ')}, git ${ms(reference.unchanged.at(-1) ?? null)}; ${changes} files changed: ${builds.map((b) => `${b.name} ${ms(b.changed.at(-1))}`).join(', ')}, git ${ms(reference.changed.at(-1) ?? null)}`);
    }
    const medianOf = (list) => (list.length === 0 ? null : median(list));
    process.stdout.write(`checkpoints of a running store, ${fileCount} files, ${(totalBytes / 1024 / 1024).toFixed(0)} MB, medians of ${rounds} rounds in turns\n`);
    for (const [what, key] of [['nothing changed', 'unchanged'], [`${changes} files changed`, 'changed']]) {
      const of = (build) => `${build.name} ${ms(medianOf(build[key]))} (CPU ${ms(medianOf(build[`${key}Cpu`]))})`;
      process.stdout.write(`  ${what}: ${of(builds[0])}, ${of(builds[1])}, git ${ms(medianOf(reference[key]))}\n`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exitCode = 1;
  });
}
