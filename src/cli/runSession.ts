// Starting a session: prepare the run folder from a validated config, then
// run the orchestrator here (headless, CI) or as a detached child that
// outlives the console (`megatest orchestrate DIR`).

import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { UsageError } from '../config/errors.js';
import { resolveTemplate } from '../config/load.js';
import type { MegatestConfig, ProjectTemplate } from '../config/types.js';
import { SIM_PROJECT_COMMANDS } from '../agents/sim/index.js';
import { Orchestrator } from '../engine/orchestrator.js';
import { readRunInfo, type RunInfo } from '../io/runInfo.js';
import { createRunFolder, defaultSessionId, runPaths, type RunPaths } from '../io/runFolder.js';
import { isOrchestratorAlive } from '../io/sessions.js';
import { startControlServer, type ControlServer } from '../control/server.js';
import { MEGATEST_VERSION } from '../version.js';
import { PACKAGE_ROOT } from '../paths.js';
import { headlessLine } from './headless.js';

export function shouldRunHeadless(flag: boolean): boolean {
  return flag || !process.stdout.isTTY || !process.stdin.isTTY || Boolean(process.env.CI);
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

function selfwareToml(config: MegatestConfig): string {
  return [
    '# selfware settings written by megatest for this session',
    `model = ${JSON.stringify(config.agents.models[0] ?? config.agent.model)}`,
    `max_context_tokens = ${config.agent.max_context_size}`,
    `step_timeout_secs = ${config.agent.step_timeout_secs}`,
    '',
  ].join('\n');
}

export interface PreparedRun {
  paths: RunPaths;
  info: RunInfo;
}

/** Validates what the config alone cannot, then creates the run folder whole. */
export function prepareRun(config: MegatestConfig): PreparedRun {
  const kind = config.agents.kind;
  if (kind === 'command' && config.agents.command.trim() === '') {
    throw new UsageError('--agent command needs --agent-cmd "…" (or [agents] command in the config): the program that speaks the JSONL protocol');
  }
  if (kind !== 'sim' && kind !== 'command') {
    throw new UsageError(`--agent ${kind}: this adapter is not available yet; use sim or command`);
  }
  const simulated = kind === 'sim';
  const base = resolveTemplate(config);
  const template: ProjectTemplate = simulated ? { ...base, ...SIM_PROJECT_COMMANDS } : base;
  const sessionId = config.session.session_id || defaultSessionId();
  const info: RunInfo = {
    session_id: sessionId,
    created_at: new Date().toISOString(),
    megatest_version: MEGATEST_VERSION,
    agent_kind: kind,
    agent_version: simulated ? `sim ${MEGATEST_VERSION} (built-in simulation, not a model)` : `command: ${config.agents.command}`,
    simulated,
    config: { ...config, session: { ...config.session, session_id: sessionId } },
    template,
  };
  const files: Record<string, string> = {
    'config.json': JSON.stringify(info, null, 2) + '\n',
    'project_prompt.txt': projectPrompt(template, config, simulated),
  };
  if ((kind as string) === 'selfware') files['selfware.toml'] = selfwareToml(config);
  const paths = createRunFolder(config.session.runs_dir, sessionId, files);
  return { paths, info };
}

function safeWrite(line: string): void {
  try {
    process.stdout.write(line + '\n');
  } catch {
    // stdout closed (a pipe whose reader went away): the run goes on
  }
}

export async function runOrchestratorInProcess(
  runDir: string,
  options: { print: boolean; resume?: { checkpointId?: string }; controlHost?: string },
): Promise<number> {
  const info = readRunInfo(runDir);
  const paths = runPaths(runDir);
  if (options.resume && isOrchestratorAlive(runDir)) {
    throw new UsageError(`megatest resume: the orchestrator of ${runDir} is still running; use megatest attach ${runDir}`);
  }
  process.stdout.on('error', () => undefined);
  const orchestrator = new Orchestrator({
    info,
    paths,
    resume: options.resume,
    onEvent: options.print
      ? (event) => {
          const line = headlessLine(event);
          if (line !== null) safeWrite(line);
        }
      : undefined,
  });
  let server: ControlServer | null = null;
  try {
    server = await startControlServer({
      engine: orchestrator,
      runDir: paths.root,
      port: info.config.monitoring.control_port,
      host: options.controlHost,
      onWarning: (message) => safeWrite(`WARNING: ${message}`),
    });
    if (options.print) safeWrite(`control API on http://${server.host}:${server.port} (token in ${path.join(paths.root, 'control.token')})`);
  } catch (error) {
    safeWrite(`WARNING: control API not started: ${(error as Error).message}; the run goes on without it`);
  }
  const onSignal = (signal: NodeJS.Signals) => orchestrator.interrupt(signal);
  const onStatusSignal = () => orchestrator.writeStatusBlock();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGUSR1', onStatusSignal);
  // A detached orchestrator must survive the terminal closing (SSH drop).
  process.on('SIGHUP', () => undefined);
  try {
    const code = await orchestrator.run();
    if (options.print) safeWrite(`report: ${paths.finalReportMd}`);
    return code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGUSR1', onStatusSignal);
    await server?.close().catch(() => undefined);
  }
}

/** Starts `megatest orchestrate DIR` detached, its output into the run folder. */
export function spawnOrchestrator(runDir: string, extraArgs: string[]): ResultPromise {
  const paths = runPaths(runDir);
  const log = { file: paths.orchestratorLog, append: true } as const;
  const child = execa(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'megatest.js'), 'orchestrate', paths.root, ...extraArgs], {
    detached: true,
    cleanup: false,
    stdin: 'ignore',
    stdout: log,
    stderr: log,
    reject: false,
  });
  child.unref();
  child.catch(() => undefined);
  return child;
}
