// What an agent's process is started with (agentPool.ts): its launch (name,
// folders, model, seed, phase, resume state, environment) and its adapter's
// settings (the command or binary of a real agent, the sim's rates and
// faults), all from the session's config.

import { createAdapter } from '../agents/index.js';
import type { AgentAdapter, AgentResumeState, RestoredCheckpoint } from '../agents/types.js';
import { wrapperAgentEnvironment } from '../config/environment.js';
import { logRotationOf } from '../io/rotatingLog.js';
import type { AgentSlot } from './agentPool.js';
import type { EngineContext } from './context.js';

/** The adapter that will run slot's agent in projectDir, its files in agentDir (not started yet). */
export function adapterFor(ctx: EngineContext, slot: AgentSlot, where: { agentDir: string; projectDir: string; model: string; resume?: AgentResumeState; restored?: RestoredCheckpoint; workTaken?: () => Promise<void> }): AgentAdapter {
  const { paths, config, template } = ctx;
  return createAdapter(
    config.agents.kind,
    {
      name: slot.name,
      role: slot.role,
      index: slot.index,
      sessionDir: paths.root,
      projectDir: where.projectDir,
      agentDir: where.agentDir,
      model: where.model,
      seed: config.session.seed,
      phase: ctx.currentPhase.name,
      resume: where.resume,
      ...(where.restored === undefined ? {} : { restored: where.restored }),
      ...(where.workTaken === undefined ? {} : { workTaken: where.workTaken }),
      logRotation: logRotationOf(config.monitoring),
      // The sim caps its context here; real agents may read it too.
      // …and the SELFWARE_* variables the original run_mega_test.sh exported to its agent.
      env: {
        MEGATEST_MAX_CONTEXT: String(config.agent.max_context_size),
        ...wrapperAgentEnvironment(config, { id: ctx.info.session_id, dir: paths.root }),
      },
    },
    {
      command: config.agents.command,
      binary: config.agents.binary,
      sim: {
        template: template.type,
        seed: config.session.seed,
        tokensPerMinute: config.sim.tokens_per_minute,
        toolCallsPerMinute: config.sim.tool_calls_per_minute,
        workShare: config.sim.work_share,
        faults: config.sim.faults.filter((f) => (f.agent === '' ? slot.index === 0 : f.agent === slot.name) && f.kind !== 'corrupt_checkpoint'),
        sessionStartMs: ctx.state.session?.startedAtMs ?? Date.now(),
      },
    },
  );
}
