// Event times as ms, for every line of a log: the times megatest writes are
// all `YYYY-MM-DDTHH:MM:SS.mmmZ` (Date#toISOString), which this reads a few
// times faster than Date.parse; anything else goes to Date.parse, so the
// answer is always Date.parse's.

const digit = (s: string, i: number): number => {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : NaN;
};

export function isoTimeMs(s: string): number {
  if (s.length !== 24 || s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':' || s[19] !== '.' || s[23] !== 'Z') return Date.parse(s);
  const year = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
  const month = digit(s, 5) * 10 + digit(s, 6);
  const day = digit(s, 8) * 10 + digit(s, 9);
  const hour = digit(s, 11) * 10 + digit(s, 12);
  const minute = digit(s, 14) * 10 + digit(s, 15);
  const second = digit(s, 17) * 10 + digit(s, 18);
  const milli = digit(s, 20) * 100 + digit(s, 21) * 10 + digit(s, 22);
  // Days past the 28th, and years Date.UTC would read as 19xx, are left to Date.parse.
  if (!(year >= 1000 && month >= 1 && month <= 12 && day >= 1 && day <= 28 && hour <= 23 && minute <= 59 && second <= 59 && milli >= 0)) return Date.parse(s);
  return Date.UTC(year, month - 1, day, hour, minute, second, milli);
}
