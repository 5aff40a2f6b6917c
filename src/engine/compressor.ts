// Context compression of one agent: natively where the agent can, else by
// restarting it on a fresh context with its remaining tasks. The agent's own
// context report afterwards is the measured "after". A CLI agent's adapter
// compresses itself (a restart on a summary of the work so far) and reports
// its own before/after, the after an estimate the event's detail names.

import type { CommandSource, MegatestEvent } from '../contract/events.js';
import type { AgentPool, AgentSlot } from './agentPool.js';
import type { EngineContext } from './context.js';
import { groupDigits } from '../state/groupDigits.js';

/** How long to wait for the agent's context report after compressing. */
const AFTER_REPORT_WAIT_MS = 800;

/** Share of [agent] max_context_size at which an agent's context is compressed. */
const CONTEXT_COMPRESS_SHARE = 0.9;

export type CompressReason = 'limit' | 'recovery' | CommandSource;

export class Compressor {
  constructor(
    private readonly ctx: EngineContext,
    private readonly pool: AgentPool,
  ) {}

  async compress(slot: AgentSlot, why: CompressReason): Promise<MegatestEvent | null> {
    // An agent that never reported its context (selfware, codex) had none measured: 0 before, as the compress event's figure.
    const before = slot.contextTokens ?? 0;
    if (!slot.adapter) return null;
    const reportsBefore = slot.contextReports;
    if (slot.adapter.compressContext) {
      // The adapter compresses itself (a CLI agent's harness restart on a summary) and says by how much. Its task's process
      // has 5 s to stop: a person's pause, continue and stop are answered meanwhile (a paused agent starts no task after it).
      const adapter = slot.adapter;
      const report = await this.ctx.queue.letCommandsIn(() => adapter.compressContext!());
      this.limitEvent(slot, why, Math.max(before, report.tokensBefore));
      slot.contextTokens = report.tokensAfter;
      // The old process has stopped: the next report is the fresh context's (AgentPool.contextReport).
      slot.contextReportsSinceRestart = 0;
      return this.ctx.emit({ type: 'compress', agent: slot.name, tokens_before: report.tokensBefore, tokens_after: report.tokensAfter, detail: report.detail });
    }
    const outcome = slot.adapter.control('compress');
    if (!outcome.ok) {
      await this.pool.restart(slot, `compress (${outcome.reason ?? 'no native compression'})`);
      // A fresh context; one that was never reported stays unknown.
      if (slot.contextTokens !== null) slot.contextTokens = 0;
    }
    this.limitEvent(slot, why, before);
    // Null when the agent said nothing since the command: the stale figure it had reported before was once recorded as the "after".
    const after = await this.waitForReport(slot, reportsBefore, before, AFTER_REPORT_WAIT_MS);
    return this.ctx.emit({ type: 'compress', agent: slot.name, tokens_before: before, tokens_after: after, ...(after === null ? { detail: `no context report in ${AFTER_REPORT_WAIT_MS} ms after the compression: tokens after not measured` } : {}) });
  }

  private limitEvent(slot: AgentSlot, why: CompressReason, before: number): void {
    if (why !== 'limit') return;
    this.ctx.emit({
      type: 'limit',
      kind: 'context_size',
      agent: slot.name,
      action: 'compress',
      // The mark is 90% of the limit: "950 > 1000 tokens" said of a context under it was untrue.
      detail: `${before} ≥ ${Math.round(CONTEXT_COMPRESS_SHARE * 100)}% of ${this.ctx.config.agent.max_context_size} tokens (limits.max_context_size)`,
    });
  }

  /**
   * An agent's context report: compressed "near" the window (agents that cap
   * their context at the window would otherwise never go over it). A CLI
   * agent restarted on a summary whose first report is already over the mark
   * (Claude Code reads some 20k tokens of its own before the task) would be
   * compressed again at once, for ever: it is told once, and left until its
   * next task is done.
   */
  onContextReport(slot: AgentSlot, tokens: number): void {
    if (slot.contextReportsSinceRestart !== null) slot.contextReportsSinceRestart += 1;
    const max = this.ctx.config.agent.max_context_size;
    if (tokens < max * CONTEXT_COMPRESS_SHARE) return;
    if (slot.contextReportsSinceRestart === 1 && !slot.compressionHopeless) {
      slot.compressionHopeless = true;
      this.ctx.emit({
        type: 'alert',
        level: 'warning',
        message: `${slot.name}'s context is ${groupDigits(tokens)} tokens right after a compression, still over ${Math.round(CONTEXT_COMPRESS_SHARE * 100)}% of limits.max_context_size (${groupDigits(max)}): compressing again cannot bring it lower, so it is not compressed before its next task is done (raise [agent] max_context_size)`,
      });
    }
    if (!slot.compressionHopeless) this.compressInBackground(slot);
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

  /**
   * The agent's first context report after the compression that is below
   * `before` (or its last one at the deadline); null when it made none since
   * report number `reportsBefore`: nothing was measured.
   */
  private waitForReport(slot: AgentSlot, reportsBefore: number, before: number, timeoutMs: number): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve) => {
      const check = () => {
        const reported = slot.contextReports > reportsBefore ? slot.contextTokens : null;
        if ((reported !== null && reported < before) || Date.now() >= deadline) resolve(reported);
        else setTimeout(check, 50).unref();
      };
      check();
    });
  }
}
