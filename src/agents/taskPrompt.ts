// The prompt one task run of a CLI agent starts from, and the summary of the
// work so far that a harness compression restarts it on. Pure text: what
// goes in is gathered by the adapter (workSummary.ts reads the work dir).

import type { TestRunNote } from './types.js';

/** The project brief (project_prompt.txt) is cut here: the agent can read the whole file in the run folder. */
export const PROJECT_BRIEF_CHARS = 8000;
const FAILING_TESTS_SHOWN = 20;

export interface TaskPromptInput {
  name: string;
  role: string;
  phase: string;
  /** The task this run is for. */
  objective: string;
  /** The agent's other tasks of the phase not yet done, in order. */
  otherTasks: string[];
  /** Tasks this agent finished. */
  done: string[];
  /** Seconds the phase has left, when known. */
  secondsLeft?: number;
  /** Guidance after a failure (the retry_with_modification recovery). */
  note?: string;
  /** A harness compression's summary of the work so far. */
  summary?: string;
  projectBrief: string;
  /** What a restore did to project/, said first (restoreNotice): the first run of an agent started after a restore. */
  restoreNotice?: string;
}

function list(items: string[]): string {
  return items.map((item) => `- ${item}`).join('\n');
}

export function buildTaskPrompt(input: TaskPromptInput): string {
  const parts: string[] = [
    ...(input.restoreNotice ? [input.restoreNotice, ''] : []),
    `You are ${input.name}, the ${input.role} in a team of AI coding agents building one software project together (run by megatest).`,
    'Work in the current directory: it is the project repository.',
    '',
    `Phase: ${input.phase}${input.secondsLeft !== undefined ? ` (about ${Math.max(1, Math.round(input.secondsLeft / 60))} min left in this phase)` : ''}.`,
    `Your task now: ${input.objective}`,
  ];
  if (input.otherTasks.length > 0) parts.push('', 'Your other tasks in this phase (later, one at a time; not now):', list(input.otherTasks));
  if (input.done.length > 0) parts.push('', 'Tasks you already finished:', list(input.done));
  if (input.note) parts.push('', `Note from megatest: ${input.note}`);
  if (input.summary) parts.push('', input.summary);
  parts.push(
    '',
    'Do this one task completely: write the code and its tests, run the tests, and stop when the task is done.',
  );
  const brief = input.projectBrief.trim();
  if (brief !== '') {
    const cut = brief.length > PROJECT_BRIEF_CHARS ? `${brief.slice(0, PROJECT_BRIEF_CHARS)}\n… (the rest is in project_prompt.txt)` : brief;
    parts.push('', 'The project:', '', cut);
  }
  return parts.join('\n') + '\n';
}

export interface WorkSummaryInput {
  phase: string;
  /** The task that was running when the context was reset. */
  current: string;
  done: string[];
  /** `git diff --stat` against the session's first commit, or a file list; '' when nothing changed. */
  changedFiles: string;
  /** The orchestrator's last test run, if any was passed on. */
  lastTestRun: TestRunNote | null;
}

/** What a harness compression restarts the agent on, in place of its lost context. */
export function buildWorkSummary(input: WorkSummaryInput): string {
  const lines = [
    'Summary of the work so far (your earlier context was reset to save space; this replaces it):',
    `- Phase: ${input.phase}`,
    `- Task in progress when the context was reset: ${input.current} (continue it; check what is already in the files first)`,
    `- Tasks you finished: ${input.done.length > 0 ? input.done.join('; ') : 'none yet'}`,
  ];
  lines.push(input.changedFiles.trim() === '' ? '- Files changed: none yet' : `- Files changed so far:\n${indent(input.changedFiles.trim())}`);
  const run = input.lastTestRun;
  if (run === null) {
    lines.push('- Tests: no test run yet');
  } else if (run.failed === 0) {
    lines.push(`- Tests at the last run: all ${run.passed} passed`);
  } else {
    const shown = run.failing.slice(0, FAILING_TESTS_SHOWN);
    const more = run.failing.length > shown.length ? `\n  … and ${run.failing.length - shown.length} more` : '';
    lines.push(`- Tests at the last run: ${run.failed} failed, ${run.passed} passed${shown.length > 0 ? `; failing:\n${indent(shown.join('\n'))}${more}` : ''}`);
  }
  return lines.join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/**
 * What the first prompt of an agent started after a restore says first. A
 * restore puts project/ back byte for byte; the agent's memory of the work
 * is not put back with it: a resumed session remembers work from after the
 * checkpoint that is gone (cliTaskAdapter.ts resumes none that went on after
 * it), and an agent on a fresh context may still take its task list's
 * "already finished" or a file it half remembers for the project's state. So it is said plainly,
 * with the checkpoint's own time, and the agent is told to look before it
 * builds on anything.
 */
export function restoreNotice(checkpoint: { id: string; taken_at: string }, session: 'continues' | 'not carried over' | 'none'): string {
  const at = checkpoint.taken_at.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');
  const lines = [
    `IMPORTANT, from megatest: the project was restored. Its files were put back exactly as they were at checkpoint ${checkpoint.id}, taken at ${at}.`,
    'Every change made to the project after that time, by you or by any other agent, is gone: files created since no longer exist, and files changed since hold their earlier contents again.',
  ];
  if (session === 'continues') lines.push('This conversation goes on from before the restore: anything in it about work after that time (files you wrote, edits, test results) no longer holds.');
  if (session === 'not carried over') lines.push('You start on a fresh context: your conversation from before the restore is not carried over, and the files are where the work stands.');
  lines.push('Check the files (read them, look at `git status` and `git log`, run the tests) before going on, and rely on what you find, not on what you remember.');
  return lines.join('\n');
}
