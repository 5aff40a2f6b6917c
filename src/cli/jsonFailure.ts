// With --json a failure is JSON on stdout too: {"ok":false,"error":…,"exit_code":…}
// (docs/control-api.md). The control commands print it for the failures they
// return; this covers the ones thrown before the command got that far (a bad
// option, a --runs-dir that is no folder, a session that is not there), which
// left a script's stdout empty.

/** The commands that take --json. */
const JSON_COMMANDS = new Set(['ls', 'status', 'checkpoint', 'compress', 'pause', 'continue', 'stop', 'restore', 'checkpoints']);

/** Whether argv asks for JSON: a command that takes --json and a --json before any `--`. */
export function wantsJson(argv: readonly string[]): boolean {
  const [command, ...args] = argv;
  if (command === undefined || !JSON_COMMANDS.has(command)) return false;
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).includes('--json');
}

/** The object for a failure whose one stderr line is `line`. */
export function jsonFailure(line: string, exitCode: number): string {
  return JSON.stringify({ ok: false, error: line, exit_code: exitCode }, null, 2) + '\n';
}

/**
 * Runs a command that says its failures on stderr and returns their exit
 * code (offline restore, restore --to); with --json, the last line it wrote
 * on stderr is given on stdout as the failure object too.
 */
export async function withJsonFailure(json: boolean, command: () => Promise<number>): Promise<number> {
  if (!json) return command();
  let last = '';
  const write = process.stderr.write.bind(process.stderr);
  const spy = ((chunk: unknown, ...rest: unknown[]) => {
    const text = String(chunk).trimEnd();
    if (text !== '') last = text.split('\n').at(-1)!;
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  process.stderr.write = spy;
  let code: number;
  try {
    code = await command();
  } finally {
    // Only ours is put back: a write replaced meanwhile (a test's spy) is left as it is.
    if (process.stderr.write === spy) process.stderr.write = write;
  }
  if (code !== 0 && last !== '') process.stdout.write(jsonFailure(last, code));
  return code;
}
