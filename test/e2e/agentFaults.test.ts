// One whole session per real agent kind (selfware, claude-code, codex)
// through the built CLI, on the kind's fake (test/fixtures/agents/fake-*.mjs),
// with a hang planned for one invocation and a crash for another
// (FAKE_AGENT_FAULT_PLAN; runs are numbered over the whole session):
//
// - run 1 hangs: no output, no CPU. No checkpoint exists yet (the config
//   takes them at phase ends only, and the first phase cannot end while its
//   task hangs), so nothing else stops it: the watchdog must find it, and
//   the recovery restarts that agent alone. The first phase then takes
//   exactly 6 runs: the hung one and one per task (5).
// - run 7, the first of the second phase, crashes mid-line. The phase-end
//   checkpoint exists now: the recovery restores it and restarts both agents.
//
// Checked from the run folder: the agent_hang and agent_crash errors, each
// followed by a restore_checkpoint recovery that starts, and succeeds once
// the agent works again; the agent restarted; the session completed with
// every planned task done; and the report's token totals equal totals
// counted here from what the fakes really printed (their transcripts,
// FAKE_AGENT_TRANSCRIPT_DIR), by simple patterns, without the parsers.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MegatestEvent } from '../../src/contract/events.js';
import type { FinalReport } from '../../src/report/report.js';
import { BUILT, eventsOf, readEvents, readReport, runHeadless, type CliResult } from '../helpers/cli.js';

const FIXTURES = path.join('test', 'fixtures', 'agents', 'faults');
const PLAN = 'hang@1,crash@7';
const SKIP = BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)';

interface Tokens {
  input: number;
  output: number;
}

interface Transcript {
  run: number;
  /** The lines the fake printed whole (a line a crash cut is not one). */
  lines: string[];
  /** What it printed after its last newline: a line cut by a crash. */
  cut: string;
}

function readTranscripts(dir: string): Transcript[] {
  return readdirSync(dir)
    .filter((name) => /^\d+\.out$/.test(name))
    .map((name) => {
      const parts = readFileSync(path.join(dir, name), 'utf8').split('\n');
      const cut = parts.pop() ?? '';
      return { run: Number.parseInt(name, 10), lines: parts, cut };
    })
    .sort((a, b) => a.run - b.run);
}

const sum = (list: Tokens[]): Tokens => list.reduce((a, b) => ({ input: a.input + b.input, output: a.output + b.output }), { input: 0, output: 0 });

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json | null => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : null);
const count = (value: unknown): number => (typeof value === 'number' ? value : 0);

/** A whole line as a JSON object; null for anything else (a line a crash cut never gets here). */
function json(line: string): Json | null {
  try {
    return asObject(JSON.parse(line));
  } catch {
    return null;
  }
}

/** selfware: every whole `📊 Tokens: P prompt + C completion = T total` line it printed, summed. */
function selfwareTokens(transcripts: Transcript[]): Tokens {
  const counted: Tokens[] = [];
  for (const t of transcripts) {
    for (const line of t.lines) {
      const match = /^📊 Tokens: (\d+) prompt \+ (\d+) completion = (\d+) total$/u.exec(line);
      if (!match) continue;
      expect(Number(match[1]) + Number(match[2])).toBe(Number(match[3]));
      counted.push({ input: Number(match[1]), output: Number(match[2]) });
    }
  }
  return sum(counted);
}

/**
 * claude: a stream that reached its `result` line spent what that line says;
 * one cut short (crash, hang, restore) spent what its assistant lines said,
 * once per message.id (the CLI repeats a message's usage on each of its
 * content blocks). Input is input + cache creation + cache read tokens.
 */
function claudeTokens(transcripts: Transcript[]): Tokens {
  const tokensOf = (usage: Json): Tokens => ({
    input: count(usage.input_tokens) + count(usage.cache_creation_input_tokens) + count(usage.cache_read_input_tokens),
    output: count(usage.output_tokens),
  });
  const perStream = transcripts.map((t) => {
    const values = t.lines.map(json).filter((v) => v !== null);
    const result = values.find((v) => v.type === 'result' && asObject(v.usage));
    if (result) return tokensOf(asObject(result.usage)!);
    const perMessage = new Map<string, Tokens>();
    for (const v of values) {
      const message = asObject(v.message);
      const usage = asObject(message?.usage);
      if (v.type !== 'assistant' || !usage || typeof message?.id !== 'string' || v.parent_tool_use_id) continue;
      const seen = perMessage.get(message.id) ?? { input: 0, output: 0 };
      const now = tokensOf(usage);
      perMessage.set(message.id, { input: Math.max(seen.input, now.input), output: Math.max(seen.output, now.output) });
    }
    return sum([...perMessage.values()]);
  });
  return sum(perStream);
}

/** codex: turn.completed usage is the thread's running total, so each thread's last figure (runs in order). */
function codexTokens(transcripts: Transcript[]): Tokens {
  const lastPerThread = new Map<string, Tokens>();
  for (const t of transcripts) {
    let thread = '';
    for (const v of t.lines.map(json)) {
      if (v?.type === 'thread.started') thread = String(v.thread_id);
      const usage = asObject(v?.usage);
      if (v?.type === 'turn.completed' && usage) lastPerThread.set(thread, { input: count(usage.input_tokens), output: count(usage.output_tokens) });
    }
  }
  return sum([...lastPerThread.values()]);
}

interface Kind {
  kind: 'selfware' | 'claude-code' | 'codex';
  /** Environment that makes the fake quick (the fakes' own pacing variables). */
  env: Record<string, string>;
  count(transcripts: Transcript[]): Tokens;
}

const KINDS: Kind[] = [
  { kind: 'selfware', env: { FAKE_AGENT_SPEED: '10' }, count: selfwareTokens },
  { kind: 'claude-code', env: { FAKE_AGENT_LINE_MS: '20' }, count: claudeTokens },
  { kind: 'codex', env: { FAKE_AGENT_LINE_MS: '20' }, count: codexTokens },
];

for (const { kind, env, count: countPrinted } of KINDS) {
  describe.skipIf(!BUILT)(`a ${kind} session with a hang and a crash${SKIP}`, () => {
    let root: string;
    let runDir: string;
    let transcriptDir: string;
    let result: CliResult;
    let events: MegatestEvent[];
    let report: FinalReport;

    beforeAll(async () => {
      root = mkdtempSync(path.join(tmpdir(), `megatest-faults-${kind}-`));
      runDir = path.join(root, 'runs', 'faults');
      transcriptDir = path.join(root, 'transcripts');
      const args = ['run', 'task_queue', '--headless', '--agents', '2', '--duration', '5m'];
      args.push('--config', path.join(FIXTURES, `${kind}.toml`), '--runs-dir', path.join(root, 'runs'), '--session-id', 'faults');
      const fakeEnv = {
        ...env,
        FAKE_AGENT_FAULT_PLAN: PLAN,
        FAKE_AGENT_STATE_DIR: path.join(root, 'fake-state'),
        FAKE_AGENT_TRANSCRIPT_DIR: transcriptDir,
        // codex carries a thread's usage over its resumed runs, as the real one does.
        FAKE_CODEX_STATE_DIR: path.join(root, 'codex-threads'),
      };
      result = await runHeadless(args, { env: fakeEnv, timeoutMs: 240_000 }).done;
      console.info(`${kind} session with a hang and a crash: ${(result.ms / 1000).toFixed(1)} s`);
      events = readEvents(runDir);
      report = readReport(runDir);
    }, 260_000);
    afterAll(() => {
      if (root) rmSync(root, { recursive: true, force: true });
    });

    it('completes with every planned task done', () => {
      expect(eventsOf(events, 'session_ended')[0], result.stdout + result.stderr).toMatchObject({ status: 'completed' });
      const planned = new Set(eventsOf(events, 'phase_started').flatMap((p) => p.tasks));
      expect(planned.size).toBeGreaterThan(0);
      expect(new Set(eventsOf(events, 'task_completed').map((t) => t.task))).toEqual(planned);
    });

    it('the planned faults happened: run 1 was stopped mid-stream, run 7 died mid-line', () => {
      const transcripts = readTranscripts(transcriptDir);
      expect(transcripts.length).toBe(readdirSync(path.join(root, 'fake-state')).length);
      expect(transcripts.length).toBeGreaterThan(7);
      expect(transcripts[6]).toMatchObject({ run: 7 });
      expect(transcripts[6]!.cut.length).toBeGreaterThan(0);
      for (const t of transcripts.filter((t) => t.run !== 7)) expect(t.cut).toBe('');
    });

    for (const errorClass of ['agent_hang', 'agent_crash'] as const) {
      it(`${errorClass}: an error naming the agent, a restore_checkpoint that starts and succeeds, the agent restarted`, () => {
        const errors = eventsOf(events, 'error').filter((e) => e.class === errorClass);
        expect(errors.length, JSON.stringify(eventsOf(events, 'error'))).toBe(1);
        const error = errors[0]!;
        expect(error.agent).toMatch(/^agent-[12]$/);
        const recoveries = eventsOf(events, 'recovery').filter((r) => r.agent === error.agent && r.seq > error.seq && r.action === 'restore_checkpoint');
        const started = recoveries.find((r) => r.outcome === 'started');
        expect(started?.detail).toContain(errorClass);
        const succeeded = recoveries.find((r) => r.outcome === 'succeeded' && r.seq > started!.seq && r.attempt === started!.attempt);
        expect(succeeded?.detail).toBe(`${error.agent} made progress after ${errorClass}`);
        const restarted = eventsOf(events, 'agent_started').filter((s) => s.agent === error.agent && s.seq > started!.seq && s.seq < succeeded!.seq);
        expect(restarted.length).toBeGreaterThanOrEqual(1);
        // Every recovery that started ended well.
        expect(eventsOf(events, 'recovery').filter((r) => r.outcome === 'failed' || r.outcome === 'gave_up')).toEqual([]);
      });
    }

    it('the hang is recovered by restarting its agent (no checkpoint yet), the crash by restoring the phase-end checkpoint', () => {
      const [hang] = eventsOf(events, 'error').filter((e) => e.class === 'agent_hang');
      const [crash] = eventsOf(events, 'error').filter((e) => e.class === 'agent_crash');
      expect(hang!.message).toMatch(/^hung: no output and no CPU/);
      const firstCheckpoint = eventsOf(events, 'checkpoint_created')[0]!;
      expect(hang!.seq).toBeLessThan(firstCheckpoint.seq);
      expect(crash!.seq).toBeGreaterThan(firstCheckpoint.seq);
      const restores = eventsOf(events, 'checkpoint_restored');
      expect(restores.map((r) => r.reason)).toEqual([`recovery from agent_crash on ${crash!.agent}`]);
      expect(restores[0]!.id).toBe(firstCheckpoint.id);
    });

    it('the report’s token totals equal what the agents printed, counted from their transcripts', () => {
      const printed = countPrinted(readTranscripts(transcriptDir));
      expect(printed.input).toBeGreaterThan(0);
      expect(printed.output).toBeGreaterThan(0);
      expect({ input: report.measurements.input_tokens, output: report.measurements.output_tokens }).toEqual(printed);
      expect(report.measurements.total_tokens).toBe(printed.input + printed.output);
    });

    it('an agent\'s context is what it reported: Claude Code reports it with its usage; selfware and codex never do, and it is null, not 0', () => {
      const compressed = eventsOf(events, 'compress');
      expect(compressed).toEqual([]);
      const contexts = eventsOf(events, 'metrics').flatMap((m) => m.metrics.agents.map((a) => a.context_tokens));
      expect(contexts.length).toBeGreaterThan(0);
      if (kind === 'claude-code') expect(contexts.some((c) => typeof c === 'number' && c > 0)).toBe(true);
      else expect(new Set(contexts)).toEqual(new Set([null]));
    });

    it('keeps each agent’s raw output', () => {
      for (const agent of ['agent-1', 'agent-2']) expect(existsSync(path.join(runDir, 'agents', agent, 'output.log'))).toBe(true);
    });
  });
}
