// The incremental measurement (runMeasurement.ts: a tree index with
// directory watches and a per-file cache) against the full recount
// (countLines, measureDocCoverage, a full walk of the run folder) after random
// edits, deletes, renames and folder moves from a seeded generator; and a
// second snapshot of an unchanged tree reads no file.

import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diskUsageBytes } from '../../src/engine/resources.js';
import { measureDocCoverage } from '../../src/measure/docCoverage.js';
import { readFileFigures } from '../../src/measure/fileFigures.js';
import { countLines } from '../../src/measure/loc.js';
import { RunMeasurement, type RunMeasurementOptions } from '../../src/measure/runMeasurement.js';

const temporaryDirs: string[] = [];
function makeTemporaryDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'megatest-runmeasure-'));
  temporaryDirs.push(dir);
  return dir;
}
const open: RunMeasurement[] = [];
afterAll(() => {
  for (const measurement of open) measurement.close();
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

/** mulberry32: the same sequence of operations for a seed, every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Contents of every kind the measures treat differently.
const SNIPPETS: Record<string, string[]> = {
  ts: [
    '/** Adds. */\nexport function add(a: number, b: number): number {\n  return a + b; // sum\n}\n',
    'export class Box {}\n\n/* not a doc */\nexport const f = (x: string) => x;\n',
    "// header\nconst s = '/* not a comment */';\nexport { s };\nfunction local() {}\nexport { local as other };\n",
    '/**\n * Many lines.\n */\n@sealed\nexport default class {}\n\n\n',
  ],
  js: ['exports.run = function () {};\n/** Doc. */\nexports.stop = () => 1;\n', 'const re = /\\/\\*/g; // x\nmodule.exports = re;\n'],
  py: ['"""Module doc."""\n\ndef f():\n    # comment\n    return 1\n', 'x = "# not a comment"\n'],
  md: ['# Title\n\ntext\n<!-- comment -->\n', '- item\n'],
  json: ['{\n  "a": 1\n}\n', '[]\n'],
  txt: ['plain words, not counted\n'],
  sh: ['#!/bin/sh\n# comment\necho hi\n'],
};
const EXTENSIONLESS = ['#!/usr/bin/env node\n// script\nconsole.log(1);\n', 'MIT License\n\nno shebang here\n', '#!/usr/bin/env python3\nprint(1)  # x\n'];
const DIRS = ['', 'src', 'src/lib', 'docs', 'node_modules/pkg', 'scripts', 'dist', 'deep/a/b'];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function randomContent(random: () => number, extension: string): string | Buffer {
  if (extension === '') return pick(random, EXTENSIONLESS);
  if (extension === 'bin') return Buffer.from([0, 1, 2, 3, 0, 65]);
  // Now and then a binary file with a source name: not lines of code, but read by doc coverage.
  if (extension === 'ts' && random() < 0.1) return Buffer.concat([Buffer.from('export function bin() {}\n'), Buffer.from([0])]);
  const parts = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(random, SNIPPETS[extension] ?? ['x\n']));
  return parts.join('\n');
}

/** Every regular file under dir, relative ('/'-separated). */
function filesUnder(dir: string, prefix = ''): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) found.push(...filesUnder(path.join(dir, entry.name), rel));
    else if (entry.isFile()) found.push(rel);
  }
  return found;
}

function dirsUnder(dir: string, prefix = ''): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    found.push(rel, ...dirsUnder(path.join(dir, entry.name), rel));
  }
  return found;
}

/** A random change to the tree; returns what it did, for the failure message. */
function randomOperation(random: () => number, run: string, project: string, counter: { next: number }): string {
  const write = (file: string, content: string | Buffer): void => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    // Most files look written long ago (their stamps trusted at once); some are fresh (checked again until they settle).
    if (random() < 0.7) {
      const past = new Date(Date.UTC(2020, 0, 1) + (counter.next++ % 100_000) * 1000);
      utimesSync(file, past, past);
    }
  };
  const files = filesUnder(project);
  const choice = random();
  if (choice < 0.3 || files.length === 0) {
    const extension = pick(random, ['ts', 'ts', 'js', 'py', 'md', 'json', 'txt', 'sh', '', 'bin']);
    const name = `f${counter.next++}${extension === '' ? '' : `.${extension}`}`;
    const file = path.join(project, pick(random, DIRS), name);
    write(file, randomContent(random, extension));
    return `create ${path.relative(project, file)}`;
  }
  const target = pick(random, files);
  const absolute = path.join(project, target);
  const extension = path.extname(target).slice(1);
  if (choice < 0.5) {
    write(absolute, randomContent(random, extension));
    return `rewrite ${target}`;
  }
  if (choice < 0.58) {
    // The same size, new bytes, and the old mtime put back: only the ctime (and the racy check) tell it changed.
    const before = statSync(absolute);
    const content = randomContent(random, extension);
    const text = Buffer.from(content);
    const same = Buffer.alloc(before.size, 0x20);
    text.copy(same, 0, 0, Math.min(text.length, before.size));
    writeFileSync(absolute, same);
    utimesSync(absolute, before.atime, before.mtime);
    return `same-size rewrite ${target}`;
  }
  if (choice < 0.65) {
    appendFileSync(absolute, '\n// appended\nexport function more() {}\n');
    return `append ${target}`;
  }
  if (choice < 0.75) {
    rmSync(absolute);
    return `delete ${target}`;
  }
  if (choice < 0.85) {
    const to = path.join(project, pick(random, DIRS), `r${counter.next++}-${path.basename(target)}`);
    mkdirSync(path.dirname(to), { recursive: true });
    renameSync(absolute, to);
    return `rename ${target} -> ${path.relative(project, to)}`;
  }
  if (choice < 0.9) {
    chmodSync(absolute, 0o600);
    return `chmod ${target}`;
  }
  const dirs = dirsUnder(project);
  if (choice < 0.95 && dirs.length > 0) {
    const dir = pick(random, dirs);
    const to = path.join(project, `moved${counter.next++}`);
    renameSync(path.join(project, dir), to);
    return `move folder ${dir} -> ${path.basename(to)}`;
  }
  // Outside project/: the run folder's own files count for disk usage only.
  appendFileSync(path.join(run, 'events.jsonl'), `{"seq":${counter.next++}}\n`);
  writeFileSync(path.join(run, 'agents', 'a', `out${counter.next % 3}.log`), 'x'.repeat(Math.floor(random() * 500)));
  return 'run folder files';
}

/** Files countLines or doc coverage would read, by their names (the recount's own rules, written out here). */
function isMeasuredByRecount(file: string): boolean {
  const parts = file.split('/');
  if (parts.slice(0, -1).some((part) => ['node_modules', 'dist', 'build', 'vendor', 'target', 'coverage', '.git', '.venv', 'venv', '.tox', '.nox', '__pycache__', '.pytest_cache', '.mypy_cache', '.ruff_cache'].includes(part))) return false;
  const name = parts[parts.length - 1] as string;
  return !name.includes('.') || /\.(ts|js|py|md|json|sh)$/.test(name);
}

async function expectSameAsFullRecount(measurement: RunMeasurement, run: string, project: string, history: string[]): Promise<void> {
  const figures = await measurement.refresh();
  const [loc, doc, disk] = await Promise.all([countLines(project), measureDocCoverage(project), diskUsageBytes(run)]);
  const context = `after: ${history.slice(-8).join('; ')}`;
  expect(figures.loc, context).toEqual(loc);
  expect(figures.docCoverage, context).toBe(doc);
  expect(figures.diskUsageBytes, context).toBe(disk);
}

function makeRun(): { run: string; project: string } {
  const run = makeTemporaryDir();
  const project = path.join(run, 'project');
  mkdirSync(path.join(project, 'src'), { recursive: true });
  mkdirSync(path.join(run, 'agents', 'a'), { recursive: true });
  writeFileSync(path.join(run, 'events.jsonl'), '');
  return { run, project };
}

describe('incremental measurement gives the full recount’s figures after random changes', () => {
  const modes: [string, RunMeasurementOptions][] = [
    ['watching every folder', {}],
    ['without watches (a full walk each time)', { watch: false }],
    ['past the watch limit (some folders listed each time)', { maxWatchedDirectories: 3 }],
  ];
  for (const [label, options] of modes) {
    for (const seed of [1, 2, 3]) {
      it(`${label}, seed ${seed}`, async () => {
        const random = prng(seed * 7919 + label.length);
        const { run, project } = makeRun();
        const measurement = new RunMeasurement(run, project, options);
        open.push(measurement);
        const counter = { next: 0 };
        const history: string[] = [];
        for (let index = 0; index < 12; index++) history.push(randomOperation(random, run, project, counter));
        await expectSameAsFullRecount(measurement, run, project, history);
        for (let round = 0; round < 25; round++) {
          const operations = 1 + Math.floor(random() * 4);
          for (let index = 0; index < operations; index++) history.push(randomOperation(random, run, project, counter));
          await expectSameAsFullRecount(measurement, run, project, history);
        }
        // Every file's stamp changed (utimes moves the ctime): each read once, and after that none.
        const files = filesUnder(project);
        const past = new Date(Date.UTC(2019, 0, 1));
        for (const file of files) utimesSync(path.join(project, file), past, past);
        const everything = await measurement.refresh();
        expect(everything.stats.filesRead).toBe(files.filter((file) => isMeasuredByRecount(file)).length);
        await expectSameAsFullRecount(measurement, run, project, [...history, 'every file backdated']);
        expect((await measurement.refresh()).stats.filesRead).toBe(0);
        measurement.close();
      });
    }
  }

  it('measures a project folder outside the run folder, and one that is removed and put back', async () => {
    const run = makeTemporaryDir();
    const project = path.join(makeTemporaryDir(), 'elsewhere');
    mkdirSync(project);
    writeFileSync(path.join(project, 'a.ts'), SNIPPETS.ts?.[0] as string);
    writeFileSync(path.join(run, 'events.jsonl'), '{}\n');
    const measurement = new RunMeasurement(run, project);
    open.push(measurement);
    await expectSameAsFullRecount(measurement, run, project, []);
    rmSync(project, { recursive: true });
    const gone = await measurement.refresh();
    expect(gone.projectPresent).toBe(false);
    expect(gone.loc.total.files).toBe(0);
    mkdirSync(project);
    writeFileSync(path.join(project, 'b.py'), SNIPPETS.py?.[0] as string);
    measurement.rescanAll();
    await expectSameAsFullRecount(measurement, run, project, ['project put back']);
    measurement.close();
  });
});

describe('a snapshot of an unchanged tree reads no file', () => {
  function makeTree(): { run: string; project: string; measured: number } {
    const { run, project } = makeRun();
    const past = new Date(Date.UTC(2021, 5, 1));
    let measured = 0;
    for (let index = 0; index < 60; index++) {
      const dir = path.join(project, DIRS[index % DIRS.length] as string);
      mkdirSync(dir, { recursive: true });
      const extension = ['ts', 'js', 'md', 'txt'][index % 4] as string;
      const file = path.join(dir, `f${index}.${extension}`);
      writeFileSync(file, `// file ${index}\nexport function f${index}() {}\n`);
      utimesSync(file, past, past);
      // What countLines and doc coverage look at: not .txt, not inside node_modules or dist.
      if (extension !== 'txt' && !/node_modules|dist/.test(dir)) measured++;
    }
    utimesSync(path.join(run, 'events.jsonl'), past, past);
    return { run, project, measured };
  }

  for (const [label, options] of [
    ['watching', {}],
    ['without watches', { watch: false }],
  ] as [string, RunMeasurementOptions][]) {
    it(`${label}: the first reads each measured file once, the second none`, async () => {
      const { run, project, measured } = makeTree();
      const reads: string[] = [];
      const measurement = new RunMeasurement(run, project, {
        ...options,
        readFigures: (file) => {
          reads.push(file);
          return readFileFigures(file);
        },
      });
      open.push(measurement);
      const first = await measurement.refresh();
      expect(reads).toHaveLength(measured);
      expect(new Set(reads).size).toBe(measured);
      expect(first.projectChanged).toBe(true);
      reads.length = 0;
      const second = await measurement.refresh();
      expect(reads).toEqual([]);
      expect(second.projectChanged).toBe(false);
      expect(second.loc).toEqual(first.loc);
      expect(second.diskUsageBytes).toBe(first.diskUsageBytes);
      if (options.watch !== false) {
        // Watching, not even a stat: nothing happened.
        expect(second.stats.tree).toMatchObject({ full: false, dirsListed: 0, pathsStatted: 0 });
      }
      // One file edited: that file alone is read.
      const edited = path.join(project, 'src', 'f1.js');
      appendFileSync(edited, '/** More. */\nexport function g() {}\n');
      const third = await measurement.refresh();
      expect(reads).toEqual([edited]);
      expect(third.projectChanged).toBe(true);
      if (options.watch !== false) expect(third.stats.tree).toMatchObject({ full: false, dirsListed: 0, pathsStatted: 1 });
      expect(third.loc).toEqual(await countLines(project));
      measurement.close();
    });
  }
});
