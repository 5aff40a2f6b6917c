// What an agent spent in the last hour (tokens, tool calls), for the hourly
// limits (limits.ts). Kept as one bucket per second that saw anything, so its
// size is bounded by the hour (3,600 buckets) whatever the rate: one entry per
// tool call held 900,000 entries per agent at the event benchmark's rate, and
// trimming them with shift() cost a copy of the array per call left behind.

const HOUR_MS = 3_600_000;
const SECOND_MS = 1_000;

export class HourWindow {
  /** Seconds (wall time / 1000, floored) oldest first, and what each saw. Parallel arrays, a ring from `head`. */
  private seconds: number[] = [];
  private amounts: number[] = [];
  private head = 0;
  private sum = 0;

  /** Counts `amount` at wall time `ms` (times come in order; an earlier one joins the newest second). */
  add(ms: number, amount = 1): void {
    const second = Math.floor(ms / SECOND_MS);
    const last = this.seconds.length - 1;
    if (last >= this.head && this.seconds[last]! >= second) this.amounts[last]! += amount;
    else {
      this.seconds.push(second);
      this.amounts.push(amount);
    }
    this.sum += amount;
  }

  /** Drops what is older than an hour before `now`, then says what is left. */
  total(now: number): number {
    this.trim(now);
    return this.sum;
  }

  /** When the oldest second still in the hour leaves it (and the total drops), or null with nothing in it. */
  nextDropMs(now: number): number | null {
    this.trim(now);
    return this.head < this.seconds.length ? (this.seconds[this.head]! + 1) * SECOND_MS + HOUR_MS : null;
  }

  /**
   * When the total falls below `limit` (the throttle's end), or null when it
   * is below already. Not just the oldest second's drop: after one small early
   * spend and a large later one, that drop left the agent over its limit, and
   * the throttle said "waiting 1800 s" but waited again.
   */
  belowLimitAtMs(now: number, limit: number): number | null {
    this.trim(now);
    let left = this.sum;
    if (left < limit) return null;
    for (let i = this.head; i < this.seconds.length; i += 1) {
      left -= this.amounts[i]!;
      if (left < limit) return (this.seconds[i]! + 1) * SECOND_MS + HOUR_MS;
    }
    return null; // a limit of 0 or less: nothing to wait for
  }

  private trim(now: number): void {
    const hourAgo = now - HOUR_MS;
    // A second is in the hour while any of it is: its end is after the hour's start.
    while (this.head < this.seconds.length && (this.seconds[this.head]! + 1) * SECOND_MS <= hourAgo) {
      this.sum -= this.amounts[this.head]!;
      this.head += 1;
    }
    // Compact now and then, not per trim: the arrays never hold more than about two hours of seconds.
    if (this.head > 0 && this.head >= this.seconds.length - this.head) {
      this.seconds = this.seconds.slice(this.head);
      this.amounts = this.amounts.slice(this.head);
      this.head = 0;
    }
  }
}
