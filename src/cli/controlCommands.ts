// The console's controls from a shell: checkpoint, compress, pause, continue,
// stop, restore and status. Each talks to the orchestrator through the
// control API; status answers from the run folder's files when the
// orchestrator is gone.

import path from 'node:path';
import { UsageError } from '../config/errors.js';
import { assertNever } from '../contract/assertNever.js';
import { CHECKPOINT_ID_PATTERN } from '../contract/control.js';
import { ControlClient, ControlRequestError, OrchestratorNotRunningError, OrchestratorStoppedError } from '../io/controlClient.js';
import { readStatus } from '../io/runFolder.js';
import { importedAgentKind, importedRunRefusal } from '../io/runInfo.js';
import { isOrchestratorAlive, listRuns, resolveSession } from '../io/sessions.js';
import { describeActionResult, type ActionName } from './actionResult.js';
import { refuseLegacyFolder } from './legacyRefusal.js';
import { formatStatus, viewFromSnapshot, type StatusView } from './statusView.js';

export type ControlCommandName = ActionName | 'status';

export interface ControlCommandArgs {
  session?: string;
  runsDir: string;
  checkpoint?: string;
  agent?: string;
  json?: boolean;
}

export interface Output {
  log(s: string): void;
  error(s: string): void;
}

const STDIO: Output = {
  log: (s) => process.stdout.write(s + '\n'),
  error: (s) => process.stderr.write(s + '\n'),
};

const ENDED_STATUSES = new Set(['completed', 'failed', 'timeout']);

async function callAction(client: ControlClient, name: Exclude<ControlCommandName, 'status'>, args: ControlCommandArgs): Promise<unknown> {
  switch (name) {
    case 'checkpoint':
      return client.checkpoint();
    case 'compress':
      return client.compress(args.agent);
    case 'restore':
      return client.restore(args.checkpoint!);
    case 'pause':
      return client.pause();
    case 'continue':
      return client.resume();
    case 'stop':
      return client.stop();
    default:
      return assertNever(name, 'control command');
  }
}

function validate(name: ControlCommandName, args: ControlCommandArgs): string | null {
  if (args.agent !== undefined && name !== 'compress') return `megatest ${name}: --agent is only for compress`;
  if (args.agent !== undefined && args.agent.trim() === '') return 'megatest compress: --agent needs an agent name';
  if (args.checkpoint !== undefined && name !== 'restore') return `megatest ${name}: --checkpoint is only for restore`;
  if (name === 'restore') {
    if (args.checkpoint === undefined) return 'megatest restore: --checkpoint ID is required (e.g. --checkpoint checkpoint_003)';
    if (!CHECKPOINT_ID_PATTERN.test(args.checkpoint)) {
      return `megatest restore: --checkpoint ${JSON.stringify(args.checkpoint)}: expected checkpoint_ followed by digits, e.g. checkpoint_003`;
    }
  }
  return null;
}

/** With no SESSION named and more than one running, which one the command went to (the newest), and how to choose. */
function whichOfSeveral(name: ControlCommandName, args: ControlCommandArgs, runDir: string): string {
  if (args.session !== undefined && args.session !== '') return '';
  const running = listRuns(args.runsDir).filter((run) => run.running).length;
  if (running < 2) return '';
  return ` (session ${path.basename(runDir)}, the newest of ${running} running; name one to choose: megatest ${name} SESSION)`;
}

function findRunDir(name: ControlCommandName, args: ControlCommandArgs): string {
  if (name === 'status' && (args.session === undefined || args.session === '')) {
    // status with nothing named and nothing running shows the newest run
    const runs = listRuns(args.runsDir);
    const pick = runs.find((run) => run.running) ?? runs[0];
    if (!pick) throw new UsageError(`no runs under ${args.runsDir}; start one with megatest run`);
    return pick.dir;
  }
  return resolveSession(args.session, args.runsDir);
}

async function runStatus(runDir: string, args: ControlCommandArgs, out: Output): Promise<number> {
  let view: StatusView | null = null;
  let notRunning: string | null = null;
  let stopped: OrchestratorStoppedError | null = null;
  if (isOrchestratorAlive(runDir)) {
    try {
      const client = await ControlClient.fromRunDir(runDir, { source: 'cli', timeoutMs: 10_000 });
      view = viewFromSnapshot(runDir, await client.status(), client.baseUrl);
    } catch (error) {
      if (error instanceof OrchestratorStoppedError) stopped = error;
      notRunning = error instanceof OrchestratorNotRunningError || error instanceof OrchestratorStoppedError ? error.message : `control API: ${(error as Error).message}; read from the files`;
    }
  } else {
    notRunning = new OrchestratorNotRunningError(runDir).message;
  }
  // The files' view loads the fold and the report's figures: only when the API did not answer (statusFromFiles.ts).
  view ??= await (await import('./statusFromFiles.js')).viewFromFiles(runDir);
  if (stopped !== null) view = { ...view, pid: stopped.pid, orchestrator_stopped: true };
  if (args.json) {
    out.log(JSON.stringify(view, null, 2));
    return 0;
  }
  // A finished session is not something to resume: say it ended instead (a recording is never resumed).
  if (notRunning !== null && !ENDED_STATUSES.has(view.status) && !view.legacy && !view.imported) out.error(notRunning);
  for (const line of formatStatus(view)) out.log(line);
  return 0;
}

export async function runControlCommand(name: ControlCommandName, args: ControlCommandArgs, stdio: Output = STDIO): Promise<number> {
  // With --json a script gets JSON on a failure too: {"ok":false,"error":…,"exit_code":…} on stdout, the line on stderr as always.
  let failed = '';
  const out: Output = args.json ? { log: (line) => stdio.log(line), error: (line) => { failed = line; stdio.error(line); } } : stdio;
  const code = await controlCommand(name, args, out);
  if (args.json && code !== 0 && failed !== '') stdio.log(JSON.stringify({ ok: false, error: failed, exit_code: code }, null, 2));
  return code;
}

async function controlCommand(name: ControlCommandName, args: ControlCommandArgs, out: Output): Promise<number> {
  const problem = validate(name, args);
  if (problem) {
    out.error(problem);
    return 2;
  }
  let runDir: string;
  try {
    runDir = findRunDir(name, args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // An ended run is restored offline when it is named (megatest restore DIR, see restoreOffline.ts).
    const hint = name === 'restore' && !args.session ? ' (an ended run: megatest restore DIR --checkpoint ID)' : '';
    out.error(`megatest ${name}: ${error.message}${hint}`);
    // Naming a session that is not there is a usage error; nothing running is the action failing.
    return args.session ? 2 : 1;
  }
  if (name === 'status') return runStatus(runDir, args, out);
  try {
    refuseLegacyFolder(name, runDir);
  } catch (error) {
    out.error((error as Error).message);
    return 2;
  }

  let client: ControlClient;
  try {
    client = await ControlClient.fromRunDir(runDir, { source: 'cli' });
  } catch (error) {
    if (error instanceof OrchestratorNotRunningError) {
      const status = readStatus(runDir);
      const importedKind = importedAgentKind(runDir);
      out.error(
        importedKind !== null
          ? `${importedRunRefusal(`megatest ${name}`, runDir, importedKind)}; nothing to control`
          : status !== null && ENDED_STATUSES.has(status)
            ? `megatest ${name}: the session in ${runDir} has ended (${status}); nothing to control`
            : `megatest ${name}: ${error.message}`,
      );
      return 1;
    }
    out.error(`megatest ${name}: ${(error as Error).message}`);
    return 1;
  }
  try {
    const result = await callAction(client, name, args);
    out.log(args.json ? JSON.stringify(result, null, 2) : `${describeActionResult(name, result)}${whichOfSeveral(name, args, runDir)}`);
    return 0;
  } catch (error) {
    out.error(`megatest ${name}: ${(error as Error).message}`);
    // An agent or checkpoint the session does not have is bad input (the answer names what there is); a refusal (already paused, a bad checkpoint) is the action failing.
    return error instanceof ControlRequestError && (error.status === 400 || error.status === 404) ? 2 : 1;
  }
}
