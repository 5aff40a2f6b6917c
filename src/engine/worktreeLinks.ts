// A run folder copied (`cp -a` to another disk, a copy kept aside to try a
// resume on) or moved keeps git's links between project/ and each agent's
// worktree as absolute paths of the old place: worktrees/<agent>/.git names
// <old>/project/.git/worktrees/<agent>, and that folder's gitdir file names
// <old>/worktrees/<agent>/.git. A resume of a copy then failed at start-up
// (`git worktree add … megatest/agent-1 … fatal: 'megatest/agent-1' is
// already checked out at '<old>/worktrees/agent-1'`, a stack trace, the run
// left `recovering`), and git run in the copy's worktrees would have written
// into the original's repository. Before git touches the worktrees, each
// pair is linked again to this run folder, writing only this folder's files
// (`git worktree repair` would write the new path into the original too).

import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { realpathOr } from './worktreeGit.js';

/** Links each worktree under worktreesRoot and its record in projectDir/.git/worktrees to each other; returns what it relinked, for the log. */
export function relinkWorktrees(projectDir: string, worktreesRoot: string): string[] {
  const notes: string[] = [];
  const records = path.join(projectDir, '.git', 'worktrees');
  for (const name of readdirOrNone(worktreesRoot)) {
    const dotGit = path.join(worktreesRoot, name, '.git');
    const pointsTo = gitdirOf(dotGit);
    if (pointsTo === null) continue;
    // git names a worktree's record after its folder (agent-1), with a number added only on a clash: the link's own name finds it.
    const record = path.join(records, path.basename(pointsTo));
    const backLink = path.join(record, 'gitdir');
    if (!existsSync(backLink)) continue;
    const recordOk = realpathOr(pointsTo) === realpathOr(record);
    const backOk = realpathOr(readFileSync(backLink, 'utf8').trim()) === realpathOr(dotGit);
    if (recordOk && backOk) continue;
    writeFileSync(dotGit, `gitdir: ${record}\n`);
    writeFileSync(backLink, `${dotGit}\n`);
    notes.push(`worktree ${name}: its git links named another place (${path.dirname(path.dirname(path.dirname(pointsTo)))}: the run folder was copied or moved); linked to this run folder again`);
  }
  return notes;
}

/** The gitdir a worktree's .git file names (absolute); null when it is no such file. */
function gitdirOf(dotGit: string): string | null {
  try {
    if (!statSync(dotGit).isFile()) return null;
    const named = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
    return named === undefined ? null : path.resolve(path.dirname(dotGit), named);
  } catch {
    return null;
  }
}

function readdirOrNone(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
