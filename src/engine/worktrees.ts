// Worktree isolation ([agents] isolation, DESIGN §9): each agent works in its
// own git worktree of project/, `<run>/worktrees/<agent>`, on its own branch
// `megatest/<agent>`. The worktrees sit beside project/, never inside it, so
// measurement and checkpoint snapshots of project/ see only the merged main;
// their git data lives in project/.git (one object store for all of them).
// This file is the git mechanics of the worktrees and of main; merger.ts
// decides when to use them. Every git command has a time limit
// (worktreeGit.ts runs them).

import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { GIT_TIMEOUT_MS } from './git.js';
import { describeConflicts, unsettled, type ConflictFile } from './conflictFiles.js';
import { excludeBuildOutput } from './gitExcludes.js';
import { SerialQueue } from './serialQueue.js';
import { realpathOr, relinkDotGit, WorktreeGit } from './worktreeGit.js';
import { relinkWorktrees } from './worktreeLinks.js';

// The git errors' home is worktreeGit.ts; exported here too, beside the rest of worktree isolation's API.
export { GitError } from './worktreeGit.js';

export const MAIN_BRANCH = 'main';
// Which agents get a worktree: isolationKind.ts; exported here too, beside the rest of worktree isolation's API.
export { isolationOf, type Isolation } from './isolationKind.js';

/** An agent's branch and the commit its worktree is at (null: no worktree, or no commit). */
export interface WorktreeHead {
  agent: string;
  branch: string;
  head: string | null;
}

export interface WorktreeListing {
  path: string;
  branch: string | null;
  head: string | null;
}

/** What commitWork did: the head after it, whether it made a commit, and the conflict's files not settled (nothing committed then). */
export interface CommittedWork {
  head: string | null;
  committed: boolean;
  unresolved: string[];
  /** The worktree's .git file was gone (the agent deleted it) and was written again first. */
  relinked?: true;
}

/** Main merged into an agent's branch; own: main was not merged, the conflict is one the agent's own git stopped on. */
export interface MainIntoBranch {
  clean: boolean;
  files: string[];
  conflicts: ConflictFile[];
  own?: true;
}

export type MainMerge = { ok: true; commit: string } | { ok: false; files: string[] };

export class Worktrees {
  /**
   * Adding, removing and pruning worktrees one at a time: a `git worktree add`
   * reads every other worktree's entry under .git/worktrees/, and fails
   * ("failed to read .git/worktrees/agent-1/commondir") when it meets one
   * another add is still writing, as the agents' start-up in parallel did.
   */
  private readonly worktreeList = new SerialQueue();
  /** Per agent, the files of the conflicting merge of main handed to it, as they were then: kept until that merge is committed. */
  private readonly handed = new Map<string, ConflictFile[]>();
  /**
   * Per agent, what changes its worktree (commit, merge, fast-forward, reset), one at a time: the commit taken at a
   * task_done (merger.ts) runs at once, outside the engine's serial queue, and so beside a checkpoint's commit or a
   * merge's fast-forward of the same worktree, which would meet its index.lock.
   */
  private readonly agentLocks = new Map<string, SerialQueue>();
  /** The git commands, each with its time limit (worktreeGit.ts). */
  private readonly git: WorktreeGit;

  constructor(
    readonly projectDir: string,
    /** `<run>/worktrees`: one folder per agent. */
    readonly root: string,
    timeoutMs = GIT_TIMEOUT_MS,
  ) {
    this.git = new WorktreeGit(projectDir, timeoutMs);
  }

  branchOf(agent: string): string {
    return `megatest/${agent}`;
  }

  pathOf(agent: string): string {
    return path.join(this.root, agent);
  }

  /**
   * Before the first worktree (and on resume): no automatic gc while several
   * worktrees commit at once, measurement outputs and node_modules ignored in
   * every worktree, and what a killed orchestrator left (a merge half done in
   * project/, worktree index locks, worktrees whose folder is gone).
   * Returns what it repaired, for the log.
   */
  async prepare(ignored: string[]): Promise<string[]> {
    // First: a copied run folder's worktrees still name the original's repository, and git below would write there.
    const notes: string[] = relinkWorktrees(this.projectDir, this.root);
    await this.git.ok(this.projectDir, ['config', 'gc.auto', '0']);
    const exclude = path.join(this.projectDir, '.git', 'info', 'exclude');
    const present = existsSync(exclude) ? readFileSync(exclude, 'utf8').split('\n') : [];
    const missing = ignored.filter((line) => line !== '' && !present.includes(line));
    if (missing.length > 0) {
      mkdirSync(path.dirname(exclude), { recursive: true });
      appendFileSync(exclude, `${present.length > 0 && present.at(-1) !== '' ? '\n' : ''}# megatest: not the agents' work\n${missing.join('\n')}\n`);
    }
    if (await this.mergeInProgress(this.projectDir)) {
      await this.git.run(this.projectDir, ['merge', '--abort']);
      notes.push('aborted a merge into main that a killed orchestrator left half done');
    }
    const metadata = path.join(this.projectDir, '.git', 'worktrees');
    if (existsSync(metadata)) {
      for (const name of readdirSafe(metadata)) {
        const lock = path.join(metadata, name, 'index.lock');
        if (existsSync(lock)) {
          rmSync(lock, { force: true });
          notes.push(`removed the stale index.lock of worktree ${name}`);
        }
      }
    }
    // Before the prune, which drops the record of a worktree whose .git is gone, and with it the agent's work there.
    for (const agent of readdirSafe(this.root)) if (relinkDotGit(this.projectDir, this.pathOf(agent))) notes.push(`${this.pathOf(agent)}/.git was gone; written again, the work there kept`);
    await this.worktreeList.run(() => this.git.run(this.projectDir, ['worktree', 'prune']));
    return notes;
  }

  /** The agent's worktree, made when missing or unusable (on its branch, or a new branch from main). */
  ensure(agent: string): Promise<{ dir: string; created: boolean; note?: string }> {
    return this.worktreeList.run(() => this.ensureNow(agent));
  }

  private async ensureNow(agent: string): Promise<{ dir: string; created: boolean; note?: string }> {
    const dir = this.pathOf(agent);
    let note: string | undefined;
    if (existsSync(dir)) {
      const relinked = relinkDotGit(this.projectDir, this.pathOf(agent));
      if (await this.git.belongs(dir)) return { dir, created: false, ...(relinked ? { note: `${dir}/.git was gone; written again, the work there kept` } : {}) };
      rmSync(dir, { recursive: true, force: true });
      note = `${dir} was not a usable worktree of project/ (its git data is gone); made again`;
    }
    mkdirSync(this.root, { recursive: true });
    await this.git.run(this.projectDir, ['worktree', 'prune']);
    const branch = this.branchOf(agent);
    const branchExists = (await this.git.run(this.projectDir, ['rev-parse', '-q', '--verify', `refs/heads/${branch}`])).code === 0;
    await this.git.ok(this.projectDir, branchExists ? ['worktree', 'add', '-q', dir, branch] : ['worktree', 'add', '-q', '-b', branch, dir, MAIN_BRANCH]);
    return { dir, created: true, ...(note === undefined ? {} : { note }) };
  }

  async exists(agent: string): Promise<boolean> {
    const dir = this.pathOf(agent);
    return existsSync(dir) && (await this.git.belongs(dir));
  }

  /**
   * Why the agent's worktree is no longer one of project/'s (null when it is):
   * a merge that keeps failing says so (an agent that ran `git init` there
   * commits into a repository of its own, and its head is "not something we
   * can merge").
   */
  async notOfProject(agent: string): Promise<string | null> {
    const dir = this.pathOf(agent);
    if (!existsSync(dir)) return `its worktree ${dir} is gone`;
    const listed = (await this.list().catch(() => [])).some((w) => realpathOr(w.path) === realpathOr(dir));
    if (listed && (await this.git.belongs(dir))) return null;
    const dotGit = path.join(dir, '.git');
    const link = !existsSync(dotGit)
      ? 'it has no .git'
      : statSync(dotGit).isDirectory()
        ? 'its .git is a repository of its own (made there by git init or a clone?), not the link to project/.git'
        : 'its .git does not lead to project/.git';
    return `${dir} is no longer a worktree of project/: ${listed ? '' : "it is not in project/'s `git worktree list`; "}${link}`;
  }

  async remove(agent: string): Promise<void> {
    this.handed.delete(agent);
    await this.worktreeList.run(() => this.git.ok(this.projectDir, ['worktree', 'remove', '--force', this.pathOf(agent)]));
  }

  /** The worktrees under `root`, as git lists them. */
  async list(): Promise<WorktreeListing[]> {
    const out = await this.worktreeList.run(() => this.git.ok(this.projectDir, ['worktree', 'list', '--porcelain']));
    const root = realpathOr(this.root);
    const found: WorktreeListing[] = [];
    for (const block of out.split(/\n\s*\n/)) {
      const lines = block.split('\n');
      const where = lines.find((l) => l.startsWith('worktree '))?.slice('worktree '.length);
      if (where === undefined || !realpathOr(where).startsWith(root + path.sep)) continue;
      const branch = lines.find((l) => l.startsWith('branch '))?.slice('branch refs/heads/'.length) ?? null;
      const head = lines.find((l) => l.startsWith('HEAD '))?.slice('HEAD '.length) ?? null;
      found.push({ path: where, branch, head });
    }
    return found;
  }

  async head(agent: string): Promise<string | null> {
    const result = await this.git.run(this.pathOf(agent), ['rev-parse', '-q', '--verify', 'HEAD']);
    return result.code === 0 ? result.stdout.trim() : null;
  }

  async isClean(agent: string): Promise<boolean> {
    const result = await this.git.run(this.pathOf(agent), ['status', '--porcelain', '--untracked-files=all']);
    return result.code === 0 && result.stdout.trim() === '';
  }

  async mergeInProgress(dir: string): Promise<boolean> {
    return (await this.git.run(dir, ['rev-parse', '-q', '--verify', 'MERGE_HEAD'])).code === 0;
  }

  /** The files of the conflict handed to the agent (its merge of main not yet committed), as they were then. */
  handedOver(agent: string): ConflictFile[] | undefined {
    return this.handed.get(agent);
  }

  /** Files of the merge in the agent's worktree not settled yet (conflictFiles.ts says when a file is). */
  async unresolved(agent: string): Promise<string[]> {
    const dir = this.pathOf(agent);
    return unsettled(dir, this.handed.get(agent), (args) => this.git.run(dir, args));
  }

  /**
   * Commits everything in the agent's worktree (and concludes a merge the
   * agent resolved). Nothing is committed while a file of the merge is not
   * settled: markers left (staged or not), or a binary or modify/delete
   * conflict left as the handover found it.
   */
  commitWork(agent: string, message: string): Promise<CommittedWork> {
    return this.lockOf(agent).run(() => this.commitWorkNow(agent, message));
  }

  private async commitWorkNow(agent: string, message: string): Promise<CommittedWork> {
    const dir = this.pathOf(agent);
    const relinked = relinkDotGit(this.projectDir, this.pathOf(agent)) ? { relinked: true as const } : {};
    const merging = await this.mergeInProgress(dir);
    // A handover's files are checked even once the merge is no longer in progress: the agent may have committed it, markers and all.
    // So is a conflict the agent's own git stopped on (a stash pop, a rebase): `add -A` took its markers to main.
    const unresolved = merging || this.handed.has(agent) || (await this.git.ownConflictIn(dir)) ? await this.unresolved(agent) : [];
    if (unresolved.length > 0) return { head: await this.head(agent), committed: false, unresolved, ...relinked };
    await excludeBuildOutput(dir);
    await this.git.ok(dir, ['add', '-A']);
    const staged = (await this.git.run(dir, ['diff', '--cached', '--quiet'])).code === 1;
    if (staged || merging) await this.git.ok(dir, ['commit', '-q', '--no-verify', '-m', message]);
    this.handed.delete(agent);
    return { head: await this.head(agent), committed: staged || merging, unresolved: [], ...relinked };
  }

  /**
   * Merges main into the agent's branch without committing, so a conflict
   * leaves its markers in the agent's worktree. A merge already in progress
   * is left as it is, and so is a conflict the agent's own git stopped on
   * (returned as `own`).
   */
  mergeMainInto(agent: string): Promise<MainIntoBranch> {
    return this.lockOf(agent).run(() => this.mergeMainIntoNow(agent));
  }

  private async mergeMainIntoNow(agent: string): Promise<MainIntoBranch> {
    const dir = this.pathOf(agent);
    const before = this.handed.get(agent);
    const merging = await this.mergeInProgress(dir);
    if (merging || before !== undefined) {
      // The handover's record stays as it was then: a file is settled once it changed since, not since the last look.
      const files = await this.unresolved(agent);
      if (merging || files.length > 0) {
        const known = before ?? (await describeConflicts(dir, (args) => this.git.run(dir, args)));
        const conflicts = files.map((file) => known.find((f) => f.path === file) ?? { path: file, kind: 'text' as const, hash: null });
        return { clean: files.length === 0, files, conflicts };
      }
      // The agent committed the merge itself, every file settled: main is merged again below.
      this.handed.delete(agent);
    } else if (await this.git.ownConflictIn(dir)) {
      // Its own stash pop or rebase stopped on a conflict: that is what it has to settle first (git merges nothing over it).
      const files = await this.unresolved(agent);
      if (files.length > 0) {
        const known = await describeConflicts(dir, (args) => this.git.run(dir, args));
        const conflicts = files.map((file) => known.find((f) => f.path === file) ?? { path: file, kind: 'text' as const, hash: null });
        return { clean: false, files, conflicts, own: true };
      }
    }
    const result = await this.git.run(dir, ['merge', '--no-ff', '--no-commit', MAIN_BRANCH]);
    if (result.code === 0) return { clean: true, files: [], conflicts: [] };
    const conflicts = await describeConflicts(dir, (args) => this.git.run(dir, args));
    if (conflicts.length === 0) throw this.git.failure(dir, ['merge', MAIN_BRANCH], result);
    this.handed.set(agent, conflicts);
    return { clean: false, files: conflicts.map((f) => f.path), conflicts };
  }

  /** Moves the agent's branch up to main when it can fast-forward; never over its uncommitted changes. */
  followMain(agent: string): Promise<boolean> {
    return this.lockOf(agent).run(async () => (await this.git.run(this.pathOf(agent), ['merge', '-q', '--ff-only', MAIN_BRANCH])).code === 0);
  }

  /**
   * Puts the agent's worktree and branch at `head` (a checkpoint's record),
   * or at main when `head` is null or no longer a commit, the worktree on its
   * branch. Untracked files go; ignored ones (node_modules) stay.
   */
  resetTo(agent: string, head: string | null): Promise<'head' | 'main'> {
    return this.lockOf(agent).run(() => this.resetToNow(agent, head));
  }

  private async resetToNow(agent: string, head: string | null): Promise<'head' | 'main'> {
    const dir = this.pathOf(agent);
    this.handed.delete(agent);
    const target = head !== null && (await this.commitExists(head)) ? head : null;
    // Back on its own branch, whatever the agent's git left: a rebase stopped half way (which a reset leaves in
    // progress, HEAD detached, the branch never moved), or another branch it switched to.
    await this.git.run(dir, ['rebase', '--quit']);
    await this.git.run(dir, ['reset', '-q', '--hard']);
    await this.git.ok(dir, ['checkout', '-q', '-f', '-B', this.branchOf(agent), target ?? MAIN_BRANCH]);
    await this.git.ok(dir, ['clean', '-q', '-fd']);
    return target === null ? 'main' : 'head';
  }

  /**
   * Keeps the agent's work under refs/megatest/dropped/ before its branch is reset: its head, and on top of it what
   * its work dir holds uncommitted (the next task it was at, a conflict's files markers and all). Before, only the
   * head was kept, and the reset's `clean -fd` threw the rest away.
   */
  keepDropped(agent: string): Promise<string | null> {
    return this.lockOf(agent).run(async () => {
      const head = await this.head(agent);
      if (head === null) return null;
      const message = `megatest: ${agent}'s work dir, uncommitted files included, when its branch was reset`;
      const kept = (await this.git.snapshot(this.pathOf(agent), head, message)) ?? head;
      const ref = `refs/megatest/dropped/${agent}/${Date.now()}`;
      await this.git.ok(this.projectDir, ['update-ref', ref, kept]);
      return ref;
    });
  }

  async commitExists(sha: string): Promise<boolean> {
    if (!/^[0-9a-f]{4,64}$/i.test(sha)) return false;
    return (await this.git.run(this.projectDir, ['cat-file', '-e', `${sha}^{commit}`])).code === 0;
  }

  /** Merges a commit of an agent's branch into main (project/); a conflict is aborted and its files returned. */
  async mergeIntoMain(commit: string, message: string): Promise<MainMerge> {
    const result = await this.git.run(this.projectDir, ['merge', '--no-ff', '--no-verify', '-m', message, commit]);
    if (result.code === 0) {
      const head = await this.git.ok(this.projectDir, ['rev-parse', 'HEAD']);
      return { ok: true, commit: head };
    }
    const files = await this.git.unmergedPaths(this.projectDir);
    if (await this.mergeInProgress(this.projectDir)) await this.git.ok(this.projectDir, ['merge', '--abort']);
    if (files.length === 0) throw this.git.failure(this.projectDir, ['merge', commit], result);
    return { ok: false, files };
  }

  /**
   * Commits what changed in project/ outside any merge (so a merge never refuses over it); true when there was some.
   * trackedOnly: a gate is running, and the files it is making are not known yet (gateOutput.ts).
   */
  async commitMainLeftovers(message: string, trackedOnly = false): Promise<boolean> {
    await excludeBuildOutput(this.projectDir);
    const status = await this.git.ok(this.projectDir, ['status', '--porcelain', `--untracked-files=${trackedOnly ? 'no' : 'all'}`]);
    if (status === '') return false;
    await this.git.ok(this.projectDir, ['add', trackedOnly ? '-u' : '-A']);
    await this.git.ok(this.projectDir, ['commit', '-q', '--no-verify', '-m', message]);
    return true;
  }

  /**
   * After project/'s files were restored: main's branch and index go back to
   * the checkpoint's commit, the files stay as restored. False when that
   * commit is gone (the caller commits the restored files instead).
   */
  async resetMain(commit: string | null): Promise<boolean> {
    if (commit === null || !(await this.commitExists(commit))) return false;
    if (await this.mergeInProgress(this.projectDir)) await this.git.ok(this.projectDir, ['merge', '--abort']);
    await this.git.ok(this.projectDir, ['reset', '-q', '--mixed', commit]);
    return true;
  }

  private lockOf(agent: string): SerialQueue {
    let lock = this.agentLocks.get(agent);
    if (!lock) this.agentLocks.set(agent, (lock = new SerialQueue()));
    return lock;
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
