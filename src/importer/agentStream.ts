// One recorded file as a stream of timed messages: each line through the
// kind's parser (the very parser a live run uses), at the time its clock
// gives it; then what the parser flushes at the end of the stream, at the
// stream's end. Lines that say nothing megatest records (plain output) are
// passed over here, so the merge of several files only sees what counts.

import type { AgentMessage } from '../agents/types.js';
import { parserFor, type ImportKind } from './kinds.js';
import { readLines } from './lineReader.js';
import type { PinnedFile } from './pinnedFile.js';
import type { FileClock } from './timeline.js';

export interface TimedMessages {
  ms: number;
  messages: AgentMessage[];
  /** The stream's end: what the parser flushed (possibly nothing). */
  end: boolean;
}

export async function* timedMessages(kind: ImportKind, file: PinnedFile, clock: FileClock): AsyncGenerator<TimedMessages> {
  const parser = parserFor(kind);
  // The agent starts when its stream does, whatever its first line says.
  yield { ms: clock.startMs, messages: [], end: false };
  let index = 0;
  for await (const line of readLines(file)) {
    const ms = clock.at(index, line);
    index += 1;
    const messages = parser.line(line).filter((m) => m.type !== 'output');
    if (messages.length > 0) yield { ms, messages, end: false };
  }
  yield { ms: clock.endMs(), messages: parser.end().filter((m) => m.type !== 'output'), end: true };
}
