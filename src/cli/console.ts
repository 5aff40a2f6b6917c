// Opens the live console on a run folder: the console's actions go through
// the control API client, and leaving the console never stops the run
// unless the person asked for it (Q).

import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ControlClient, OrchestratorNotRunningError } from '../io/controlClient.js';
import { isPidStopped } from '../io/processAlive.js';
import { isOrchestratorAlive, readControlFile } from '../io/sessions.js';
import { lastOutputLines } from '../io/agentOutput.js';
import { readStatus, runPaths } from '../io/runFolder.js';
import { runConsole } from '../ui/runConsole.js';
import { CONSOLE_PORTS } from './consolePorts.js';
import type { ActionResult, ConsoleActions } from '../ui/actions.js';
import { describeActionResult, type ActionName } from './actionResult.js';

/** What the console's keys ask of the run in `runDir`, each answered in the words the same command prints in a shell. */
export function consoleActions(runDir: string): ConsoleActions {
  // What was done, and the orchestrator's answer: the toast says what `megatest NAME` prints for it (actionResult.ts).
  const call = async (label: string, action: (client: ControlClient) => Promise<[ActionName, unknown]>): Promise<ActionResult> => {
    try {
      const client = await ControlClient.fromRunDir(runDir, { source: 'key', timeoutMs: 10_000 });
      const [name, answer] = await action(client);
      return { ok: true, message: describeActionResult(name, answer) };
    } catch (error) {
      if (error instanceof OrchestratorNotRunningError) return { ok: false, message: error.message };
      return { ok: false, message: `${label} failed: ${(error as Error).message}` };
    }
  };
  const ask = (name: ActionName, action: (client: ControlClient) => Promise<unknown>) => call(name, async (c) => [name, await action(c)]);
  return {
    checkpoint: () => ask('checkpoint', (c) => c.checkpoint()),
    compress: (agent) => ask('compress', (c) => c.compress(agent)),
    restore: (id) => ask('restore', (c) => c.restore(id)),
    pause: () => ask('pause', (c) => c.pause()),
    resume: () => ask('continue', (c) => c.resume()),
    togglePause: () => call('pause/continue', async (c) => ((await c.status()).status === 'paused' ? ['continue', await c.resume()] : ['pause', await c.pause()])),
    stop: () => ask('stop', (c) => c.stop()),
  };
}

const TERMINAL = ['completed', 'failed', 'timeout', 'interrupted'];
/** How long the status file gets to say how the run ended, after the console saw it end. */
const STATUS_WAIT_MS = 5000;

/** The status word, once terminal (or as it is after STATUS_WAIT_MS, or at once when the orchestrator is gone). */
async function terminalStatus(runDir: string): Promise<string | null> {
  const deadline = Date.now() + STATUS_WAIT_MS;
  for (;;) {
    const status = readStatus(runDir);
    if ((status !== null && TERMINAL.includes(status)) || Date.now() >= deadline || !isOrchestratorAlive(runDir)) return status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Opens the console on a run folder and, once the person has left it and the
 * last line is written, ends this process with the exit code: the shell comes
 * back at once (the run goes on in its own, detached process). Waiting for the
 * event loop to drain instead costs up to seconds on a loaded machine, for
 * timers the file watcher and the terminal input parser keep a while.
 */
export async function openConsole(runDir: string, options: { theme?: string; ascii?: boolean; child?: ChildProcess }): Promise<number> {
  const code = await consoleSession(runDir, options);
  // What was written is out first (an empty write calls back once the writes before it are done).
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((done) => stream.write('', done))));
  process.exit(code);
}

async function consoleSession(runDir: string, options: { theme?: string; ascii?: boolean; child?: ChildProcess }): Promise<number> {
  const paths = runPaths(runDir);
  let childAlive = options.child !== undefined && options.child.exitCode === null;
  options.child?.once('exit', () => (childAlive = false));
  options.child?.once('error', () => (childAlive = false));
  const outcome = await runConsole({
    runDir: paths.root,
    actions: consoleActions(paths.root),
    theme: options.theme,
    ascii: options.ascii,
    isOrchestratorAlive: () => isOrchestratorAlive(paths.root) || childAlive,
    isOrchestratorStopped: () => {
      const control = readControlFile(paths.root);
      return control !== null && isPidStopped(control.pid);
    },
    readAgentOutput: (agent) => lastOutputLines(paths.root, agent),
    ports: CONSOLE_PORTS,
  });
  const orchestratorGone = !isOrchestratorAlive(paths.root) && !childAlive;
  if (outcome === 'detached' && !orchestratorGone) {
    // The original runner stopped on Ctrl-C; here it leaves the console as q does: how to stop the run is said too.
    process.stdout.write(`The run goes on. Back to the console: megatest attach ${paths.root}\nStop it: megatest stop ${paths.root}\n`);
    return 0;
  }
  // Stopped or ended: the report decides the exit code once it is written. The status file
  // follows session_ended by a moment; a dead orchestrator never writes it.
  const status = await terminalStatus(paths.root);
  if (status !== null && TERMINAL.includes(status)) {
    try {
      // Loaded only now: the report (with the config's schemas) is not needed before the first frame.
      const { buildReport, reportExitCode } = await import('../report/report.js');
      const report = await buildReport(paths.root);
      process.stdout.write(`Session ${report.session_id} ${report.status}. Report: ${paths.finalReportMd}\n`);
      return reportExitCode(report);
    } catch (error) {
      // It was `return 1` and nothing said: the shell came back from an ended run with no line and exit 1.
      const reason = ((error as Error).message ?? String(error)).split('\n')[0];
      process.stderr.write(`Session ${path.basename(paths.root)} ${status}, but its report could not be built: ${reason} (megatest report ${paths.root} tries again)\n`);
      return 1;
    }
  }
  // Left, or asked to stop, while the orchestrator is gone (killed, crashed) before the run ended: it does not go on by itself.
  if (orchestratorGone) {
    process.stdout.write(`${new OrchestratorNotRunningError(paths.root).message}\n`);
    return 0;
  }
  process.stdout.write(`Session ${paths.root}: ${status ?? 'unknown status'}\n`);
  return 0;
}
