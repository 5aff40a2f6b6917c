// test_session.log: the python runner's own log, `YYYY-MM-DD HH:MM:SS,mmm -
// mega_test - LEVEL - message` in local time. The runner opens it in its
// working directory and appends, so one file can hold many sessions and may
// sit in the run folder, beside it, or beside test_runs/. Only the lines
// from this session's "Starting mega test session: <id>" to the next
// session's start are this run's.

import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';

export interface RunnerLogLine {
  /** 1-based line in the file. */
  line: number;
  time: string;
  level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  logger: string;
  message: string;
}

export interface RunnerLog {
  /** The file, relative to the run folder (e.g. ../test_session.log). */
  file: string;
  lines: RunnerLogLine[];
}

const LINE = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:,\d{1,6})?) - (\S+) - (DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL) - (.*)$/;
const SESSION_START = /^Starting mega test session: (\S+)/;

function levelOf(word: string): RunnerLogLine['level'] {
  if (word === 'WARNING' || word === 'WARN') return 'WARN';
  if (word === 'ERROR' || word === 'CRITICAL') return 'ERROR';
  return word as 'DEBUG' | 'INFO';
}

/** Where test_session.log may be: in the run folder, beside it, or beside the runs folder. */
export function runnerLogCandidates(runDir: string): string[] {
  const abs = path.resolve(runDir);
  return [path.join(abs, 'test_session.log'), path.join(path.dirname(abs), 'test_session.log'), path.join(path.dirname(path.dirname(abs)), 'test_session.log')];
}

async function sessionLines(file: string, sessionId: string): Promise<RunnerLogLine[] | null> {
  const lines: RunnerLogLine[] = [];
  let inSession = false;
  let found = false;
  let number = 0;
  const reader = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    for await (const raw of reader) {
      number += 1;
      const match = LINE.exec(raw);
      if (!match) {
        // a traceback or a torn line: part of the message before it
        const last = lines.at(-1);
        if (inSession && last && raw.trim() !== '') last.message += `\n${raw}`;
        continue;
      }
      const [, time, logger, level, message] = match as unknown as [string, string, string, string, string];
      const start = SESSION_START.exec(message);
      if (start) {
        if (found && inSession) break; // the next session begins
        inSession = start[1] === sessionId;
        found ||= inSession;
      }
      if (inSession) lines.push({ line: number, time, level: levelOf(level), logger, message });
    }
  } catch {
    return found ? lines : null;
  } finally {
    reader.close();
  }
  return found ? lines : null;
}

/** This session's lines of the first test_session.log that has them; null when none does. */
export async function readRunnerLog(runDir: string, sessionId: string): Promise<RunnerLog | null> {
  for (const candidate of runnerLogCandidates(runDir)) {
    if (!existsSync(candidate)) continue;
    const lines = await sessionLines(candidate, sessionId);
    if (lines !== null) return { file: path.relative(path.resolve(runDir), candidate).split(path.sep).join('/'), lines };
  }
  return null;
}
