// How agents' names sort, in the state (the fold keeps its agents so) and in
// every view of them.

/**
 * Agents' names compared as a person reads them: runs of digits by value
 * (agent-2 before agent-10), letters case aside, spaces and punctuation
 * before digits before letters, as a numeric Intl.Collator orders such
 * names; the state keeps its agents in this order. Written out because a
 * Collator costs 9-13 ms to make in a fresh process (ICU's data), a cost
 * every `megatest status` would pay.
 */
export function compareAgentNames(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(j);
    if (isDigit(x) && isDigit(y)) {
      let iEnd = i;
      while (iEnd < a.length && isDigit(a.charCodeAt(iEnd))) iEnd += 1;
      let jEnd = j;
      while (jEnd < b.length && isDigit(b.charCodeAt(jEnd))) jEnd += 1;
      const order = compareDigits(a.slice(i, iEnd), b.slice(j, jEnd));
      if (order !== 0) return order;
      i = iEnd;
      j = jEnd;
      continue;
    }
    const order = charClass(x) - charClass(y) || lowerCode(x) - lowerCode(y);
    if (order !== 0) return order;
    i += 1;
    j += 1;
  }
  return a.length - i - (b.length - j);
}

const isDigit = (code: number) => code >= 48 && code <= 57;
const lowerCode = (code: number) => (code >= 65 && code <= 90 ? code + 32 : code);
/** 1 spaces, punctuation and symbols (in ASCII order, spaces first), 2 digits, 3 letters (and anything past ASCII). */
function charClass(code: number): number {
  if (isDigit(code)) return 2;
  const lower = lowerCode(code);
  return (lower >= 97 && lower <= 122) || code > 127 ? 3 : 1;
}
/** Two runs of digits by value, however long (no rounding): once leading zeros are gone, fewer digits is smaller. */
function compareDigits(x: string, y: string): number {
  const xs = x.replace(/^0+/, '');
  const ys = y.replace(/^0+/, '');
  return xs.length !== ys.length ? xs.length - ys.length : xs < ys ? -1 : xs > ys ? 1 : 0;
}
