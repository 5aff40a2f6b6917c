// Replay benchmark (issue 10 §2, issue 13 §4): a generated run folder of
// 1,000,000 events (about 1 GB with its session.log, bench/replayData.mjs)
// opened through openReplaySource in a fresh process each time, so nothing
// is warm in-process (the files are in the page cache, as they are for
// `wc -l` beside it):
//   - first open: no events.idx, so the seek index is built (the whole log
//     read once), then the first frame: stateAt(count) + logLinesAt(end, 40);
//   - second open: the index kept beside the run, then the first frame;
//   - seeks: 20 random cursors in that second process, each stateAt(cursor)
//     + timeAt + logLinesAt(that time, 40) (what a frame needs);
//   - peak RSS of each process (its own maxRSS);
//   - for reference, every line of the log read and JSON.parse'd, nothing
//     else (the floor of anything that reads the events), and the whole log
//     through the fold with no index (src/io/foldLog.ts); the first open is
//     also given as a multiple of the JSON.parse pass, which drifts with the
//     machine's load as the first open does;
// each beside `wc -l events.jsonl` timed in the same run. Targets: first
// frame < 1 s on a second open and < 5 s on the first, seek < 200 ms, RSS
// < 300 MB. Exits 1 if one is missed.
//
//   npm run build && node bench/replay.mjs [--events N] [--keep]
//   (or BENCH_EVENTS=N, KEEP=1). The folder is kept in the temp dir
//   (megatest-bench-replay-N) and reused while KEEP is set.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateRunFolder } from './replayData.mjs';

const HERE = fileURLToPath(import.meta.url);
const SOURCE = new URL('../dist/replay/source.js', import.meta.url);
const FOLD_LOG = new URL('../dist/io/foldLog.js', import.meta.url);
const LINE_SCAN = new URL('../dist/replay/lineScan.js', import.meta.url);
const SEEKS = 20;
const LOG_LINES = 40;

function arg(argv, name, fallback) {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const ms = (value) => `${Math.round(value).toLocaleString('en-US')} ms`;
const mb = (bytes) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;

function table(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  return rows
    .map((row, index) => {
      const line = row.map((cell, column) => String(cell).padEnd(widths[column])).join('  ');
      return index === 0 ? `${line}\n${widths.map((width) => '-'.repeat(width)).join('  ')}` : line;
    })
    .join('\n');
}

/** `wc -l events.jsonl`, timed: the floor for anything that reads the whole log. */
function timeWc(file) {
  const started = process.hrtime.bigint();
  const result = spawnSync('wc', ['-l', file], { encoding: 'utf8' });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`wc -l failed: ${result.stderr}`);
  return { ms: elapsed, lines: Number(result.stdout.trim().split(/\s+/)[0]) };
}

/** One fresh process: open, first frame, and (with seeks) random seeks; its figures as JSON. */
async function child(dir, seeks) {
  const { openReplaySource } = await import(SOURCE.href);
  const bootMs = performance.now();
  const t0 = performance.now();
  const source = await openReplaySource(dir);
  const opened = performance.now();
  const state = await source.stateAt(source.count());
  const lines = await source.logLinesAt(source.endMs(), LOG_LINES);
  const frame = performance.now();
  const cpu = process.cpuUsage();
  if (state.eventsApplied === 0 || lines.length !== LOG_LINES) throw new Error('first frame is empty');
  const seekMs = [];
  let seed = 20261120;
  for (let i = 0; i < seeks; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const cursor = seed % (source.count() + 1);
    const started = performance.now();
    const at = await source.stateAt(cursor);
    const log = await source.logLinesAt(await source.timeAt(cursor), LOG_LINES);
    seekMs.push(performance.now() - started);
    if (at.eventsApplied !== cursor || (cursor > 100 && log.length === 0)) throw new Error(`seek to ${cursor} gave a wrong state`);
  }
  const stats = source.stats();
  const info = source.index;
  await source.close();
  return {
    bootMs,
    openMs: opened - t0,
    firstFrameMs: frame - t0,
    sinceStartMs: frame,
    cpuMs: (cpu.user + cpu.system) / 1000,
    opened: info.opened,
    indexOpenMs: info.openMs,
    eventsRead: info.eventsRead,
    count: source.count(),
    seekMs,
    stats,
    maxRssKb: process.resourceUsage().maxRSS,
  };
}

/** The reference: the whole log streamed through the fold with no index (src/io/foldLog.ts), in a fresh process. */
async function foldOnly(dir) {
  const { foldEventFile } = await import(FOLD_LOG.href);
  const started = performance.now();
  const { state } = await foldEventFile(path.join(dir, 'events.jsonl'));
  const cpu = process.cpuUsage();
  return { ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000, count: state.eventsApplied, maxRssKb: process.resourceUsage().maxRSS };
}

/** The other reference: every line read (the same chunked reader the index uses) and JSON.parse'd, nothing else. */
async function parseOnly(dir) {
  const { scanLines } = await import(LINE_SCAN.href);
  const { open } = await import('node:fs/promises');
  const started = performance.now();
  const handle = await open(path.join(dir, 'events.jsonl'), 'r');
  const { size } = await handle.stat();
  let count = 0;
  await scanLines(handle, 0, size, (text) => {
    if (text !== null && text !== '' && JSON.parse(text) !== null) count += 1;
  });
  await handle.close();
  const cpu = process.cpuUsage();
  return { ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000, count, maxRssKb: process.resourceUsage().maxRSS };
}

const CHILD_MODES = { '--child': null, '--fold-only': foldOnly, '--parse-only': parseOnly };

function runChild(dir, seeks) {
  const mode = seeks === 'parse' ? ['--parse-only', dir] : seeks < 0 ? ['--fold-only', dir] : ['--child', dir, '--seeks', String(seeks)];
  const result = spawnSync(process.execPath, [HERE, ...mode], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (result.status !== 0) throw new Error(`replay bench child failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop());
}

export async function main(options = {}) {
  const argv = options.argv ?? process.argv.slice(2);
  const count = Number(options.events ?? arg(argv, 'events', process.env.BENCH_EVENTS ?? '1000000'));
  const keep = options.keep ?? (argv.includes('--keep') || Boolean(process.env.KEEP));
  const dir = path.join(tmpdir(), `megatest-bench-replay-${count}`);
  const done = path.join(dir, '.generated');
  try {
    if (!existsSync(done) || readFileSync(done, 'utf8') !== String(count)) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const started = Date.now();
      process.stdout.write(`generating ${count.toLocaleString('en-US')} events in ${dir} …\n`);
      generateRunFolder(dir, count);
      writeFileSync(done, String(count));
      process.stdout.write(`generated in ${ms(Date.now() - started)}\n`);
    } else process.stdout.write(`reusing ${dir}\n`);
    const eventsFile = path.join(dir, 'events.jsonl');
    const eventBytes = statSync(eventsFile).size;
    const logBytes = statSync(path.join(dir, 'session.log')).size;
    rmSync(path.join(dir, 'events.idx'), { force: true });

    const load = loadavg()[0];
    const wc1 = timeWc(eventsFile);
    const parse = runChild(dir, 'parse');
    const first = runChild(dir, 0);
    const wc2 = timeWc(eventsFile);
    const second = runChild(dir, SEEKS);
    const wc3 = timeWc(eventsFile);
    const fold = runChild(dir, -1);
    const idxBytes = statSync(path.join(dir, 'events.idx')).size;
    if (wc1.lines !== count || parse.count !== count || first.count !== count || second.count !== count) throw new Error(`expected ${count} events, read ${first.count} / ${second.count} (wc -l ${wc1.lines})`);

    const seekMedian = median(second.seekMs);
    const seekMax = Math.max(...second.seekMs);
    const rssMb = Math.max(first.maxRssKb, second.maxRssKb) / 1024;
    const targets = {
      first: first.firstFrameMs < 5000,
      second: second.firstFrameMs < 1000,
      seek: seekMax < 200,
      rss: rssMb < 300,
    };
    const pass = (ok) => (ok ? 'PASS' : 'FAIL');
    const times = (value) => `${(value / parse.ms).toFixed(1)}× JSON.parse`;
    const rows = [
      ['measure', 'replay', 'wc -l events.jsonl (same run)', 'target'],
      ['reference: read + JSON.parse of every line, nothing else', `${ms(parse.ms)} (${ms(parse.cpuMs)} CPU)`, ms(wc1.ms), '-'],
      ['first open: index build + first frame', `${ms(first.firstFrameMs)} = ${times(first.firstFrameMs)} (${first.opened}; ${ms(first.sinceStartMs)} from process start, ${ms(first.cpuMs)} CPU)`, ms(wc1.ms), `< 5 s: ${pass(targets.first)}`],
      ['second open: first frame', `${ms(second.firstFrameMs)} (${second.opened}; ${ms(second.sinceStartMs)} from process start, ${ms(second.cpuMs)} CPU)`, ms(wc2.ms), `< 1 s: ${pass(targets.second)}`],
      ['reference: parse + fold of the whole log, no index (foldEventFile)', `${ms(fold.ms)} = ${times(fold.ms)} (${ms(fold.cpuMs)} CPU, ${(fold.maxRssKb / 1024).toFixed(0)} MB)`, ms(wc3.ms), '-'],
      [`seek, ${SEEKS} random cursors`, `${ms(seekMedian)} median, ${ms(seekMax)} max`, '', `< 200 ms: ${pass(targets.seek)}`],
      ['peak RSS', `${(first.maxRssKb / 1024).toFixed(0)} MB first open, ${(second.maxRssKb / 1024).toFixed(0)} MB second`, '', `< 300 MB: ${pass(targets.rss)}`],
    ];
    const report =
      `replay: ${count.toLocaleString('en-US')} events (events.jsonl ${mb(eventBytes)}, session.log ${mb(logBytes)}); ` +
      `events.idx ${mb(idxBytes)}, ${second.stats.snapshots} snapshots every ${second.stats.snapshotEvery} events; ` +
      `load average ${load.toFixed(1)} on ${cpus().length} cores when it started\n${table(rows)}\n`;
    process.stdout.write(report);
    const passed = Object.values(targets).every(Boolean);
    if (!passed) process.stdout.write('replay bench: a target was missed\n');
    return {
      passed,
      figures: { load, count, eventBytes, logBytes, idxBytes, parse, first, second: { ...second, seekMs: undefined }, fold, seekMedian, seekMax, wcFirstMs: wc1.ms, wcSecondMs: wc2.ms, wcFoldMs: wc3.ms, rssMb },
    };
  } finally {
    if (keep) process.stderr.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const argv = process.argv.slice(2);
  if (argv[0] in CHILD_MODES) {
    (argv[0] === '--child' ? child(argv[1], Number(arg(argv, 'seeks', '0'))) : CHILD_MODES[argv[0]](argv[1])).then(
      (figures) => process.stdout.write(`${JSON.stringify(figures)}\n`),
      (error) => {
        process.stderr.write(`${error.stack ?? error}\n`);
        process.exitCode = 1;
      },
    );
  } else {
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
}
