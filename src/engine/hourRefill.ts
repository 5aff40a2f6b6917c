// A resumed session's hourly windows (limits.ts) start with what each agent
// spent in the last hour, from the tokens and tool_call events of the log:
// kept in memory only, they were empty after a kill and a `megatest resume`,
// and an agent throttled for the hour spent another hour's tokens in seconds.
//
// The resume's fold starts from events.idx and reads only the log after it,
// so the last hour is not in hand: it is read here from the log's end
// backwards, a chunk at a time, and the read stops at the first event older
// than the hour. Never the whole file (unless the whole run is an hour old).

import { promises as fs } from 'node:fs';
import { parseEventLine } from '../contract/events.js';
import type { AgentSlot } from './agentSlot.js';
import type { EngineContext } from './context.js';

const HOUR_MS = 3_600_000;
const NEWLINE = 10;
/** No event is this long (foldLog.ts's MAX_LINE_BYTES): a longer run without a newline is dropped. */
const MAX_LINE_BYTES = 16 << 20;

export interface HourSpend {
  /** [wall ms, tokens] oldest first. */
  tokens: Array<[number, number]>;
  /** Wall ms of each tool call, oldest first. */
  toolCalls: number[];
}

/** What each agent spent from an hour before `nowMs` on, by the log's tokens and tool_call events (a missing log: nothing). */
export async function spendOfLastHour(file: string, nowMs: number, chunkBytes = 1 << 20): Promise<Map<string, HourSpend>> {
  const since = nowMs - HOUR_MS;
  const spend = new Map<string, HourSpend>();
  const of = (agent: string) => {
    let found = spend.get(agent);
    if (!found) spend.set(agent, (found = { tokens: [], toolCalls: [] }));
    return found;
  };
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return spend;
    throw error;
  }
  try {
    let position = (await handle.stat()).size;
    /** The start of the line that began before the chunk just read (its first bytes are in the next chunk back). */
    let carry = Buffer.alloc(0);
    let done = false;
    while (!done && (position > 0 || carry.length > 0)) {
      const start = Math.max(0, position - chunkBytes);
      const chunk = Buffer.allocUnsafe(position - start);
      let got = 0;
      while (got < chunk.length) {
        const { bytesRead } = await handle.read(chunk, got, chunk.length - got, start + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      position = start;
      const text = Buffer.concat([chunk.subarray(0, got), carry]);
      let end = text.length;
      // Lines newest first; the first line of the chunk may have begun further back.
      for (let i = text.length - 1; i >= -1 && !done; i -= 1) {
        if (i >= 0 && text[i] !== NEWLINE) continue;
        if (i < 0 && position > 0) break;
        const line = text.toString('utf8', i + 1, end);
        end = i;
        done = take(line);
      }
      carry = position > 0 && !done ? Buffer.from(text.subarray(0, end)) : Buffer.alloc(0);
      if (carry.length > MAX_LINE_BYTES) carry = Buffer.alloc(0);
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
  for (const found of spend.values()) {
    found.tokens.reverse();
    found.toolCalls.reverse();
  }
  return spend;

  /** One line, newest first: true once it is older than the hour (every line before it is too). */
  function take(line: string): boolean {
    // The time first, without parsing the whole line: most lines of an hour are neither tokens nor tool calls.
    const at = line.indexOf('"ts":"');
    if (at < 0) return false;
    const ms = Date.parse(line.slice(at + 6, line.indexOf('"', at + 6)));
    if (Number.isNaN(ms)) return false;
    if (ms < since) return true;
    if (!line.includes('"type":"tokens"') && !line.includes('"type":"tool_call"')) return false;
    const event = parseEventLine(line);
    // A damaged line's missing number is a gap, not NaN in the window.
    if (event?.type === 'tokens') {
      const amount = event.input + event.output;
      if (Number.isFinite(amount)) of(event.agent).tokens.push([ms, amount]);
    } else if (event?.type === 'tool_call') of(event.agent).toolCalls.push(ms);
    return false;
  }
}

/** Fills each slot's hourly windows from the log's last hour; says what it found, per agent (empty when nothing). */
export async function refillHourWindows(file: string, slots: readonly AgentSlot[], nowMs: number): Promise<string[]> {
  const spend = await spendOfLastHour(file, nowMs);
  const said: string[] = [];
  for (const slot of slots) {
    const found = spend.get(slot.name);
    if (!found) continue;
    for (const [ms, amount] of found.tokens) slot.windowTokens.add(ms, amount);
    for (const ms of found.toolCalls) slot.windowToolCalls.add(ms);
    const tokens = found.tokens.reduce((sum, [, amount]) => sum + amount, 0);
    said.push(`${slot.name} ${tokens} tokens, ${found.toolCalls.length} tool calls`);
  }
  return said;
}

/** A resume's refill of every agent's hourly windows, said in session.log; a log it cannot read leaves them empty, with a warning. */
export async function refillOnResume(ctx: EngineContext, slots: readonly AgentSlot[]): Promise<void> {
  // No hourly limit, nothing to refill: an hour of a busy log is seconds of reading before the agents start.
  const { tokens_per_hour_per_agent: tokens, tool_calls_per_hour_per_agent: calls } = ctx.config.limits;
  if (tokens <= 0 && calls <= 0) return;
  try {
    const said = await refillHourWindows(ctx.paths.events, slots, Date.now());
    if (said.length > 0) ctx.log.info('limits', `the hourly limits go on from the log's last hour: ${said.join('; ')}`);
  } catch (error) {
    ctx.log.warn('limits', `the hourly limits start empty: the log's last hour could not be read (${(error as Error).message})`);
  }
}
