// The reference tools bench/checkpoint.mjs times beside the checkpoint store,
// on the same tree in the same run: `cp -a`, git (a repository whose work
// tree is the project: `git add -A` + `git commit`, its index a stat cache
// like the store's) and restic (a local repository, its default settings:
// content-defined chunks, compression on, parent snapshot by path). A tool
// that is not installed is reported as such, never given a figure.

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, renameSync } from 'node:fs';
import path from 'node:path';

let discarded = 0;

/**
 * Moves a tree out of the way (into `.discarded/` beside it) instead of
 * deleting it; the bench deletes its whole scratch folder once, at the end.
 * This machine's ext4 has no journal, and then the kernel will not reuse an
 * inode freed in the last minute or so (ext4's recently_deleted()): each new
 * file's allocation steps over every such inode, so a timed step that
 * creates files right after a tree of thousands was deleted pays 3-10x its
 * quiet cost (perf: find_inode_bit, recently_deleted). A tool timed right
 * after a delete was measured against the delete, not against its peers.
 */
export function discard(target) {
  if (!existsSync(target)) return;
  const aside = path.join(path.dirname(target), '.discarded');
  mkdirSync(aside, { recursive: true });
  discarded += 1;
  renameSync(target, path.join(aside, `${path.basename(target)}.${discarded}`));
}

function run(command, args, options = {}) {
  const started = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  const ms = performance.now() - started;
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${(result.stderr ?? '').slice(0, 2000)}`);
  return { ms, stdout: result.stdout };
}

function installed(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim().split('\n')[0] : null;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** cp -a of source to target (an old one set aside first); its wall time in ms. */
export function cpA(source, target) {
  discard(target);
  return run('cp', ['-a', source, target]).ms;
}

/**
 * Creates `count` empty files in 256 folders under target, as the store lays
 * out one file a blob, and returns the milliseconds: what the file system
 * alone charges for that many new files, whatever is written in them (on
 * this VM's ext4 about 0.1 ms each, against 0.01 ms on tmpfs).
 */
export function createEmptyFiles(target, count) {
  discard(target);
  for (let folder = 0; folder < 256; folder += 1) mkdirSync(path.join(target, folder.toString(16).padStart(2, '0')), { recursive: true });
  const started = performance.now();
  for (let index = 0; index < count; index += 1) closeSync(openSync(path.join(target, (index % 256).toString(16).padStart(2, '0'), `f${index}`), 'wx'));
  return performance.now() - started;
}

/** A git repository kept in its own folder, whose work tree is `project`. */
export class GitRef {
  static version() {
    return installed('git', ['--version']);
  }

  constructor(gitDir, project) {
    this.env = { ...process.env, GIT_DIR: gitDir, GIT_WORK_TREE: project, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.invalid', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.invalid' };
    this.gitDir = gitDir;
    this.project = project;
    this.commits = 0;
  }

  init() {
    discard(this.gitDir);
    mkdirSync(path.dirname(this.gitDir), { recursive: true });
    run('git', ['init', '-q'], { env: this.env });
  }

  /** `git add -A && git commit`: one checkpoint of the work tree; its wall time. */
  commit() {
    this.commits += 1;
    const add = run('git', ['add', '-A'], { env: this.env, cwd: this.project });
    // gc.auto=0: no background repack moving objects while their size is counted
    const commit = run('git', ['-c', 'gc.auto=0', 'commit', '-q', '--allow-empty', '--no-verify', '-m', `checkpoint ${this.commits}`], { env: this.env, cwd: this.project });
    return add.ms + commit.ms;
  }
}

/** A local restic repository holding snapshots of `project`. */
export class ResticRef {
  static version() {
    return installed('restic', ['version']);
  }

  constructor(repo, project, cacheDir) {
    this.repo = repo;
    this.project = project;
    this.env = { ...process.env, RESTIC_PASSWORD: 'bench', RESTIC_REPOSITORY: repo, RESTIC_CACHE_DIR: cacheDir };
  }

  init() {
    discard(this.repo);
    run('restic', ['init', '--quiet'], { env: this.env });
  }

  /** One backup of the project; its wall time. */
  backup() {
    return run('restic', ['backup', '--quiet', this.project], { env: this.env }).ms;
  }

  /** Id of the oldest snapshot. */
  firstSnapshot() {
    const snapshots = JSON.parse(run('restic', ['snapshots', '--json'], { env: this.env }).stdout);
    snapshots.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    return snapshots[0].id;
  }

  /** `restic check --read-data`: every pack of the repository read and checked against its hashes; its wall time. */
  checkReadData() {
    return run('restic', ['check', '--read-data', '--quiet'], { env: this.env }).ms;
  }

  /** Restores a snapshot (the newest by default) into target (an old one set aside first); its wall time. */
  restore(target, snapshot = 'latest') {
    discard(target);
    return run('restic', ['restore', snapshot ?? 'latest', '--quiet', '--target', target], { env: this.env }).ms;
  }
}
