// The files a conflicting merge of main left in an agent's worktree, and
// whether the agent has settled each (worktrees.ts keeps them from the
// handover until the merge is committed).
//
// git's index cannot say on its own: an agent that `git add`s a file with its
// markers still in it clears the index entry (the markers then reached main),
// and a binary or modify/delete conflict has no markers to look for (doing
// nothing kept one side, and a delete was silently undone). So each file's
// content is hashed at the handover, and a file is settled only when it holds
// no markers and either changed since then (the agent wrote its merge, picked
// a side with `git checkout --theirs`, deleted it) or is no longer unmerged in
// the index (the agent staged its choice: `git add` to keep it as it is,
// `git rm` to delete it).

import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import type { GitResult } from './git.js';

/** file/folder: git moved a file aside as `<path>~<branch>`, the other side having a folder at `<path>`. */
export type ConflictKind = 'text' | 'binary' | 'modify/delete' | 'file/folder';

export interface ConflictFile {
  path: string;
  kind: ConflictKind;
  /** sha256 of the file in the worktree at the handover; null when it was absent. */
  hash: string | null;
}

type Git = (args: string[]) => Promise<GitResult>;

/** A line git writes into a file it could not merge; `=======` alone is too common to count. */
const CONFLICT_MARKER = /^(<{7}|>{7})( |$)/m;

/** Paths unmerged in the index, with the stages each has (1 base, 2 ours, 3 theirs). */
export async function unmergedStages(git: Git): Promise<Map<string, Set<number>>> {
  const result = await git(['ls-files', '-u', '-z']);
  const stages = new Map<string, Set<number>>();
  if (result.code !== 0) return stages;
  for (const entry of result.stdout.split('\0')) {
    // `<mode> <object> <stage>\t<path>`
    const match = /^\d+ [0-9a-f]+ ([123])\t(.+)$/s.exec(entry);
    if (!match) continue;
    const set = stages.get(match[2]!) ?? new Set<number>();
    set.add(Number(match[1]));
    stages.set(match[2]!, set);
  }
  return stages;
}

/** What the merge left in `dir`: each unmerged file, its kind and its content's hash. */
export async function describeConflicts(dir: string, git: Git): Promise<ConflictFile[]> {
  const files: ConflictFile[] = [];
  for (const [file, stages] of await unmergedStages(git)) {
    const content = readOrNull(dir, file);
    // One side's entry missing beside the base: changed on one side, deleted on the other. One side's entry alone, no
    // base, named `<path>~<branch>` beside a folder `<path>`: a file and a folder at one name (not a version to pick).
    const kind: ConflictKind =
      stages.has(1) && !(stages.has(2) && stages.has(3))
        ? 'modify/delete'
        : movedAside(dir, file, stages) !== null
          ? 'file/folder'
          : content !== null && CONFLICT_MARKER.test(content.toString('utf8'))
            ? 'text'
            : 'binary';
    files.push({ path: file, kind, hash: hashOf(content) });
  }
  return files;
}

/**
 * The files of the merge in `dir` not settled yet: any handed file, unmerged
 * path or file changed since HEAD that holds conflict markers (whatever the
 * index says), and any handed or unmerged file with no markers that is still
 * unmerged and unchanged since the handover. `handed` is undefined when the
 * handover's record is gone (an orchestrator restarted mid-merge): an
 * unmerged file without markers then counts as settled only if it is text.
 */
export async function unsettled(dir: string, handed: ConflictFile[] | undefined, git: Git): Promise<string[]> {
  const stages = await unmergedStages(git);
  const byPath = new Map((handed ?? []).map((f) => [f.path, f]));
  const changed = await git(['diff', '--name-only', '-z', 'HEAD']);
  const others = changed.code === 0 ? changed.stdout.split('\0').filter((f) => f !== '') : [];
  const files = [...new Set([...byPath.keys(), ...stages.keys(), ...others])].sort();
  const open: string[] = [];
  for (const file of files) {
    const content = readOrNull(dir, file);
    const marked = content !== null && CONFLICT_MARKER.test(content.toString('utf8'));
    const conflicted = byPath.has(file) || stages.has(file);
    // A file git merged cleanly whose markers came from one side (a test of a merge tool) is the project's own text.
    if (marked && (conflicted || !(await eitherSideMarked(file, git)))) {
      open.push(file);
      continue;
    }
    if (!stages.has(file)) continue;
    const record = byPath.get(file);
    if (record ? hashOf(content) === record.hash : !marked && kindOf(content, stages.get(file)!) !== 'text') open.push(file);
  }
  return open;
}

/** The folder a file git moved aside (`lib~main`, beside the folder `lib/`) was in the way of; null when it is not one. */
function movedAside(dir: string, file: string, stages: Set<number>): string | null {
  if (stages.has(1) || stages.has(2) === stages.has(3)) return null;
  const match = /^(.+)~[^/]+$/.exec(file);
  if (!match) return null;
  try {
    return statSync(path.join(dir, match[1]!)).isDirectory() ? match[1]! : null;
  } catch {
    return null;
  }
}

/** Without the handover's record, for a file with no markers: a text file the agent edited reads as text; a binary one holds a NUL byte. */
function kindOf(content: Buffer | null, stages: Set<number>): ConflictKind {
  if (stages.has(1) && !(stages.has(2) && stages.has(3))) return 'modify/delete';
  return content === null || content.includes(0) ? 'binary' : 'text';
}

async function eitherSideMarked(file: string, git: Git): Promise<boolean> {
  for (const side of ['HEAD', 'MERGE_HEAD']) {
    const shown = await git(['show', `${side}:${file}`]);
    if (shown.code === 0 && CONFLICT_MARKER.test(shown.stdout)) return true;
  }
  return false;
}

/**
 * The file's content as git keeps it: a symbolic link's is the path it names, never what it points to (a link out
 * of the project to a file holding markers kept a resolved conflict open for ever; one to a FIFO or /dev/zero hung
 * or filled the orchestrator's memory); a FIFO, socket or device has none.
 */
function readOrNull(dir: string, file: string): Buffer | null {
  const full = path.join(dir, file);
  try {
    const stat = lstatSync(full);
    if (stat.isSymbolicLink()) return Buffer.from(readlinkSync(full));
    return stat.isFile() ? readFileSync(full) : null;
  } catch {
    return null; // deleted
  }
}

function hashOf(content: Buffer | null): string | null {
  return content === null ? null : createHash('sha256').update(content).digest('hex');
}

/** The phase note's words for the files of one kind: what to do with them. */
export function conflictAdvice(files: ConflictFile[]): string {
  const of = (kind: ConflictKind) => files.filter((f) => f.kind === kind).map((f) => f.path);
  const parts: string[] = [];
  const text = of('text');
  const binary = of('binary');
  const deleted = of('modify/delete');
  const aside = of('file/folder');
  if (text.length > 0) {
    parts.push(`${text.join(', ')}: the conflict markers (<<<<<<< ======= >>>>>>>) are in ${text.length === 1 ? 'it' : 'them'}; edit so both sides' changes are kept and remove every marker.`);
  }
  if (binary.length > 0) {
    parts.push(
      `${binary.join(', ')}: both sides changed ${binary.length === 1 ? 'this file' : 'these files'} and git could not merge them (binary: no markers; your version is in your work dir); pick one version (\`git checkout --ours -- FILE\` or \`git checkout --theirs -- FILE\`, then \`git add FILE\`) or write one that combines both.`,
    );
  }
  if (deleted.length > 0) {
    parts.push(`${deleted.join(', ')}: changed on one side and deleted on the other; decide: keep ${deleted.length === 1 ? 'it' : 'each'} as it should be (\`git add FILE\`) or delete it (\`git rm FILE\`).`);
  }
  for (const file of aside) {
    const folder = file.replace(/~[^/]+$/, '');
    parts.push(
      `${file}: one side has a file ${folder} and the other a folder ${folder}/, which cannot share a name; git moved the file aside to ${file}. ` +
        `Give it a name of its own (\`mv ${file} NEW_NAME\`; git mv refuses a file in conflict) and change what uses it, or delete it (\`git rm ${file}\`).`,
    );
  }
  return parts.join(' ');
}
