// Console benchmark (issue 5): a generator appends 10,000 events/s and 5,000
// log lines/s to a run folder while `megatest attach` runs in tmux (120x40).
// Measured: display lag (an alert written -> seen on the tmux screen), the
// console's CPU and peak RSS (from /proc), and bytes written to the terminal
// per second (tmux pipe-pane). Targets: lag < 1 s, CPU < 30% of one core,
// RSS < 200 MB.
//
//   npm run build && node bench/console.mjs [--seconds 60] [--keep]

import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readProc, TICKS_PER_SECOND } from './proc.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EVENTS_PER_SECOND = 10_000;
const LOG_LINES_PER_SECOND = 5_000;
const TICK_MS = 20;
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

export async function main(options = {}) {
  const seconds = Number(options.seconds ?? arg('seconds', '60'));
  const keep = options.keep ?? process.argv.includes('--keep');
  const base = mkdtempSync(path.join(tmpdir(), 'megatest-bench-console-'));
  const runDir = path.join(base, 'bench-console');
  makeRunFolder(runDir);
  const socket = `megatest-bench-${process.pid}`;
  const tmux = (...args) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const ttyLog = path.join(base, 'tty.bytes');

  let seq = 0;
  const agents = ['agent-1', 'agent-2', 'agent-3', 'agent-4'];
  const event = (type, body) => JSON.stringify({ seq: ++seq, ts: new Date().toISOString(), type, ...body });
  appendFileSync(
    path.join(runDir, 'events.jsonl'),
    [
      event('session_started', {
        session_id: 'bench-console', project: 'task_queue', project_name: 'RedQueue', agent_kind: 'sim', simulated: true, agents: 4,
        duration_seconds: seconds, megatest_version: 'bench',
        phases: [{ name: 'bootstrap', duration_seconds: seconds / 6 }, { name: 'development', duration_seconds: seconds / 3 }, { name: 'refinement', duration_seconds: seconds / 3 }, { name: 'finalization', duration_seconds: seconds / 6 }],
      }),
      event('phase_started', { phase: 'development', index: 1, duration_seconds: seconds, tasks: ['a', 'b', 'c'] }),
      ...agents.map((agent, i) => event('agent_started', { agent, role: ['architect', 'developer', 'tester', 'reviewer'][i], model: 'sim-model' })),
    ].join('\n') + '\n',
  );

  tmux('new-session', '-d', '-s', 'bench', '-x', '120', '-y', '40', `cd ${ROOT} && exec env -u CI LANG=C.UTF-8 TERM=xterm-256color node bin/megatest.js attach ${runDir}`);
  tmux('pipe-pane', '-o', '-t', 'bench', `cat >> ${ttyLog}`);
  const panePid = Number(tmux('display', '-p', '-t', 'bench', '#{pane_pid}').trim());

  // Wait for the console to draw the session.
  const startWait = Date.now();
  while (!tmux('capture-pane', '-p', '-t', 'bench').includes('bench-console')) {
    if (Date.now() - startWait > 20_000) throw new Error('the console did not come up');
    await new Promise((r) => setTimeout(r, 100));
  }

  // bin/megatest.js re-runs node with the console's heap flags: measure that child.
  const consolePid = consoleProcess(panePid);
  const markers = new Map(); // n -> written at (ms)
  const lags = [];
  let writtenEvents = 0;
  let writtenLogLines = 0;
  const started = Date.now();
  const cpuStart = readProc(consolePid);
  let last = cpuStart;
  let eventDebt = 0;
  let logDebt = 0;
  let lastTick = Date.now();
  let marker = 0;

  const generator = setInterval(() => {
    const now = Date.now();
    const dt = now - lastTick;
    lastTick = now;
    eventDebt += (EVENTS_PER_SECOND * dt) / 1000;
    logDebt += (LOG_LINES_PER_SECOND * dt) / 1000;
    const lines = [];
    while (eventDebt >= 1) {
      eventDebt -= 1;
      const agent = agents[seq % 4];
      lines.push(seq % 2 === 0 ? event('tool_call', { agent, tool: 'read_file', ok: true, duration_ms: 12 }) : event('tokens', { agent, input: 1200, output: 300, model: 'sim-model' }));
    }
    writtenEvents += lines.length;
    appendFileSync(path.join(runDir, 'events.jsonl'), lines.join('\n') + '\n');
    const logLines = [];
    const iso = new Date(now).toISOString();
    while (logDebt >= 1) {
      logDebt -= 1;
      logLines.push(`${iso} INFO  [agent-${(writtenLogLines % 4) + 1}] step ${writtenLogLines++} done`);
    }
    appendFileSync(path.join(runDir, 'session.log'), logLines.join('\n') + '\n');
  }, TICK_MS);

  // One marker a second, as an alert (the alerts pane keeps the newest at hand).
  const markerTimer = setInterval(() => {
    marker += 1;
    markers.set(marker, Date.now());
    appendFileSync(path.join(runDir, 'events.jsonl'), event('alert', { level: 'info', message: `MARK-${marker}-END` }) + '\n');
    writtenEvents += 1;
  }, 1000);

  let polling = true;
  const seen = new Set();
  const poller = (async () => {
    while (polling) {
      try {
        const { stdout } = await execFileAsync('tmux', ['-L', socket, 'capture-pane', '-p', '-t', 'bench']);
        const now = Date.now();
        for (const match of stdout.matchAll(/MARK-(\d+)-END/g)) {
          const n = Number(match[1]);
          if (!seen.has(n) && markers.has(n)) {
            seen.add(n);
            lags.push(now - markers.get(n));
          }
        }
      } catch {
        // the pane is gone
      }
      const sample = readProc(consolePid);
      if (sample) last = sample;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(generator);
  clearInterval(markerTimer);
  await new Promise((r) => setTimeout(r, 1500));
  polling = false;
  await poller;
  const elapsed = (Date.now() - started) / 1000;
  const ttyBytes = (() => {
    try {
      return statSync(ttyLog).size;
    } catch {
      return 0;
    }
  })();
  try {
    tmux('kill-server');
  } catch {
    // already gone
  }

  const cpu = last && cpuStart ? ((last.cpuTicks - cpuStart.cpuTicks) / TICKS_PER_SECOND / elapsed) * 100 : null;
  const figures = {
    seconds: Math.round(elapsed),
    events_written_per_second: Math.round(writtenEvents / seconds),
    log_lines_written_per_second: Math.round(writtenLogLines / seconds),
    markers_written: markers.size,
    markers_seen_on_screen: lags.length,
    display_lag_median_ms: percentile(lags, 50),
    display_lag_p95_ms: percentile(lags, 95),
    display_lag_max_ms: lags.length ? Math.max(...lags) : null,
    console_cpu_percent_of_one_core: cpu === null ? null : Math.round(cpu * 10) / 10,
    console_peak_rss_mb: last ? Math.round(last.peakRssKb / 102.4) / 10 : null,
    terminal_bytes_per_second: Math.round(ttyBytes / elapsed),
  };
  const passed =
    figures.markers_seen_on_screen >= Math.max(1, figures.markers_written - 1) &&
    figures.display_lag_max_ms !== null && figures.display_lag_max_ms < 1000 &&
    figures.console_cpu_percent_of_one_core !== null && figures.console_cpu_percent_of_one_core < 30 &&
    figures.console_peak_rss_mb !== null && figures.console_peak_rss_mb < 200;
  console.log('\nconsole under load (megatest attach in tmux 120x40)');
  for (const [key, value] of Object.entries(figures)) console.log(`  ${key.padEnd(34)} ${value}`);
  console.log(`  ${'targets (lag < 1 s, CPU < 30%, RSS < 200 MB)'.padEnd(34)} ${passed ? 'met' : 'MISSED'}`);
  if (!keep) rmSync(base, { recursive: true, force: true });
  else console.log(`  kept: ${base}`);
  return { passed, figures };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { passed } = await main();
  process.exitCode = passed ? 0 : 1;
}
