// Context compression of one agent: natively where the agent can, else by
// restarting it on a fresh context with its remaining tasks. The agent's own
// context report afterwards is the measured "after".

import type { CommandSource, MegatestEvent } from '../contract/events.js';
import type { AgentPool, AgentSlot } from './agentPool.js';
import type { EngineContext } from './context.js';

/** How long to wait for the agent's context report after compressing. */
const AFTER_REPORT_WAIT_MS = 800;

export type CompressReason = 'limit' | 'recovery' | CommandSource;

export class Compressor {
  constructor(
    private readonly ctx: EngineContext,
    private readonly pool: AgentPool,
  ) {}

  async compress(slot: AgentSlot, why: CompressReason): Promise<MegatestEvent | null> {
    const before = slot.contextTokens;
    if (!slot.adapter) return null;
    const outcome = slot.adapter.control('compress');
    if (!outcome.ok) {
      await this.pool.restart(slot, `compress (${outcome.reason ?? 'no native compression'})`);
      slot.contextTokens = 0;
    }
    if (why === 'limit') {
      this.ctx.emit({
        type: 'limit',
        kind: 'context_size',
        agent: slot.name,
        action: 'compress',
        detail: `${before} > ${this.ctx.config.agent.max_context_size} tokens (agent.max_context_size)`,
      });
    }
    const after = await this.waitForContextBelow(slot, before, AFTER_REPORT_WAIT_MS);
    return this.ctx.emit({ type: 'compress', agent: slot.name, tokens_before: before, tokens_after: after });
  }

  /** Compression asked for by the agent's own context report; one at a time per agent. */
  compressInBackground(slot: AgentSlot): void {
    if (slot.compressing) return;
    slot.compressing = true;
    void this.ctx.queue
      .run(() => this.compress(slot, 'limit'))
      .catch((e) => this.ctx.internalError(e))
      .finally(() => (slot.compressing = false));
  }

  private waitForContextBelow(slot: AgentSlot, before: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve) => {
      const check = () => {
        if (slot.contextTokens < before || Date.now() >= deadline) resolve(slot.contextTokens);
        else setTimeout(check, 50).unref();
      };
      check();
    });
  }
}
