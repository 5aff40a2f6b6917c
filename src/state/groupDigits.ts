// A count as people read it in a log line or a status block: 1234567 -> "1,234,567".

/**
 * Grouped by hand: the first toLocaleString of a process starts ICU's number
 * formatting, 20 ms of every `megatest status` and control command's start-up
 * (bench/startup.mjs). Rounded to a whole number.
 */
export function groupDigits(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Operations per second as a benchmark printed them: grouped from 100 up ("12,346 ops/s"), three significant digits below ("2.35 ops/s"). */
export function opsPerSecondText(n: number): string {
  return `${n >= 100 ? groupDigits(n) : String(Number(n.toPrecision(3)))} ops/s`;
}

/** "1 file", "1,664 bytes": a count and its noun, grouped, the noun plural unless the count is one (nouns with a plain -s plural). */
export function countOf(n: number, noun: string): string {
  return `${groupDigits(n)} ${noun}${Math.round(n) === 1 ? '' : 's'}`;
}
