// The replay benchmark's generated run folder: a long sim-like session
// written straight to events.jsonl and session.log (no orchestrator: a real
// 1M-event run takes hours). The shapes are the recorded ones of
// test/fixtures/events/*.jsonl: tool calls and tokens from 8 agents, agent
// states, a metrics snapshot every 1,000 events, builds and test runs, a
// checkpoint every 10,000 events and at each phase change, errors followed by
// recoveries, a few restores, votes, limits, compressions, alerts, commands.
// session.log gets the orchestrator's and the agents' lines around each
// event, `<ISO time> <LEVEL> [<source>] <message>` as SessionLog writes them.
// Deterministic: the same count gives the same bytes.

import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';

function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PHASES = ['bootstrap', 'development', 'refinement', 'hardening'];
const TOOLS = ['read_file', 'write_file', 'edit_file', 'run_command', 'search', 'list_dir', 'run_tests'];
const FILES = ['src/server/resp.rs', 'src/queue/priority.rs', 'src/worker/pool.rs', 'src/api/http.rs', 'tests/integration.rs', 'src/scheduler/delay.rs', 'src/dlq.rs', 'README.md'];
const ROLES = ['architect', 'developer', 'developer', 'developer', 'tester', 'developer', 'reviewer', 'developer'];
const WORDS = ['queue', 'worker', 'lease', 'retry', 'priority', 'backoff', 'cursor', 'batch', 'handler', 'timeout', 'payload', 'ack', 'scheduler', 'metrics', 'codec', 'frame'];
const ERROR_CLASSES = ['tool_failure', 'build_failure', 'test_failure', 'agent_timeout', 'agent_crash', 'rate_limit'];
const RECOVERY = { tool_failure: 'retry_with_backoff', build_failure: 'rebuild', test_failure: 'retry_with_backoff', agent_timeout: 'restart_agent', agent_crash: 'restart_agent', rate_limit: 'wait_and_retry' };
const TASKS_PER_PHASE = 10;

function taskName(phase, index) {
  return `${PHASES[phase]}: implement the ${WORDS[index % WORDS.length]} ${WORDS[(index * 7 + 3) % WORDS.length]} module with unit tests (#${phase * TASKS_PER_PHASE + index + 1})`;
}

/** Writes events.jsonl and session.log of `count` events into dir; returns their sizes. */
export function generateRunFolder(dir, count) {
  const random = prng(20261120);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const eventsFd = openSync(path.join(dir, 'events.jsonl'), 'w');
  const logFd = openSync(path.join(dir, 'session.log'), 'w');
  let eventChunk = [];
  let logChunk = [];
  let eventBytes = 0;
  let logBytes = 0;
  let eventLen = 0;
  let logLen = 0;
  const flush = (force) => {
    if (force || eventLen > 4 << 20) {
      const text = eventChunk.join('');
      eventBytes += writeSync(eventsFd, text);
      eventChunk = [];
      eventLen = 0;
    }
    if (force || logLen > 4 << 20) {
      const text = logChunk.join('');
      logBytes += writeSync(logFd, text);
      logChunk = [];
      logLen = 0;
    }
  };

  const agents = Array.from({ length: 8 }, (_, i) => ({ name: `agent-${i + 1}`, role: ROLES[i], tokens: 0, calls: 0, task: null, status: 'starting' }));
  let seq = 0;
  let ms = Date.parse('2026-11-20T22:00:00.000Z');
  const startMs = ms;
  const totals = { tokens: 0, calls: 0, errors: 0, recoveries: 0, checkpoints: 0, votes: 0, tasks: 0, loc: 120, passed: 0, failed: 0, coverage: 0 };
  const checkpointIds = [];
  let phase = 0;

  const log = (level, source, message) => {
    const line = `${new Date(ms).toISOString()} ${level.padEnd(5)} [${source}] ${message}\n`;
    logChunk.push(line);
    logLen += line.length;
  };
  const emit = (body) => {
    seq += 1;
    const line = JSON.stringify({ seq, ts: new Date(ms).toISOString(), ...body }) + '\n';
    eventChunk.push(line);
    eventLen += line.length;
  };
  const metrics = () => ({
    session_id: 'bench-replay',
    timestamp: new Date(ms).toISOString(),
    elapsed_seconds: Math.round((ms - startMs) / 1000),
    estimated_remaining: Math.max(0, 21600 - Math.round((ms - startMs) / 1000)),
    phase: PHASES[phase],
    status: 'running',
    total_tokens: totals.tokens,
    tokens_per_minute: 9000 + Math.floor(random() * 6000),
    tasks_completed: totals.tasks,
    tasks_remaining: PHASES.length * TASKS_PER_PHASE - totals.tasks,
    test_pass_rate: totals.passed + totals.failed > 0 ? totals.passed / (totals.passed + totals.failed) : null,
    tests_passed: totals.passed,
    tests_failed: totals.failed,
    lines_of_code: totals.loc,
    test_coverage: totals.coverage,
    doc_coverage: 61.5,
    files_modified: 40 + (seq % 300),
    tool_calls: totals.calls,
    checkpoint_count: totals.checkpoints,
    errors_encountered: totals.errors,
    recoveries: totals.recoveries,
    consensus_votes_cast: totals.votes,
    memory_usage_mb: 180 + Math.floor(random() * 60),
    disk_usage_bytes: 5_000_000 + seq * 40,
    agents: agents.map((a) => ({
      name: a.name,
      role: a.role,
      status: a.status,
      task: a.task,
      model: 'claude-sonnet-4-5',
      tokens: a.tokens,
      tool_calls: a.calls,
      utilization: 0.6 + random() * 0.3,
      trust_score: 0.97,
      idle_seconds: Math.floor(random() * 20),
      context_tokens: Math.floor(random() * 150_000),
      max_context_tokens: 200_000,
    })),
  });
  const checkpoint = (trigger) => {
    const id = `checkpoint_${String(checkpointIds.length + 1).padStart(3, '0')}`;
    checkpointIds.push(id);
    totals.checkpoints += 1;
    emit({ type: 'checkpoint_created', id, trigger, files: 200 + checkpointIds.length, bytes: 4_000_000 + checkpointIds.length * 9000, ms: 140, phase: PHASES[phase], lines_of_code: totals.loc, test_pass_rate: null });
    log('INFO', 'checkpoint', `${id} (${trigger}) ${200 + checkpointIds.length} files in 140 ms`);
  };

  emit({
    type: 'session_started',
    session_id: 'bench-replay',
    project: 'task_queue',
    project_name: 'RedQueue',
    agent_kind: 'sim',
    simulated: true,
    agents: agents.length,
    duration_seconds: 21600,
    phases: PHASES.map((name, p) => ({ name, duration_seconds: 5400, tasks: Array.from({ length: TASKS_PER_PHASE }, (_, i) => taskName(p, i)) })),
    megatest_version: '0.1.0',
  });
  log('INFO', 'orchestrator', 'session bench-replay started: task_queue, 8 sim agents, 6h');
  emit({ type: 'phase_started', phase: PHASES[0], index: 0, duration_seconds: 5400, tasks: Array.from({ length: TASKS_PER_PHASE }, (_, i) => taskName(0, i)) });
  for (const a of agents) {
    emit({ type: 'agent_started', agent: a.name, role: a.role, model: 'claude-sonnet-4-5', pid: 40000 + seq });
    log('INFO', a.name, `started as ${a.role} (claude-sonnet-4-5)`);
  }

  const restoresAt = [0.15, 0.35, 0.55, 0.7, 0.9].map((f) => Math.floor(count * f));
  const phaseAt = [0.25, 0.5, 0.75].map((f) => Math.floor(count * f));
  const taskEvery = Math.max(1, Math.floor(count / (PHASES.length * TASKS_PER_PHASE + 8)));
  let taskInPhase = 0;
  // Next event position at which each periodic event is due (several events can be written per turn).
  const due = { metrics: 1000, checkpoint: 5000, error: 1200, tests: 1500, task: taskEvery - 1 };

  while (seq < count - 1) {
    ms += Math.floor(random() * 43);
    const n = seq;
    if (phaseAt.length > 0 && n >= phaseAt[0]) {
      phaseAt.shift();
      emit({ type: 'phase_ended', phase: PHASES[phase], index: phase, passed: true, criteria: [{ id: `${PHASES[phase]}.build_ok`, description: 'The project builds', level: 'critical', passed: true, evidence: 'build_ok 1 == 1: met' }, { id: `${PHASES[phase]}.coverage`, description: 'Line coverage', level: 'important', passed: true, evidence: `coverage ${totals.coverage.toFixed(1)}% >= 60%` }] });
      log('INFO', 'orchestrator', `phase ${phase + 1}/4 ${PHASES[phase]} passed`);
      checkpoint('phase');
      phase += 1;
      taskInPhase = 0;
      emit({ type: 'phase_started', phase: PHASES[phase], index: phase, duration_seconds: 5400, tasks: Array.from({ length: TASKS_PER_PHASE }, (_, i) => taskName(phase, i)) });
      log('INFO', 'orchestrator', `phase ${phase + 1}/4 ${PHASES[phase]} started (5400s)`);
      continue;
    }
    if (restoresAt.length > 0 && n >= restoresAt[0] && checkpointIds.length > 1) {
      restoresAt.shift();
      const id = checkpointIds[checkpointIds.length - 2];
      emit({ type: 'checkpoint_restored', id, rolled_back_after_seq: seq - 5000, ms: 900, reason: 'agent-3 crashed', phase: PHASES[phase], phase_index: phase });
      log('WARN', 'orchestrator', `restored ${id} (agent-3 crashed) in 900 ms`);
      continue;
    }
    if (n >= due.metrics) {
      due.metrics += 1000;
      emit({ type: 'metrics', metrics: metrics() });
      log('DEBUG', 'metrics', `snapshot: ${totals.tokens} tokens, ${totals.calls} tool calls, ${totals.tasks} tasks done`);
      continue;
    }
    if (n >= due.checkpoint) {
      due.checkpoint += 10_000;
      checkpoint('time');
      continue;
    }
    if (n >= due.error) {
      due.error += 2500;
      const cls = pick(ERROR_CLASSES);
      const a = pick(agents);
      totals.errors += 1;
      emit({ type: 'error', class: cls, severity: cls === 'agent_crash' ? 'critical' : 'transient', agent: a.name, message: `${pick(TOOLS)}: ${pick(FILES)} failed (exit 1)` });
      log('ERROR', a.name, `${cls}: ${pick(FILES)} failed (exit 1)`);
      ms += 5;
      emit({ type: 'recovery', action: RECOVERY[cls], attempt: 1, outcome: 'started', agent: a.name, detail: 'retry in 2s' });
      ms += 2000;
      const ok = random() < 0.9;
      if (ok) totals.recoveries += 1;
      emit({ type: 'recovery', action: RECOVERY[cls], attempt: 1, outcome: ok ? 'succeeded' : 'failed', agent: a.name });
      log(ok ? 'INFO' : 'WARN', 'recovery', `${RECOVERY[cls]} for ${a.name}: ${ok ? 'succeeded' : 'failed'}`);
      continue;
    }
    if (n >= due.tests) {
      due.tests += 3000;
      emit({ type: 'build', ok: random() < 0.9, duration_ms: 4000 + Math.floor(random() * 3000), command: 'cargo build --workspace' });
      totals.passed = 40 + Math.floor(n / 4000);
      totals.failed = Math.floor(random() * 4);
      totals.coverage = Math.min(92, 30 + n / (count / 60));
      totals.loc += 20;
      emit({ type: 'test_run', passed: totals.passed, failed: totals.failed, skipped: 1, duration: 12.5, coverage: totals.coverage, source: 'cargo llvm-cov --workspace --lcov' });
      log('INFO', 'orchestrator', `tests: ${totals.passed} passed, ${totals.failed} failed, coverage ${totals.coverage.toFixed(1)}%`);
      continue;
    }
    if (n >= due.task) {
      due.task += taskEvery;
      if (taskInPhase >= TASKS_PER_PHASE) continue;
      const a = pick(agents);
      totals.tasks += 1;
      emit({ type: 'task_completed', agent: a.name, task: taskName(phase, taskInPhase), phase: PHASES[phase] });
      log('INFO', a.name, `task done: ${taskName(phase, taskInPhase)}`);
      taskInPhase += 1;
      continue;
    }
    const a = pick(agents);
    const r = random();
    if (r < 0.45) {
      const tool = pick(TOOLS);
      const ok = random() < 0.96;
      a.calls += 1;
      totals.calls += 1;
      emit({ type: 'tool_call', agent: a.name, tool, ok, duration_ms: Math.floor(random() * 400) });
      const file = pick(FILES);
      log('DEBUG', a.name, `tool ${tool} ${file} ${ok ? 'ok' : 'FAILED'}`);
      // The tool's output, as a real agent's session.log carries it: a few to a score of lines.
      for (let line = Math.floor(random() * 24); line > 0; line -= 1) {
        log('DEBUG', a.name, `| ${'  '.repeat(Math.floor(random() * 4))}${pick(WORDS)}_${Math.floor(random() * 1e6).toString(36)} = ${pick(WORDS)}::${pick(WORDS)}(${Math.floor(random() * 1e4)}, &${pick(WORDS)}); // ${pick(WORDS)} ${pick(WORDS)}`);
      }
      log('DEBUG', a.name, `> ${pick(WORDS)}::${pick(WORDS)}(${Math.floor(random() * 1e6)}) -> ${pick(WORDS)}_${Math.floor(random() * 1e9).toString(36)} in ${file}:${Math.floor(random() * 900)}`);
      log('DEBUG', a.name, `> ${'  '.repeat(Math.floor(random() * 4))}let ${pick(WORDS)} = ${pick(WORDS)}.${pick(WORDS)}(&${pick(WORDS)}, ${Math.floor(random() * 1e4)}).await?;`);
    } else if (r < 0.87) {
      const input = 200 + Math.floor(random() * 3000);
      const output = 20 + Math.floor(random() * 800);
      a.tokens += input + output;
      totals.tokens += input + output;
      emit({ type: 'tokens', agent: a.name, input, output, model: 'claude-sonnet-4-5' });
      log('DEBUG', a.name, `step: ${input} in / ${output} out tokens; thinking about the ${pick(WORDS)} ${pick(WORDS)} and the ${pick(WORDS)} path`);
      log('DEBUG', a.name, `> ${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)}`);
    } else if (r < 0.95) {
      const status = pick(['working', 'working', 'idle', 'waiting']);
      a.status = status;
      a.task = status === 'idle' ? null : taskName(phase, Math.floor(random() * TASKS_PER_PHASE));
      emit(a.task === null ? { type: 'agent_state', agent: a.name, status } : { type: 'agent_state', agent: a.name, status, task: a.task });
      log('INFO', a.name, `${status}${a.task ? `: ${a.task}` : ''}`);
    } else if (r < 0.97) {
      totals.votes += 1;
      emit({ type: 'vote', agent: a.name, topic: `merge ${pick(FILES)}`, choice: random() < 0.8 ? 'approve' : 'reject' });
    } else if (r < 0.98) {
      emit({ type: 'limit', kind: 'context', agent: a.name, action: 'compress', detail: `${Math.floor(150 + random() * 40)}k of 200k tokens` });
      emit({ type: 'compress', agent: a.name, tokens_before: 180_000, tokens_after: 60_000 });
      log('WARN', a.name, 'context 180k of 200k tokens: compressed to 60k');
    } else if (r < 0.99) {
      emit({ type: 'alert', level: 'warning', message: `coverage ${totals.coverage.toFixed(1)}% is below the 80% target` });
    } else {
      emit({ type: 'command', name: pick(['pause', 'continue', 'checkpoint']), source: 'key' });
    }
    flush(false);
  }
  ms += 1000;
  emit({ type: 'session_ended', status: 'completed', exit_code: 0, reason: 'duration reached' });
  log('INFO', 'orchestrator', 'session completed (exit 0)');
  flush(true);
  closeSync(eventsFd);
  closeSync(logFd);
  return { events: seq, eventBytes, logBytes };
}
