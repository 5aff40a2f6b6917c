#!/usr/bin/env node
// Soak: a long headless sim session under a person's commands, then every
// figure cross-checked. Not part of the test suite.
//
//   npm run build && node bench/soak.mjs [--dir /tmp/soak-runs] [--duration 8m] [--keep]
//
// It starts `megatest run task_queue --agents 6 --headless` with a config of
// short intervals and a few sim faults, watches events.jsonl and, keyed on what
// appears there, acts as a person would: after the first checkpoint a pause,
// 5 s later a continue; at the first phase-end gate (a build event) a manual
// checkpoint; when development starts (and that continue is done) a pause, a restore of the checkpoint
// before the newest (project/ hashed then and compared with `restore --to`'s
// export of it), a continue, a compress of agent-3 and a SIGUSR1; 30 tool calls
// later a kill -9 of the orchestrator and `megatest resume DIR --headless`.
// The orchestrator's RSS is sampled from /proc every 3 s. At the end it folds
// events.jsonl itself and compares with final_report.json, `status --json`,
// `replay --frame`, `checkpoints verify`, and checks seq, session_started and
// session.log. It prints its findings (and writes DIR/soak-findings.json).

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync, lstatSync, readlinkSync, fstatSync, closeSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const argv = process.argv.slice(2);
const opt = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const ROOT = resolve(new URL('..', import.meta.url).pathname);
const CLI = join(ROOT, 'bin/megatest.js');
const D = resolve(opt('--dir', '/tmp/soak-runs'));
const DURATION = opt('--duration', '8m');
const RUN = join(D, 'soak');
const PORT = opt('--port', '18970');

const CHECK_ONLY = argv.includes('--check-only');
if (!CHECK_ONLY) {
  rmSync(D, { recursive: true, force: true });
  mkdirSync(D, { recursive: true });
}
const configPath = join(D, '..', `soak-${process.pid}.toml`);
writeFileSync(configPath, `
[monitoring]
health_check_interval = 5
[checkpoint]
interval_minutes = 1
[[sim.faults]]
after_tool_calls = 5
kind = "network_timeout"
agent = "agent-2"
[[sim.faults]]
after_tool_calls = 12
kind = "parse_failure"
agent = "agent-5"
[[sim.faults]]
in_phase = "development"
after_tool_calls = 3
kind = "rate_limit"
agent = "agent-4"
[[sim.faults]]
in_phase = "refinement"
after_tool_calls = 2
kind = "agent_crash"
agent = "agent-2"
`);

const t0 = Date.now();
const since = () => ((Date.now() - t0) / 1000).toFixed(1);
const actions = [];
const note = (what, extra = {}) => { actions.push({ at_s: Number(since()), what, ...extra }); console.log(`[${since()}s] ${what}${Object.keys(extra).length ? ' ' + JSON.stringify(extra) : ''}`); };
const findings = [];
const check = (name, ok, detail) => { findings.push({ name, ok, detail }); };

function cli(args, input) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input, timeout: 120_000 });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

// ---- tree hash of project/ (without .git, node_modules), as restore --to exports it
function treeHash(dir) {
  const h = createHash('sha256');
  const files = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      if (name === '.git' || name === 'node_modules') continue;
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isSymbolicLink()) files.push([relative(dir, p), 'L' + readlinkSync(p)]);
      else if (st.isFile()) files.push([relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex')]);
    }
  };
  walk(dir);
  files.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  for (const [p, c] of files) h.update(`${p}\0${c}\n`);
  return { hash: h.digest('hex'), files: files.length, list: files };
}

// ---- the orchestrator
let child = null;
let childExit = null;
function startRun(args, label) {
  const out = openSync(join(D, `${label}.out`), 'a');
  child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', out, out] });
  childExit = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  note(`started ${label}`, { pid: child.pid });
}
const orchestratorPid = () => { try { return JSON.parse(readFileSync(join(RUN, 'control.json'), 'utf8')).pid; } catch { return null; } };
async function api(method, path, body) {
  const { port } = JSON.parse(readFileSync(join(RUN, 'control.json'), 'utf8'));
  const token = readFileSync(join(RUN, 'control.token'), 'utf8').trim();
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, body: await res.text() };
}

// ---- RSS curve
const rss = [];
const rssTimer = setInterval(() => {
  const pid = orchestratorPid();
  if (!pid) return;
  try {
    const st = readFileSync(`/proc/${pid}/status`, 'utf8');
    rss.push({ at_s: Number(since()), pid, rss_kb: Number(/VmRSS:\s+(\d+)/.exec(st)[1]) });
  } catch { /* gone */ }
}, 3000);

// ---- events.jsonl tail
let offset = 0, partial = '';
const events = [];
function readNew() {
  const p = join(RUN, 'events.jsonl');
  if (!existsSync(p)) return [];
  const fd = openSync(p, 'r');
  const size = fstatSync(fd).size;
  const buf = Buffer.alloc(Math.max(0, size - offset));
  readSync(fd, buf, 0, buf.length, offset);
  closeSync(fd);
  offset = size;
  const text = partial + buf.toString('utf8');
  const lines = text.split('\n');
  partial = lines.pop();
  const fresh = [];
  for (const l of lines) if (l.trim()) { try { const e = JSON.parse(l); events.push(e); fresh.push(e); } catch { note('unparsable line', { l: l.slice(0, 80) }); } }
  return fresh;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the person's script
const s = { firstCkpt: false, pausedAt: null, continued: false, gateCkpt: false, devActed: false, toolsAfterDev: 0, killed: false, resumed: false, ended: false, checkpoints: [], restoreCheck: null };
async function act(e) {
  if (e.type === 'checkpoint_created') s.checkpoints.push(e.id);
  if (e.type === 'checkpoint_created' && !s.firstCkpt) {
    s.firstCkpt = true;
    const r = cli(['pause', RUN]);
    note('pause (cli) after first checkpoint', { ckpt: e.id, code: r.code, out: r.out.trim() || r.err.trim() });
    s.pausedAt = Date.now();
  }
  if (e.type === 'build' && !s.gateCkpt) {
    s.gateCkpt = true;
    const r = cli(['checkpoint', RUN]);
    note('manual checkpoint (cli) during phase-end gate', { after_seq: e.seq, code: r.code, out: (r.out || r.err).trim().slice(0, 200) });
  }
  // Acted on once the pause's continue is done: a person does one thing at a time.
  if (e.type === 'phase_started' && e.phase === 'development') s.devSeen = true;
}
async function atDevelopment() {
  {
    s.devActed = true;
    const target = s.checkpoints.length >= 2 ? s.checkpoints[s.checkpoints.length - 2] : s.checkpoints[0];
    let r = await api('POST', '/api/pause');
    note('pause (api) at development start', { status: r.status });
    r = await api('POST', '/api/restore', { checkpoint: target });
    note('restore (api)', { target, status: r.status, body: r.body.slice(0, 200) });
    const live = treeHash(join(RUN, 'project'));
    const out = join(D, `export-${target}`);
    const x = cli(['restore', RUN, '--checkpoint', target, '--to', out]);
    const exp = x.code === 0 ? treeHash(out) : null;
    let diff = null;
    if (exp && exp.hash !== live.hash) {
      const a = new Map(live.list), b = new Map(exp.list);
      diff = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).slice(0, 10);
    }
    s.restoreCheck = { target, live: live.hash, liveFiles: live.files, export: exp?.hash, exportFiles: exp?.files, exportCode: x.code, exportErr: x.err.trim().slice(0, 300), diff };
    note('restore tree check', { same: exp?.hash === live.hash, files: live.files });
    r = await api('POST', '/api/resume');
    note('continue (api)', { status: r.status });
    r = await api('POST', '/api/compress?agent=agent-3');
    note('compress agent-3 (api)', { status: r.status, body: r.body.slice(0, 200) });
    const pid = orchestratorPid();
    process.kill(pid, 'SIGUSR1');
    note('SIGUSR1', { pid });
  }
}
async function afterDevelopment(e) {
  if (e.type === 'tool_call' && s.devActed && !s.killed) {
    s.toolsAfterDev += 1;
    if (s.toolsAfterDev >= 30) {
      s.killed = true;
      const pid = orchestratorPid();
      note('kill -9 orchestrator', { pid, after_seq: e.seq });
      process.kill(pid, 'SIGKILL');
      await childExit;
      await sleep(1500);
      startRun(['resume', RUN, '--headless'], 'resume');
      s.resumed = true;
    }
  }
}

if (!CHECK_ONLY) {
startRun(['run', 'task_queue', '--duration', DURATION, '--agents', '6', '--headless', '--runs-dir', D, '--session-id', 'soak', '--port', PORT, '--config', configPath], 'run');
let exited = null;
for (;;) {
  for (const e of readNew()) { await act(e); await afterDevelopment(e); }
  if (s.devSeen && s.continued && !s.devActed) await atDevelopment();
  if (s.pausedAt && !s.continued) {
    // "5 s of events later": wait on the events' own clock.
    const last = events[events.length - 1];
    if (Date.now() - s.pausedAt >= 5000 && last) {
      s.continued = true;
      const r = cli(['continue', RUN]);
      note('continue (cli)', { code: r.code, out: (r.out || r.err).trim().slice(0, 200) });
    }
  }
  const ex = await Promise.race([childExit, sleep(250).then(() => null)]);
  if (ex && (!s.killed || s.resumed)) { exited = ex; readNew(); break; }
}
note('orchestrator exited', exited);
} else {
  // Only the checks, on a folder a soak left: what it did and sampled is read back.
  const before = JSON.parse(readFileSync(join(D, 'soak-findings.json'), 'utf8'));
  actions.push(...before.actions);
  rss.push(...before.rss);
  s.restoreCheck = before.restoreCheck;
  readNew();
}
clearInterval(rssTimer);

// ================= checks =================
const rep = JSON.parse(readFileSync(join(RUN, 'final_report.json'), 'utf8'));
writeFileSync(join(D, 'report-copy.json'), JSON.stringify(rep, null, 2));

// fold, counted here from events.jsonl alone
const f = { tokensByAgent: {}, toolCallsByAgent: {}, tokens: 0, input: 0, output: 0, toolCalls: 0, tasks: new Map(), tasksDupNoRestore: [], errors: 0, errorsByClass: {}, protocolLines: 0, recoveriesByAction: {}, recoveriesSucceeded: 0, recoveriesStarted: 0, recoveriesFailed: 0, checkpoints: [], restores: [], phases: {}, sessionStarted: 0, resumes: 0, commands: [], pausedMs: 0, downMs: 0, limits: 0, compress: 0 };
let pauseStart = null;
let prevTs = null;
for (const e of events) {
  const ms = Date.parse(e.ts);
  switch (e.type) {
    case 'tokens': { const n = e.input + e.output; f.tokens += n; f.input += e.input; f.output += e.output; f.tokensByAgent[e.agent] = (f.tokensByAgent[e.agent] ?? 0) + n; break; }
    case 'tool_call': f.toolCalls += 1; f.toolCallsByAgent[e.agent] = (f.toolCallsByAgent[e.agent] ?? 0) + 1; break;
    case 'task_completed': if (f.tasks.has(e.task)) f.tasksDupNoRestore.push({ task: e.task, seq: e.seq, first: f.tasks.get(e.task) }); else f.tasks.set(e.task, e.seq); break;
    case 'checkpoint_restored': f.restores.push(e); for (const [k, seq] of f.tasks) if (seq > e.rolled_back_after_seq) f.tasks.delete(k); break;
    case 'error': f.errors += 1; f.errorsByClass[e.class] = (f.errorsByClass[e.class] ?? 0) + 1; if (e.class === 'parse_failure') f.protocolLines += e.count ?? 1; break;
    case 'recovery': {
      const o = e.outcome === 'gave_up' ? 'failed' : e.outcome;
      const a = (f.recoveriesByAction[e.action] ??= { started: 0, succeeded: 0, failed: 0 });
      a[o] += 1;
      if (e.outcome === 'started') f.recoveriesStarted += 1;
      if (e.outcome === 'succeeded') f.recoveriesSucceeded += 1;
      if (e.outcome === 'failed' || e.outcome === 'gave_up') f.recoveriesFailed += 1;
      break;
    }
    case 'limit': f.limits += 1; break;
    case 'checkpoint_created': f.checkpoints.push(e.id); break;
    // the last start and end of each phase stand (a restore runs a phase again)
    case 'phase_started': f.phases[e.phase] = { started_at: e.ts, ended_at: null, passed: null }; break;
    case 'phase_ended': if (f.phases[e.phase]) { f.phases[e.phase].ended_at = e.ts; f.phases[e.phase].passed = e.passed; } break;
    case 'session_started': f.sessionStarted += 1; f.startMs = ms; break;
    case 'session_ended': f.endMs = ms; f.ended = e; break;
    case 'compress': f.compress += 1; break;
    case 'command':
      f.commands.push(`${e.seq}:${e.name}/${e.source}`);
      if (e.name === 'pause' && pauseStart === null) pauseStart = ms;
      if (e.name === 'continue' && pauseStart !== null) { f.pausedMs += ms - pauseStart; pauseStart = null; }
      if (e.name === 'resume' && e.source === 'cli') { f.resumes += 1; f.downMs += ms - Date.parse(prevTs); if (pauseStart !== null) { f.pausedMs += Date.parse(prevTs) - pauseStart; pauseStart = null; } }
      break;
    default: break;
  }
  prevTs = e.ts;
}
f.tasksDone = f.tasks.size;
f.endMs ??= Date.parse(events.at(-1).ts);
f.elapsedS = (f.endMs - f.startMs - f.pausedMs - f.downMs) / 1000;
writeFileSync(join(D, 'fold.json'), JSON.stringify({ ...f, tasks: [...f.tasks.keys()] }, null, 2));

const same = (name, got, want) => check(name, JSON.stringify(got) === JSON.stringify(want), `got ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
const near = (name, got, want, tol) => check(name, typeof got === 'number' && Math.abs(got - want) <= tol, `got ${got} want ${want} (±${tol})`);
const sortObj = (o) => Object.fromEntries(Object.entries(o ?? {}).sort());
const M = rep.measurements, R = rep.reliability;
same('report total_tokens', M.total_tokens, f.tokens);
same('report input/output tokens', [M.input_tokens, M.output_tokens], [f.input, f.output]);
same('report tokens per agent', Object.fromEntries(rep.agents.map((a) => [a.name, a.tokens])), sortObj(f.tokensByAgent));
same('report tool calls per agent', Object.fromEntries(rep.agents.map((a) => [a.name, a.tool_calls])), sortObj(f.toolCallsByAgent));
same('report tool_calls', M.tool_calls, f.toolCalls);
same('report tasks_completed', M.tasks_completed, f.tasksDone);
same('report models[].tasks (each task once)', rep.models.flatMap((m) => m.tasks).sort(), [...f.tasks.keys()].sort());
same('task_completed never repeats without a restore between', f.tasksDupNoRestore, []);
same('report errors', R.errors, f.errors);
same('report errors_by_class', sortObj(R.errors_by_class), sortObj(f.errorsByClass));
same('report protocol_errors = the fold of parse_failure events (count, 1 when absent)', R.protocol_errors, f.protocolLines);
// Independently: the lines the engine's reporter counted (its events always carry count), and what output.log kept.
const reporterLines = events.filter((e) => e.type === 'error' && e.class === 'parse_failure' && e.count !== undefined).reduce((n, e) => n + e.count, 0);
same('report protocol_errors = malformed lines the agents printed (reporter counts)', R.protocol_errors, reporterLines);
same('report recoveries (succeeded)/started/failed', [R.recoveries, R.recoveries_started, R.recoveries_failed], [f.recoveriesSucceeded, f.recoveriesStarted, f.recoveriesFailed]);
same('report recoveries_by_action', sortObj(R.recoveries_by_action), sortObj(f.recoveriesByAction));
same('report limits_hit', R.limits_hit, f.limits);
const onDisk = readdirSync(join(RUN, 'checkpoints')).filter((n) => /^checkpoint_\d+\.json$/.test(n)).length;
same('report checkpoints = checkpoint_created events = files on disk', [R.checkpoints, R.checkpoints_valid], [f.checkpoints.length, onDisk]);
same('report restores', R.restores, f.restores.length);
same('report resumes', R.resumes, f.resumes);
same('report phases (last start/end, passed)', rep.phases.filter((p) => p.started_at).map((p) => [p.name, p.started_at, p.ended_at, p.passed]), Object.entries(f.phases).map(([n, p]) => [n, p.started_at, p.ended_at, p.passed]));
near('report elapsed_seconds (pauses and downtime excluded)', rep.elapsed_seconds, f.elapsedS, 1.5);
same('report event_log', [rep.event_log.events, rep.event_log.last_seq, rep.event_log.seq_gaps, rep.event_log.unreadable_lines], [events.length, events.at(-1).seq, 0, 0]);
same('report status/exit', [rep.status, rep.exit_code], [f.ended?.status, f.ended?.exit_code]);

// seq contiguity and session_started
const seqGaps = [];
events.forEach((e, i) => { if (e.seq !== i + 1) seqGaps.push({ line: i + 1, seq: e.seq }); });
check('seq contiguous 1..N across the resume', seqGaps.length === 0, seqGaps.length ? seqGaps.slice(0, 5) : `1..${events.length}`);
check('session_started once', f.sessionStarted === 1, `session_started=${f.sessionStarted}, commands=${f.commands.join(',')}`);

// session.log
const slog = readFileSync(join(RUN, 'session.log'), 'utf8');
const stack = slog.split('\n').filter((l) => l.startsWith('    at ') || /\n\s+at /.test(l));
check('session.log free of stack traces', stack.length === 0, stack.slice(0, 5));
check('SIGUSR1 status block in session.log', slog.includes('status block (SIGUSR1)'), '');

// checkpoints verify
const v = cli(['checkpoints', 'verify', RUN]);
check('checkpoints verify', v.code === 0, (v.out + v.err).trim().split('\n').slice(-4).join(' | '));
check('restore put project/ back byte-for-byte', s.restoreCheck && s.restoreCheck.live === s.restoreCheck.export, s.restoreCheck);

// RSS
const rssKb = rss.map((r) => r.rss_kb);
check('orchestrator RSS bounded', rssKb.length > 0 && Math.max(...rssKb) < 600_000, { samples: rss.length, min: Math.min(...rssKb), max: Math.max(...rssKb), first: rssKb.slice(0, 3), last: rssKb.slice(-3) });

// status / replay
const st = cli(['status', RUN, '--json']);
let status = null; try { status = JSON.parse(st.out); } catch { /* */ }
writeFileSync(join(D, 'status.json'), st.out);
const frame = cli(['replay', RUN, '--frame', '--width', '160', '--height', '60']);
writeFileSync(join(D, 'frame.txt'), frame.out + frame.err);
if (status) {
  const m = status.metrics ?? {};
  same('status total_tokens', m.total_tokens, f.tokens);
  same('status tool_calls', m.tool_calls, f.toolCalls);
  same('status tasks_completed', m.tasks_completed, f.tasksDone);
  same('status errors_encountered', m.errors_encountered, f.errors);
  same('status recoveries', m.recoveries, f.recoveriesSucceeded);
  same('status checkpoint_count', m.checkpoint_count, f.checkpoints.length);
  same('status last checkpoint', status.last_checkpoint?.id, f.checkpoints.at(-1));
  same('status agents tokens', Object.fromEntries((m.agents ?? []).map((a) => [a.name, a.tokens])), sortObj(f.tokensByAgent));
  same('status agents tool calls', Object.fromEntries((m.agents ?? []).map((a) => [a.name, a.tool_calls])), sortObj(f.toolCallsByAgent));
  near('status elapsed_seconds', m.elapsed_seconds, f.elapsedS, 1.5);
  same('status phase / status', [status.phase, status.status], [Object.keys(f.phases).at(-1), f.ended?.status]);
} else check('status --json parses', false, st.err.slice(0, 300));
// The frame abbreviates (744k tok, 89.2k): read its figures back and compare within that rounding.
const unabbrev = (t) => { const m = /^([\d.]+)([kM]?)$/.exec(t); return m ? Number(m[1]) * (m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : 1) : NaN; };
const roughly = (name, got, want) => check(name, Math.abs(got - want) <= Math.max(1, want * 0.006), `got ${got} want ${want}`);
check('replay --frame exit 0', frame.code === 0, frame.err.slice(0, 200));
const head = /(\d+) err\s+(\S+) tok\s+(\d+) ckpt/.exec(frame.out);
if (head) {
  same('replay frame errors', Number(head[1]), f.errors);
  roughly('replay frame tokens', unabbrev(head[2]), f.tokens);
  same('replay frame checkpoints', Number(head[3]), f.checkpoints.length);
} else check('replay frame header has err/tok/ckpt', false, frame.out.split('\n').slice(0, 3));
const rows = [...frame.out.matchAll(/^\s+(agent-\d+)\s.*?\s(\S+)\s+(\d+)\s+\d+%\s+[\d.–-]+/gm)];
same('replay frame agent rows', rows.length, Object.keys(f.tokensByAgent).length);
for (const r of rows) {
  roughly(`replay frame ${r[1]} tokens`, unabbrev(r[2]), f.tokensByAgent[r[1]]);
  same(`replay frame ${r[1]} tool calls`, Number(r[3]), f.toolCallsByAgent[r[1]]);
}

const out = { actions, restoreCheck: s.restoreCheck, findings, fold: { ...f, tasks: undefined, tasksList: [...f.tasks.keys()] }, rss, reportKeys: Object.keys(rep), statusKeys: status ? Object.keys(status) : null };
writeFileSync(join(D, 'soak-findings.json'), JSON.stringify(out, null, 2));
console.log('\n==== findings');
for (const x of findings) console.log(`${x.ok ? 'OK  ' : 'FAIL'} ${x.name}: ${typeof x.detail === 'string' ? x.detail : JSON.stringify(x.detail)}`);
console.log(`\nfold: tokens=${f.tokens} toolCalls=${f.toolCalls} tasks=${f.tasksDone} errors=${f.errors} ${JSON.stringify(f.errorsByClass)} recoveries=${JSON.stringify(f.recoveriesByAction)} checkpoints=${f.checkpoints.length} restores=${f.restores.length} resumes=${f.resumes} paused=${f.pausedMs}ms down=${f.downMs}ms elapsed=${f.elapsedS}s phases=${Object.keys(f.phases).join('>')}`);
console.log(`files in ${D}: soak-findings.json fold.json report-copy.json status.json frame.txt`);
rmSync(configPath, { force: true });
