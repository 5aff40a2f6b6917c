// events.idx upkeep benchmark: what one refresh of the orchestrator's index
// costs on a long run. A generated run (bench/replayData.mjs) of --events
// events has its index built by LogIndexUpkeep (as a resume leaves it), then
// the log grows by --step events (15 s at 1,000 events/s) --rounds times,
// each followed by upkeep.refresh() (the 15 s timer's call), in a fresh
// child process. Per refresh: wall time, the longest the event loop was held
// (monitorEventLoopDelay, 1 ms resolution), bytes handed to write(2)
// (/proc/self/io wchar: the child writes nothing else meanwhile), and whether
// events.idx is a new file (inode). --dist names the build to measure
// (default this checkout's dist/), so an older build can be timed the same way.
//
//   npm run build && node bench/indexRefresh.mjs [--events 1000000] [--step 15000] [--rounds 12] [--dist DIR]
//   (the generated folder is kept in the temp dir and reused)

import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateRunFolder } from './replayData.mjs';

const HERE = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(HERE), '..');
const arg = (argv, name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
const wchar = () => Number(/wchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))[1]);

/** Byte offset just after the n-th line of a file. */
function offsetAfterLines(file, n) {
  const fd = openSync(file, 'r');
  const chunk = Buffer.allocUnsafe(1 << 20);
  let lines = 0;
  let at = 0;
  try {
    for (;;) {
      const got = readSync(fd, chunk, 0, chunk.length, at);
      if (got === 0) throw new Error(`${file} has fewer than ${n} lines`);
      for (let i = 0; i < got; i++) if (chunk[i] === 10 && ++lines === n) return at + i + 1;
      at += got;
    }
  } finally {
    closeSync(fd);
  }
}

function copyRange(from, to, start, end, flags) {
  const src = openSync(from, 'r');
  const dst = openSync(to, flags);
  const chunk = Buffer.allocUnsafe(4 << 20);
  try {
    for (let at = start; at < end; ) {
      const got = readSync(src, chunk, 0, Math.min(chunk.length, end - at), at);
      writeSync(dst, chunk, 0, got);
      at += got;
    }
  } finally {
    closeSync(src);
    closeSync(dst);
  }
}

async function child(work, source, marks, dist) {
  const { LogIndexUpkeep } = await import(pathToFileURL(path.join(dist, 'io', 'logIndexUpkeep.js')).href);
  const events = path.join(work, 'events.jsonl');
  const idx = path.join(work, 'events.idx');
  const paths = { root: work, events, sessionLog: path.join(work, 'session.log') };
  const started = performance.now();
  const upkeep = await LogIndexUpkeep.open(paths, (m) => process.stderr.write(`${m}\n`));
  const openMs = performance.now() - started;
  const rounds = [];
  for (let r = 1; r < marks.length; r++) {
    copyRange(source, events, marks[r - 1], marks[r], 'a');
    const size = statSync(idx).size;
    const ino = statSync(idx).ino;
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    const bytes = wchar();
    histogram.enable();
    const t0 = performance.now();
    await upkeep.refresh();
    const ms = performance.now() - t0;
    // One more turn so a stall at the very end is seen.
    await new Promise((resolve) => setTimeout(resolve, 5));
    histogram.disable();
    rounds.push({ ms, stallMs: histogram.max / 1e6, written: wchar() - bytes, grew: statSync(idx).size - size, newFile: statSync(idx).ino !== ino, size: statSync(idx).size });
  }
  await upkeep.close();
  process.stdout.write(`${JSON.stringify({ openMs, rounds })}\n`);
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') return child(argv[1], argv[2], JSON.parse(argv[3]), argv[4]);
  const count = Number(arg(argv, 'events', '1000000'));
  const step = Number(arg(argv, 'step', '15000'));
  const roundCount = Number(arg(argv, 'rounds', '12'));
  const dist = path.resolve(arg(argv, 'dist', path.join(ROOT, 'dist')));
  const total = count + step * roundCount;
  const dir = path.join(tmpdir(), `megatest-bench-indexrefresh-${total}`);
  const done = path.join(dir, '.generated');
  if (!existsSync(done) || readFileSync(done, 'utf8') !== String(total)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    process.stdout.write(`generating ${total.toLocaleString('en-US')} events in ${dir} …\n`);
    generateRunFolder(dir, total);
    writeFileSync(done, String(total));
  }
  const source = path.join(dir, 'events.jsonl');
  const marks = [];
  for (let r = 0; r <= roundCount; r++) marks.push(offsetAfterLines(source, count + r * step));
  const work = path.join(dir, 'work');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  copyRange(source, path.join(work, 'events.jsonl'), 0, marks[0], 'w');
  symlinkSync(path.join(dir, 'session.log'), path.join(work, 'session.log'));
  const load = loadavg()[0];
  const result = spawnSync(process.execPath, [HERE, '--child', work, source, JSON.stringify(marks), dist], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (result.status !== 0) throw new Error(`child failed: ${result.stderr}`);
  const { openMs, rounds } = JSON.parse(result.stdout.trim().split('\n').pop());
  const kb = (n) => `${Math.round(n / 1024).toLocaleString('en-US')} kB`;
  process.stdout.write(`${dist}: ${count.toLocaleString('en-US')} events, +${step.toLocaleString('en-US')} per refresh, ${roundCount} refreshes (load ${load.toFixed(1)}; index built in ${Math.round(openMs)} ms)\n`);
  process.stdout.write('refresh  ms     stall ms  written     grew        new file  index size\n');
  rounds.forEach((r, i) => {
    process.stdout.write(`${String(i + 1).padEnd(9)}${r.ms.toFixed(1).padEnd(7)}${r.stallMs.toFixed(1).padEnd(10)}${kb(r.written).padEnd(12)}${kb(r.grew).padEnd(12)}${String(r.newFile).padEnd(10)}${kb(r.size)}\n`);
  });
  const summary = {
    refreshMsMedian: median(rounds.map((r) => r.ms)),
    refreshMsMax: Math.max(...rounds.map((r) => r.ms)),
    stallMsMax: Math.max(...rounds.map((r) => r.stallMs)),
    writtenMedian: median(rounds.map((r) => r.written)),
    newFiles: rounds.filter((r) => r.newFile).length,
    indexSize: rounds.at(-1).size,
  };
  process.stdout.write(`median ${summary.refreshMsMedian.toFixed(1)} ms, max ${summary.refreshMsMax.toFixed(1)} ms; longest stall ${summary.stallMsMax.toFixed(1)} ms; median written ${kb(summary.writtenMedian)}; new files ${summary.newFiles}/${rounds.length}\n`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  rmSync(work, { recursive: true, force: true });
}

await main();
