// Event throughput benchmark (issue 2): a 60 s headless session with 8 sim
// agents at >= 2,000 events/s. Measures events written per second, the
// orchestrator's CPU and peak RSS (from /proc, polled), and that no event is
// lost: seq contiguous, and every protocol line each agent printed (its raw
// output.log) present as an event.
//
//   npm run build && node bench/events.mjs [--seconds 60] [--agents 8] [--keep]

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readProc, TICKS_PER_SECOND } from './proc.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}


const PROTOCOL_TO_EVENT = { tool_call: 'tool_call', tokens: 'tokens', state: 'agent_state', vote: 'vote' };

export async function main(options = {}) {
  const seconds = Number(options.seconds ?? arg('seconds', '60'));
  const agents = Number(options.agents ?? arg('agents', '8'));
  const keep = options.keep ?? process.argv.includes('--keep');
  const runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-bench-events-'));
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin', 'megatest.js'), 'run', 'task_queue', '--duration', `${seconds}s`, '--agents', String(agents), '--headless', '--config', path.join(ROOT, 'bench', 'fixtures', 'events.toml'), '--runs-dir', runsDir, '--session-id', 'bench-events'],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CI: '1' } },
  );
  let last = null;
  const poll = setInterval(() => {
    const sample = readProc(child.pid);
    if (sample) last = sample;
  }, 100);
  const exitCode = await new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  clearInterval(poll);
  const wallSeconds = (Date.now() - started) / 1000;

  const runDir = path.join(runsDir, 'bench-events');
  const lines = readFileSync(path.join(runDir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean);
  let contiguous = true;
  const perAgent = new Map();
  let firstTs = null;
  let lastTs = null;
  lines.forEach((line, i) => {
    const event = JSON.parse(line);
    if (event.seq !== i + 1) contiguous = false;
    firstTs ??= Date.parse(event.ts);
    lastTs = Date.parse(event.ts);
    if (event.agent) {
      const key = `${event.agent}/${event.type}`;
      perAgent.set(key, (perAgent.get(key) ?? 0) + 1);
    }
  });
  let emitted = 0;
  let missing = 0;
  for (let i = 1; i <= agents; i++) {
    const name = `agent-${i}`;
    const printed = new Map();
    for (const raw of readFileSync(path.join(runDir, 'agents', name, 'output.log'), 'utf8').split('\n')) {
      if (!raw.startsWith('{')) continue;
      try {
        const type = PROTOCOL_TO_EVENT[JSON.parse(raw).type];
        if (type) printed.set(type, (printed.get(type) ?? 0) + 1);
      } catch {
        // not a protocol line
      }
    }
    for (const [type, count] of printed) {
      emitted += count;
      missing += Math.max(0, count - (perAgent.get(`${name}/${type}`) ?? 0));
    }
  }
  const spanSeconds = (lastTs - firstTs) / 1000;
  const figures = {
    session_seconds: seconds,
    agents,
    exit_code: exitCode,
    events: lines.length,
    events_per_second: Math.round(lines.length / spanSeconds),
    agent_lines_printed: emitted,
    agent_lines_missing: missing,
    seq_contiguous: contiguous,
    orchestrator_cpu_percent_of_one_core: last ? Math.round((last.cpuTicks / TICKS_PER_SECOND / wallSeconds) * 1000) / 10 : null,
    orchestrator_peak_rss_mb: last ? Math.round(last.peakRssKb / 102.4) / 10 : null,
  };
  const passed = figures.events_per_second >= 2000 && missing === 0 && contiguous;
  console.log('\nevent throughput (8 sim agents, headless)');
  for (const [key, value] of Object.entries(figures)) console.log(`  ${key.padEnd(36)} ${value}`);
  console.log(`  ${'target (>= 2,000 events/s, none lost)'.padEnd(36)} ${passed ? 'met' : 'MISSED'}`);
  if (!keep) rmSync(runsDir, { recursive: true, force: true });
  else console.log(`  run folder kept: ${runDir}`);
  return { passed, figures };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { passed } = await main();
  process.exitCode = passed ? 0 : 1;
}
