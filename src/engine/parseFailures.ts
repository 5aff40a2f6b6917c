// Lines an agent printed that should have been its format and were not
// (malformed JSONL, a broken stream-json line): each is kept in the agent's
// output.log and counted here, and the event log hears of them at most once
// a second per agent, with the count, so a stream of garbage cannot flood
// events.jsonl. No recovery follows: the agent goes on.

import { PARSE_FAILURE_EVENT_INTERVAL_MS, PARSE_FAILURE_QUOTED_CHARS as QUOTED_CHARS, parseFailureMessage } from '../agents/parseFailureText.js';

export { PARSE_FAILURE_EVENT_INTERVAL_MS };

interface AgentFailures {
  total: number;
  unreported: number;
  lastReason: string;
  lastLine: string;
  lastReportMs: number;
  timer: NodeJS.Timeout | null;
}

export class ParseFailureReporter {
  private readonly byAgent = new Map<string, AgentFailures>();

  constructor(
    /** Writes the event: one line with the count since the last one (`count`) and the total. */
    private readonly report: (agent: string, message: string, total: number, count: number) => void,
    private readonly intervalMs = PARSE_FAILURE_EVENT_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  record(agent: string, failure: { line: string; reason: string }): void {
    let entry = this.byAgent.get(agent);
    if (!entry) {
      entry = { total: 0, unreported: 0, lastReason: '', lastLine: '', lastReportMs: Number.NEGATIVE_INFINITY, timer: null };
      this.byAgent.set(agent, entry);
    }
    entry.total += 1;
    entry.unreported += 1;
    entry.lastReason = failure.reason.slice(0, QUOTED_CHARS);
    entry.lastLine = failure.line.slice(0, QUOTED_CHARS);
    const now = this.now();
    if (now - entry.lastReportMs >= this.intervalMs) {
      this.emit(agent, entry, now);
    } else if (entry.timer === null) {
      // The rest of a burst is reported when the second is up, not lost if the burst ends.
      const due = entry;
      entry.timer = setTimeout(() => {
        due.timer = null;
        this.emit(agent, due, this.now());
      }, entry.lastReportMs + this.intervalMs - now);
      entry.timer.unref();
    }
  }

  /** Reports what is pending now (the agent stops); no timer is left behind. */
  flush(agent: string): void {
    const entry = this.byAgent.get(agent);
    if (!entry) return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    this.emit(agent, entry, this.now());
  }

  flushAll(): void {
    for (const agent of this.byAgent.keys()) this.flush(agent);
  }

  totalOf(agent: string): number {
    return this.byAgent.get(agent)?.total ?? 0;
  }

  private emit(agent: string, entry: AgentFailures, now: number): void {
    if (entry.unreported === 0) return;
    const count = entry.unreported;
    entry.unreported = 0;
    entry.lastReportMs = now;
    this.report(agent, parseFailureMessage(count, entry.total, entry.lastReason, entry.lastLine), entry.total, count);
  }
}
