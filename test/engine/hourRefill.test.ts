// A resume refills each agent's hourly windows from the log's last hour
// (hourRefill.ts): a kill and a `megatest resume` once gave an agent
// throttled for the hour a fresh hour at once. The log is read from its end
// backwards and the read stops at the first event older than the hour; tiny
// chunks here put line boundaries everywhere.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentSlot } from '../../src/engine/agentSlot.js';
import { HourWindow } from '../../src/engine/hourWindow.js';
import { refillHourWindows, refillOnResume, spendOfLastHour } from '../../src/engine/hourRefill.js';
import type { EngineContext } from '../../src/engine/context.js';

const dir = mkdtempSync(path.join(tmpdir(), 'megatest-hour-refill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = Date.parse('2026-12-06T12:00:00.000Z');
function logOf(lines: Array<[number, Record<string, unknown>]>): string {
  const file = path.join(dir, `events-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(file, lines.map(([agoMs, body], i) => `${JSON.stringify({ seq: i + 1, ts: new Date(NOW - agoMs).toISOString(), ...body })}\n`).join(''));
  return file;
}
const tokens = (agent: string, input: number, output: number) => ({ type: 'tokens', agent, input, output, model: 'm' });
const call = (agent: string) => ({ type: 'tool_call', agent, tool: 'write', ok: true, duration_ms: 5 });

describe('the hourly windows after a resume', () => {
  const file = logOf([
    [2 * 3_600_000, tokens('agent-1', 5000, 5000)],
    [3_700_000, call('agent-1')],
    [3_000_000, tokens('agent-1', 400, 100)],
    [2_000_000, { type: 'agent_state', agent: 'agent-1', status: 'working', task: 'x' }],
    [1_000_000, call('agent-1')],
    [600_000, tokens('agent-2', 10, 20)],
    [10_000, tokens('agent-1', 300, 200)],
    [5_000, call('agent-1')],
  ]);

  for (const chunkBytes of [48, 200, 1 << 20]) {
    it(`counts the tokens and tool calls of the last hour only (chunks of ${chunkBytes} bytes)`, async () => {
      const spend = await spendOfLastHour(file, NOW, chunkBytes);
      expect(spend.get('agent-1')).toEqual({
        tokens: [
          [NOW - 3_000_000, 500],
          [NOW - 10_000, 500],
        ],
        toolCalls: [NOW - 1_000_000, NOW - 5_000],
      });
      expect(spend.get('agent-2')).toEqual({ tokens: [[NOW - 600_000, 30]], toolCalls: [] });
    });
  }

  it("fills the slots' windows, so the limits see the hour's 1000 tokens at once", async () => {
    const slot = { name: 'agent-1', windowTokens: new HourWindow(), windowToolCalls: new HourWindow() } as unknown as AgentSlot;
    const said = await refillHourWindows(file, [slot], NOW);
    expect(slot.windowTokens.total(NOW)).toBe(1000);
    expect(slot.windowToolCalls.total(NOW)).toBe(2);
    expect(said).toEqual(['agent-1 1000 tokens, 2 tool calls']);
  });

  it('a run folder without a log refills nothing', async () => {
    expect((await spendOfLastHour(path.join(dir, 'none.jsonl'), NOW)).size).toBe(0);
  });

  it('with no hourly limit set, a resume reads nothing of the log (an hour of a busy log is seconds before the agents start)', async () => {
    const recent = path.join(dir, 'recent.jsonl');
    writeFileSync(recent, `${JSON.stringify({ seq: 1, ts: new Date(Date.now() - 1000).toISOString(), ...call('agent-1') })}\n`);
    const refill = async (limits: { tokens_per_hour_per_agent: number; tool_calls_per_hour_per_agent: number }) => {
      const slot = { name: 'agent-1', windowTokens: new HourWindow(), windowToolCalls: new HourWindow() } as unknown as AgentSlot;
      const log = { info: () => undefined, warn: () => undefined };
      await refillOnResume({ config: { limits }, paths: { events: recent }, log } as unknown as EngineContext, [slot]);
      return slot.windowToolCalls.total(Date.now());
    };
    expect(await refill({ tokens_per_hour_per_agent: 0, tool_calls_per_hour_per_agent: 0 })).toBe(0);
    expect(await refill({ tokens_per_hour_per_agent: 0, tool_calls_per_hour_per_agent: 10 })).toBe(1);
  });
});

