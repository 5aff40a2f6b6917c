// Console benchmark (issues 5 and 13): a generator appends events and log
// lines to a run folder while `megatest attach` runs in tmux (120x40).
//
// Phase 1, load (--seconds, default 120): 1,000 events/s + 500 log lines/s
// (--events / --log-lines; issue 5 used 10,000 + 5,000). Measured: display
// lag (an alert written -> seen on the tmux screen), the console's CPU, its
// resident memory sampled every second (the slope after the first minute,
// by least squares), peak RSS, and bytes written to the terminal per second
// (tmux pipe-pane). Beside it, in the same run and on the same files, two
// references: `tail -f` of both files and a minimal Node reader (fs.watch,
// read what was appended, split lines, JSON.parse the events).
// Phase 2, idle (--idle-seconds, default 20): nothing is written; only the
// clock moves on screen (elapsed and ETA, to the second). Measured: CPU.
// Phase 3, paused (as long): the run is paused (a pause command event and
// the status word), so nothing on screen changes at all. Measured: CPU.
//
// Targets (issue 13): CPU < 10% of a core under load, < 2% when nothing on
// screen changes (paused); RSS flat (< 0.2 MB/min after the first minute;
// judged when the load lasts >= 2 min); lag < 1 s; peak RSS < 200 MB. Idle
// with the clock ticking is shown, not judged: one frame a second is what
// it costs.
//
//   npm run build && node bench/console.mjs [--seconds 120] [--idle-seconds 20]
//     [--events 1000] [--log-lines 500] [--beside DIR] [--keep]
// --beside DIR also attaches the megatest built in another checkout (DIR
// holds its bin/ and dist/) to the same run folder, in its own tmux window:
// before and after side by side, through the same load on the same machine
// at the same moments. Only this checkout's console is judged.
// --node-flags "..." runs the console process with these node flags (e.g.
// "--cpu-prof --cpu-prof-dir=/tmp/p"), adding the heap flags bin/megatest.js would.

import { execFile, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readProc, TICKS_PER_SECOND } from './proc.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TICK_MS = 20;
/** RSS growth is judged after this warm-up (the issue's "after the first minute"). */
const RSS_WARMUP_SECONDS = 60;
const execFileAsync = promisify(execFile);

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Least-squares slope of y over x. */
function slope(points) {
  if (points.length < 2) return null;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx === 0 ? null : points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
}

/** Resident memory now, kB (VmRSS); null once the process is gone. */
function currentRssKb(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

const round1 = (x) => (x === null ? null : Math.round(x * 10) / 10);
const round2 = (x) => (x === null ? null : Math.round(x * 100) / 100);

/** The process that draws the console: the pane's process, or its one child. */
function consoleProcess(pid) {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return children.length === 1 ? consoleProcess(Number(children[0])) : pid;
  } catch {
    return pid;
  }
}

/** A run folder that looks like a live 4-agent sim session to the console. */
function makeRunFolder(runDir) {
  mkdirSync(path.join(runDir, 'checkpoints'), { recursive: true });
  mkdirSync(path.join(runDir, 'project'), { recursive: true });
  writeFileSync(path.join(runDir, 'config.json'), JSON.stringify({ session_id: 'bench-console', simulated: true }));
  writeFileSync(path.join(runDir, 'status'), 'running\n');
  writeFileSync(path.join(runDir, 'session.log'), '');
  writeFileSync(path.join(runDir, 'events.jsonl'), '');
  // The generator stands in for the orchestrator: its pid keeps the console "attached".
  writeFileSync(path.join(runDir, 'control.json'), JSON.stringify({ pid: process.pid, host: '127.0.0.1', port: 9, started_at: new Date().toISOString() }));
}

// The smallest reasonable follower in Node: what any console pays at least to read the files.
const MINIMAL_READER = `
const fs = require('node:fs');
const follow = (file, parse) => {
  let offset = fs.statSync(file).size, partial = '';
  const read = () => {
    const size = fs.statSync(file).size;
    if (size <= offset) return;
    const fd = fs.openSync(file, 'r');
    const buffer = Buffer.alloc(size - offset);
    fs.readSync(fd, buffer, 0, buffer.length, offset);
    fs.closeSync(fd);
    offset = size;
    const lines = (partial + buffer.toString('utf8')).split('\\n');
    partial = lines.pop();
    if (parse) for (const line of lines) JSON.parse(line);
  };
  fs.watch(file, read);
};
follow(process.argv[1], true);
follow(process.argv[2], false);
`;

/** Starts a reference follower; returns its pid and a stop function. */
function startReference(command, args) {
  const devNull = openSync('/dev/null', 'w');
  const child = spawn(command, args, { stdio: ['ignore', devNull, 'ignore'] });
  closeSync(devNull);
  return { pid: child.pid, stop: () => child.kill('SIGTERM') };
}

export async function main(options = {}) {
  const seconds = Number(options.seconds ?? arg('seconds', '120'));
  const idleSeconds = Number(options.idleSeconds ?? arg('idle-seconds', '20'));
  const eventsPerSecond = Number(options.events ?? arg('events', '1000'));
  const logLinesPerSecond = Number(options.logLines ?? arg('log-lines', '500'));
  const keep = options.keep ?? process.argv.includes('--keep');
  const beside = options.beside ?? arg('beside', null);
  const nodeFlags = options.nodeFlags ?? arg('node-flags', null);
  const base = mkdtempSync(path.join(tmpdir(), 'megatest-bench-console-'));
  const runDir = path.join(base, 'bench-console');
  makeRunFolder(runDir);
  const eventsFile = path.join(runDir, 'events.jsonl');
  const logFile = path.join(runDir, 'session.log');
  const socket = `megatest-bench-${process.pid}`;
  const tmux = (...args) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });

  let seq = 0;
  const agents = ['agent-1', 'agent-2', 'agent-3', 'agent-4'];
  const event = (type, body) => JSON.stringify({ seq: ++seq, ts: new Date().toISOString(), type, ...body });
  const scheduleSeconds = seconds + idleSeconds + 60;
  appendFileSync(
    eventsFile,
    [
      event('session_started', {
        session_id: 'bench-console', project: 'task_queue', project_name: 'RedQueue', agent_kind: 'sim', simulated: true, agents: 4,
        duration_seconds: scheduleSeconds, megatest_version: 'bench',
        phases: [{ name: 'bootstrap', duration_seconds: scheduleSeconds / 6 }, { name: 'development', duration_seconds: scheduleSeconds / 3 }, { name: 'refinement', duration_seconds: scheduleSeconds / 3 }, { name: 'finalization', duration_seconds: scheduleSeconds / 6 }],
      }),
      event('phase_started', { phase: 'development', index: 1, duration_seconds: scheduleSeconds, tasks: ['a', 'b', 'c'] }),
      ...agents.map((agent, i) => event('agent_started', { agent, role: ['architect', 'developer', 'tester', 'reviewer'][i], model: 'sim-model' })),
    ].join('\n') + '\n',
  );

  // One tmux session per console, each its own 120x40 terminal.
  const roots = [{ name: 'megatest', root: ROOT }, ...(beside ? [{ name: `beside (${path.resolve(beside)})`, root: path.resolve(beside) }] : [])];
  const node = nodeFlags === null ? 'node' : `MEGATEST_CONSOLE_PROCESS=1 node --max-old-space-size=96 --max-semi-space-size=16 ${nodeFlags}`;
  const consoles = roots.map(({ name, root }, i) => {
    const session = `c${i}`;
    const ttyLog = path.join(base, `tty-${i}.bytes`);
    tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', `cd ${root} && exec env -u CI LANG=C.UTF-8 TERM=xterm-256color ${node} bin/megatest.js attach ${runDir}`);
    tmux('pipe-pane', '-o', '-t', session, `cat >> ${ttyLog}`);
    const panePid = Number(tmux('display', '-p', '-t', session, '#{pane_pid}').trim());
    return { name, session, ttyLog, panePid, pid: 0, lags: [], seen: new Set(), rss: [], at: {}, last: null };
  });
  const screenOf = (c) => tmux('capture-pane', '-p', '-t', c.session);

  // Wait for each console to draw the session.
  const startWait = Date.now();
  for (const c of consoles) {
    while (!screenOf(c).includes('bench-console')) {
      if (Date.now() - startWait > 180_000) throw new Error(`the console (${c.name}) did not come up`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // bin/megatest.js re-runs node with the console's heap flags: measure that child.
    c.pid = consoleProcess(c.panePid);
  }
  const mark = (phase) => {
    for (const c of consoles) c.at[phase] = readProc(c.pid);
  };

  const references = {
    tail: startReference('tail', ['-q', '-f', eventsFile, logFile]),
    node: startReference(process.execPath, ['-e', MINIMAL_READER, eventsFile, logFile]),
  };
  const markers = new Map(); // n -> written at (ms)
  let writtenEvents = 0;
  let writtenLogLines = 0;
  const started = Date.now();
  mark('loadStart');
  const referenceStart = Object.fromEntries(Object.entries(references).map(([name, r]) => [name, readProc(r.pid)]));
  let eventDebt = 0;
  let logDebt = 0;
  let lastTick = Date.now();
  let marker = 0;

  const generator = setInterval(() => {
    const now = Date.now();
    const dt = now - lastTick;
    lastTick = now;
    eventDebt += (eventsPerSecond * dt) / 1000;
    logDebt += (logLinesPerSecond * dt) / 1000;
    const lines = [];
    while (eventDebt >= 1) {
      eventDebt -= 1;
      const agent = agents[seq % 4];
      lines.push(seq % 2 === 0 ? event('tool_call', { agent, tool: 'read_file', ok: true, duration_ms: 12 }) : event('tokens', { agent, input: 1200, output: 300, model: 'sim-model' }));
    }
    if (lines.length > 0) {
      writtenEvents += lines.length;
      appendFileSync(eventsFile, lines.join('\n') + '\n');
    }
    const logLines = [];
    const iso = new Date(now).toISOString();
    while (logDebt >= 1) {
      logDebt -= 1;
      logLines.push(`${iso} INFO  [agent-${(writtenLogLines % 4) + 1}] step ${writtenLogLines++} done`);
    }
    if (logLines.length > 0) appendFileSync(logFile, logLines.join('\n') + '\n');
  }, TICK_MS);

  // One marker a second, as an alert (the alerts pane keeps the newest at hand).
  const markerTimer = setInterval(() => {
    marker += 1;
    markers.set(marker, Date.now());
    appendFileSync(eventsFile, event('alert', { level: 'info', message: `MARK-${marker}-END` }) + '\n');
    writtenEvents += 1;
  }, 1000);

  let polling = true;
  let nextRssAt = started;
  const poller = (async () => {
    while (polling) {
      for (const c of consoles) {
        try {
          const { stdout } = await execFileAsync('tmux', ['-L', socket, 'capture-pane', '-p', '-t', c.session]);
          const now = Date.now();
          for (const match of stdout.matchAll(/MARK-(\d+)-END/g)) {
            const n = Number(match[1]);
            if (!c.seen.has(n) && markers.has(n)) {
              c.seen.add(n);
              c.lags.push(now - markers.get(n));
            }
          }
        } catch {
          // the pane is gone
        }
        const sample = readProc(c.pid);
        if (sample) c.last = sample;
      }
      if (Date.now() >= nextRssAt) {
        nextRssAt += 1000;
        for (const c of consoles) {
          const rss = currentRssKb(c.pid);
          if (rss !== null) c.rss.push({ x: (Date.now() - started) / 1000, y: rss / 1024 });
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(generator);
  clearInterval(markerTimer);
  const loadElapsed = (Date.now() - started) / 1000;
  mark('loadEnd');
  const referenceEnd = Object.fromEntries(Object.entries(references).map(([name, r]) => [name, readProc(r.pid)]));
  for (const r of Object.values(references)) r.stop();
  // The last marker is seen, the last batch drawn; then nothing moves but the clock.
  await new Promise((r) => setTimeout(r, 1500));
  polling = false;
  await poller;
  mark('idleStart');
  const idleStarted = Date.now();
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  mark('idleEnd');
  const idleElapsed = (Date.now() - idleStarted) / 1000;
  // Paused: the clock stops, so the screen stays as it is.
  appendFileSync(eventsFile, event('command', { name: 'pause', source: 'api' }) + '\n');
  writeFileSync(path.join(runDir, 'status'), 'paused\n');
  await new Promise((r) => setTimeout(r, 1500));
  mark('pausedStart');
  const pausedStarted = Date.now();
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  mark('pausedEnd');
  const pausedElapsed = (Date.now() - pausedStarted) / 1000;
  for (const c of consoles) {
    try {
      c.pausedScreen = screenOf(c).split('\n')[0];
    } catch {
      c.pausedScreen = '';
    }
    try {
      c.ttyBytes = statSync(c.ttyLog).size;
    } catch {
      c.ttyBytes = 0;
    }
  }
  // q detaches cleanly (so a --node-flags --cpu-prof run writes its profile); then the server goes.
  try {
    for (const c of consoles) tmux('send-keys', '-t', c.session, 'q');
    const quitAsked = Date.now();
    while (consoles.some((c) => readProc(c.pid) !== null) && Date.now() - quitAsked < 5000) await new Promise((r) => setTimeout(r, 100));
    tmux('kill-server');
  } catch {
    // already gone
  }

  const cpuPercent = (from, to, elapsed) => (from && to ? round1(((to.cpuTicks - from.cpuTicks) / TICKS_PER_SECOND / elapsed) * 100) : null);
  const slopeJudged = seconds >= 2 * RSS_WARMUP_SECONDS;
  const figuresOf = (c) => {
    const rssSlope = slope(c.rss.filter((s) => s.x >= RSS_WARMUP_SECONDS));
    const firstRss = c.rss.find((s) => s.x >= RSS_WARMUP_SECONDS) ?? c.rss[0];
    const lastRss = c.rss.at(-1);
    const peak = c.at.pausedEnd ?? c.last;
    return {
      markers_seen_on_screen: c.lags.length,
      display_lag_median_ms: percentile(c.lags, 50),
      display_lag_p95_ms: percentile(c.lags, 95),
      display_lag_max_ms: c.lags.length ? Math.max(...c.lags) : null,
      cpu_percent_under_load: cpuPercent(c.at.loadStart, c.at.loadEnd, loadElapsed),
      cpu_percent_idle_clock_ticking: cpuPercent(c.at.idleStart, c.at.idleEnd, idleElapsed),
      cpu_percent_paused_nothing_changes: c.pausedScreen.includes('paused') ? cpuPercent(c.at.pausedStart, c.at.pausedEnd, pausedElapsed) : `not paused on screen: ${c.pausedScreen}`,
      rss_mb_at_first_minute_and_end: firstRss && lastRss ? `${round1(firstRss.y)} -> ${round1(lastRss.y)}` : null,
      rss_slope_mb_per_min_after_first_minute: rssSlope === null ? null : round2(rssSlope * 60),
      peak_rss_mb: peak ? round1(peak.peakRssKb / 1024) : null,
      terminal_bytes_per_second: Math.round(c.ttyBytes / (loadElapsed + 1.5 + idleElapsed + 1.5 + pausedElapsed)),
    };
  };
  const perConsole = consoles.map((c) => ({ name: c.name, figures: figuresOf(c) }));
  const run = {
    load_seconds: Math.round(loadElapsed),
    idle_and_paused_seconds: `${Math.round(idleElapsed)} + ${Math.round(pausedElapsed)}`,
    events_written_per_second: Math.round(writtenEvents / seconds),
    log_lines_written_per_second: Math.round(writtenLogLines / seconds),
    markers_written: markers.size,
    load_average_at_end: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    reference_tail_f_cpu_percent_under_load: cpuPercent(referenceStart.tail, referenceEnd.tail, loadElapsed),
    reference_minimal_node_reader_cpu_percent_under_load: cpuPercent(referenceStart.node, referenceEnd.node, loadElapsed),
  };
  const judged = perConsole[0].figures;
  const checks = [
    judged.markers_seen_on_screen >= Math.max(1, run.markers_written - 1),
    judged.display_lag_max_ms !== null && judged.display_lag_max_ms < 1000,
    judged.cpu_percent_under_load !== null && judged.cpu_percent_under_load < 10,
    typeof judged.cpu_percent_paused_nothing_changes === 'number' && judged.cpu_percent_paused_nothing_changes < 2,
    judged.peak_rss_mb !== null && judged.peak_rss_mb < 200,
    !slopeJudged || (judged.rss_slope_mb_per_min_after_first_minute !== null && judged.rss_slope_mb_per_min_after_first_minute < 0.2),
  ];
  const passed = checks.every(Boolean);
  console.log(`\nconsole (megatest attach in tmux 120x40), ${eventsPerSecond} events/s + ${logLinesPerSecond} log lines/s, then idle, then paused`);
  for (const [key, value] of Object.entries(run)) console.log(`  ${key.padEnd(52)} ${value}`);
  for (const { name, figures } of perConsole) {
    console.log(`  ${name}`);
    for (const [key, value] of Object.entries(figures)) console.log(`    ${key.padEnd(50)} ${value}`);
  }
  const slopeNote = slopeJudged ? 'RSS slope < 0.2 MB/min' : `RSS slope not judged: load < ${2 * RSS_WARMUP_SECONDS} s`;
  console.log(`  ${`targets (megatest: CPU < 10% load, < 2% paused; ${slopeNote}; lag < 1 s; RSS < 200 MB)`.padEnd(52)} ${passed ? 'met' : 'MISSED'}`);
  if (!keep) rmSync(base, { recursive: true, force: true });
  else console.log(`  kept: ${base}`);
  return { passed, figures: { ...run, consoles: perConsole } };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { passed } = await main();
  process.exitCode = passed ? 0 : 1;
}
