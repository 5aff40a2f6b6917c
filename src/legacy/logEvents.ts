// What test_runner.py's own log says happened, as events: its recovery
// attempts ("Attempting recovery..." then "Successfully resumed task …",
// "Failed to resume task …", "Error during checkpoint restore …" or
// "Recovery failed") and the signal that stopped it ("Received signal N").
// Phases are read from the same lines by phases.ts.

import type { EventInput } from '../contract/events.js';
import type { RunnerLogLine } from './runnerLog.js';

export interface TimedLogLine {
  ms: number;
  line: RunnerLogLine;
}

export interface TimedInput {
  ms: number;
  input: EventInput;
}

export function eventsFromRunnerLog(lines: readonly TimedLogLine[]): TimedInput[] {
  const out: TimedInput[] = [];
  let attempt = 0;
  let open = false;
  const outcome = (ms: number, result: 'succeeded' | 'failed', detail: string) => {
    out.push({ ms, input: { type: 'recovery', action: 'restore_checkpoint', attempt, outcome: result, detail } });
    open = false;
  };
  for (const { ms, line } of lines) {
    const message = line.message.split('\n')[0]!;
    if (/^Attempting recovery/.test(message)) {
      attempt += 1;
      open = true;
      out.push({ ms, input: { type: 'recovery', action: 'restore_checkpoint', attempt, outcome: 'started', detail: 'test_runner.py: selfware resume from the last checkpoint' } });
    } else if (open && /^Successfully resumed task/.test(message)) {
      outcome(ms, 'succeeded', message);
    } else if (open && (/^Failed to resume task/.test(message) || /^Error during checkpoint restore/.test(message) || /^Recovery failed/.test(message))) {
      outcome(ms, 'failed', message);
    } else {
      const signal = /^Received signal (\d+)/.exec(message);
      if (signal) out.push({ ms, input: { type: 'command', name: 'stop', source: 'signal', detail: `signal ${signal[1]}` } });
    }
  }
  return out;
}

/** The time the log says the session started, if it does. */
export function sessionStartFromLog(lines: readonly TimedLogLine[]): number | null {
  return lines.find(({ line }) => /^Starting mega test session:/.test(line.message))?.ms ?? null;
}
