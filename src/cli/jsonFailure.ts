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
