// A run folder copied whole (cp -a) while the original stays: git's links
// between project/ and the agents' worktrees still name the original. The
// resume's prepare links them to the copy again (src/engine/worktreeLinks.ts)
// before git touches a worktree, writing nothing in the original: the copy's
// worktrees are its own (their work kept), and the original is as it was.
// Before, the resume of the copy failed at start-up ("'megatest/agent-1' is
// already checked out at '<original>/worktrees/agent-1'").

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Worktrees } from '../../../src/engine/worktrees.js';
import { git, read, tempRun, write, type TempRun } from './gitRepo.js';

let run: TempRun | undefined;
let copyRoot: string | undefined;
afterEach(() => {
  run?.remove();
  if (copyRoot) rmSync(copyRoot, { recursive: true, force: true });
  run = undefined;
  copyRoot = undefined;
});

/** Every git link file of a run's worktrees, by path: what must not change in the original. */
function links(root: string, agents: string[]): Record<string, string> {
  const files = agents.flatMap((a) => [path.join(root, 'worktrees', a, '.git'), path.join(root, 'project', '.git', 'worktrees', a, 'gitdir')]);
  return Object.fromEntries(files.map((f) => [f, readFileSync(f, 'utf8')]));
}

describe('a copied run folder', () => {
  it('has its worktrees linked to the copy, their work kept, the original untouched', async () => {
    run = tempRun();
    const agents = ['agent-1', 'agent-2'];
    const original = new Worktrees(run.project, run.worktrees);
    for (const agent of agents) await original.ensure(agent);
    write(path.join(run.worktrees, 'agent-1'), 'notes.md', 'work not yet committed\n');
    const originalLinks = links(run.root, agents);

    copyRoot = mkdtempSync(path.join(tmpdir(), 'megatest-worktrees-copy-'));
    const copy = path.join(copyRoot, 'run');
    execFileSync('cp', ['-a', run.root, copy]);
    const copied = new Worktrees(path.join(copy, 'project'), path.join(copy, 'worktrees'));
    const notes = await copied.prepare([]);
    expect(notes.filter((n) => n.includes('linked to this run folder again'))).toEqual(
      agents.map((a) => `worktree ${a}: its git links named another place (${run!.project}: the run folder was copied or moved); linked to this run folder again`),
    );
    for (const agent of agents) {
      const dir = path.join(copy, 'worktrees', agent);
      const made = await copied.ensure(agent);
      expect(made).toEqual({ dir, created: false });
      expect(git(dir, ['rev-parse', '--path-format=absolute', '--git-common-dir'])).toBe(path.join(copy, 'project', '.git'));
      expect(git(dir, ['rev-parse', '--abbrev-ref', 'HEAD'])).toBe(`megatest/${agent}`);
    }
    expect(read(path.join(copy, 'worktrees', 'agent-1'), 'notes.md')).toBe('work not yet committed\n');
    expect((await copied.list()).map((w) => w.path)).toEqual(agents.map((a) => path.join(copy, 'worktrees', a)));
    // The original: its links as they were, its worktrees its own.
    expect(links(run.root, agents)).toEqual(originalLinks);
    expect((await original.list()).map((w) => w.path)).toEqual(agents.map((a) => path.join(run!.worktrees, a)));
    // A second prepare finds nothing to relink.
    expect((await copied.prepare([])).filter((n) => n.includes('linked to this run folder again'))).toEqual([]);
  });
});
