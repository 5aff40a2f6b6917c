// The checkpoint a person names after --checkpoint: its id (checkpoint_003)
// or its number alone (3, as a branch's folder <id>-from-3 and the console's
// picker count them).

import { UsageError } from '../config/errors.js';

/**
 * The id as the store writes it: checkpoint_ and the number, three digits at
 * least (checkpointFiles.formatCheckpointId, not imported: that module
 * brings the store into every command's start-up). Bad input: a UsageError
 * naming the command and the argument.
 */
export function checkpointArg(command: string, value: string): string {
  const digits = /^(?:checkpoint_)?(\d{1,9})$/.exec(value)?.[1];
  if (digits === undefined) {
    throw new UsageError(`megatest ${command}: --checkpoint ${JSON.stringify(value)}: expected a checkpoint id or its number, e.g. checkpoint_003 or 3`);
  }
  return `checkpoint_${String(Number(digits)).padStart(3, '0')}`;
}
