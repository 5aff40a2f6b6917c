// Command latency benchmark (DESIGN §10): what a person waits for a command
// while a phase-end gate's test run is in flight. Checkpoint, pause,
// continue, compress and stop are short jobs on the serial queue and must be
// answered, and take effect, within 1 s however long the project's tests
// take; test/e2e/commandLatency.test.ts proves they do not wait for the test
// run (by the order of events), this times them.
//
// A headless session of 3 agents (the sim agent program as a `command`
// agent, so the orchestrator runs the template's commands of
// test/fixtures/e2e/slow-tests.toml) whose bootstrap gate's test run is held
// until this bench releases it (the file MEGATEST_GATE_RELEASE names). Once
// the gate's build is recorded, each round times, from this process with the
// client the CLI and the console use (ControlClient, as the console: source
// "key"), `checkpoint`, `pause`, `continue` and `compress`: the control API
// round trip, and from the request to its events being whole lines of
// events.jsonl; then `stop` once. Medians of --rounds rounds. The gate must
// still be held when the last answer came (no test run after its build, no
// phase end), or the figures are not of commands during a gate and the bench
// fails.
//
// Target: each command's median round trip, and its events recorded, < 1 s.
// Exits 1 if one is missed.
//
//   npm run build && node bench/commandLatency.mjs [--rounds 7]

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLIENT = new URL('../dist/io/controlClient.js', import.meta.url);
const CONFIG = path.join(ROOT, 'test', 'fixtures', 'e2e', 'slow-tests.toml');
const SIM_AGENT = path.join(ROOT, 'test', 'fixtures', 'e2e', 'sim-agent.mjs');
const TARGET_MS = 1000;

const option = (argv, name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
const ms = (value) => `${Math.round(value)} ms`;
const sleep = (t) => new Promise((resolve) => setTimeout(resolve, t));
const shellQuote = (text) => `'${text.replace(/'/g, `'\\''`)}'`;

function eventsText(runDir) {
  try {
    return readFileSync(path.join(runDir, 'events.jsonl'), 'utf8');
  } catch {
    return '';
  }
}

/** The whole lines of events.jsonl, parsed (the last may still be on its way). */
function readEvents(runDir) {
  const lines = eventsText(runDir).split('\n');
  lines.pop();
  return lines.filter(Boolean).map((line) => JSON.parse(line));
}

/** Whether the event with this seq is a whole line of events.jsonl (a cheap check, no parsing). */
function recorded(text, seq) {
  return text.startsWith(`{"seq":${seq},`) || text.includes(`\n{"seq":${seq},`);
}

async function waitFor(check, what, timeoutMs, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`bench/commandLatency.mjs: gave up waiting for ${what}`);
    await sleep(everyMs);
  }
}

export async function main(argv = process.argv.slice(2)) {
  const rounds = Number(option(argv, '--rounds', '7'));
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`bench/commandLatency.mjs --rounds: a whole number >= 1, got ${option(argv, '--rounds', '')}`);
  const runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-bench-latency-'));
  const sessionId = 'bench-latency';
  const runDir = path.join(runsDir, sessionId);
  const release = path.join(runsDir, 'gate-release');
  const session = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'megatest.js'), 'run', 'task_queue', '--headless', '--agents', '3', '--duration', '10m', '--config', CONFIG,
      '--agent', 'command', '--agent-cmd', `exec ${shellQuote(process.execPath)} ${shellQuote(SIM_AGENT)}`,
      '--runs-dir', runsDir, '--session-id', sessionId, '--seed', '11',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CI: '1', MEGATEST_GATE_RELEASE: release } },
  );
  let exitCode = null;
  const exited = new Promise((resolve) => session.on('exit', (code, signal) => resolve((exitCode = code ?? signal))));
  const figures = new Map(['checkpoint', 'pause', 'continue', 'compress', 'stop'].map((name) => [name, []]));
  let heldThroughout = false;
  let buildSeq = 0;
  try {
    const build = await waitFor(() => exitCode === null && readEvents(runDir).find((e) => e.type === 'build'), "the first gate's build", 240_000);
    if (exitCode !== null) throw new Error(`the session ended (${exitCode}) before its first gate`);
    buildSeq = build.seq;
    const { ControlClient } = await import(CLIENT);
    const client = await ControlClient.fromRunDir(runDir, { source: 'key', timeoutMs: 60_000 });
    // Untimed: the connection, and the project's first checkpoint (it stores every file; the later ones what changed).
    await client.status();
    await client.checkpoint();
    const timed = async (name, call) => {
      const started = performance.now();
      const answer = await call();
      const answerMs = performance.now() - started;
      const seqs = (answer.events ?? (answer.event ? [answer.event] : [])).map((e) => e.seq);
      if (seqs.length === 0) throw new Error(`${name}: the answer names no event`);
      await waitFor(() => {
        const text = eventsText(runDir);
        return seqs.every((seq) => recorded(text, seq));
      }, `${name}'s events in events.jsonl`, 60_000, 2);
      figures.get(name).push({ answerMs, recordedMs: performance.now() - started });
    };
    for (let round = 0; round < rounds; round += 1) {
      await timed('checkpoint', () => client.checkpoint());
      await timed('pause', () => client.pause());
      await timed('continue', () => client.resume());
      await timed('compress', () => client.compress());
    }
    await timed('stop', () => client.stop());
    const events = readEvents(runDir);
    heldThroughout = !events.some((e) => e.type === 'phase_ended' || (e.type === 'test_run' && e.seq > buildSeq));
  } finally {
    writeFileSync(release, '');
    const timer = setTimeout(() => session.kill('SIGKILL'), 120_000);
    await exited;
    clearTimeout(timer);
    rmSync(runsDir, { recursive: true, force: true });
  }

  let passed = heldThroughout;
  const rows = [];
  for (const [name, runs] of figures) {
    const answer = median(runs.map((r) => r.answerMs));
    const recordedMedian = median(runs.map((r) => r.recordedMs));
    const range = (key) => `${ms(Math.min(...runs.map((r) => r[key])))}-${ms(Math.max(...runs.map((r) => r[key])))}`;
    const met = answer < TARGET_MS && recordedMedian < TARGET_MS;
    passed &&= met;
    rows.push([name, `${ms(answer)} (${range('answerMs')})`, `${ms(recordedMedian)} (${range('recordedMs')})`, `< ${TARGET_MS} ms: ${met ? 'PASS' : 'MISS'}`]);
  }
  console.log(
    `\ncontrol commands while a phase-end gate's test run is held in flight: medians of ${rounds} rounds (stop once), ControlClient from this process; ${cpus().length} cores, load ${loadavg()[0].toFixed(1)} at the end, Node ${process.version}`,
  );
  const header = ['command', 'round trip (range)', 'events recorded (range)', 'target'];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...[header, ...rows].map((row) => row[c].length)));
  for (const row of [header, widths.map((w) => '-'.repeat(w)), ...rows]) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
  console.log(`the gate's test run held until the last answer: ${heldThroughout ? 'yes' : 'NO (the figures are not of commands during a gate)'}; the session exited ${exitCode}`);
  if (!passed) console.log('commandLatency bench: a target was missed');
  return {
    passed,
    held_throughout: heldThroughout,
    figures: Object.fromEntries([...figures].map(([name, runs]) => [name, { answer_median_ms: median(runs.map((r) => r.answerMs)), recorded_median_ms: median(runs.map((r) => r.recordedMs)) }])),
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
