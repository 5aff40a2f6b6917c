// A CLI agent restarted on a summary (harness compression) whose fresh
// context is already over the compression mark is not compressed again at
// once, for ever: one warning, and no compression before its next task is
// done. A report over the mark otherwise compresses, as before.

import { describe, expect, it, vi } from 'vitest';
import type { EventInput } from '../../src/contract/events.js';
import type { AgentPool, AgentSlot } from '../../src/engine/agentPool.js';
import { Compressor } from '../../src/engine/compressor.js';
import type { EngineContext } from '../../src/engine/context.js';

const MAX = 20_000;

function setup() {
  const events: EventInput[] = [];
  const ctx = { config: { agent: { max_context_size: MAX } }, emit: (event: EventInput) => events.push(event) } as unknown as EngineContext;
  const compressor = new Compressor(ctx, {} as AgentPool);
  const compressions = vi.spyOn(compressor, 'compressInBackground').mockImplementation(() => undefined);
  const slot = { name: 'agent-2', compressing: false, contextTokens: null, contextReportsSinceRestart: null, compressionHopeless: false } as unknown as AgentSlot;
  return { compressor, compressions, slot, alerts: () => events.filter((e) => e.type === 'alert') };
}

describe('compression on context reports', () => {
  it('compresses a report over 90% of the limit, and not one under it', () => {
    const { compressor, compressions, slot } = setup();
    compressor.onContextReport(slot, MAX * 0.9 - 1);
    expect(compressions).not.toHaveBeenCalled();
    compressor.onContextReport(slot, MAX * 0.9);
    expect(compressions).toHaveBeenCalledTimes(1);
  });

  it("a fresh context over the mark right after a restart on a summary: one warning, no compression until a task is done", () => {
    const { compressor, compressions, slot, alerts } = setup();
    // What Compressor.compress sets once the harness restart's old process has stopped.
    slot.contextReportsSinceRestart = 0;
    compressor.onContextReport(slot, 20_820);
    compressor.onContextReport(slot, 21_580);
    expect(compressions).not.toHaveBeenCalled();
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0]).toMatchObject({ level: 'warning', message: expect.stringMatching(/^agent-2's context is 20,820 tokens right after a compression, still over 90% of limits\.max_context_size \(20,000\)/) });
    // AgentPool clears it when the agent finishes a task: its context may be compressed again.
    slot.compressionHopeless = false;
    compressor.onContextReport(slot, 25_000);
    expect(compressions).toHaveBeenCalledTimes(1);
  });

  it('a fresh context under the mark that grows over it later is compressed again', () => {
    const { compressor, compressions, slot, alerts } = setup();
    slot.contextReportsSinceRestart = 0;
    compressor.onContextReport(slot, 5_000);
    compressor.onContextReport(slot, 19_000);
    expect(compressions).toHaveBeenCalledTimes(1);
    expect(alerts()).toHaveLength(0);
  });
});
