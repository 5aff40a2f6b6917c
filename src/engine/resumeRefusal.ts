// `megatest resume --checkpoint ID` refused before anything is touched, for
// the resume in place (orchestrator.ts) and the branch of a finished run
// (src/cli/resumeBranch.ts) alike: a checkpoint that is not there (or an id
// that is none) is the command wrong, a UsageError, exit 2; one that is there
// and fails its checks is the folder damaged, exit 1, as `megatest restore`
// and `megatest checkpoints verify` say it (docs/recovery.md).

import { UsageError } from '../config/errors.js';
import { RunFileReadError } from '../io/readError.js';

export function namedCheckpointRefusal(named: string, reason: string, checkpointsDir: string): Error {
  const message = `megatest resume --checkpoint ${named}: refused: ${reason}`;
  if (/\bno such checkpoint\b|is not a checkpoint id/.test(reason)) return new UsageError(message);
  return new RunFileReadError(message, checkpointsDir, 'damaged');
}
