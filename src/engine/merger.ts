// The merger (worktree isolation): when an agent says a task is done, its
// worktree's work is committed at once (a message naming the agent and the
// task), and that commit is merged into project/'s main branch. The task
// counts as done (task_completed) only once its work is on main, so phase
// gates and checkpoints judge the merged project.
//
// The commit is taken when the task_done is read, not when the merge job's
// turn comes: a CLI agent goes on to its next task, and a merge queued behind
// a checkpoint or other merges took the next task's first files with it. A
// CLI task adapter starts its next task only once that commit is made
// (AgentLaunch.workTaken); a `command` agent, which goes on by itself, is
// taken the moment its line is read.
//
// Merges run in the background, never awaited by the agent's message
// handler: each is one job on the engine's serial queue, so merges happen one
// at a time and never while a checkpoint snapshots project/ or a restore
// writes it (both run on that queue too); every git command in a job has a
// time limit, so a job is short. A conflict is aborted on main at once and
// handed to the recovery (class merge_conflict), which either hands it to the
// agent to resolve (handOver) or gives the task to another agent (reassign).

import { existsSync } from 'node:fs';
import type { AgentPool, AgentSlot } from './agentPool.js';
import { capEventText } from '../contract/textCap.js';
import { conflictAdvice } from './conflictFiles.js';
import type { EngineContext } from './context.js';
import type { CommittedWork, Worktrees } from './worktrees.js';

export interface MergeConflict {
  agent: string;
  branch: string;
  /** The tasks whose work is on the branch that could not be merged. */
  tasks: string[];
  files: string[];
}

export interface MergerHooks {
  /** A merge into main conflicted (or the agent's resolution still holds markers). */
  onConflict(slot: AgentSlot, message: string): Promise<void>;
  /** An agent's branch is on main with these tasks. */
  onMerged(slot: AgentSlot, tasks: string[]): void;
  /** A merge that failed for another reason than a conflict, its retries spent: the recovery's (class merge_failed). */
  onFailed(slot: AgentSlot, message: string): Promise<void>;
}

export interface Reassignment {
  target: string;
  tasks: string[];
  detail: string;
}

/** The agent's work as committed at its last task_done (an error: that commit failed, and the merge commits anew). */
type TakenWork = { work: CommittedWork } | { error: Error };

/** A merge that failed for a reason other than a conflict (a lock the agent's own git held, a time limit) is tried again. */
const RETRIES = 3;
const RETRY_DELAY_MS = 2000;

export class Merger {
  /** Tasks each agent said it finished whose work is not on main yet. */
  private readonly unmerged = new Map<string, Set<string>>();
  /** Conflicts handed to the recovery, by agent. */
  private readonly conflicts = new Map<string, MergeConflict>();
  /** Agents with a merge job waiting on the queue: a task done meanwhile joins it. */
  private readonly queued = new Set<string>();
  private readonly failures = new Map<string, number>();
  /** A gate of megatest's own runs in project/ (gateOutput.ts): a leftover commit then takes only tracked files. */
  gateRunning: () => boolean = () => false;
  /** Per agent, the commit of its work taken at its last task_done (or being taken): what its next merge carries. */
  private readonly taken = new Map<string, Promise<TakenWork>>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly pool: AgentPool,
    private readonly worktrees: Worktrees,
    private readonly hooks: MergerHooks,
    /** The wait before the first retry (doubled, tripled after): tests make it 0. */
    private readonly retryDelayMs = RETRY_DELAY_MS,
  ) {}

  /**
   * The agent said it finished `task`: its work dir is committed now, and that commit merged in the background.
   * Resolves once the commit is made (or failed): what the agent writes after it is not this task's.
   */
  taskDone(slot: AgentSlot, task: string): Promise<void> {
    if (this.ctx.completedTasks().has(task)) return Promise.resolve();
    const tasks = this.unmerged.get(slot.name) ?? new Set<string>();
    tasks.add(task);
    this.unmerged.set(slot.name, tasks);
    const taken = this.take(slot, task);
    this.queueMerge(slot, task);
    return taken.then(() => undefined);
  }

  /** Resolves once the work of every task_done the agent said so far is committed (AgentLaunch.workTaken). */
  workTaken(slot: AgentSlot): Promise<void> {
    return (this.taken.get(slot.name) ?? Promise.resolve()).then(() => undefined);
  }

  /** Commits the agent's work dir now, outside the serial queue (Worktrees keeps one git change per worktree at a time). */
  private take(slot: AgentSlot, task: string): Promise<TakenWork> {
    const taken: Promise<TakenWork> = this.worktrees.commitWork(slot.name, `megatest: ${slot.name} finished ${JSON.stringify(task)}`).then(
      (work) => {
        if (work.relinked) this.ctx.log.warn('worktree', `${slot.name}: the .git file of its worktree was gone (deleted in its work dir); written again, its work kept`);
        return { work };
      },
      (error: Error) => {
        this.ctx.log.warn('merge', `${slot.name}: its work at task_done ${JSON.stringify(task)} not committed (${error.message}); its merge commits the work dir then`);
        return { error };
      },
    );
    this.taken.set(slot.name, taken);
    return taken;
  }

  private queueMerge(slot: AgentSlot, task: string): void {
    // A conflict in hand (handed to the agent, or about to be) and a task_done for another task: the agent went on
    // before it read the note. Merged now it would meet the markers and count as the conflict again, a failed
    // attempt the agent never had; it waits instead, and goes in with the conflict's own task_done.
    const conflict = this.conflicts.get(slot.name);
    if (conflict && !conflict.tasks.includes(task)) {
      this.ctx.log.info('merge', `${slot.name}: ${JSON.stringify(task)} waits to merge with its conflict's resolution (${conflict.tasks.map((t) => JSON.stringify(t)).join(', ')})`);
      return;
    }
    this.schedule(slot);
  }

  /**
   * The session's end, in its last job once the agents have stopped and
   * before the final gate, measurement and checkpoint: the tasks finished
   * but not on main yet are merged now, one try each (a task finished while
   * the session stopped was never merged, and the report ignored it). A
   * conflict then is recorded, not handed over: no agent is left to resolve
   * it. What stays unmerged is said in a warning alert, agent, tasks and
   * branch, so the report and the console show it.
   */
  async mergeAtEnd(): Promise<void> {
    const left: string[] = [];
    for (const slot of this.pool.slots) {
      if ((this.unmerged.get(slot.name)?.size ?? 0) === 0) continue;
      let failed: string | null = null;
      try {
        await this.mergeAgent(slot);
      } catch (error) {
        failed = (error as Error).message;
        this.ctx.log.error('merge', `${slot.name}: merge into main at the session's end failed: ${failed}`);
      }
      const tasks = [...(this.unmerged.get(slot.name) ?? [])];
      if (tasks.length === 0) continue;
      const conflict = this.conflicts.get(slot.name);
      const why = failed ?? (conflict ? `conflict in ${conflict.files.join(', ')}` : 'not merged');
      left.push(`${slot.name}'s ${tasks.map((t) => JSON.stringify(t)).join(', ')} (branch ${this.worktrees.branchOf(slot.name)}: ${why})`);
    }
    if (left.length === 0) return;
    const message = `left unmerged at the session's end: ${left.join('; ')}. That work is on those branches, not in project/: not measured, not counted done`;
    this.ctx.log.warn('merge', message);
    this.ctx.emit({ type: 'alert', level: 'warning', message: capEventText(message) });
  }

  /** A restore put every worktree back: what was waiting to merge is gone with it. */
  onRestored(): void {
    this.unmerged.clear();
    this.conflicts.clear();
    this.queued.clear();
    this.failures.clear();
    this.taken.clear();
  }

  conflictOf(agent: string): MergeConflict | undefined {
    return this.conflicts.get(agent);
  }

  private schedule(slot: AgentSlot): void {
    if (this.queued.has(slot.name)) return;
    // The session's last job (stop, final checkpoint, report) is queued once a stop is asked for: nothing may follow it.
    if (this.ctx.stopRequest) {
      this.ctx.log.info('merge', `${slot.name}: ${[...(this.unmerged.get(slot.name) ?? [])].join(', ')} to be merged at the session's end, once its agents have stopped`);
      return;
    }
    this.queued.add(slot.name);
    const generation = this.ctx.restoreGeneration;
    this.ctx.background(async () => {
      this.queued.delete(slot.name);
      // A restore since: the worktree was put back, and with it the work this job was for.
      if (generation !== this.ctx.restoreGeneration) return;
      try {
        await this.mergeAgent(slot);
        this.failures.delete(slot.name);
      } catch (error) {
        await this.retryLater(slot, error as Error);
      }
    });
  }

  private async retryLater(slot: AgentSlot, error: Error): Promise<void> {
    const failures = (this.failures.get(slot.name) ?? 0) + 1;
    this.failures.set(slot.name, failures);
    if (failures > RETRIES || this.ctx.stopRequest) {
      this.ctx.log.error('merge', `${slot.name}: merge into main failed ${failures} times, left for its next finished task: ${error.message}`);
      // Stopping, the session's end merges what is left and says what stays unmerged; otherwise said as an error, or
      // only session.log knew: no error counted, its tasks never done, the session ending on time with no reason.
      if (!this.ctx.stopRequest) await this.reportFailure(slot, failures, error);
      return;
    }
    const delay = this.retryDelayMs * failures;
    this.ctx.log.warn('merge', `${slot.name}: merge into main failed (${error.message}); trying again in ${delay / 1000} s`);
    setTimeout(() => {
      if ((this.unmerged.get(slot.name)?.size ?? 0) > 0) this.schedule(slot);
    }, delay).unref();
  }

  /**
   * Class merge_failed, handed to the recovery: its `error` event, and the pause for a person that a critical class
   * asks for (before, an error event alone: the session went on, that work never on main).
   */
  private async reportFailure(slot: AgentSlot, failures: number, error: Error): Promise<void> {
    const why = await this.worktrees.notOfProject(slot.name).catch(() => null);
    const tasks = [...(this.unmerged.get(slot.name) ?? [])].map((t) => JSON.stringify(t)).join(', ');
    const message =
      `merging ${this.worktrees.branchOf(slot.name)} (${tasks || 'no task'}) into main failed ${failures} times: ${error.message}` +
      `${why === null ? '' : `; ${why}`}; its tasks stay unmerged (tried again at a continue, or at its next finished task)`;
    await this.hooks.onFailed(slot, message);
  }

  /** A person continued the session: each merge whose retries were spent is tried again (three more tries). */
  retryFailed(): void {
    for (const slot of this.pool.slots) {
      if ((this.failures.get(slot.name) ?? 0) <= RETRIES) continue;
      this.failures.delete(slot.name);
      if ((this.unmerged.get(slot.name)?.size ?? 0) > 0 && !this.conflicts.has(slot.name)) this.schedule(slot);
    }
  }

  private async mergeAgent(slot: AgentSlot): Promise<void> {
    const agent = slot.name;
    const tasks = [...(this.unmerged.get(agent) ?? [])];
    if (tasks.length === 0) return;
    const label = tasks.map((t) => JSON.stringify(t)).join(', ');
    const pending = this.taken.get(agent);
    const work = await this.workOf(agent, label, pending);
    await this.mergeWork(slot, tasks, label, work);
    // Used (merged, or a conflict, after which the branch moves on by a handover or a reset): the next merge takes
    // the agent's next task_done, or the work dir as it is then. A merge that threw keeps it for its retry.
    if (this.taken.get(agent) === pending) this.taken.delete(agent);
  }

  private async mergeWork(slot: AgentSlot, tasks: string[], label: string, work: CommittedWork): Promise<void> {
    const { ctx, worktrees } = this;
    const agent = slot.name;
    const branch = worktrees.branchOf(agent);
    if (work.unresolved.length > 0) {
      await this.conflict(slot, tasks, work.unresolved, `${branch} still has the merge conflict unresolved in ${work.unresolved.join(', ')} (conflict markers left, or a file as it was handed over; task ${label})`);
      return;
    }
    if (work.head === null) throw new Error(`${branch} has no commit to merge`);
    if (await worktrees.commitMainLeftovers(`megatest: changes made in project/ outside any merge, kept before merging ${branch}`, this.gateRunning())) {
      ctx.log.warn('merge', `project/ had changes outside any merge; committed them to main before merging ${branch}`);
    }
    const merged = await worktrees.mergeIntoMain(work.head, `megatest: merge ${branch} (${agent}: ${label})`);
    if (!merged.ok) {
      await this.conflict(slot, tasks, merged.files, `merging ${branch} (task ${label}) into main conflicts in ${merged.files.join(', ')}`);
      return;
    }
    // Only the tasks this merge was for: one the agent finished meanwhile joined the set, and its own job, queued by then, merges it.
    const left = this.unmerged.get(agent);
    for (const task of tasks) left?.delete(task);
    if (left?.size === 0) this.unmerged.delete(agent);
    this.conflicts.delete(agent);
    const done = ctx.completedTasks();
    for (const task of tasks) {
      if (!done.has(task)) ctx.emit({ type: 'task_completed', agent, task, phase: ctx.currentPhase.name });
    }
    ctx.log.info('merge', `${branch} merged into main at ${merged.commit.slice(0, 10)}: ${label}${work.committed ? '' : ' (nothing new to commit)'}`);
    this.hooks.onMerged(slot, tasks);
    await this.followMain(slot);
  }

  /** The work taken at the agent's last task_done; committed now when none was (a resolution handed over, a failed commit). */
  private async workOf(agent: string, label: string, pending: Promise<TakenWork> | undefined): Promise<CommittedWork> {
    const taken = pending === undefined ? undefined : await pending;
    if (taken !== undefined && 'work' in taken) return taken.work;
    return this.worktrees.commitWork(agent, `megatest: ${agent} finished ${label}`);
  }

  /**
   * Brings worktrees up to main by fast-forward (git refuses one that would
   * overwrite uncommitted changes): the agent that just merged, and agents
   * with nothing left to do, so each phase starts from the merged project.
   * An agent still at work on a task is not touched.
   */
  private async followMain(merged: AgentSlot): Promise<void> {
    for (const slot of this.pool.slots) {
      const idle = this.pool.remainingOf(slot).length === 0 && !this.unmerged.has(slot.name) && !this.conflicts.has(slot.name);
      if (slot !== merged && !idle) continue;
      if (!existsSync(this.worktrees.pathOf(slot.name))) continue;
      await this.worktrees.followMain(slot.name);
    }
  }

  private async conflict(slot: AgentSlot, tasks: string[], files: string[], message: string): Promise<void> {
    this.conflicts.set(slot.name, { agent: slot.name, branch: this.worktrees.branchOf(slot.name), tasks, files });
    if (this.ctx.stopRequest) {
      this.ctx.log.warn('merge', `${message}; not handed over: the session is stopping`);
      return;
    }
    await this.hooks.onConflict(slot, message);
  }

  /**
   * Hands the conflict to its agent: main is merged into the agent's branch
   * and the conflict markers are left in its worktree. Returns the phase
   * note naming the files, or note null when main no longer conflicts (the
   * branch is merged again at once); null when there is no conflict in hand.
   */
  async handOver(slot: AgentSlot): Promise<{ files: string[]; note: string | null } | null> {
    const conflict = this.conflicts.get(slot.name);
    if (!conflict) return null;
    const { worktrees } = this;
    const dir = worktrees.pathOf(slot.name);
    // What the agent wrote since the failed merge goes in first: main is merged over a clean tree.
    if (!(await worktrees.mergeInProgress(dir))) await worktrees.commitWork(slot.name, `megatest: ${slot.name} work before resolving a merge conflict`);
    const merged = await worktrees.mergeMainInto(slot.name);
    const label = conflict.tasks.map((t) => JSON.stringify(t)).join(', ');
    if (merged.clean) {
      await worktrees.commitWork(slot.name, `megatest: merge main into ${conflict.branch}`);
      this.conflicts.delete(slot.name);
      this.schedule(slot);
      return { files: [], note: null };
    }
    conflict.files = merged.files;
    // Worded per kind of conflict: a binary or modify/delete one has no markers to remove, only a choice to make.
    const where = merged.own
      ? `holds a conflict your own git stopped on (a stash pop, rebase or cherry-pick) in ${merged.files.join(', ')}, in your work dir (${dir}); main is merged once it is settled.`
      : `conflicts with main in ${merged.files.join(', ')}. main has been merged into your branch in your work dir (${dir}).`;
    const note = `Merge conflict: your work on ${label} (branch ${conflict.branch}) ${where} ${conflictAdvice(merged.conflicts)} Then report task_done for ${label} again.`;
    return { files: merged.files, note };
  }

  /**
   * Gives the conflicting tasks to the least busy other running agent (or,
   * when there is none, back to the same agent): the agent's conflicting
   * work is kept under refs/megatest/dropped/ and its branch starts again
   * from main. Null when there is no conflict in hand.
   */
  async reassign(slot: AgentSlot): Promise<Reassignment | null> {
    const conflict = this.conflicts.get(slot.name);
    if (!conflict) return null;
    const { pool, worktrees } = this;
    const kept = await worktrees.keepDropped(slot.name);
    await worktrees.resetTo(slot.name, null);
    // The tasks finished while the conflict was in hand (taskDone kept them waiting) were on the branch just reset:
    // they go with the conflict's, or their work was lost without a word.
    const waiting = [...(this.unmerged.get(slot.name) ?? [])];
    this.conflicts.delete(slot.name);
    this.unmerged.delete(slot.name);
    this.taken.delete(slot.name);
    const done = this.ctx.completedTasks();
    const tasks = [...new Set([...conflict.tasks, ...waiting])].filter((t) => !done.has(t));
    const target =
      pool.slots.filter((s) => s !== slot && s.adapter).sort((a, b) => pool.remainingOf(a).length - pool.remainingOf(b).length)[0] ?? slot;
    const label = tasks.map((t) => JSON.stringify(t)).join(', ');
    // The work of a next task it had begun went with the reset: where to get it back.
    const keptNote = kept ? ` What your work dir held, uncommitted files too, is kept at ${kept} (\`git checkout ${kept} -- FILE\` brings a file back).` : '';
    if (target !== slot) {
      slot.objectives = slot.objectives.filter((t) => !tasks.includes(t));
      // Its task_done for them is no longer accepted: the work that counts is the new agent's, done on top of main.
      for (const task of tasks) slot.assignedTasks.delete(task);
      target.objectives = [...target.objectives, ...tasks.filter((t) => !target.objectives.includes(t))];
      // A clean worktree starts the task from main as it is now.
      if (await worktrees.isClean(target.name)) await worktrees.followMain(target.name);
      pool.assignRemaining(slot, `Your branch ${conflict.branch} was reset to main after its merge conflict in ${conflict.files.join(', ')}; ${label} went to ${target.name}.${keptNote}`);
    }
    pool.assignRemaining(
      target,
      `${label} ${tasks.length === 1 ? 'was' : 'were'} reassigned to you: ${slot.name}'s work on ${tasks.length === 1 ? 'it' : 'them'} could not be merged into main (conflict in ${conflict.files.join(', ')}). Do ${tasks.length === 1 ? 'it' : 'them'} on top of main as it is in your work dir.${target === slot ? keptNote : ''}`,
    );
    const where = kept ? `; its conflicting work is kept at ${kept}` : '';
    return {
      target: target.name,
      tasks,
      detail: `merge_conflict: ${label} reassigned from ${slot.name} to ${target === slot ? `${slot.name} itself on a fresh branch from main` : target.name}${where}`,
    };
  }
}
