// `megatest restore [SESSION|DIR] --checkpoint ID [--yes] [--to OUTDIR]`.
//
// A running session is restored through its control API, as the console's
// `r` does. When the orchestrator is gone (finished, crashed, killed) the
// restore is done here, offline: project/ is put back to the checkpoint byte
// for byte (after every blob it names was read back and checked against its
// sha256), asking first on a terminal unless --yes. `--to OUTDIR` writes the
// checkpoint's tree to another folder instead and never touches the run.
//
// An offline restore is recorded as one line appended to session.log, and
// nowhere else: events.jsonl of an ended run stays as it was (no event may
// follow session_ended), and the report still describes the run as it ended.

import { appendFileSync, closeSync, mkdirSync, openSync, readSync, fstatSync } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { makeDirsSync } from '../io/makeDirs.js';
import path from 'node:path';
import { UsageError } from '../config/errors.js';
import { withJsonFailure } from './jsonFailure.js';
import { checkpointArg } from './checkpointArg.js';
import { CheckpointInvalidError, CheckpointStore, type LoadedCheckpoint, type RestoreResult } from '../checkpoint/store.js';
import { readStatus, requireRunsDir, runPaths } from '../io/runFolder.js';
import { parseCommandArgs } from './parseOptions.js';
import { isOrchestratorAlive, resolveSession } from '../io/sessions.js';
import { takeRunLock } from '../io/runLock.js';
import { runControlCommand } from './controlCommands.js';
import { refuseLegacyFolder } from './legacyRefusal.js';
import { runsDirFor } from './runsDir.js';
import { confirm } from './confirm.js';
import { errorText, isDiskWriteError } from '../io/writeHealth.js';

export const RESTORE_HELP = `usage: megatest restore [SESSION|DIR] --checkpoint ID [--runs-dir DIR] [--json]
       megatest restore DIR --checkpoint ID [--yes]
                                              (the run's orchestrator is gone)
       megatest restore DIR --checkpoint ID --to OUTDIR
                                              (any run; the run is not touched)

  ID is the checkpoint's id (checkpoint_003) or its number alone (3).
  A running session is put back to the checkpoint through its control API.
  A finished, crashed or killed one has project/ put back offline, byte for
  byte, after every blob the checkpoint names was checked against its sha256;
  on a terminal it asks first, otherwise it needs --yes. The restore is noted
  in session.log; events.jsonl and the report are left as they were.
  --to OUTDIR writes the checkpoint's tree (without .git and node_modules) to
  OUTDIR, which must not exist or be empty, and outside the run folder.

  exit 0 restored; 1 the checkpoint is unusable, the restore failed or was
  declined; 2 bad input.`;

const OPTIONS = {
  checkpoint: { type: 'string' },
  to: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  'runs-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function restoreCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('restore', argv, OPTIONS);
  if (values.help) {
    process.stdout.write(RESTORE_HELP + '\n');
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`megatest restore: expected at most one SESSION or DIR (got ${positionals.join(' ')})`);
  if (values['runs-dir'] !== undefined) requireRunsDir('restore', values['runs-dir']);
  const runsDir = await runsDirFor('restore', values['runs-dir']);
  const session = positionals[0];
  // Before its --checkpoint is read: the original runner's checkpoint names are no megatest ids, and it has none to restore.
  if (session !== undefined) refuseLegacyFolder('restore', resolveSession(session, runsDir));
  if (values.checkpoint === undefined) throw new UsageError('megatest restore: --checkpoint ID is required (e.g. --checkpoint checkpoint_003, or 3)');
  const checkpoint = checkpointArg('restore', values.checkpoint);
  if (values.to === undefined && (session === undefined || isOrchestratorAlive(resolveSession(session, runsDir)))) {
    return runControlCommand('restore', { session, runsDir, checkpoint, json: values.json });
  }
  if (session === undefined) throw new UsageError('megatest restore --to: name the run folder (megatest restore DIR --checkpoint ID --to OUTDIR)');
  const runDir = resolveSession(session, runsDir);
  // Their failures are said on stderr and returned: with --json the object goes to stdout too (a thrown one gets it from main.ts).
  const json = values.json === true;
  if (values.to !== undefined) return withJsonFailure(json, () => exportCheckpoint(runDir, checkpoint, values.to!, json));
  return withJsonFailure(json, () => restoreOffline(runDir, checkpoint, values.yes === true, json));
}

/** Loads the checkpoint (file, checksum, manifest, blobs present); null after saying why it cannot be used. */
async function loadCheckpoint(store: CheckpointStore, id: string): Promise<LoadedCheckpoint> {
  try {
    return await store.read(id);
  } catch (error) {
    if (error instanceof CheckpointInvalidError && error.reason.startsWith('no such checkpoint')) {
      throw new UsageError(`megatest restore: --checkpoint ${id}: ${error.reason}`);
    }
    throw error;
  }
}

async function restoreOffline(runDir: string, id: string, yes: boolean, json: boolean): Promise<number> {
  const paths = runPaths(runDir);
  const store = new CheckpointStore(paths.checkpoints);
  const loaded = await readOrSay(store, id);
  if (loaded === null) return 1;
  const body = loaded.body;
  const files = body.file_system_state.entries.filter((entry) => entry.type === 'file').length;
  if (!yes) {
    if (!process.stdin.isTTY) {
      throw new UsageError(`megatest restore: refusing to replace ${paths.project} without confirmation (no terminal to ask on); add --yes`);
    }
    const question = `Put ${paths.project} back to ${loaded.id} (phase ${body.phase}, ${files} files, taken ${body.timestamp})? What changed since is lost. [y/N] `;
    if (!(await confirm(question))) {
      process.stderr.write('megatest restore: not restored\n');
      return 1;
    }
  }
  // A `megatest resume` may have started the run again while we asked.
  if (isOrchestratorAlive(runDir)) {
    process.stderr.write(`megatest restore: the orchestrator of ${runDir} started meanwhile; nothing was changed (run the command again to restore through it)\n`);
    return 1;
  }
  let result: RestoreResult;
  // Held while project/ is put back: a resume started meanwhile waits for nothing, and is refused rather than run over it.
  const lock = takeRunLock(runDir, 'restore');
  try {
    result = await store.restore(paths.project, body.file_system_state.entries, { checkpointId: loaded.id });
  } catch (error) {
    // A full disk was a stack trace: said in one line, with what it means for project/ (restore.ts stages every file first).
    if (isDiskWriteError(error)) {
      process.stderr.write(`megatest restore: ${loaded.id} not restored: the disk refused a write (${errorText(error)}); ${paths.project} was left as it was; free some space and run it again\n`);
      return 1;
    }
    if (!(error instanceof CheckpointInvalidError)) throw error;
    process.stderr.write(`megatest restore: ${error.message}\n`);
    return 1;
  } finally {
    lock.release();
  }
  const status = readStatus(runDir) ?? 'unknown';
  appendLogLine(
    paths.sessionLog,
    `project/ put back to ${loaded.id} offline by megatest restore (${result.written} written, ${result.deleted} removed, ${Math.round(result.ms)} ms; orchestrator gone, status ${status}); events.jsonl and the report still describe the run as it ended`,
  );
  const summary = { restored: loaded.id, to: paths.project, offline: true, written: result.written, deleted: result.deleted, ms: Math.round(result.ms) };
  process.stdout.write(
    json
      ? JSON.stringify(summary, null, 2) + '\n'
      : `restored ${loaded.id} into ${paths.project} offline: ${result.written} written, ${result.deleted} removed, ${summary.ms} ms (noted in session.log)\n`,
  );
  return 0;
}

async function exportCheckpoint(runDir: string, id: string, to: string, json: boolean): Promise<number> {
  const target = path.resolve(to);
  const relative = path.relative(runDir, target);
  if (relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))) {
    throw new UsageError(`--to ${to}: lies inside the run folder ${runDir}; choose a folder outside it`);
  }
  const existing = await stat(target).catch(() => null);
  if (existing !== null && !existing.isDirectory()) throw new UsageError(`--to ${to}: is a file; give a new or empty folder`);
  if (existing !== null && (await readdir(target)).length > 0) throw new UsageError(`--to ${to}: is not empty; give a new or empty folder`);

  const store = new CheckpointStore(runPaths(runDir).checkpoints);
  const loaded = await readOrSay(store, id);
  if (loaded === null) return 1;
  // Checked read-only first: a restore that meets a bad blob sets it aside in
  // the run's checkpoints/, and an export must not touch the run.
  const verified = await store.verify(loaded.id);
  if (!verified.usable) {
    process.stderr.write(`megatest restore: checkpoint ${loaded.id} cannot be used: ${verified.reason}; ${to} was not written\n`);
    return 1;
  }
  // Built under a hidden name beside OUTDIR and renamed into place: OUTDIR holds the whole tree or stays as it was.
  try {
    makeDirsSync(path.dirname(target));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new UsageError(`--to ${to}: a part of that path is a file, not a folder`);
    throw new UsageError(`--to ${to}: cannot make the folder it goes in (${code ?? (error as Error).message})`);
  }
  const staging = path.join(path.dirname(target), `.${path.basename(target)}.megatest-restore.${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  // Made here, on its own: a place that takes no new folder is said now, in one line. (Node 20's recursive
  // mkdir, which the restore uses below, loops for ever where mkdir answers ENOENT under a folder that exists, as in /proc.)
  try {
    mkdirSync(staging, { mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`--to ${to}: cannot be made there (ENOENT: that file system holds no new folders, as under /proc)`);
    throw new UsageError(`--to ${to}: cannot write there (${code ?? (error as Error).message})`);
  }
  let result: RestoreResult;
  try {
    // Its contents are staged beside OUTDIR too, not in the run's checkpoints/.
    result = await store.restore(staging, loaded.body.file_system_state.entries, { checkpointId: loaded.id, stageIn: path.dirname(target) });
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (isDiskWriteError(error)) {
      process.stderr.write(`megatest restore: ${loaded.id} not written to ${to}: the disk refused a write (${errorText(error)}); free some space and run it again\n`);
      return 1;
    }
    if (!(error instanceof CheckpointInvalidError)) throw error;
    process.stderr.write(`megatest restore: ${error.message}; ${to} was not written\n`);
    return 1;
  }
  const summary = { restored: loaded.id, to: target, offline: true, written: result.written, deleted: 0, ms: Math.round(result.ms) };
  process.stdout.write(json ? JSON.stringify(summary, null, 2) + '\n' : `wrote ${loaded.id} of ${runDir} to ${target}: ${result.written} files and links, ${summary.ms} ms\n`);
  return 0;
}

/** The checkpoint, or null after one line saying why it cannot be used; a checkpoint that does not exist is bad input. */
async function readOrSay(store: CheckpointStore, id: string): Promise<LoadedCheckpoint | null> {
  try {
    return await loadCheckpoint(store, id);
  } catch (error) {
    if (!(error instanceof CheckpointInvalidError)) throw error;
    process.stderr.write(`megatest restore: ${error.message}\n`);
    return null;
  }
}

/** Appends a session.log line, after a newline if a killed writer left the last line torn. */
function appendLogLine(file: string, message: string): void {
  let torn = false;
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size > 0) {
        const last = Buffer.alloc(1);
        readSync(fd, last, 0, 1, size - 1);
        torn = last[0] !== 0x0a;
      }
    } finally {
      closeSync(fd);
    }
  } catch {
    // no session.log yet: it is made with this line
  }
  appendFileSync(file, `${torn ? '\n' : ''}${new Date().toISOString()} INFO  [restore] ${message}\n`);
}
