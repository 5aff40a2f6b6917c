// Worktree isolation wired into the engine: the work dir each agent starts
// in, the merge of each finished task (merger.ts), and what a checkpoint
// keeps of the worktrees and a restore puts back. With isolation "shared"
// none of this exists and every agent works in project/.
//
// Checkpoints: before project/ is snapshotted, each agent's uncommitted work
// is committed on its branch (not while it is resolving a conflict) and every
// branch head is recorded in the checkpoint body (`worktrees`). Restore and
// resume: project/ is restored as always, then main's branch is reset to the
// checkpoint's git_commit (its files stay as restored), then each worktree is
// reset to its recorded head; a worktree whose folder or git data is gone is
// made again first, and a head that is no longer a commit (or was never
// recorded) puts the worktree at main.

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CheckpointTrigger } from '../contract/events.js';
import type { AgentPool, AgentSlot } from './agentPool.js';
import type { EngineContext } from './context.js';
import { GateOutput } from './gateOutput.js';
import { commitAll } from './git.js';
import { Merger, type MergerHooks, type Reassignment } from './merger.js';
import { isolationOf, Worktrees, type WorktreeHead } from './worktrees.js';

export class WorktreeIsolation {
  readonly worktrees: Worktrees;
  readonly merger: Merger;
  /** What megatest's own gates leave in project/: never committed (gateOutput.ts). */
  readonly gateOutput: GateOutput;

  constructor(
    private readonly ctx: EngineContext,
    private readonly pool: AgentPool,
    hooks: MergerHooks,
  ) {
    this.worktrees = new Worktrees(ctx.paths.project, path.join(ctx.paths.root, 'worktrees'));
    this.merger = new Merger(ctx, pool, this.worktrees, hooks);
    this.gateOutput = new GateOutput(ctx.paths.project);
    this.merger.gateRunning = () => this.gateOutput.busy;
  }

  /** The isolation the config asks for: null when every agent shares project/. */
  static create(ctx: EngineContext, pool: AgentPool, hooks: MergerHooks): WorktreeIsolation | null {
    return isolationOf(ctx.config.agents) === 'worktree' ? new WorktreeIsolation(ctx, pool, hooks) : null;
  }

  /** Once project/ is a repository: settings, and repairs after a killed orchestrator. */
  async prepare(): Promise<void> {
    const { template } = this.ctx;
    const outputs = [template.test_report, template.coverage_report].filter((f) => f.trim() !== '').map((f) => `/${f.replace(/^\.?\//, '')}`);
    const notes = await this.worktrees.prepare(['node_modules/', ...outputs]);
    for (const note of notes) this.ctx.log.warn('worktree', note);
    this.ctx.log.info('worktree', `isolation worktree: each agent works in ${this.worktrees.root}/<agent> on its branch megatest/<agent>; finished tasks are merged into project/ (main)`);
  }

  /** The agent's work dir, made when missing. */
  async workDir(slot: AgentSlot): Promise<string> {
    const made = await this.worktrees.ensure(slot.name);
    if (made.note) this.ctx.log.warn('worktree', made.note);
    if (made.created) this.ctx.log.info('worktree', `${slot.name}: worktree ${made.dir} on ${this.worktrees.branchOf(slot.name)}`);
    return made.dir;
  }

  pathOf(slot: AgentSlot): string {
    return this.worktrees.pathOf(slot.name);
  }

  /** The agent finished a task: merged in the background; the task counts once it is on main. */
  taskDone(slot: AgentSlot, task: string): void {
    void this.merger.taskDone(slot, task);
  }

  /** Resolves once the work of every task_done the agent said is committed on its branch: a CLI agent's next task waits for it. */
  workTaken(slot: AgentSlot): Promise<void> {
    return this.merger.workTaken(slot);
  }

  /** The session's end, its agents stopped: the finished tasks still waiting are merged, what stays unmerged said. */
  mergeAtEnd(): Promise<void> {
    return this.merger.mergeAtEnd();
  }

  handOver(slot: AgentSlot): Promise<{ files: string[]; note: string | null } | null> {
    return this.merger.handOver(slot);
  }

  reassign(slot: AgentSlot): Promise<Reassignment | null> {
    return this.merger.reassign(slot);
  }

  retryFailedMerges(): void {
    this.merger.retryFailed();
  }

  /** For a checkpoint: each agent's work committed on its branch, and every branch head. */
  async record(trigger: CheckpointTrigger): Promise<WorktreeHead[]> {
    const heads: WorktreeHead[] = [];
    for (const slot of this.pool.slots) {
      const agent = slot.name;
      const branch = this.worktrees.branchOf(agent);
      if (!existsSync(this.worktrees.pathOf(agent))) {
        heads.push({ agent, branch, head: null });
        continue;
      }
      try {
        // A conflict being resolved is left alone: committing would conclude the merge with its markers.
        if (!(await this.worktrees.mergeInProgress(this.worktrees.pathOf(agent)))) {
          await this.worktrees.commitWork(agent, `megatest: ${agent} work in progress at a ${trigger} checkpoint`);
        }
      } catch (error) {
        // The checkpoint goes on: its record is the head the worktree has.
        this.ctx.log.warn('worktree', `${agent}: work in progress not committed for the checkpoint: ${(error as Error).message}`);
      }
      heads.push({ agent, branch, head: await this.worktrees.head(agent) });
    }
    return heads;
  }

  /** After project/'s files were restored from checkpoint `id` (the agents are stopped). */
  async restore(id: string, gitCommit: string | null, heads: WorktreeHead[] | undefined): Promise<void> {
    const { ctx, worktrees } = this;
    this.merger.onRestored();
    if (!(await worktrees.resetMain(gitCommit))) {
      const commit = await commitAll(ctx.paths.project, `megatest: project/ as restored from ${id}`);
      ctx.log.warn('worktree', `${id}'s commit ${gitCommit ?? '(none recorded)'} is not in project/.git: main now holds the restored files as ${commit.slice(0, 10)}`);
    }
    for (const slot of this.pool.slots) {
      const recorded = heads?.find((h) => h.agent === slot.name)?.head ?? null;
      let where: 'head' | 'main';
      try {
        await this.workDir(slot);
        where = await worktrees.resetTo(slot.name, recorded);
      } catch (error) {
        ctx.log.error('worktree', `${slot.name}: worktree not put back to ${id}: ${(error as Error).message}`);
        continue;
      }
      if (where === 'head') {
        ctx.log.info('worktree', `${slot.name}: worktree reset to ${recorded!.slice(0, 10)}, its head at ${id}`);
      } else {
        ctx.log.warn('worktree', `${slot.name}: ${recorded ? `head ${recorded.slice(0, 10)} recorded at ${id} is gone` : `${id} recorded no head`}; worktree reset to main`);
      }
    }
  }
}
