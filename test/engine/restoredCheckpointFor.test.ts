// Which agents a restore says may have worked after the checkpoint
// (restoredCheckpointFor): their recorded native sessions then hold work the
// restore undid, and are not resumed (src/agents/cliTaskAdapter.ts).

import { describe, expect, it } from 'vitest';
import type { AgentMetrics } from '../../src/contract/metrics.js';
import type { SessionMetrics } from '../../src/contract/metrics.js';
import { restoredCheckpointFor } from '../../src/engine/checkpointRestore.js';

function metrics(agents: Partial<AgentMetrics>[]): SessionMetrics {
  return { agents: agents.map((a) => ({ name: 'agent-1', status: 'idle', tokens: 100, tool_calls: 4, ...a })) } as unknown as SessionMetrics;
}

const TS = '2026-03-01T10:20:30.000Z';

describe('restoredCheckpointFor', () => {
  it('an agent at rest at the checkpoint and silent since did not work after it', () => {
    for (const status of ['idle', 'exited', 'crashed'] as const) {
      const of = restoredCheckpointFor('checkpoint_002', { timestamp: TS, metrics: metrics([{ status }]) }, [{ name: 'agent-1', tokens: 100, toolCalls: 4 }]);
      expect(of('agent-1')).toEqual({ id: 'checkpoint_002', taken_at: TS, worked_after: false });
    }
  });

  it('one at work or paused then, or with tool calls or tokens since, did', () => {
    const now = [{ name: 'agent-1', tokens: 100, toolCalls: 4 }];
    for (const status of ['working', 'waiting', 'paused', 'starting', 'blocked'] as const) {
      expect(restoredCheckpointFor('c', { timestamp: TS, metrics: metrics([{ status }]) }, now)('agent-1').worked_after).toBe(true);
    }
    expect(restoredCheckpointFor('c', { timestamp: TS, metrics: metrics([{}]) }, [{ name: 'agent-1', tokens: 100, toolCalls: 5 }])('agent-1').worked_after).toBe(true);
    expect(restoredCheckpointFor('c', { timestamp: TS, metrics: metrics([{}]) }, [{ name: 'agent-1', tokens: 101, toolCalls: 4 }])('agent-1').worked_after).toBe(true);
    // No token figure at the checkpoint (none reported yet), tokens since.
    expect(restoredCheckpointFor('c', { timestamp: TS, metrics: metrics([{ tokens: null, tool_calls: 0 }]) }, [{ name: 'agent-1', tokens: 7, toolCalls: 0 }])('agent-1').worked_after).toBe(true);
  });

  it('a checkpoint without figures for the agent is taken as one it worked after', () => {
    expect(restoredCheckpointFor('c', { timestamp: TS, metrics: null }, [])('agent-1').worked_after).toBe(true);
    expect(restoredCheckpointFor('c', { timestamp: TS, metrics: metrics([]) }, [])('agent-1').worked_after).toBe(true);
  });
});
