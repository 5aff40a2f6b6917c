// Big-run benchmark (issue 13 §4): reading a crashed run of 1,000,000 events.
//
// The run is real: a headless sim session (2 agents) killed with SIGKILL once
// it has a checkpoint, its agents killed with it. A copy of it then has its
// events.jsonl padded to --events events with events of the shapes a run
// writes (tool calls, tokens, agent states, a metrics snapshot every 1,000
// events, an error and its recovery every 2,500), numbered on from its last
// seq, 25 ms apart: a crashed 1M-event run with a real config, checkpoints and
// project. Each figure is taken in a fresh process, --rounds times (median;
// the log and index put back as they were before each round):
//   - resume: `megatest resume DIR --headless` from spawn until it prints the
//     resume command (the log folded, the leftovers cleared, the newest
//     checkpoint restored), and its peak RSS by then (VmHWM); with events.idx
//     as the orchestrator keeps it (it takes in and writes what the log
//     gained every 15 s: here last written 16,000 events before the crash, 15 s
//     at about 1,000 events/s) and with no events.idx at all (the first
//     reader builds it); beside it the same resume of the run before padding;
//   - status: `megatest status DIR --json` and report: `megatest report DIR
//     --format json`, wall time and peak RSS, with the kept index;
//   - attach: `megatest attach DIR` in tmux at 120x40: first frame (the header
//     names the session) and all shown (the elapsed time and each agent's
//     tool calls as the fold of the whole log has them, to the display's
//     precision: the minute, three digits), with the kept index;
// each beside `node -e 0` and `wc -l events.jsonl` timed in the same run.
// Targets: resume < 2 s and < 150 MB; attach first frame < 1 s. Exits 1 if
// one is missed.
//
//   npm run build && node bench/bigRun.mjs [--events 1000000] [--rounds 3] [--keep]
//   (KEEP=1 keeps the folders in the temp dir and reuses them.)

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readProc } from './proc.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'megatest.js');
const INDEX_LAG_EVENTS = 16_000;
const TMUX = ['-L', `megatest-bench-bigrun-${process.pid}`];

const arg = (argv, name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
const ms = (value) => (value === null ? 'n/a' : `${Math.round(value).toLocaleString('en-US')} ms`);
const mb = (kb) => `${Math.round(kb / 1024)} MB`;
const sleep = (t) => new Promise((resolve) => setTimeout(resolve, t));

/** Every process of the tree under pid (the pid first). */
function tree(pid) {
  const out = [pid];
  try {
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) out.push(...tree(Number(child)));
  } catch {
    // gone
  }
  return out;
}
const peakKb = (pid) => Math.max(0, ...tree(pid).map((p) => readProc(p)?.peakRssKb ?? 0));

/** Kills the agents a killed orchestrator left (their process groups, as a resume would). */
function killAgents(runDir) {
  const agents = path.join(runDir, 'agents');
  if (!existsSync(agents)) return;
  for (const name of readdirSync(agents)) {
    try {
      process.kill(-Number(readFileSync(path.join(agents, name, 'agent.pid'), 'utf8').trim()), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Runs `megatest ARGS` to its end; wall ms and peak RSS (polled). */
async function timeCommand(args) {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  let peak = 0;
  const poll = setInterval(() => (peak = Math.max(peak, peakKb(child.pid))), 10);
  const code = await new Promise((resolve) => child.on('close', resolve));
  clearInterval(poll);
  return { ms: performance.now() - started, peakKb: peak, code, out, err };
}

/** `megatest resume DIR --headless` until it prints the resume command; then killed (the run stays crashed). */
async function timeResume(runDir) {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'resume', runDir, '--headless'], { cwd: ROOT, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let peak = 0;
  const resumed = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (/command resume from cli/.test(out)) resolve(performance.now() - started);
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => reject(new Error(`resume exited ${code} before resuming: ${err.slice(-600)}`)));
  });
  const poll = setInterval(() => (peak = Math.max(peak, peakKb(child.pid))), 5);
  try {
    const elapsed = await resumed;
    peak = Math.max(peak, peakKb(child.pid));
    return { ms: elapsed, peakKb: peak };
  } finally {
    clearInterval(poll);
    child.kill('SIGKILL');
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.on('close', resolve)));
    killAgents(runDir);
  }
}

/** "fold 282 ms, 16001 events read": what a resume said of its fold. */
const said = (fold) => (fold ? `fold ${fold[2]} ms, ${Number(fold[1]).toLocaleString('en-US')} events read` : 'fold not said');

/** What `megatest resume` said about its fold (session.log), the last time. */
function foldSaid(runDir) {
  const log = readFileSync(path.join(runDir, 'session.log'), 'utf8');
  return [...log.matchAll(/log folded (.*?): (\d+) events read from events\.jsonl in (\d+) ms, (\d+) in all/g)].at(-1)?.slice(1) ?? null;
}

function timeWc(file) {
  const started = performance.now();
  const result = spawnSync('wc', ['-l', file], { encoding: 'utf8' });
  return { ms: performance.now() - started, lines: Number(result.stdout.trim().split(/\s+/)[0]) };
}

function timeNodeStart() {
  const started = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return performance.now() - started;
}

/** A real sim run, killed with SIGKILL once it has a checkpoint. */
async function crashedRun(runsDir) {
  const config = path.join(runsDir, 'bench.toml');
  writeFileSync(config, '[monitoring]\nhealth_check_interval = 1\ncontrol_port = 18490\n[checkpoint]\ntool_call_threshold = 4\ntoken_threshold = 600\n');
  const runDir = path.join(runsDir, 'small');
  const child = spawn(process.execPath, [BIN, 'run', 'task_queue', '--headless', '--agents', '2', '--duration', '8h', '--config', config, '--runs-dir', runsDir, '--session-id', 'small', '--seed', '7'], {
    cwd: ROOT,
    env: { ...process.env, CI: '1' },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.on('close', resolve));
  try {
    const deadline = Date.now() + 300_000;
    while (!/"type":"checkpoint_created"/.test(existsSync(path.join(runDir, 'events.jsonl')) ? readFileSync(path.join(runDir, 'events.jsonl'), 'utf8') : '')) {
      if (Date.now() > deadline) throw new Error('no checkpoint within 5 minutes');
      await sleep(200);
    }
    await sleep(2000); // a few more events after the checkpoint, as a crash would find
  } finally {
    child.kill('SIGKILL');
    await exited;
    killAgents(runDir);
  }
  return runDir;
}

/** Appends events to `file` up to `count` in all, numbered and timed on from its last one. */
function padLog(file, count) {
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  const last = lines.at(-1);
  const agents = [...new Set(lines.filter((e) => e.type === 'agent_started').map((e) => e.agent))];
  const metrics = lines.filter((e) => e.type === 'metrics').at(-1)?.metrics;
  let seq = last.seq;
  let ms = Date.parse(last.ts);
  let tokens = 0;
  let calls = 0;
  const fd = openSync(file, 'a');
  let chunk = [];
  let size = 0;
  const emit = (body) => {
    seq += 1;
    ms += 25;
    const line = JSON.stringify({ seq, ts: new Date(ms).toISOString(), ...body }) + '\n';
    chunk.push(line);
    size += line.length;
    if (size > 4 << 20) {
      writeSync(fd, chunk.join(''));
      chunk = [];
      size = 0;
    }
  };
  for (let i = 0; seq < count; i++) {
    const agent = agents[i % agents.length];
    if (i % 1000 === 999 && metrics) emit({ type: 'metrics', metrics: { ...metrics, timestamp: new Date(ms).toISOString(), total_tokens: tokens, tool_calls: calls } });
    else if (i % 2500 === 1200) {
      emit({ type: 'error', class: 'tool_failure', severity: 'transient', agent, message: 'run_command: npm test failed (exit 1)' });
      emit({ type: 'recovery', action: 'retry_with_backoff', attempt: 1, outcome: 'started', agent, detail: 'retry in 2s' });
      emit({ type: 'recovery', action: 'retry_with_backoff', attempt: 1, outcome: 'succeeded', agent });
    } else if (i % 3 === 0) {
      calls += 1;
      emit({ type: 'tool_call', agent, tool: ['read_file', 'write_file', 'run_command'][(i / 3) % 3], ok: i % 29 !== 0, duration_ms: 40 + (i % 300) });
    } else if (i % 3 === 1) {
      const input = 200 + (i % 2800);
      const output = 20 + (i % 780);
      tokens += input + output;
      emit({ type: 'tokens', agent, input, output, model: 'claude-sonnet-4-5' });
    } else emit({ type: 'agent_state', agent, status: i % 7 === 0 ? 'idle' : 'working' });
  }
  writeSync(fd, chunk.join(''));
  closeSync(fd);
  return seq;
}

/** Byte offset where the line holding the event `count` lines before the end begins. */
function offsetBeforeLastLines(file, lines) {
  const text = readFileSync(file);
  let at = text.length - 1;
  for (let seen = 0; seen <= lines && at > 0; ) if (text[--at] === 0x0a) seen += 1;
  return at + 1;
}

/** The run folders, made once (and kept with --keep): small (crashed as is) and big (padded); each with pristine copies to put back. */
async function prepare(base, count) {
  const done = path.join(base, '.prepared');
  if (existsSync(done) && readFileSync(done, 'utf8') === String(count)) return;
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  const small = await crashedRun(base);
  const big = path.join(base, 'big');
  execFileSync('cp', ['-a', small, big]);
  const events = path.join(big, 'events.jsonl');
  rmSync(path.join(big, 'events.idx'), { force: true });
  padLog(events, count);
  // events.idx as the orchestrator leaves it: written over all but the last INDEX_LAG_EVENTS events.
  const full = `${events}.pristine`;
  copyFileSync(events, full);
  truncateSync(events, offsetBeforeLastLines(events, INDEX_LAG_EVENTS));
  const { LogIndexUpkeep } = await import(pathToFileURL(path.join(ROOT, 'dist', 'io', 'logIndexUpkeep.js')).href);
  const upkeep = await LogIndexUpkeep.open({ root: big, events, sessionLog: path.join(big, 'session.log') }, (m) => process.stderr.write(`${m}\n`));
  await upkeep.close();
  copyFileSync(full, events);
  copyFileSync(path.join(big, 'events.idx'), path.join(big, 'events.idx.kept'));
  for (const dir of [small, big]) {
    copyFileSync(path.join(dir, 'events.jsonl'), path.join(dir, 'events.jsonl.pristine'));
    copyFileSync(path.join(dir, 'status'), path.join(dir, 'status.pristine'));
    if (existsSync(path.join(dir, 'events.idx'))) copyFileSync(path.join(dir, 'events.idx'), path.join(dir, 'events.idx.kept'));
  }
  writeFileSync(done, String(count));
}

/** Puts the crashed run back: its log, its status, and the index kept (or none). */
function putBack(dir, index) {
  copyFileSync(path.join(dir, 'events.jsonl.pristine'), path.join(dir, 'events.jsonl'));
  copyFileSync(path.join(dir, 'status.pristine'), path.join(dir, 'status'));
  rmSync(path.join(dir, 'events.idx'), { force: true });
  if (index && existsSync(path.join(dir, 'events.idx.kept'))) copyFileSync(path.join(dir, 'events.idx.kept'), path.join(dir, 'events.idx'));
}

/** attach in tmux at 120x40: ms to the first frame naming the session, and to the screen showing each of `final` (any one of its spellings). */
async function timeAttach(dir, sessionId, final) {
  const started = performance.now();
  execFileSync('tmux', [...TMUX, 'new-session', '-d', '-x', '120', '-y', '40', '-s', 'attach', `cd ${ROOT} && exec node ${BIN} attach ${dir}`]);
  let first = null;
  let all = null;
  let peak = 0;
  try {
    const panePid = Number(execFileSync('tmux', [...TMUX, 'display-message', '-p', '-t', 'attach', '#{pane_pid}'], { encoding: 'utf8' }).trim());
    while (performance.now() - started < 60_000 && all === null) {
      const screen = execFileSync('tmux', [...TMUX, 'capture-pane', '-p', '-t', 'attach'], { encoding: 'utf8' });
      const now = performance.now() - started;
      if (first === null && screen.includes(sessionId)) first = now;
      if (final.every((spellings) => spellings.some((text) => screen.includes(text)))) all = now;
      peak = Math.max(peak, peakKb(panePid));
      await sleep(15);
    }
  } finally {
    spawnSync('tmux', [...TMUX, 'kill-server']);
  }
  return { first, all, peakKb: peak };
}

export async function main(options = {}) {
  const argv = options.argv ?? process.argv.slice(2);
  const count = Number(arg(argv, 'events', process.env.BENCH_EVENTS ?? '1000000'));
  const rounds = Number(arg(argv, 'rounds', '3'));
  const keep = argv.includes('--keep') || Boolean(process.env.KEEP);
  const base = path.join(tmpdir(), `megatest-bench-bigrun-${count}`);
  try {
    process.stdout.write(`preparing a crashed run of ${count.toLocaleString('en-US')} events in ${base} …\n`);
    await prepare(base, count);
    const small = path.join(base, 'small');
    const big = path.join(base, 'big');
    const smallEvents = readFileSync(path.join(small, 'events.jsonl.pristine'), 'utf8').split('\n').filter(Boolean).length;
    const load = loadavg()[0];
    const figures = { resumeKept: [], resumeNone: [], resumeSmall: [], status: [], report: [], attach: [], wc: [], node: [], said: {} };
    for (let round = 0; round < rounds; round++) {
      figures.node.push(timeNodeStart());
      figures.wc.push(timeWc(path.join(big, 'events.jsonl.pristine')).ms);
      putBack(small, true);
      figures.resumeSmall.push(await timeResume(small));
      putBack(big, true);
      figures.resumeKept.push(await timeResume(big));
      figures.said.kept = foldSaid(big);
      putBack(big, false);
      figures.resumeNone.push(await timeResume(big));
      figures.said.none = foldSaid(big);
      putBack(big, true);
      figures.status.push(await timeCommand(['status', big, '--json']));
      figures.report.push(await timeCommand(['report', big, '--format', 'json']));
    }
    // What the whole log's fold shows, as the console formats it: the elapsed time (status rounds it, the console floors it) and each agent's tool calls.
    const { formatCount, formatDuration } = await import(pathToFileURL(path.join(ROOT, 'dist', 'ui', 'viewModels', 'format.js')).href);
    const status = JSON.parse(figures.status.at(-1).out);
    const elapsed = status.metrics.elapsed_seconds;
    const final = [[elapsed, elapsed - 1].map((s) => `${formatDuration(s)} / ${formatDuration(status.duration_seconds)}`), ...status.metrics.agents.map((a) => [` ${formatCount(a.tool_calls)} `])];
    for (let round = 0; round < rounds; round++) {
      putBack(big, true);
      figures.attach.push(await timeAttach(big, status.session_id, final));
    }
    const med = (list, key) => median(list.map((x) => x[key]).filter((x) => x !== null));
    const resumeMs = med(figures.resumeKept, 'ms');
    const resumeKb = Math.max(...figures.resumeKept.map((x) => x.peakKb));
    const seen = (key) => figures.attach.filter((a) => a[key] !== null).length;
    const firstFrame = seen('first') === 0 ? null : med(figures.attach, 'first');
    const allShown = seen('all') === 0 ? 'not within 60 s' : ms(med(figures.attach, 'all'));
    const ofRounds = (key) => (seen(key) === rounds ? '' : ` (seen in ${seen(key)} of ${rounds} rounds within 60 s)`);
    const targets = { resumeTime: resumeMs < 2000, resumeRss: resumeKb < 150 * 1024, attach: seen('first') === rounds && firstFrame < 1000 };
    const pass = (ok) => (ok ? 'PASS' : 'FAIL');
    const rows = [
      ['measure', 'megatest', 'reference, same run', 'target'],
      [`resume, events.idx kept (${said(figures.said.kept)})`, `${ms(resumeMs)}, peak ${mb(resumeKb)}`, `same resume on ${smallEvents} events: ${ms(med(figures.resumeSmall, 'ms'))}, ${mb(Math.max(...figures.resumeSmall.map((x) => x.peakKb)))}`, `< 2 s: ${pass(targets.resumeTime)}; < 150 MB: ${pass(targets.resumeRss)}`],
      [`resume, no events.idx (${said(figures.said.none)})`, `${ms(med(figures.resumeNone, 'ms'))}, peak ${mb(Math.max(...figures.resumeNone.map((x) => x.peakKb)))}`, `wc -l events.jsonl: ${ms(median(figures.wc))}`, '-'],
      ['status --json, events.idx kept', `${ms(med(figures.status, 'ms'))}, peak ${mb(Math.max(...figures.status.map((x) => x.peakKb)))}`, `node -e 0: ${ms(median(figures.node))}`, '-'],
      ['report --format json, events.idx kept', `${ms(med(figures.report, 'ms'))}, peak ${mb(Math.max(...figures.report.map((x) => x.peakKb)))}`, '', '-'],
      ['attach 120x40: first frame / all shown', `${ms(firstFrame)}${ofRounds('first')} / ${allShown}${ofRounds('all')}, peak ${mb(Math.max(...figures.attach.map((x) => x.peakKb)))}`, '', `first frame < 1 s: ${pass(targets.attach)}`],
    ];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
    const table = rows.map((r, i) => r.map((cell, c) => String(cell).padEnd(widths[c])).join('  ') + (i === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : '')).join('\n');
    const eventsMb = (statSync(path.join(big, 'events.jsonl.pristine')).size / 1e6).toFixed(0);
    process.stdout.write(`big run: ${count.toLocaleString('en-US')} events (events.jsonl ${eventsMb} MB), ${rounds} rounds, medians; load average ${load.toFixed(1)} on ${cpus().length} cores when it started\n${table}\n`);
    const passed = Object.values(targets).every(Boolean);
    if (!passed) process.stdout.write('big-run bench: a target was missed\n');
    return { passed, figures };
  } finally {
    if (keep) process.stderr.write(`kept ${base}\n`);
    else rmSync(base, { recursive: true, force: true });
  }
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
