// corrupt_checkpoint is the orchestrator's own simulated fault (the sim
// agents inject the others): when it is due, the newest checkpoint file is
// altered so its checksum fails, and a later restore has to skip it.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CheckpointBody } from '../checkpoint/types.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { CheckpointKeeper } from './checkpointKeeper.js';
import type { EngineContext } from './context.js';
import { describeFaultTrigger, faultDueForOrchestrator, type OrchestratorFaultContext } from '../agents/sim/faultTrigger.js';

export class InjectedFaults {
  /** [sim.faults] indexes already injected (or due before this process started, when resuming). */
  private readonly injected = new Set<number>();
  private firstLook = true;
  /** The session's tool calls when the current phase was first seen, for in_phase + after_tool_calls. */
  private phaseBase = { phase: '', toolCalls: 0 };

  constructor(
    private readonly ctx: EngineContext,
    private readonly keeper: CheckpointKeeper,
    private readonly resuming: boolean,
  ) {}

  async inject(): Promise<void> {
    const { ctx } = this;
    if (!ctx.info.simulated) return;
    const state = ctx.state;
    const phase = state.phases[state.currentPhaseIndex]?.name ?? '';
    if (phase !== this.phaseBase.phase) this.phaseBase = { phase, toolCalls: state.counters.toolCalls };
    const now: OrchestratorFaultContext = {
      elapsedSeconds: state.session ? (Date.now() - state.session.startedAtMs) / 1000 : 0,
      toolCalls: state.counters.toolCalls,
      phase,
      phaseToolCalls: state.counters.toolCalls - this.phaseBase.toolCalls,
    };
    const firstLook = this.firstLook;
    this.firstLook = false;
    for (const [index, fault] of ctx.config.sim.faults.entries()) {
      if (fault.kind !== 'corrupt_checkpoint' || this.injected.has(index)) continue;
      if (!faultDueForOrchestrator(fault, now)) continue;
      this.injected.add(index);
      if (this.resuming && firstLook) continue; // due before this process started: a previous orchestrator's
      await this.corruptNewestCheckpoint(describeFaultTrigger(fault));
    }
  }

  private async corruptNewestCheckpoint(when: string): Promise<void> {
    const { ctx } = this;
    const dir = ctx.paths.checkpoints;
    const newest = readdirSync(dir)
      .map((name) => /^checkpoint_(\d+)\.json$/.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .sort((a, b) => Number(b[1]) - Number(a[1]))[0];
    if (!newest) {
      ctx.log.warn('fault', `SIMULATED fault corrupt_checkpoint (sim.faults, ${when}): no checkpoint to corrupt yet`);
      return;
    }
    const file = path.join(dir, newest[0]);
    const id = newest[0].replace(/\.json$/, '');
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { sha256: string; body: CheckpointBody };
    // One altered figure, as a flipped bit would leave it: still JSON, wrong checksum.
    stored.body.elapsed_seconds += 4096;
    await writeFileAtomic(file, JSON.stringify(stored, null, 2) + '\n', { durable: true });
    this.keeper.markInvalid(id);
    ctx.log.warn('fault', `SIMULATED fault corrupt_checkpoint (sim.faults, ${when}): altered ${newest[0]} so its checksum fails`);
    ctx.emit({ type: 'alert', level: 'warning', message: `[SIMULATED fault] corrupt_checkpoint: ${id} altered on purpose; its checksum now fails and a restore must skip it`, checkpoint: id });
  }
}
