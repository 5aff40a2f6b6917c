// Start-up benchmark (issue 13, the table's first row): what a person or a
// script pays for each non-console command, beside bare node.
//
// A headless sim session (2 agents, the sim's small project) runs in a temp
// runs folder for the control commands to reach. Each round then times, in
// fresh processes, the order rotated every round: `node -e 0` (the
// reference), `megatest --version`, `--help`, `status DIR`, `status DIR
// --json`, `ls`, `checkpoint DIR` (a round trip: the command asks, the
// orchestrator takes the checkpoint and answers), `pause DIR` and `continue
// DIR` (in that order, so the run is never left paused), `config check` of
// a user's copy of the default config and `config print`; beside the checkpoint, the same
// request made from this process over HTTP (what the orchestrator itself
// takes). Wall time from spawn to exit and peak RSS (VmHWM, polled from
// /proc); medians of --rounds rounds.
//
// Targets: every command within 2x of `node -e 0`'s median; `megatest
// checkpoint DIR` < 300 ms. Exits 1 if one is missed.
//
// With --beside OTHER/bin/megatest.js, another build's commands are timed in
// the same rounds and shown under each row (not judged): before and after a
// change meet the same load.
//
//   npm run build && node bench/startup.mjs [--rounds 7] [--megatest BIN] [--beside BIN]

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readProc } from './proc.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RATIO_TARGET = 2;
const CHECKPOINT_TARGET_MS = 300;

const option = (argv, name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
const ms = (value) => `${Math.round(value)} ms`;
const mb = (kb) => `${(kb / 1024).toFixed(0)} MB`;
const sleep = (t) => new Promise((resolve) => setTimeout(resolve, t));

/** One process from spawn to exit: wall time, peak RSS (polled), exit code and what it printed. */
function timed(file, args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    let peakKb = 0;
    const poll = setInterval(() => (peakKb = Math.max(peakKb, readProc(child.pid)?.peakRssKb ?? 0)), 2);
    child.on('error', reject);
    child.on('exit', (code) => {
      const wall = performance.now() - started;
      clearInterval(poll);
      resolve({ ms: wall, peakKb, code, out, err });
    });
  });
}

async function waitFor(check, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`bench/startup.mjs: gave up waiting for ${what}`);
    await sleep(100);
  }
}

const readOr = (file, fallback) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
};

/** POST /api/checkpoint from this process: the orchestrator's own part of the round trip. */
function apiCheckpoint(runDir) {
  const control = JSON.parse(readFileSync(path.join(runDir, 'control.json'), 'utf8'));
  const token = readFileSync(path.join(runDir, 'control.token'), 'utf8').trim();
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      { host: control.host, port: control.port, path: '/api/checkpoint', method: 'POST', headers: { authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve({ ms: performance.now() - started }) : reject(new Error(`POST /api/checkpoint: HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export async function main(argv = process.argv.slice(2)) {
  const bin = path.resolve(option(argv, '--megatest', path.join(ROOT, 'bin', 'megatest.js')));
  const rounds = Number(option(argv, '--rounds', '7'));
  const besideOption = option(argv, '--beside', undefined);
  const beside = besideOption === undefined ? undefined : path.resolve(besideOption);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`bench/startup.mjs --rounds: a whole number >= 1, got ${option(argv, '--rounds', '')}`);
  const runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-bench-startup-'));
  const sessionId = 'bench-startup';
  const runDir = path.join(runsDir, sessionId);
  // A person's own config file: the documented defaults (24 KB) with a line of its own. The shipped file itself
  // would be read from the build's parsed copy (src/config/parsedShipped.ts), which no user's file is.
  const config = path.join(runsDir, 'my_config.toml');
  writeFileSync(config, `# a copy of the documented defaults, kept by a user\n${readFileSync(path.join(ROOT, 'config', 'mega_test_config.toml'), 'utf8')}`);
  const session = spawn(process.execPath, [bin, 'run', 'task_queue', '--duration', '20m', '--agents', '2', '--headless', '--runs-dir', runsDir, '--session-id', sessionId], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, CI: '1' },
  });
  const exited = new Promise((resolve) => session.on('exit', resolve));
  const megatestCommands = (build) => [
    ['--version', [build, '--version']],
    ['--help', [build, '--help']],
    ['status DIR', [build, 'status', runDir]],
    ['status DIR --json', [build, 'status', runDir, '--json']],
    ['ls', [build, 'ls', '--runs-dir', runsDir]],
    ['checkpoint DIR', [build, 'checkpoint', runDir]],
    ['pause DIR', [build, 'pause', runDir]],
    ['continue DIR', [build, 'continue', runDir]],
    ['config check F', [build, 'config', 'check', config]],
    ['config print', [build, 'config', 'print']],
  ];
  // { name, command (as the table says it), judged, file, args }; another build's figures are shown beside, not judged.
  const commands = [
    { name: 'node -e 0', command: 'node -e 0', judged: false, file: process.execPath, args: ['-e', '0'] },
    ...megatestCommands(bin).map(([command, args]) => ({ name: `megatest ${command}`, command, judged: true, file: process.execPath, args })),
    ...(beside === undefined ? [] : megatestCommands(beside).map(([command, args]) => ({ name: `  beside: ${command}`, command, judged: false, file: process.execPath, args }))),
  ];
  const figures = new Map(commands.map(({ name }) => [name, []]));
  const api = [];
  try {
    await waitFor(() => readOr(path.join(runDir, 'status'), '').trim() === 'running' && readOr(path.join(runDir, 'control.token'), '') !== '', 'the session to run', 120_000);
    // A first call of each, untimed: the page cache holds the files, as it does for a person's second command.
    for (const { file, args } of commands) await timed(file, args);
    for (let round = 0; round < rounds; round += 1) {
      for (let i = 0; i < commands.length; i += 1) {
        const entry = commands[(i + round) % commands.length];
        // A pause is followed at once by its build's continue (a continue of a running session is refused), so no round leaves the run paused.
        if (entry.command === 'continue DIR') continue;
        const pair = entry.command === 'pause DIR' ? [entry, commands.find((other) => other.command === 'continue DIR' && other.args[0] === entry.args[0])] : [entry];
        for (const { name, file, args } of pair) {
          const run = await timed(file, args);
          if (run.code !== 0) throw new Error(`${name} exited ${run.code}: ${run.err.trim().slice(0, 500)}`);
          figures.get(name).push(run);
        }
      }
      api.push(await apiCheckpoint(runDir));
    }
  } finally {
    spawnSync(process.execPath, [bin, 'stop', runDir], { env: { ...process.env, CI: '1' } });
    const timer = setTimeout(() => session.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
    rmSync(runsDir, { recursive: true, force: true });
  }

  const node = median(figures.get('node -e 0').map((x) => x.ms));
  const rows = [];
  let passed = true;
  // Each command's row, and beside it (when asked for) the other build's.
  const shown = [commands[0], ...commands.filter((c) => c.judged).flatMap((c) => [c, ...commands.filter((o) => !o.judged && o.command === c.command && o !== c)])];
  for (const { name, command, judged } of shown) {
    const runs = figures.get(name);
    const wall = median(runs.map((x) => x.ms));
    const range = `${ms(Math.min(...runs.map((x) => x.ms)))}-${ms(Math.max(...runs.map((x) => x.ms)))}`;
    const peak = Math.max(...runs.map((x) => x.peakKb));
    let verdict = name === 'node -e 0' ? '-' : `${(wall / node).toFixed(2)}x node`;
    if (judged) {
      const withinRatio = wall <= RATIO_TARGET * node;
      verdict = `<= ${RATIO_TARGET}x node: ${withinRatio ? 'PASS' : 'MISS'} (${(wall / node).toFixed(2)}x)`;
      passed &&= withinRatio;
      if (command === 'checkpoint DIR') {
        const inTime = wall < CHECKPOINT_TARGET_MS;
        verdict += `; < ${CHECKPOINT_TARGET_MS} ms: ${inTime ? 'PASS' : 'MISS'}`;
        passed &&= inTime;
      }
    }
    rows.push([name, `${ms(wall)} (${range})`, mb(peak), verdict]);
  }
  rows.push(['  the checkpoint, asked over HTTP from this process', `${ms(median(api.map((x) => x.ms)))}`, '', 'what the orchestrator takes of the round trip']);
  console.log(`\nstart-up of non-console commands: medians of ${rounds} rounds, fresh processes, order rotated; ${cpus().length} cores, load ${loadavg()[0].toFixed(1)} at the end, Node ${process.version}`);
  const widths = [0, 1, 2, 3].map((c) => Math.max(...[['command', 'wall (range)', 'peak RSS', 'target'], ...rows].map((row) => row[c].length)));
  for (const row of [['command', 'wall (range)', 'peak RSS', 'target'], widths.map((w) => '-'.repeat(w)), ...rows]) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
  if (!passed) console.log('startup bench: a target was missed');
  return {
    passed,
    figures: Object.fromEntries([...figures].map(([name, runs]) => [name, { median_ms: median(runs.map((x) => x.ms)), peak_kb: Math.max(...runs.map((x) => x.peakKb)) }])),
    api_checkpoint_ms: median(api.map((x) => x.ms)),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().then(
    (result) => (process.exitCode = result.passed ? 0 : 1),
    (error) => {
      process.stderr.write(`${error.stack ?? error}\n`);
      process.exitCode = 1;
    },
  );
}
