// The checkpoint file's body (DESIGN §7): the seed's SessionCheckpoint plus
// what megatest needs to roll back to it (trigger, last event seq, manifest).

import type { AgentResumeState } from '../agents/types.js';
import type { CheckpointTrigger } from '../contract/events.js';
import type { SessionMetrics } from '../contract/metrics.js';

/** One item of project/ as a snapshot saw it; paths are relative, '/'-separated. */
export interface FileEntry {
  path: string;
  type: 'file' | 'symlink' | 'dir';
  /** Content hash of a file; its blob lives in checkpoints/objects/. */
  sha256?: string;
  /** Bytes of a file's content, of a symlink's target text; 0 for a dir. */
  size: number;
  /** Permission bits (mode & 0o7777). */
  mode: number;
  /** What a symlink points to, exactly as readlink gave it. */
  target?: string;
}

export interface FileSystemState {
  root: 'project';
  /** Folders of project/ left out of the snapshot (.git, node_modules, at any depth). */
  excluded: string[];
  /**
   * The manifest. In a checkpoint file since issue 13 it is not written out:
   * `tree` names the root folder's listing in objects/ (manifestTrees.ts),
   * and reading the checkpoint expands the listings back into entries.
   * Checkpoints written before keep their entries inline and read as before.
   */
  entries: FileEntry[];
  /** sha256 of the root folder's listing, in checkpoint files that store the manifest as listings. */
  tree?: string;
}

export interface CheckpointBody {
  id: string;
  timestamp: string;
  session_id: string;
  phase: string;
  phase_index: number;
  trigger: CheckpointTrigger;
  last_event_seq: number;
  elapsed_seconds: number;
  agent_states: AgentResumeState[];
  working_memory: Record<string, unknown>;
  file_system_state: FileSystemState;
  test_results: unknown;
  metrics: SessionMetrics | null;
  git_commit: string | null;
  /**
   * Worktree isolation only: each agent's branch and the commit its worktree
   * was at (its uncommitted work committed first), so a restore puts every
   * agent back where it was. Absent when the agents share project/.
   */
  worktrees?: { agent: string; branch: string; head: string | null }[];
}
