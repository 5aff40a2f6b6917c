// Whether the run folder is still this session's. A person may delete a run
// folder (`rm -rf runs/x`) while its orchestrator runs on detached, after
// the console was closed. The orchestrator writes events.jsonl and
// session.log through descriptors it holds, into files no longer in any
// folder, but everything else by path: the agents went on working (and
// spending) in a project/ they made again, status and metrics files
// appeared in a folder that was not there, and a new run started at the same
// path got the old one's files mixed into its own. events.jsonl is the run's
// identity: once the file at its path is gone, or is another file, the
// session has no folder, and the orchestrator stops its agents and ends
// without writing anything more there. (The event log's descriptor, held
// for the whole session, keeps the file's inode from going to another file.)

import { statSync } from 'node:fs';

export class RunFolderWatch {
  private readonly identity: { dev: number; ino: number } | null;

  constructor(private readonly eventsPath: string) {
    const stats = statSync(eventsPath, { throwIfNoEntry: false });
    this.identity = stats === undefined ? null : { dev: stats.dev, ino: stats.ino };
  }

  /** Why the run folder is no longer this session's, or null while it is (or cannot be told: any error but a missing path). */
  gone(): string | null {
    if (this.identity === null) return null;
    let stats;
    try {
      stats = statSync(this.eventsPath, { throwIfNoEntry: false });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A folder in the path replaced by a file; anything else (EIO, EACCES) says nothing of the folder's fate.
      return code === 'ENOTDIR' ? `${this.eventsPath} is gone (a file stands where the run folder was)` : null;
    }
    if (stats === undefined) return `${this.eventsPath} is gone (the run folder was deleted or moved)`;
    if (stats.dev !== this.identity.dev || stats.ino !== this.identity.ino) return `${this.eventsPath} is another file now (the run folder was replaced)`;
    return null;
  }
}
