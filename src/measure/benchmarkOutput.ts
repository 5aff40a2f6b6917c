// The figure a project's benchmark prints ([project.performance]
// benchmark_command): operations per second. Read strictly, so a count of
// runs or seconds is never taken for it: the last number followed by ops/s
// (op/s, ops/sec, operations per second: "12,345 ops/s", "1.2e5 operations
// per second"), else a last line that is one number and nothing else.

const NUMBER = String.raw`(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)`;
const MARKED = new RegExp(`${NUMBER}\\s*(?:ops?|operations)(?:\\s*/\\s*s(?:ec(?:ond)?)?\\b|\\s+per\\s+second\\b)`, 'gi');
const ALONE = new RegExp(`^${NUMBER}$`);

/** Operations per second from a benchmark's output, or why none can be read. */
export function readOpsPerSecond(stdout: string): { opsPerSecond: number } | { problem: string } {
  const marked = [...stdout.matchAll(MARKED)];
  const last = stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .at(-1);
  const text = marked.length > 0 ? marked.at(-1)![1]! : last !== undefined ? ALONE.exec(last)?.[1] : undefined;
  if (text === undefined) {
    const seen = last === undefined ? 'it printed nothing' : `its last line: ${JSON.stringify(last.length > 80 ? `${last.slice(0, 79)}…` : last)}`;
    return { problem: `printed no operations per second (${seen}); print one number, or "N ops/s"` };
  }
  const value = Number(text.replace(/,/g, ''));
  if (!Number.isFinite(value)) return { problem: `printed ${text}, not a finite number of operations per second` };
  return { opsPerSecond: value };
}
