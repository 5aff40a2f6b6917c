// The end of a session: what the orchestrator does, in order, once a stop is
// requested (its timers already cleared), and the short end when the run
// folder is gone. Everything runs on the engine's queue, after the work
// queued before it (a checkpoint asked for just before the stop).

import { buildReport, writeReport } from '../report/report.js';
import type { AgentPool } from './agentPool.js';
import type { CheckpointKeeper } from './checkpointKeeper.js';
import type { EngineContext, StopRequest } from './context.js';
import type { DiskGuard } from './diskGuard.js';
import type { EventIndexKeeper } from './eventIndex.js';
import type { WorktreeIsolation } from './isolation.js';
import type { Measurer } from './measurer.js';
import type { Recovery } from './recovery.js';

/** The parts of the engine a session's end goes through. */
export interface SessionParts {
  ctx: EngineContext;
  pool: AgentPool;
  measurer: Measurer;
  keeper: CheckpointKeeper;
  recovery: Recovery;
  eventIndex: EventIndexKeeper;
  diskGuard: DiskGuard;
  /** Null when the agents share project/. */
  isolation: WorktreeIsolation | null;
}

/**
 * The session's end, in its order: the agents stopped, tasks finished
 * meanwhile merged, open recoveries closed, the final gate, checkpoint and
 * sample, session_ended, the report, then the logs closed; resolves with the
 * exit code (the report's verdict can turn a completed run's to 1).
 */
export function endSession(parts: SessionParts, request: StopRequest): Promise<number> {
  const { ctx, pool, diskGuard, isolation, recovery, measurer, keeper, eventIndex } = parts;
  // Let queued work (a checkpoint asked for just before) finish first.
  return ctx.queue.run(async () => {
    await diskGuard.beforeFinish();
    ctx.log.info('orchestrator', `stopping: ${request.reason}`);
    await pool.stopAll();
    // Tasks finished while the session stopped are merged before the final gate, measurement and checkpoint see main.
    await isolation?.mergeAtEnd().catch((e: Error) => ctx.log.error('merge', `merging at the session's end failed: ${e.message}`));
    // No recovery stays open past the session's end.
    recovery.endAllOpen(`the session ended (${request.status})`);
    let exitCode = request.exitCode;
    try {
      // The last phase's gate may have just measured this very project/: no need to again.
      // Out of time, the session ends now: the report keeps what the last build and test run measured.
      // Interrupted before any phase started: there is nothing of the agents' to measure.
      if (request.status === 'timeout') measurer.abortInFlight();
      else if (ctx.state.currentPhaseIndex >= 0 && !measurer.gateIsCurrent()) await measurer.gates();
    } catch (error) {
      ctx.log.error('orchestrator', `final measurement failed: ${(error as Error).message}`);
    }
    // Taken with [checkpoint] enabled = false too, as the config says (enabled turns off the timed and phase ones): without
    // it such a run ended with no checkpoint at all, and `megatest resume` of it had nothing to branch from.
    await keeper.create('final').catch((e: Error) => ctx.log.error('checkpoint', `final checkpoint failed: ${e.message}`));
    ctx.status = request.status;
    await measurer.finalSample().catch((e) => ctx.internalError(e));
    ctx.events.flush();
    // The report folds the log: from an index that has read it all, it reads almost nothing.
    await eventIndex.catchUp();
    let reason = request.reason;
    if (request.status === 'completed') {
      // The verdict is the report's: judged on the recorded events alone.
      const report = await buildReport(ctx.paths.root).catch((error: Error) => {
        ctx.log.error('report', `cannot judge the run: ${error.message}`);
        return null;
      });
      if (!report?.verdict.critical_passed) {
        exitCode = 1;
        // Said in the reason too: "completed, exit code 1 (all phases completed)" left a CI log without the why.
        const failed = report ? report.criteria.filter((c) => c.level === 'critical' && !c.passed).map((c) => c.id) : [];
        reason = `${reason}; ${report ? `critical criteria not met: ${failed.join(', ')} (final_report.md says why)` : 'the run could not be judged'}`;
        ctx.log.warn('orchestrator', report ? 'a critical criterion failed (see final_report.md)' : 'the run could not be judged');
      }
    }
    ctx.emit({ type: 'session_ended', status: request.status, exit_code: exitCode, reason });
    ctx.events.flush();
    await eventIndex.close();
    ctx.setStatus(request.status);
    try {
      await writeReport(ctx.paths.root);
    } catch (error) {
      ctx.log.error('report', `report failed: ${(error as Error).message}`);
    }
    await recovery.drain();
    await ctx.notifier.drain();
    ctx.log.info('orchestrator', `session ended: ${request.status}, exit code ${exitCode}`);
    ctx.log.close();
    ctx.events.close();
    await diskGuard.end();
    return exitCode;
  });
}

/** The run folder is gone or another's (runFolderWatch.ts): the agents and any build or test are stopped; nothing more is written by path (a folder there now is another run's); the caller says why on stderr. */
export function endWithoutFolder(parts: Pick<SessionParts, 'ctx' | 'pool' | 'measurer'>, why: string): Promise<number> {
  const { ctx, pool, measurer } = parts;
  return ctx.queue.run(async () => {
    measurer.abortInFlight();
    await pool.stopAll();
    ctx.log.error('orchestrator', `${why}: the agents are stopped and the session ends without writing anything more there`);
    ctx.log.close();
    ctx.events.close();
    return 1;
  });
}
