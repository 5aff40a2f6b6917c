// What a CLI agent started after a restore (AgentLaunch.restored) resumes,
// and what it is told. project/ is back at the checkpoint, but a native
// session is the agent's own transcript, kept by the agent, and a restore
// cannot put it back: if the agent went on working after the checkpoint,
// the transcript holds that work, now undone, and an agent resumed on it
// goes on believing files exist that are gone. Telling it is not enough to
// undo what it read and wrote in that conversation, so such a session is not
// resumed: the task starts on a fresh context with its task prompt (the
// files hold everything done up to the checkpoint). A session that cannot
// have gone on (the agent was at rest at the checkpoint and silent since: a
// stopped run's final checkpoint) is resumed as before, unless the kind's
// resume takes no prompt (selfware's): it could not be told. Either way the
// agent's first prompt after the restore says plainly which checkpoint
// project/ went back to, when it was taken, that later changes are gone, and
// to check the files before going on (taskPrompt.ts restoreNotice).

import { NativeSessions } from './nativeSessions.js';
import { restoreNotice } from './taskPrompt.js';
import type { RestoredCheckpoint } from './types.js';

/** The sessions a restore left out, and why: for describeResume's line in session.log. */
export interface SessionsLeftOut {
  checkpoint: string;
  ids: string[];
  why: string;
}

export class AfterRestore {
  /** The native sessions the agent's tasks may resume. */
  readonly sessions: NativeSessions;
  readonly leftOut: SessionsLeftOut | undefined;
  /** The restore, until the agent's first task run has been told of it. */
  private toTell: RestoredCheckpoint | undefined;
  /** Tasks whose recorded session the restore left out, with why for output.log: their next run says so. */
  private readonly outlived = new Map<string, string>();

  constructor(recorded: NativeSessions, restored: RestoredCheckpoint | undefined, kind: string, resumeTakesNoPrompt: boolean) {
    this.toTell = restored;
    const untold = restored !== undefined && !restored.worked_after && resumeTakesNoPrompt;
    const leftOut = restored !== undefined && (restored.worked_after || untold) && recorded.ids().length > 0 ? restored : undefined;
    if (leftOut === undefined) {
      this.sessions = recorded;
      this.leftOut = undefined;
      return;
    }
    const said = untold ? 'could not be told of it' : 'went on after that checkpoint';
    for (const objective of recorded.objectives()) this.outlived.set(objective, `fresh context after the restore to ${leftOut.id}: its session ${said}`);
    const one = recorded.ids().length === 1;
    const why = untold ? `cannot be told of the restore (${kind} resumes a session without a prompt)` : `went on after it and ${one ? 'holds' : 'hold'} work the restore undid`;
    this.leftOut = { checkpoint: leftOut.id, ids: recorded.ids(), why };
    this.sessions = new NativeSessions();
  }

  /** For a run of `objective` about to start: the notice its prompt begins with (none once told), and why its session was left out (none if not). */
  forRun(objective: string, resuming: boolean): { notice: string | undefined; outlived: string | undefined } {
    const outlived = this.outlived.get(objective);
    const notice = this.toTell ? restoreNotice(this.toTell, resuming ? 'continues' : outlived !== undefined ? 'not carried over' : 'none') : undefined;
    return { notice, outlived };
  }

  /** The run of `objective` started with its prompt: told once, the agent's first run; later runs start from files it has been told to check. */
  told(objective: string): void {
    this.toTell = undefined;
    this.outlived.delete(objective);
  }
}
