// Harness compression of a CLI agent's context. None of the CLIs can be told
// to compact from outside, so a compression stops the running task and the
// adapter starts it again on a fresh context with a summary of the work so
// far (the tasks done, the files changed, the last test run). This file
// keeps what a compression needs between tasks (the context the agent last
// reported, the input tokens of its last model call, the last test run) and
// decides what a compression does to the running task and what it reports;
// the adapter keeps the task runs.

import type { NativeSessions } from './nativeSessions.js';
import type { TaskBook } from './taskBook.js';
import { buildWorkSummary } from './taskPrompt.js';
import type { TaskRun } from './taskRun.js';
import type { CompressReport, TestRunNote } from './types.js';
import { describeChangedFiles } from './workSummary.js';

/** What a compression needs of the adapter; the running task is read as it goes (it may end meanwhile). */
export interface CompressionTarget {
  /** The task running now (null: none). */
  running(): TaskRun | null;
  stopping: boolean;
  workDir: string;
  book: TaskBook;
  sessions: NativeSessions;
  terminateGraceMs: number;
}

export class HarnessCompression {
  /** The input tokens of the agent's last model call: its context then, when it reports no context of its own. */
  lastPromptTokens = 0;
  private lastTestRun: TestRunNote | null = null;

  /** contextTokens: the context the agent last reported (0: none reported). */
  constructor(public contextTokens: number) {}

  observeTestRun(run: TestRunNote): void {
    this.lastTestRun = { passed: run.passed, failed: run.failed, failing: run.failing.slice(0, 50) };
  }

  async compress(target: CompressionTarget): Promise<CompressReport> {
    const before = this.contextTokens > 0 ? this.contextTokens : this.lastPromptTokens;
    const source = this.contextTokens > 0 ? 'context report' : 'model call (its input tokens)';
    const task = target.running();
    // A fresh context for every task left, not only the running one: a task that failed on a context overflow
    // ("Prompt is too long") kept its native session, and its retry resumed it (--resume), into the same overflow.
    for (const objective of target.book.remaining()) target.sessions.forget(objective);
    // A run that reported its outcome is over, its process only lingering: nothing to restart.
    if (!task || task.endedBy !== null || task.outcome !== null || target.stopping) {
      this.contextTokens = 0;
      return { tokensBefore: before, tokensAfter: 0, detail: 'harness compression: no task running; the next task starts on a fresh context' };
    }
    const changedFiles = await describeChangedFiles(target.workDir).catch(() => '');
    if (target.running() !== task || task.endedBy !== null) {
      this.contextTokens = 0;
      return { tokensBefore: before, tokensAfter: 0, detail: 'harness compression: the task ended meanwhile; the next task starts on a fresh context' };
    }
    const summary = buildWorkSummary({ phase: target.book.phase, current: task.objective, done: target.book.completed, changedFiles, lastTestRun: this.lastTestRun });
    task.endedBy = 'compress';
    task.summary = summary;
    // A fresh context: the task's native session is not resumed.
    target.sessions.forget(task.objective);
    await task.process?.terminate(target.terminateGraceMs);
    const after = Math.ceil(summary.length / 4);
    this.contextTokens = after;
    this.lastPromptTokens = 0;
    return {
      tokensBefore: before,
      tokensAfter: after,
      detail:
        `harness compression: "${task.objective}" restarted on a fresh context with a summary of the work so far; ` +
        `before is the agent's last ${source}, after an estimate (the summary's ${summary.length} chars / 4), not usage`,
    };
  }
}
