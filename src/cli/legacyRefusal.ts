// The commands that need a megatest run (attach, resume, the control
// commands) refuse a folder of the original runner in one line that points to
// what reads it: replay and report. Kept apart from consoleChecks.ts, which
// the control commands do not otherwise load.

import { UsageError } from '../config/errors.js';
import { isLegacyRunFolder, legacyRunner } from '../legacy/detect.js';
import { legacyLiveness, SYSTEM_PIDS } from '../legacy/liveness.js';
import type { ActionName } from './actionResult.js';

/**
 * attach follows a megatest run's own files (events.jsonl, metrics_current.json), and resume goes on from its
 * checkpoints with its agents; a folder of the original runner has none of them (its metrics_current.json is another
 * shape): replay and report read it, converted. Nor has it an orchestrator for the control commands (pause,
 * checkpoint, stop, …) to talk to: they said "orchestrator not running — megatest resume DIR", which resume refuses.
 */
export function refuseLegacyFolder(command: 'attach' | 'resume' | 'checkpoints verify' | ActionName, dir: string): void {
  if (!isLegacyRunFolder(dir)) return;
  const runner = legacyRunner(dir);
  const by = runner === 'bash' ? 'run_mega_test.sh' : runner === 'python' ? 'test_runner.py' : 'the original runner';
  if (command === 'checkpoints verify') {
    // It said "no checkpoints … 0 of 0 usable" and exited 0 beside test_runner.py's checkpoint files: they hold a
    // snapshot of its metrics and a git commit id, no files or checksums to verify; report and replay list them.
    const own = runner === 'python' ? 'its checkpoint files hold metrics and a git commit id, no files or checksums' : `${by} keeps no checkpoint files in it`;
    throw new UsageError(`megatest ${command}: ${dir} is a run folder of ${by}, with no megatest checkpoints to verify (${own}); megatest replay ${dir} and megatest report ${dir} read it`);
  }
  const live = legacyLiveness(dir, SYSTEM_PIDS, Date.now());
  if (live.live) {
    // A run the original runner is still going on with: "nothing to control" read as if it had ended, and a user who
    // wanted it stopped was not told how. megatest has no hold on it; its own terminal has.
    const what =
      command === 'attach'
        ? `megatest status ${dir} shows it as it goes, and megatest replay ${dir} what it has written so far`
        : command === 'resume' || command === 'restore'
          ? `let it finish (or stop it with Ctrl-C where ${by} runs), then megatest replay ${dir} and megatest report ${dir} read it`
          : command === 'stop'
            ? `megatest cannot stop it: stop it with Ctrl-C where ${by} runs; megatest status ${dir} follows it`
            : `the original runner takes no ${command} from outside (only Ctrl-C where ${by} runs stops it); megatest status ${dir} follows it`;
    throw new UsageError(`megatest ${command}: ${dir} is a run of ${by}, still going (${live.why}): ${what}`);
  }
  const why =
    command === 'attach'
      ? `not a megatest session to follow; megatest replay ${dir} shows it`
      : command === 'resume'
        ? `with no megatest checkpoints or agents to go on with; megatest replay ${dir} and megatest report ${dir} read it`
        : command === 'restore'
          ? `with no megatest checkpoint to restore (its own hold no files); megatest replay ${dir} and megatest report ${dir} read it`
          : `with no megatest orchestrator to ${command}: nothing to control; megatest replay ${dir} and megatest report ${dir} read it`;
  throw new UsageError(`megatest ${command}: ${dir} is a run folder of ${by}, ${why}`);
}
