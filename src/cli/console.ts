// Opens the live console on a run folder: the console's actions go through
// the control API client, and leaving the console never stops the run
// unless the person asked for it (Q).

import type { ChildProcess } from 'node:child_process';
import { ControlClient, OrchestratorNotRunningError } from '../io/controlClient.js';
import { isOrchestratorAlive } from '../io/sessions.js';
import { lastOutputLines } from '../io/agentOutput.js';
import { readStatus, runPaths } from '../io/runFolder.js';
import { runConsole } from '../ui/runConsole.js';
import type { ActionResult, ConsoleActions } from '../ui/actions.js';
import { buildReport, reportExitCode } from '../report/report.js';

function describe(result: unknown): string {
  if (result && typeof result === 'object') {
    const r = result as Record<string, unknown>;
    const event = (r.event ?? r) as Record<string, unknown>;
    if (typeof event.id === 'string' && event.type === 'checkpoint_created') return `checkpoint ${event.id} created`;
    if (event.type === 'checkpoint_restored') return `restored ${String(event.id)}`;
    if (Array.isArray(r.events)) return `compressed ${r.events.length} agent(s)`;
    if (typeof event.name === 'string') return `${event.name}: done`;
  }
  return 'done';
}

function consoleActions(runDir: string): ConsoleActions {
  const call = async (label: string, action: (client: ControlClient) => Promise<unknown>): Promise<ActionResult> => {
    try {
      const client = await ControlClient.fromRunDir(runDir, { source: 'key', timeoutMs: 10_000 });
      const result = await action(client);
      return { ok: true, message: describe(result) };
    } catch (error) {
      if (error instanceof OrchestratorNotRunningError) return { ok: false, message: error.message };
      return { ok: false, message: `${label} failed: ${(error as Error).message}` };
    }
  };
  return {
    checkpoint: () => call('checkpoint', (c) => c.checkpoint()),
    compress: (agent) => call('compress', (c) => c.compress(agent)),
    restore: (id) => call('restore', (c) => c.restore(id)),
    pause: () => call('pause', (c) => c.pause()),
    resume: () => call('continue', (c) => c.resume()),
    togglePause: () =>
      call('pause/continue', async (c) => ((await c.status()).status === 'paused' ? c.resume() : c.pause())),
    stop: () => call('stop', (c) => c.stop()),
  };
}

export async function openConsole(runDir: string, options: { theme?: string; ascii?: boolean; child?: ChildProcess }): Promise<number> {
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
    readAgentOutput: (agent) => lastOutputLines(paths.root, agent),
  });
  if (outcome === 'detached') {
    process.stdout.write(`The run goes on. Back to the console: megatest attach ${paths.root}\n`);
    return 0;
  }
  // Stopped or ended: the report decides the exit code once it is written.
  const status = readStatus(paths.root);
  if (status === 'completed' || status === 'failed' || status === 'timeout' || status === 'interrupted') {
    try {
      const report = await buildReport(paths.root);
      process.stdout.write(`Session ${report.session_id} ${report.status}. Report: ${paths.finalReportMd}\n`);
      return reportExitCode(report);
    } catch {
      return 1;
    }
  }
  process.stdout.write(`Session ${paths.root}: ${status ?? 'unknown status'}\n`);
  return 0;
}
