// How one task run of a CLI agent ended, judged from what it said (its
// outcome message) and how its process ended (the spec reads the exit code):
// done, a failure of the task, or a crash of the agent.

import type { CliAgentSpec } from './cliSpec.js';
import type { TaskEnd } from './taskProcess.js';
import type { AgentMessage, TaskOutcome } from './types.js';

/** An error event quotes this much of what the agent said about its failure (output.log has all of it). */
const DETAIL_CHARS = 2000;

/** failed: the error's message, which names the task, and its cause, which does not (what is classified). */
export type TaskVerdict = { kind: 'done' } | { kind: 'crash' } | { kind: 'failed'; message: string; cause: string; errorClass?: string };

export interface TaskEndInput {
  objective: string;
  /** The first outcome the agent reported, if any. */
  stream: Extract<AgentMessage, { type: 'outcome' }> | null;
  end: TaskEnd;
  /** megatest ended the process itself because it lingered after its outcome. */
  endedAfterOutcome: boolean;
  spec: CliAgentSpec;
  binary: string;
}

export function describeEnd(end: TaskEnd): string {
  return end.spawnError ?? (end.signal ? `signal ${end.signal}` : `exit code ${end.code}`);
}

export function judgeTaskEnd(input: TaskEndInput): TaskVerdict {
  const { stream, end, objective } = input;
  if (end.spawnError) {
    const cause = `cannot start the agent program ${input.binary}: ${end.spawnError}`;
    return { kind: 'failed', message: cause, cause };
  }
  let result: { outcome: TaskOutcome; errorClass?: string; detail: string } = stream
    ? { outcome: stream.outcome, detail: stream.detail ?? '' }
    : input.spec.outcomeOfExit(end.code, end.signal);
  if (result.outcome === 'succeeded') return { kind: 'done' };
  if (result.errorClass === 'agent_crash') return { kind: 'crash' };
  // Killed by someone else, or interrupted without megatest asking: the agent crashed, unless the exit
  // code says what stopped it (selfware's 124: its time limit) -- then the task failed for that reason.
  const byOthers = !input.endedAfterOutcome;
  if (byOthers && ((stream === null && end.signal !== null) || result.outcome === 'interrupted')) {
    const exit = input.spec.outcomeOfExit(end.code, end.signal);
    if (exit.errorClass === undefined || exit.errorClass === 'agent_crash' || exit.outcome === 'succeeded') return { kind: 'crash' };
    result = { outcome: exit.outcome, errorClass: exit.errorClass, detail: [...new Set([result.detail, exit.detail])].filter(Boolean).join('; ') };
  }
  const label = result.outcome === 'max_turns' ? 'stopped at its turn limit' : result.outcome;
  // A run that reported no outcome may have said why on stderr (a wrapper's "node: No such file or directory").
  const clue = stream === null && end.stderrClue !== undefined ? `stderr: ${end.stderrClue}` : '';
  const said = [result.detail, clue].filter(Boolean).join('; ');
  const detail = said.length > DETAIL_CHARS ? `${said.slice(0, DETAIL_CHARS)}… (cut)` : said;
  const cause = `${label} (${describeEnd(end)})${detail ? `: ${detail}` : ''}`;
  const message = `task "${objective}" ${cause}`;
  return result.errorClass === undefined ? { kind: 'failed', message, cause } : { kind: 'failed', message, cause, errorClass: result.errorClass };
}
