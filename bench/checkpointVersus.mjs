// Two builds of the checkpoint store side by side, in turns, on one
// generated project: the first checkpoint and a full restore into an empty
// folder, each round beside restic (backup, restore) and `cp -a` of the same
// tree, the order of the builds swapped every round. On this VM the time to
// create files swings by 5x or more from one minute to the next (the
// kernel's page allocation, not any tool's code), so a figure from one run
// cannot be set against one from another; in turns, both builds and the
// reference tools meet the same swings.
//
//   npm run build && node bench/checkpointVersus.mjs --dist OTHER/dist [--files N] [--mb N] [--rounds N]
//
// OTHER/dist is another tree's `tsc` output (e.g. a git worktree of an older
// commit, built). Prints every round and the medians; exits 0 (it compares,
// it has no target of its own: bench/checkpoint.mjs has them).

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkpoint, generateProject, prng } from './checkpoint.mjs';
import { cpA, discard, median, ResticRef } from './checkpointRefs.mjs';

const settle = () => spawnSync('sync');
const ms = (value) => `${Math.round(value).toLocaleString('en-US')} ms`;

export async function main(argv = process.argv.slice(2)) {
  const value = (name, fallback) => {
    const index = argv.indexOf(name);
    return index === -1 ? fallback : argv[index + 1];
  };
  const number = (name, fallback) => {
    const parsed = Number(value(name, fallback));
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`bench/checkpointVersus.mjs: ${name} needs a positive number, got ${value(name)}`);
    return parsed;
  };
  const other = value('--dist', null);
  if (other === null) throw new Error('bench/checkpointVersus.mjs: --dist DIR (the other build) is needed');
  const fileCount = number('--files', 5000);
  const totalBytes = number('--mb', 50) * 1024 * 1024;
  const rounds = number('--rounds', 5);
  const builds = [
    { name: 'this', module: new URL('../dist/checkpoint/store.js', import.meta.url) },
    { name: 'other', module: pathToFileURL(path.resolve(other, 'checkpoint/store.js')) },
  ];
  for (const build of builds) build.Store = (await import(build.module.href)).CheckpointStore;

  const scratch = mkdtempSync(path.join(tmpdir(), 'megatest-bench-versus-'));
  const at = (...parts) => path.join(scratch, ...parts);
  try {
    const project = at('project');
    mkdirSync(project);
    generateProject(project, fileCount, totalBytes, prng(20250101));
    const restic = ResticRef.version() === null ? null : new ResticRef(at('restic'), project, at('restic-cache'));
    const figures = { first: { this: [], other: [], restic: [], cp: [] }, restore: { this: [], other: [], restic: [], cp: [] } };
    const say = (text) => process.stderr.write(`  ${text}\n`);

    for (let round = 0; round < rounds; round += 1) {
      const order = round % 2 === 0 ? builds : [...builds].reverse();
      const entries = {};
      for (const build of order) {
        discard(at(build.name));
        settle();
        const store = new build.Store(at(build.name, 'checkpoints'));
        const { ms: taken, snapshot } = await checkpoint(store, project, 1);
        figures.first[build.name].push(taken);
        entries[build.name] = snapshot.entries;
      }
      if (restic !== null) {
        restic.init();
        settle();
        figures.first.restic.push(restic.backup());
      }
      discard(at('cp-first'));
      settle();
      figures.first.cp.push(cpA(project, at('cp-first')));
      say(`round ${round + 1}, first checkpoint: ${order.map((build) => `${build.name} ${ms(figures.first[build.name].at(-1))}`).join(', ')}, restic ${restic === null ? 'not installed' : ms(figures.first.restic.at(-1))}, cp -a ${ms(figures.first.cp.at(-1))}`);

      for (const build of order) {
        const target = at(`restored-${build.name}`);
        discard(target);
        const store = new build.Store(at(build.name, 'checkpoints'));
        settle();
        const started = performance.now();
        await store.restore(target, entries[build.name]);
        figures.restore[build.name].push(performance.now() - started);
        const check = spawnSync('diff', ['-r', '--no-dereference', project, target]);
        if (check.status !== 0) throw new Error(`${build.name}: the restore differs from the project: ${String(check.stdout).slice(0, 2000)}`);
      }
      if (restic !== null) {
        discard(at('restic-restore'));
        settle();
        figures.restore.restic.push(restic.restore(at('restic-restore')));
      }
      discard(at('cp-restore'));
      settle();
      figures.restore.cp.push(cpA(project, at('cp-restore')));
      say(`round ${round + 1}, full restore: ${order.map((build) => `${build.name} ${ms(figures.restore[build.name].at(-1))}`).join(', ')}, restic ${restic === null ? 'not installed' : ms(figures.restore.restic.at(-1))}, cp -a ${ms(figures.restore.cp.at(-1))}`);
    }

    const line = (what, row, reference) => {
      const refMedian = row[reference].length > 0 ? median(row[reference]) : null;
      const cell = (name) => `${ms(median(row[name]))}${refMedian === null ? '' : ` (${(median(row[name]) / refMedian).toFixed(2)}x ${reference === 'cp' ? 'cp -a' : reference})`}`;
      return `${what.padEnd(18)} this ${cell('this')}; other (${other}) ${cell('other')}; restic ${row.restic.length > 0 ? ms(median(row.restic)) : 'not installed'}; cp -a ${ms(median(row.cp))}`;
    };
    console.log(`checkpoint store, two builds in turns: ${fileCount} files, ${(totalBytes / 1024 / 1024).toFixed(1)} MB, medians of ${rounds} rounds`);
    console.log(line('first checkpoint', figures.first, 'restic'));
    console.log(line('full restore', figures.restore, 'cp'));
    return { passed: true, figures };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
