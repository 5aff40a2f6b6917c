// Replay of imported recordings (megatest import of the real outputs in
// ../shared/fixtures: claude-code stream-json, codex JSONL, selfware logs):
// at every cursor, reached in any order (from the start, from the end, by
// jumps), the figures the console shows equal counts made here straight off
// the events.jsonl lines before that cursor (never through the fold): tokens,
// tool calls (all and per agent), errors, checkpoints, the last seq.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importRecordedRun } from '../../src/importer/importRun.js';
import type { ImportKind } from '../../src/importer/kinds.js';
import { SHARED_FIXTURES_DIR } from '../../src/paths.js';
import { openReplaySource } from '../../src/replay/source.js';
import type { RunState } from '../../src/state/runState.js';

const root = mkdtempSync(path.join(tmpdir(), 'megatest-replay-import-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Figures {
  lastSeq: number;
  tokens: number;
  toolCalls: number;
  errors: number;
  checkpoints: number;
  toolsByAgent: Record<string, number>;
}

/** Counted off the raw lines: each line's JSON, nothing of src/ but the file. */
function countedFigures(lines: readonly Record<string, unknown>[]): Figures {
  const f: Figures = { lastSeq: 0, tokens: 0, toolCalls: 0, errors: 0, checkpoints: 0, toolsByAgent: {} };
  for (const e of lines) {
    f.lastSeq = e.seq as number;
    if (e.type === 'tokens') f.tokens += ((e.input as number) ?? 0) + ((e.output as number) ?? 0);
    if (e.type === 'tool_call') {
      f.toolCalls += 1;
      const agent = e.agent as string;
      f.toolsByAgent[agent] = (f.toolsByAgent[agent] ?? 0) + 1;
    }
    if (e.type === 'error') f.errors += 1;
    if (e.type === 'checkpoint_created') f.checkpoints += 1;
  }
  return f;
}

function shownFigures(state: RunState, agents: readonly string[]): Figures {
  const toolsByAgent: Record<string, number> = {};
  for (const name of agents) {
    const agent = state.agents.find((a) => a.name === name);
    if (agent && agent.toolCalls > 0) toolsByAgent[name] = agent.toolCalls;
  }
  return {
    lastSeq: state.lastSeq,
    tokens: state.counters.totalTokens,
    toolCalls: state.counters.toolCalls,
    errors: state.counters.errors,
    checkpoints: state.checkpoints.length,
    toolsByAgent,
  };
}

const fixture = (...parts: string[]) => path.join(SHARED_FIXTURES_DIR, ...parts);

const CASES: { name: string; kind: ImportKind; files: string[] }[] = [
  { name: 'claude-code basic_query', kind: 'claude-code', files: [fixture('claude-code', 'basic_query.ndjson')] },
  { name: 'claude-code ls_session (partial)', kind: 'claude-code', files: [fixture('claude-code', 'ls_session.partial.ndjson')] },
  { name: 'codex streaming + resume', kind: 'codex', files: [fixture('codex', 'streaming.jsonl'), fixture('codex', 'resume.jsonl')] },
  {
    name: 'selfware shutdown, recovering, ok',
    kind: 'selfware',
    files: [fixture('selfware', 'hard_scheduler.shutdown.agent.log'), fixture('selfware', 'testgen_ringbuf.recovering.agent.log'), fixture('selfware', 'codegen_task_runner.ok.agent.log')],
  },
];

describe.each(CASES)('replay of imported $name', ({ kind, files }) => {
  it('every cursor, in any order, shows the counts of the lines before it', async () => {
    const { runDir } = await importRecordedRun({ kind, files, runsDir: root });
    const lines = readFileSync(path.join(runDir, 'events.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const agents = [...new Set(lines.map((e) => e.agent).filter((a): a is string => typeof a === 'string'))];
    // Small strides, so that snapshots and blocks are crossed even in these short logs.
    const source = await openReplaySource(runDir, { snapshotEvery: 8, entryEvery: 3 });
    try {
      expect(source.count()).toBe(lines.length);
      const order = [...Array(lines.length + 1).keys()];
      const jumps = order.map((_, i) => (i * 7) % (lines.length + 1));
      for (const c of [...order, ...[...order].reverse(), ...jumps]) {
        const counted = countedFigures(lines.slice(0, c));
        const shown = shownFigures(await source.stateAt(c), agents);
        expect({ c, ...shown }).toEqual({ c, ...counted });
      }
    } finally {
      await source.close();
    }
  });
});
