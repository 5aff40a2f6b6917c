// Starting a session: prepare the run folder from a validated config, then
// run the orchestrator here (headless, CI) or as a detached child that
// outlives the console (`megatest orchestrate DIR`).

import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { ConfigError, UsageError } from '../config/errors.js';
import { resolveTemplate } from '../config/load.js';
import type { MegatestConfig, ProjectTemplate } from '../config/types.js';
import { checkAgentCommand, cliSpecFor, resolveAgentBinary } from '../agents/index.js';
import { renderSelfwareConfig } from '../agents/selfware/configFile.js';
import { SIM_PROJECT_COMMANDS, SIM_TEMPLATES, simBacklog } from '../agents/sim/index.js';
import { Orchestrator } from '../engine/orchestrator.js';
import { namedCheckpointRefusal } from '../engine/resumeRefusal.js';
import { CheckpointStore } from '../checkpoint/store.js';
import { importedRunRefusal, readRunInfo, type RunInfo } from '../io/runInfo.js';
import { createRunFolder, defaultSessionId, runPaths, type RunPaths, type RunsDirNaming } from '../io/runFolder.js';
import { suspendJobTogether } from '../io/jobControl.js';
import { isOrchestratorAlive } from '../io/sessions.js';
import { RunFileReadError } from '../io/readError.js';
import { takeRunLock } from '../io/runLock.js';
import { startControlServer, type ControlServer } from '../control/server.js';
import { urlHost } from '../io/controlClient.js';
import { MEGATEST_VERSION } from '../version.js';
import { PACKAGE_ROOT } from '../paths.js';
import { takeEarlySignal } from './earlySignals.js';
import { headlessLine } from './headless.js';
import { ciIsSet } from './ciEnv.js';

export function shouldRunHeadless(flag: boolean): boolean {
  return flag || !process.stdout.isTTY || !process.stdin.isTTY || ciIsSet();
}

function projectPrompt(template: ProjectTemplate, config: MegatestConfig, simulated: boolean): string {
  const lines = [
    `# ${template.name} — ${template.description}`,
    '',
    template.prompt.trim(),
    '',
    `Language: ${template.language}${simulated ? ' (the sim agents write JavaScript and measure it with Node)' : ''}`,
    `Target: ${template.target_loc} lines of code, ${template.target_coverage}% line coverage`,
    '',
    'Components:',
    ...template.components.map((c) => `- ${c}`),
    '',
    'Phases:',
  ];
  for (const phase of config.phases) {
    lines.push(`## ${phase.name}`);
    for (const task of template.tasks[phase.name] ?? phase.objectives) lines.push(`- ${task}`);
  }
  return lines.join('\n') + '\n';
}

/** selfware.toml for `--agent selfware` (it reads it with -c); the model goes per process through SELFWARE_MODEL. */
function selfwareToml(config: MegatestConfig): string {
  if (config.agents.endpoint.trim() === '') {
    throw new ConfigError('[agents] endpoint: --agent selfware needs the URL of its model server (an OpenAI-compatible endpoint, e.g. "http://127.0.0.1:8000/v1")', {
      key: 'agents.endpoint',
    });
  }
  if ((config.agents.models[0] ?? '').trim() === '') {
    throw new ConfigError(
      '[agents] models: --agent selfware needs the name of the model its endpoint serves (e.g. models = ["qwen3-coder-30b"]; --model M for a branch); the default models are Claude\'s',
      { key: 'agents.models' },
    );
  }
  const checkpoint = config.checkpoint;
  return renderSelfwareConfig({
    endpoint: config.agents.endpoint,
    model: config.agents.models[0] ?? config.agent.model,
    maxIterations: config.agent.max_iterations,
    stepTimeoutSecs: config.agent.step_timeout_secs,
    // selfware compresses its own context to stay under its token budget: megatest's context window.
    tokenBudget: config.agent.max_context_size,
    continuousWork: {
      enabled: true,
      checkpointIntervalTools: checkpoint.tool_call_threshold > 0 ? checkpoint.tool_call_threshold : undefined,
      checkpointIntervalSecs: checkpoint.interval_minutes > 0 ? Math.max(1, Math.round(checkpoint.interval_minutes * 60)) : undefined,
    },
  });
}

/**
 * The template as the sim runs it: built, tested and measured with Node's
 * tools, and with the sim's own backlog (same number of tasks per phase),
 * whose tasks say what the sim writes (JavaScript modules and their tests)
 * rather than what the template asks of a real agent (a Cargo workspace …).
 */
function simTemplate(base: ProjectTemplate, config: MegatestConfig): ProjectTemplate {
  const withCommands = { ...base, ...SIM_PROJECT_COMMANDS };
  // A template of the user's own: the sim cannot write it, and says so when it tries (sim/projectSpec.ts).
  if (!(base.type in SIM_TEMPLATES)) return withCommands;
  const counts = config.phases.map((phase) => ({ name: phase.name, count: (base.tasks[phase.name] ?? phase.objectives).length }));
  return { ...withCommands, tasks: simBacklog(base.type, counts) };
}

export interface PreparedRun {
  paths: RunPaths;
  info: RunInfo;
}

/** Validates what the config alone cannot, then creates the run folder whole. */
export function prepareRun(config: MegatestConfig, commandKey?: string, runsDirNaming?: RunsDirNaming): PreparedRun {
  const sessionId = config.session.session_id || defaultSessionId();
  const { info, files } = describeRun(config, sessionId, commandKey);
  const paths = createRunFolder(config.session.runs_dir, sessionId, files, runsDirNaming);
  return { paths, info };
}

/**
 * What a run folder starts with for this config and session id: config.json
 * (the RunInfo) and the files beside it. Shared by `run` and by `resume` of a
 * finished run, which branches into a new folder.
 */
export function describeRun(config: MegatestConfig, sessionId: string, commandKey = '[agents] command'): { info: RunInfo; files: Record<string, string> } {
  const kind = config.agents.kind;
  if (kind === 'command' && config.agents.command.trim() === '') {
    throw new UsageError('--agent command needs --agent-cmd "…" (or [agents] command in the config): the program that speaks the JSONL protocol');
  }
  if (kind === 'command') checkAgentCommand({ command: config.agents.command, key: commandKey });
  // A real agent's program must be there before anything is created: exit 2, no run folder.
  const spec = cliSpecFor(kind);
  const binary = spec ? resolveAgentBinary({ configured: config.agents.binary, defaultName: spec.defaultBinary, kind }) : config.agents.binary;
  const simulated = kind === 'sim';
  const base = resolveTemplate(config);
  const template: ProjectTemplate = simulated ? simTemplate(base, config) : base;
  const info: RunInfo = {
    session_id: sessionId,
    created_at: new Date().toISOString(),
    megatest_version: MEGATEST_VERSION,
    agent_kind: kind,
    agent_version: simulated
      ? `sim ${MEGATEST_VERSION} (built-in simulation, not a model)`
      : spec
        ? `${kind}: ${binary}`
        : `command: ${config.agents.command}`,
    simulated,
    // The resolved program, so the orchestrator (and a later resume) runs exactly the one checked here.
    config: { ...config, agents: { ...config.agents, binary }, session: { ...config.session, session_id: sessionId } },
    template,
  };
  const files: Record<string, string> = {
    'config.json': JSON.stringify(info, null, 2) + '\n',
    'project_prompt.txt': projectPrompt(template, config, simulated),
  };
  if ((kind as string) === 'selfware') files['selfware.toml'] = selfwareToml(config);
  return { info, files };
}

/** A warning: on stderr, so stdout stays the run's progress lines (CI logs, pipes). */
function safeWarn(message: string): void {
  try {
    process.stderr.write(`megatest: warning: ${message}\n`);
  } catch {
    // stderr closed: the run goes on
  }
}

/** An error line on stderr (the run is over). */
function safeError(message: string): void {
  try {
    process.stderr.write(`megatest: ${message}\n`);
  } catch {
    // stderr closed
  }
}

function safeWrite(line: string, to: NodeJS.WritableStream = process.stdout): void {
  try {
    to.write(line + '\n');
  } catch {
    // stdout closed (a pipe whose reader went away): the run goes on
  }
}

/**
 * `megatest resume --checkpoint ID` in place, in the console: the check the
 * orchestrator makes before it touches anything (Orchestrator.runSession),
 * made here before it is started. Detached, its refusal went only to
 * orchestrator.log and the person saw "orchestrator not running"; now the
 * console path says the same one line, with the same exit code, as headless
 * (2: no such checkpoint; 1: one that fails its checks). Headless runs the
 * orchestrator in this process and is refused by it directly.
 */
export async function refuseNamedCheckpoint(runDir: string, named: string): Promise<void> {
  const checkpoints = runPaths(runDir).checkpoints;
  try {
    await new CheckpointStore(checkpoints).read(named);
  } catch (error) {
    throw namedCheckpointRefusal(named, (error as Error).message, checkpoints);
  }
}

/** The startup line naming the control API: a URL a client can use (an IPv6 host was printed unbracketed, http://::1:18917). */
export function controlBanner(host: string, port: number, tokenFile: string): string {
  return `control API on http://${urlHost(host)}:${port} (token in ${tokenFile})`;
}

export async function runOrchestratorInProcess(
  runDir: string,
  options: { print: boolean; resume?: { checkpointId?: string }; controlHost?: string },
): Promise<number> {
  const info = readRunInfo(runDir);
  const paths = runPaths(runDir);
  if (info.imported) throw new UsageError(importedRunRefusal('megatest orchestrate', runDir, info.imported.agent_kind));
  if (options.resume && isOrchestratorAlive(runDir)) {
    throw new UsageError(`megatest resume: the orchestrator of ${runDir} is still running; use megatest attach ${runDir}`);
  }
  // Taken before anything is written, and held to the end: the check above alone let two resumes started together both in.
  const lock = takeRunLock(paths.root, options.resume ? 'resume' : 'orchestrate');
  try {
    return await orchestrateLocked(runDir, paths, info, options);
  } finally {
    lock.release();
  }
}

async function orchestrateLocked(
  runDir: string,
  paths: RunPaths,
  info: RunInfo,
  options: { print: boolean; resume?: { checkpointId?: string }; controlHost?: string },
): Promise<number> {
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const orchestrator = new Orchestrator({
    info,
    paths,
    resume: options.resume,
    // In CI nobody answers a pause for a person: it ends the session instead (docs/recovery.md, "Bounds").
    unattended: ciIsSet(),
    onEvent: options.print
      ? (event, state) => {
          const line = headlessLine(event, state);
          if (line !== null) safeWrite(line);
        }
      : undefined,
  });
  // Handled from here on (before the first await): a signal while the session starts ends it `interrupted`, recorded.
  const onSignal = (signal: NodeJS.Signals) => {
    if (!orchestrator.interrupt(signal)) safeWarn(`${signal}: a stop is already under way and goes on (the agents, the final measurement and checkpoint, the report); Ctrl-\\ (SIGQUIT) quits at once`);
  };
  const onStatusSignal = () => orchestrator.writeStatusBlock();
  // Ctrl-Z of a headless run in the foreground: its agents, in process groups of their own, stop with it.
  const onStopSignal = () => orchestrator.suspendWithShell((groups) => suspendJobTogether(groups));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGUSR1', onStatusSignal);
  process.on('SIGTSTP', onStopSignal);
  // Ctrl-\: quit now, and take the agents (process groups of their own) down too.
  const onQuitSignal = () => {
    orchestrator.quitNow('SIGQUIT');
    safeError(`quit (SIGQUIT): its agents are killed, with no final checkpoint or report; carry the run on with: megatest resume ${runDir}`);
    process.exit(128 + constants.signals.SIGQUIT);
  };
  process.on('SIGQUIT', onQuitSignal);
  // A detached orchestrator must survive the terminal closing (SSH drop).
  process.on('SIGHUP', () => undefined);
  // One that came while this process was still loading.
  const early = takeEarlySignal();
  if (early !== null) orchestrator.interrupt(early);
  let server: ControlServer | null = null;
  try {
    server = await startControlServer({
      engine: orchestrator,
      runDir: paths.root,
      port: info.config.monitoring.control_port,
      host: options.controlHost,
      onWarning: (message) => safeWarn(message),
    });
    if (options.print) safeWrite(controlBanner(server.host, server.port, path.join(paths.root, 'control.token')));
  } catch (error) {
    safeWarn(`control API not started: ${(error as Error).message}; the run goes on without it`);
  }
  try {
    const code = await orchestrator.run();
    if (orchestrator.folderLost !== null) {
      safeError(`${orchestrator.folderLost}: the agents are stopped, and this orchestrator ended without writing anything more there`);
    } else if (options.print) {
      safeWrite(`report: ${paths.finalReportMd}`);
    }
    return code;
  } catch (error) {
    // A resume that could not start again (an agent, a worktree): one line and exit 1, not a stack trace (session.log has
    // it); bad input and unreadable files keep their own words and codes.
    if (!options.resume || error instanceof UsageError || error instanceof ConfigError || error instanceof RunFileReadError) throw error;
    const said = ((error as Error).message ?? String(error)).split('\n')[0];
    safeWrite(`megatest resume: the session could not start again: ${said}; nothing of it ran, and the run folder is left for the next megatest resume ${runDir} (session.log has the details)`, process.stderr);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGUSR1', onStatusSignal);
    process.off('SIGTSTP', onStopSignal);
    process.off('SIGQUIT', onQuitSignal);
    await server?.close().catch(() => undefined);
  }
}

/**
 * Starts `megatest orchestrate DIR` detached, its output into the run folder.
 * The child writes to the file itself (its own descriptor, not a pipe through
 * this process), so nothing here keeps this process alive: the console's `q`
 * gives the shell back at once, and the orchestrator's output goes on to the
 * file after this process is gone. (execa copies a `{file}` target through a
 * pipe it holds open, which kept `megatest run` waiting for the whole run.)
 */
export function spawnOrchestrator(runDir: string, extraArgs: string[]): ChildProcess {
  const paths = runPaths(runDir);
  const out = openSync(paths.orchestratorLog, 'a');
  try {
    const child = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'megatest.js'), 'orchestrate', paths.root, ...extraArgs], {
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.unref();
    // A failure to start shows as the console's "orchestrator not running"; nothing to throw here.
    child.on('error', () => undefined);
    return child;
  } finally {
    closeSync(out);
  }
}
