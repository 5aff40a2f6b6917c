// `megatest resume DIR` on a finished run (completed, failed, timeout)
// branches instead of overwriting: the run goes on from checkpoint K in a new
// run folder `<id>-from-<K>` beside the original, optionally with another
// agent or model, and the original's files never change.
//
// The new folder is built under a hidden name and renamed into place whole
// (as `megatest run` makes its folder), so a kill leaves either no branch or
// a complete one, which the orchestrator then resumes like a crashed run:
// - events.jsonl: the original's events up to checkpoint K, its first line
//   (session_started) naming the branch and `resumed_from` (branchHistory.ts);
// - checkpoints/: the original's checkpoint files up to K, byte for byte, and
//   hard links to the blobs they name (copies across file systems). Blobs are
//   never written in place (a new blob is a temp file renamed into place), so
//   sharing their inodes cannot change the original; K's blobs are all read
//   back and checked against their sha256 first;
// - config.json, project_prompt.txt: the original's config with the new
//   session id and the agent or model asked for;
// - project/ is empty: the resume restores checkpoint K into it.

import { copyFile, link, lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { agentKindProblem } from './flagValues.js';
import { UsageError } from '../config/errors.js';
import { AGENT_KINDS, type AgentKind, type MegatestConfig } from '../config/types.js';
import { CheckpointStore, type CheckpointVerification } from '../checkpoint/store.js';
import { readRunInfo, type RunInfo } from '../io/runInfo.js';
import { readStatus, runPaths, validateSessionId } from '../io/runFolder.js';
import { RunFileReadError } from '../io/readError.js';
import { namedCheckpointRefusal } from '../engine/resumeRefusal.js';
import type { SessionStatus } from '../contract/statuses.js';
import { copyHistory, copyMetricsHistory, type HistoryCut } from './branchHistory.js';
import { describeRun } from './runSession.js';

/** A run with one of these statuses is over: resuming it branches. interrupted and crashed runs resume in place. */
export const FINISHED_STATUSES: readonly SessionStatus[] = ['completed', 'failed', 'timeout'];

export function isFinishedRun(runDir: string): boolean {
  const status = readStatus(runDir);
  return status !== null && FINISHED_STATUSES.includes(status);
}

export interface BranchOptions {
  /** The checkpoint to continue from; default the newest one whose blobs all verify. */
  checkpoint?: string;
  agent?: string;
  agentCmd?: string;
  model?: string;
  /** One line per step worth telling (skipped checkpoints, what was made). */
  say?: (line: string) => void;
}

export interface Branch {
  dir: string;
  sessionId: string;
  checkpointId: string;
  cut: HistoryCut;
  /** Blobs hard-linked, and copied where a link was refused (another file system). */
  linkedBlobs: number;
  copiedBlobs: number;
}

/** Makes `<id>-from-<K>` beside runDir, ready for the orchestrator to resume from checkpoint K. */
export async function prepareBranch(runDir: string, options: BranchOptions = {}): Promise<Branch> {
  const say = options.say ?? (() => undefined);
  const original = runPaths(runDir);
  const info = readRunInfo(original.root);
  // The cheap refusals (a bad --agent) before the blobs are read back.
  const config = branchConfig(info, options);
  const store = new CheckpointStore(original.checkpoints);
  const from = await chooseCheckpoint(store, original.root, options.checkpoint, say);
  const number = Number(from.id.slice('checkpoint_'.length));
  const originalId = path.basename(original.root);
  const sessionId = `${originalId}-from-${number}`;
  validateSessionId(sessionId);
  const parent = path.dirname(original.root);
  const finalDir = path.join(parent, sessionId);
  if (await exists(finalDir)) {
    throw new UsageError(`megatest resume: ${finalDir} already exists (a branch made earlier from ${from.id}); resume that folder, or remove it to branch again`);
  }

  const { info: branchInfo, files } = branchRunFiles(info, config, sessionId, parent);
  const staging = path.join(parent, `.${sessionId}.${process.pid}.creating`);
  await rm(staging, { recursive: true, force: true });
  try {
    const paths = runPaths(staging);
    for (const dir of [paths.root, paths.metricsDir, path.join(paths.checkpoints, 'objects'), paths.agents, paths.project]) await mkdir(dir, { recursive: true });
    for (const [name, content] of Object.entries(files)) await writeFile(path.join(staging, name), content);
    await writeFile(paths.status, 'starting\n');
    const cut = await copyHistory(original.events, paths.events, {
      checkpointId: from.id,
      lastEventSeq: from.body!.last_event_seq,
      rewriteStart: (start) => ({
        ...start,
        session_id: sessionId,
        agent_kind: branchInfo.agent_kind,
        simulated: branchInfo.simulated,
        resumed_from: { run: originalId, checkpoint: from.id },
      }),
    });
    await copyMetricsHistory(original.metricsHistory, paths.metricsHistory, cut.lastTs);
    const blobs = await shareCheckpoints(original.checkpoints, paths.checkpoints, number);
    const agentNote = branchInfo.agent_kind !== info.agent_kind || branchInfo.config.agents.models.join(',') !== info.config.agents.models.join(',')
      ? `; agent ${branchInfo.agent_kind}, model ${branchInfo.config.agents.models[0] ?? branchInfo.config.agent.model}`
      : '';
    await writeFile(
      paths.sessionLog,
      `${new Date().toISOString()} INFO  [resume] branched from ${original.root} at ${from.id} (events up to seq ${cut.lastSeq} copied, ${blobs.linked + blobs.copied} blobs shared${agentNote}); the original run is left as it was\n`,
    );
    await rename(staging, finalDir);
    say(`branching ${originalId} (${readStatus(original.root)}) from ${from.id} into ${finalDir}`);
    return { dir: finalDir, sessionId, checkpointId: from.id, cut, linkedBlobs: blobs.linked, copiedBlobs: blobs.copied };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** The named checkpoint if it verifies, else the newest that does; every blob read back against its sha256. */
export async function chooseCheckpoint(store: CheckpointStore, runDir: string, named: string | undefined, say: (line: string) => void): Promise<CheckpointVerification> {
  if (named !== undefined) {
    const verified = await store.verify(named);
    if (!verified.usable) throw namedCheckpointRefusal(named, `checkpoint ${verified.id} cannot be used: ${verified.reason}`, path.join(runDir, 'checkpoints'));
    return verified;
  }
  // The ids alone (one readdir): verify reads each checkpoint it is given, so list() read every manifest once more (3.2 s for 20 checkpoints of 50,000 files).
  let skipped = 0;
  for (const id of (await store.ids()).reverse()) {
    const verified = await store.verify(id);
    if (verified.usable) return verified;
    say(`${id} skipped: ${verified.reason}`);
    skipped += 1;
  }
  // Checkpoints there, none usable: the folder is damaged (exit 1, as a failed read), not the command wrong (exit 2).
  const message = `megatest resume: ${runDir} has ended and has no usable checkpoint to continue from (see megatest checkpoints verify ${runDir})`;
  if (skipped > 0) throw new RunFileReadError(message, path.join(runDir, 'checkpoints'), 'damaged');
  throw new UsageError(`megatest resume: ${runDir} has ended and has no usable checkpoint to continue from (see megatest checkpoints verify ${runDir})`);
}

/** The original's config with the agent or model asked for. */
function branchConfig(info: RunInfo, options: BranchOptions): MegatestConfig {
  const config: MegatestConfig = structuredClone(info.config);
  if (options.agent !== undefined) {
    if (!(AGENT_KINDS as readonly string[]).includes(options.agent)) {
      throw new UsageError(agentKindProblem(options.agent, AGENT_KINDS));
    }
    // The original's models were for its own kind: a branch handed to another kind without --model starts on that program's default (see withModels in config/load.ts).
    if (options.agent !== config.agents.kind && options.model === undefined) config.agents = { ...config.agents, models: [''] };
    config.agents = { ...config.agents, kind: options.agent as AgentKind };
  }
  if (options.agentCmd !== undefined) {
    if ((options.agent ?? config.agents.kind) !== 'command') throw new UsageError('--agent-cmd is only for --agent command');
    config.agents = { ...config.agents, command: options.agentCmd };
  }
  if (options.model !== undefined) {
    if (options.model.trim() === '') throw new UsageError('--model needs a model name');
    config.agents = { ...config.agents, models: [options.model] };
    config.agent = { ...config.agent, model: options.model };
  }
  // what describeRun refuses (a kind without an adapter, command without its command line), refused now
  describeRun(config, info.session_id, options.agentCmd === undefined ? undefined : '--agent-cmd');
  return config;
}

/** The branch's config.json and prompt: the branch config under the branch's session id. */
function branchRunFiles(info: RunInfo, branch: MegatestConfig, sessionId: string, runsDir: string): { info: RunInfo; files: Record<string, string> } {
  const config: MegatestConfig = { ...branch, session: { ...branch.session, session_id: sessionId, runs_dir: runsDir } };
  const described = describeRun(config, sessionId);
  // Work a simulation did stays labelled: a branch of a sim run is SIMULATED even when a real agent goes on.
  const branchInfo: RunInfo = { ...described.info, simulated: described.info.simulated || info.simulated };
  return { info: branchInfo, files: { ...described.files, 'config.json': JSON.stringify(branchInfo, null, 2) + '\n' } };
}

/**
 * Copies checkpoint files 1..upTo (byte for byte) and hard-links every blob
 * they name into the branch's objects/ (a copy where the file system refuses
 * a link). A checkpoint file that cannot be parsed is copied as it is.
 */
async function shareCheckpoints(fromDir: string, toDir: string, upTo: number): Promise<{ linked: number; copied: number }> {
  const names = (await readdir(fromDir).catch(() => [] as string[])).filter((name) => {
    const match = /^checkpoint_(\d{1,9})\.json$/.exec(name);
    return match !== null && Number(match[1]) <= upTo;
  });
  for (const name of names) await copyFile(path.join(fromDir, name), path.join(toDir, name));
  // The blobs of every usable checkpoint up to K: its files' and its folder
  // listings'. A damaged checkpoint stays damaged in the branch; its blobs are not needed.
  const store = new CheckpointStore(fromDir);
  const blobs = await store.blobsNamedBy((await store.ids()).filter((id) => Number(id.slice('checkpoint_'.length)) <= upTo));
  let linked = 0;
  let copied = 0;
  const madeDirs = new Set<string>();
  for (const sha256 of blobs) {
    const relative = path.join('objects', sha256.slice(0, 2), sha256.slice(2));
    const source = path.join(fromDir, relative);
    const target = path.join(toDir, relative);
    if (!madeDirs.has(path.dirname(target))) {
      await mkdir(path.dirname(target), { recursive: true });
      madeDirs.add(path.dirname(target));
    }
    try {
      await link(source, target);
      linked += 1;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue; // missing in the original too: that checkpoint was already unusable
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
      await copyFile(source, target);
      copied += 1;
    }
  }
  return { linked, copied };
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
