// How one task run of a CLI agent ended, judged from what it said (its
// outcome message) and how its process ended (the spec reads the exit code):
// done, a failure of the task, or a crash of the agent.

import type { CliAgentSpec, ExitMeaning } from './cliSpec.js';
import type { TaskEnd } from './taskProcess.js';
import type { AgentMessage } from './types.js';

/** An error event quotes this much of what the agent said about its failure (output.log has all of it). */
const DETAIL_CHARS = 2000;

/**
 * failed: the error's message, which names the task, and its cause, which does not (what is classified);
 * errorClass and fallbackClass: what the exit code says of the failure (ExitMeaning).
 */
export type TaskVerdict = { kind: 'done' } | { kind: 'crash' } | { kind: 'failed'; message: string; cause: string; errorClass?: string; fallbackClass?: string };

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
  let result: ExitMeaning = stream ? { outcome: stream.outcome, detail: stream.detail ?? '', ...exitClassOf(input) } : input.spec.outcomeOfExit(end.code, end.signal);
  if (result.outcome === 'succeeded') return { kind: 'done' };
  if (result.errorClass === 'agent_crash') return { kind: 'crash' };
  // Killed by someone else, or interrupted without megatest asking: the agent crashed, unless the exit
  // code says what stopped it (selfware's 124: its time limit) -- then the task failed for that reason.
  const byOthers = !input.endedAfterOutcome;
  if (byOthers && ((stream === null && end.signal !== null) || result.outcome === 'interrupted')) {
    const exit = input.spec.outcomeOfExit(end.code, end.signal);
    const exitClass = exit.errorClass ?? exit.fallbackClass;
    if (exitClass === undefined || exitClass === 'agent_crash' || exit.outcome === 'succeeded') return { kind: 'crash' };
    result = { ...exit, detail: [...new Set([result.detail, exit.detail])].filter(Boolean).join('; ') };
  }
  const label = result.outcome === 'max_turns' ? 'stopped at its turn limit' : result.outcome;
  // A run that reported no outcome may have said why on stderr (a wrapper's "node: No such file or directory").
  const clue = stream === null && end.stderrClue !== undefined ? `stderr: ${end.stderrClue}` : '';
  const said = [result.detail, clue].filter(Boolean).join('; ');
  const detail = said.length > DETAIL_CHARS ? `${said.slice(0, DETAIL_CHARS)}… (cut)` : said;
  const cause = `${label} (${describeEnd(end)})${detail ? `: ${detail}` : ''}`;
  const message = `task "${objective}" ${cause}`;
  return {
    kind: 'failed',
    message,
    cause,
    ...(result.errorClass === undefined ? {} : { errorClass: result.errorClass }),
    ...(result.fallbackClass === undefined ? {} : { fallbackClass: result.fallbackClass }),
  };
}

/**
 * A failure the stream reported, from a process that exited with a code of
 * its own: what that code says of it goes with the agent's words (selfware's
 * exit 4 is some model API error; its `Error:` line, the stream's outcome,
 * says which). Not a crash's class: the agent said it failed before it ended.
 */
function exitClassOf(input: TaskEndInput): Pick<ExitMeaning, 'errorClass' | 'fallbackClass'> {
  const { stream, end } = input;
  if (stream === null || stream.outcome === 'succeeded' || end.signal !== null || end.code === null || end.code === 0) return {};
  const exit = input.spec.outcomeOfExit(end.code, end.signal);
  if (exit.outcome === 'succeeded') return {};
  // A crash's class only where its code says so beyond doubt (selfware's 101: it panicked, whatever it said before);
  // an exit past 128 (a signal's) after the agent said it failed is that failure.
  const crashed = exit.errorClass === 'agent_crash' && exit.outcome === 'failed';
  return {
    ...(exit.errorClass === undefined || (exit.errorClass === 'agent_crash' && !crashed) ? {} : { errorClass: exit.errorClass }),
    ...(exit.fallbackClass === undefined ? {} : { fallbackClass: exit.fallbackClass }),
  };
}
