// Worktree isolation: what megatest's own gates (the build, the test and
// coverage runs, the benchmark it runs in project/ to measure and judge it)
// leave there is not the agents' work. project/ is main: only merges write
// it, and before a merge whatever else changed there is committed
// (Worktrees.commitMainLeftovers), as is everything at a phase's end. A
// build's dist/ or a test run's caches that the project's .gitignore does not
// name were committed to main that way, and from main into every agent's
// branch. So the files a gate run makes that git does not track are added to
// project/'s info/exclude (outside the tree, shared by the worktrees: an
// agent's own build there is left out too), and while a gate runs a leftover
// commit takes only the tracked files' changes (its output half written is
// not known yet).

import { addToExclude } from './gitExcludes.js';
import { gitTimed } from './gitRun.js';

const HEADER = "# megatest: what its own gates (build, tests, benchmark) wrote in project/, not the agents' work";

export class GateOutput {
  private running = 0;

  constructor(private readonly projectDir: string) {}

  /** A gate is running in project/: its output is not known yet. */
  get busy(): boolean {
    return this.running > 0;
  }

  /** Runs one gate command; what it made that git does not track is excluded from megatest's commits after. */
  async around<T>(run: () => Promise<T>): Promise<T> {
    const before = await this.untracked();
    this.running += 1;
    try {
      return await run();
    } finally {
      this.running -= 1;
      const after = await this.untracked();
      // Unknown (git failed) before: nothing is excluded, as a person's files may be among them.
      if (before !== null && after !== null) {
        const made = [...after].filter((entry) => !before.has(entry)).map((entry) => `/${entry}`);
        await addToExclude(this.projectDir, made, HEADER).catch(() => []);
      }
    }
  }

  /** What git does not track and does not ignore: a folder wholly untracked as one entry ("dist/"). */
  private async untracked(): Promise<Set<string> | null> {
    const result = await gitTimed(this.projectDir, ['ls-files', '--others', '--exclude-standard', '--directory', '-z']);
    return result.code === 0 ? new Set(result.stdout.split('\0').filter((entry) => entry !== '')) : null;
  }
}
