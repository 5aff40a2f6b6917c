// `megatest` command line (DESIGN §2). Each command parses its own options
// strictly: an unknown option or a bad value exits 2 with one clear line.

import type { ParseArgsConfig } from 'node:util';
import { existsSync } from 'node:fs';
import { ConfigError, UsageError } from '../config/errors.js';
import type { ConfigFlags } from '../config/load.js';
import { parseDuration } from '../config/duration.js';
import { AGENTS_MAX, AGENTS_MIN } from '../config/allowedValues.js';
import { requireRunsDir, runPaths, validateSessionId } from '../io/runFolder.js';
import { RunFileReadError } from '../io/readError.js';
import { resolveSession, isOrchestratorAlive } from '../io/sessions.js';
import { isLegacyRunFolder } from '../legacy/detect.js';
import { checkpointArg } from './checkpointArg.js';
import { catchEarlySignals, earlySignal, takeEarlySignal } from './earlySignals.js';
import { agentKindProblem, decimalFlag, integer, joinDashValues } from './flagValues.js';
import { AGENT_KINDS } from '../config/types.js';
import { sayConfigNotice } from './configNotices.js';
import { parseCommandArgs } from './parseOptions.js';
import { folderOrSessionId, oneRunFolderRefusal, requireFolderArg } from './commandArgs.js';
import { HELP } from './helpText.js';
import { checkpointVerifyHint, commandHint, configCommandHint, nearestCommandHint, projectAsCommandHint } from './oldHabits.js';
import { MEGATEST_VERSION } from '../version.js';
import { runsDirFor, runsDirNaming, runsDirSourceOf, type RunsDirSource } from './runsDir.js';
import { jsonFailure, wantsJson } from './jsonFailure.js';

// The engine, the report and the console (React, Ink) are loaded by the
// commands that use them, not by every start: `--version`, `status` and the
// shell controls pay for node and this file only.
const runSession = () => import('./runSession.js');
const configLoader = () => import('../config/load.js');
const openConsole: typeof import('./console.js').openConsole = async (...args) => (await import('./console.js')).openConsole(...args);

const RUN_OPTIONS = {
  config: { type: 'string' },
  preset: { type: 'string' },
  duration: { type: 'string' },
  agents: { type: 'string' },
  agent: { type: 'string' },
  'agent-cmd': { type: 'string' },
  'session-id': { type: 'string' },
  'runs-dir': { type: 'string' },
  'checkpoint-interval': { type: 'string' },
  seed: { type: 'string' },
  port: { type: 'string' },
  'control-host': { type: 'string' },
  theme: { type: 'string' },
  ascii: { type: 'boolean' },
  headless: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

function parse<O extends NonNullable<ParseArgsConfig['options']>>(command: string, args: string[], options: O) {
  return parseCommandArgs(command, joinDashValues(args, options), options);
}

function runFlags(values: Record<string, string | boolean | undefined>, positionals: string[]): { flags: ConfigFlags; configFile?: string; preset?: string } {
  if (positionals.length > 3) throw new UsageError(`megatest run: too many arguments (${positionals.join(' ')}); expected [PROJECT] [HOURS] [AGENTS]`);
  const [project, hours, agents] = positionals;
  const str = (key: string) => values[key] as string | undefined;
  if (str('duration') !== undefined) {
    try {
      parseDuration(str('duration')!);
    } catch (error) {
      throw new UsageError(`--${(error as Error).message}`);
    }
  }
  // Checked here: given empty, it was taken for no id at all and one was made up.
  if (str('session-id') !== undefined) validateSessionId(str('session-id')!);
  // Here, not in the config check: run, resume and import say a bad --agent in one wording (agentKindProblem).
  if (str('agent') !== undefined && !(AGENT_KINDS as readonly string[]).includes(str('agent')!)) throw new UsageError(agentKindProblem(str('agent')!, AGENT_KINDS));
  const agentsFlag = integer('--agents', str('agents'), AGENTS_MIN, AGENTS_MAX);
  const agentsPositional = integer('AGENTS', agents, AGENTS_MIN, AGENTS_MAX);
  // Both given and different: one of them was silently not used.
  if (agentsFlag !== undefined && agentsPositional !== undefined && agentsFlag !== agentsPositional) {
    throw new UsageError(`megatest run: AGENTS ${agentsPositional} and --agents ${agentsFlag} disagree; give one of them`);
  }
  const flags: ConfigFlags = {
    project,
    hours: integer('HOURS', hours, 1, 24),
    agents: agentsFlag ?? agentsPositional,
    duration: str('duration'),
    agentKind: str('agent'),
    agentCmd: str('agent-cmd'),
    sessionId: str('session-id'),
    runsDir: str('runs-dir'),
    // The config's ranges ([checkpoint].interval_minutes 0.5..1440, [session].seed 0..4294967295).
    checkpointInterval: decimalFlag('--checkpoint-interval', str('checkpoint-interval'), 0.5, 1440),
    headless: values.headless as boolean | undefined,
    seed: integer('--seed', str('seed'), 0, 4_294_967_295),
    port: integer('--port', str('port'), 1, 65535),
    theme: str('theme'),
    ascii: values.ascii as boolean | undefined,
  };
  // Given empty (`--config=`), the loader read "" as a path and said "config file : is a directory".
  if (str('config') === '') throw new UsageError('--config needs a value: a TOML file');
  return { flags, configFile: str('config'), preset: str('preset') };
}

/** SIGINT/SIGTERM before the run folder was made: nothing was started, nothing is left behind. */
function interruptedBeforeStart(): number {
  const signal = takeEarlySignal();
  process.stderr.write(`megatest: interrupted by ${signal ?? 'a signal'} before the session started; no run folder was made\n`);
  return 130;
}

async function cmdRun(args: string[]): Promise<number> {
  const { values, positionals } = parse('run', args, RUN_OPTIONS);
  if (values.help) return help('run');
  const { flags, configFile, preset } = runFlags(values, positionals);
  const config = (await configLoader()).loadConfig({ configFile, preset, flags, env: process.env, onNotice: sayConfigNotice });
  const controlHost = await (await import('./controlHost.js')).checkControlHost(values['control-host']);
  const { prepareRun, runOrchestratorInProcess, spawnOrchestrator, shouldRunHeadless } = await runSession();
  // config.session.headless holds --headless too (flags are its top layer)
  const headless = shouldRunHeadless(config.session.headless);
  const rerun = await import('./headlessRerun.js');
  if (headless && rerun.inConsoleHeap()) return rerun.rerunHeadless('run', args);
  if (earlySignal() !== null) return interruptedBeforeStart();
  const runsDirSource: RunsDirSource = flags.runsDir !== undefined ? { from: 'flag' } : await runsDirSourceOf(configFile ?? (process.env.CONFIG_FILE || undefined), configFile === undefined);
  const prepared = prepareRun(config, flags.agentCmd === undefined ? undefined : '--agent-cmd', runsDirNaming({ dir: config.session.runs_dir, source: runsDirSource }));
  if (headless) {
    return runOrchestratorInProcess(prepared.paths.root, { print: true, controlHost });
  }
  takeEarlySignal();
  const child = spawnOrchestrator(prepared.paths.root, controlHost ? ['--control-host', controlHost] : []);
  return openConsole(prepared.paths.root, { theme: flags.theme ?? config.ui.theme, ascii: flags.ascii ?? config.ui.ascii, child });
}

async function cmdOrchestrate(args: string[]): Promise<number> {
  const { values, positionals } = parse('orchestrate', args, {
    resume: { type: 'boolean' },
    checkpoint: { type: 'string' },
    'control-host': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return help('orchestrate');
  const dir = requireDir('orchestrate', positionals);
  const controlHost = await (await import('./controlHost.js')).checkControlHost(values['control-host']);
  const { runOrchestratorInProcess } = await runSession();
  return runOrchestratorInProcess(dir, {
    print: true,
    resume: values.resume ? { checkpointId: values.checkpoint } : undefined,
    controlHost,
  });
}

async function cmdResume(args: string[]): Promise<number> {
  const { values, positionals } = parse('resume', args, {
    checkpoint: { type: 'string' },
    agent: { type: 'string' },
    'agent-cmd': { type: 'string' },
    model: { type: 'string' },
    headless: { type: 'boolean' },
    theme: { type: 'string' },
    ascii: { type: 'boolean' },
    'runs-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return help('resume');
  if (positionals.length === 1) positionals[0] = await folderOrSessionId('resume', positionals[0]!, values['runs-dir']);
  const checks = await import('./consoleChecks.js');
  checks.checkThemeFlag(values.theme);
  if (positionals.length === 1) checks.refuseLegacyFolder('resume', positionals[0]!);
  let dir = requireDir('resume', positionals);
  if (isOrchestratorAlive(dir)) {
    throw new UsageError(`megatest resume: the orchestrator of ${dir} is still running; use megatest attach ${dir}`);
  }
  // checked before anything is read: a bad id is the person's typo, whatever the folder holds
  const namedCheckpoint = values.checkpoint === undefined ? undefined : checkpointArg('resume', values.checkpoint);
  const { importedAgentKind, importedRunRefusal } = await import('../io/runInfo.js');
  const importedKind = importedAgentKind(dir);
  if (importedKind !== null) throw new UsageError(importedRunRefusal('megatest resume', dir, importedKind));
  // Before anything starts (the console's orchestrator runs detached): a log that cannot be read stops the resume here.
  await (await import('../io/foldLog.js')).checkLogReadable(runPaths(dir).events, 'megatest resume', 'the session was not resumed');
  let checkpointId = namedCheckpoint;
  const branching = await import('./resumeBranch.js');
  const branched = branching.isFinishedRun(dir);
  if (branched) {
    const say = (line: string) => process.stdout.write(line + '\n');
    const branch = await branching.prepareBranch(dir, { checkpoint: checkpointId, agent: values.agent, agentCmd: values['agent-cmd'], model: values.model, say });
    dir = branch.dir;
    checkpointId = branch.checkpointId;
  } else if (values.agent !== undefined || values['agent-cmd'] !== undefined || values.model !== undefined) {
    throw new UsageError(`megatest resume: --agent, --agent-cmd and --model are for a finished run, which branches; ${dir} has not finished and resumes in place with its own agents`);
  }
  const resume = { checkpointId };
  // Only --headless, a terminal and CI decide: the run's config.json records a run's --headless as [session] headless.
  const { refuseNamedCheckpoint, runOrchestratorInProcess, spawnOrchestrator, shouldRunHeadless } = await runSession();
  if (shouldRunHeadless(values.headless === true)) {
    return runOrchestratorInProcess(dir, { print: true, resume });
  }
  // The detached orchestrator's refusal would reach only orchestrator.log: checked here first (a branch's was, by prepareBranch).
  if (checkpointId !== undefined && !branched) await refuseNamedCheckpoint(dir, checkpointId);
  takeEarlySignal();
  const child = spawnOrchestrator(dir, ['--resume', ...(checkpointId ? ['--checkpoint', checkpointId] : [])]);
  return openConsole(dir, { theme: values.theme, ascii: values.ascii, child });
}

async function cmdAttach(args: string[]): Promise<number> {
  const { values, positionals } = parse('attach', args, {
    'runs-dir': { type: 'string' },
    theme: { type: 'string' },
    ascii: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return help('attach');
  if (values['runs-dir'] !== undefined) requireRunsDir('attach', values['runs-dir']);
  const { checkThemeFlag, refuseLegacyFolder, requireTerminal } = await import('./consoleChecks.js');
  checkThemeFlag(values.theme);
  requireTerminal('attach', 'megatest status');
  const dir = resolveSession(positionals[0], await runsDirFor('attach', values['runs-dir']));
  refuseLegacyFolder('attach', dir);
  return openConsole(dir, { theme: values.theme, ascii: values.ascii });
}

function requireDir(command: string, positionals: string[]): string {
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw oneRunFolderRefusal(command, positionals);
  requireFolderArg(command, dir);
  if (!existsSync(runPaths(dir).config)) throw new UsageError(`megatest ${command}: ${dir} is not a megatest run folder (no config.json)`);
  return dir;
}

async function cmdReport(args: string[]): Promise<number> {
  const { values, positionals } = parse('report', args, { format: { type: 'string' }, 'runs-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) return help('report');
  if (positionals.length === 1) positionals[0] = await folderOrSessionId('report', positionals[0]!, values['runs-dir']);
  // a legacy folder (the original runner's) is read, never written: its final_report.json is the runner's own
  const legacy = positionals.length === 1 && isLegacyRunFolder(positionals[0]!);
  const dir = legacy ? positionals[0]! : requireDir('report', positionals);
  const format = values.format ?? 'md';
  if (!['md', 'json', 'junit'].includes(format)) throw new UsageError(`--format ${format}: use md, json or junit`);
  return (await import('./reportCommand.js')).printReport(dir, { legacy, running: !legacy && isOrchestratorAlive(dir), format });
}

async function cmdConfig(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'check') {
    // --config FILE as `run` and `config print` take it, or FILE alone.
    const { values, positionals } = parse('config check', rest, { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
    if (values.help) return help('config');
    const files = [...(values.config === undefined ? [] : [values.config]), ...positionals];
    if (files.length !== 1) throw new UsageError(`megatest config check: expected one FILE (or --config FILE)${files.length > 1 ? `, got ${files.join(' and ')}` : ''}`);
    if (files[0] === '') throw new UsageError('megatest config check needs a FILE (got an empty argument)');
    (await configLoader()).checkConfigFile(files[0]!, sayConfigNotice);
    process.stdout.write(`${files[0]}: ok\n`);
    return 0;
  }
  if (sub === 'print') {
    const { values, positionals } = parse('config print', rest, RUN_OPTIONS);
    if (values.help) return help('config');
    const { flags, configFile, preset } = runFlags(values, positionals);
    const { configToToml, loadConfig } = await configLoader();
    process.stdout.write(configToToml(loadConfig({ configFile, preset, flags, env: process.env, onNotice: sayConfigNotice })));
    return 0;
  }
  if (sub === 'migrate') return (await import('./configMigrate.js')).configMigrateCommand(rest);
  if (sub === '--help' || sub === '-h') return help('config');
  throw new UsageError(
    `megatest config: expected check FILE, print or migrate OLD.toml (got ${sub === undefined ? 'nothing' : JSON.stringify(sub)})${withHint(sub === undefined ? null : configCommandHint(sub))}`,
  );
}

async function cmdControl(name: 'checkpoint' | 'compress' | 'pause' | 'continue' | 'stop' | 'restore' | 'status', args: string[]): Promise<number> {
  const { values, positionals } = parse(name, args, {
    'runs-dir': { type: 'string' },
    checkpoint: { type: 'string' },
    agent: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return help(name === 'status' ? 'status' : 'control');
  if (positionals.length > 1) throw new UsageError(`megatest ${name}: expected at most one SESSION (got ${positionals.join(' ')})${withHint(checkpointVerifyHint(name, positionals))}`);
  if (values['runs-dir'] !== undefined) requireRunsDir(name, values['runs-dir']);
  const { runControlCommand } = await import('./controlCommands.js');
  return runControlCommand(name, {
    session: positionals[0],
    runsDir: await runsDirFor(name, values['runs-dir']),
    checkpoint: values.checkpoint,
    agent: values.agent,
    json: values.json,
  });
}

/** The hint for a shipped project type given as the command; the config is loaded only for an unknown command. */
async function projectHint(command: string, args: string[]): Promise<string | null> {
  const { PROJECTS_DIR } = await import('../config/fileLayers.js');
  const path = await import('node:path');
  return projectAsCommandHint(command, args, (word) => existsSync(path.join(PROJECTS_DIR, `${word}.toml`)));
}

/** "; did you mean …?" for a hint, nothing without one. */
function withHint(hint: string | null): string {
  return hint === null ? '' : `; ${hint}`;
}

function help(topic: string): number {
  process.stdout.write((HELP[topic] ?? HELP.main) + '\n');
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case undefined:
    case '--help':
    case '-h':
      return help('main');
    case 'help':
      // `megatest help run`, as git and npm take it: the command's own help.
      return args[0] === undefined || args[0] === 'help' ? help('main') : main([args[0], '--help']);
    case '--version':
    case '-V':
    case '-v':
      process.stdout.write(`megatest ${MEGATEST_VERSION}\n`);
      return 0;
    case 'run':
      catchEarlySignals();
      return cmdRun(args);
    case 'orchestrate':
      catchEarlySignals();
      return cmdOrchestrate(args);
    case 'resume':
      catchEarlySignals();
      return cmdResume(args);
    case 'attach':
      return cmdAttach(args);
    case 'report':
      return cmdReport(args);
    case 'config':
      return cmdConfig(args);
    case 'ls':
      return (await import('./ls.js')).lsCommand(args);
    case 'clean':
      return (await import('./clean.js')).cleanCommand(args);
    case 'compare':
      return (await import('./compare.js')).compareCommand(args);
    case 'checkpoint':
    case 'compress':
    case 'pause':
    case 'continue':
    case 'stop':
    case 'status':
      return cmdControl(command, args);
    case 'restore':
      return (await import('./restoreOffline.js')).restoreCommand(args);
    case 'checkpoints':
      return (await import('./checkpointsVerify.js')).checkpointsCommand(args);
    case 'replay':
      return (await import('./replay.js')).replayCommand(args);
    case 'import':
      return (await import('./import.js')).importCommand(args);
    default:
      throw new UsageError(`megatest: unknown command ${JSON.stringify(command)}${withHint(commandHint(command) ?? (await projectHint(command, args)) ?? nearestCommandHint(command))} (see megatest --help)`);
  }
}

export async function runCli(argv: string[]): Promise<void> {
  // A reader that stops early (`megatest status | head`) is no error (it was an EPIPE stack trace); the command runs to its end.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') process.stderr.write(`megatest: stdout: ${error.message}\n`);
  });
  let code: number;
  let line: string;
  try {
    code = await main(argv);
    process.exitCode = code;
    return;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      // Messages that name their command already ("megatest resume: …") are not prefixed twice.
      line = `${/^megatest\b/.test(error.message) ? '' : 'megatest: '}${error.message}`;
      code = 2;
    } else if (error instanceof RunFileReadError) {
      // A read the disk refused: one line, exit 1 (not bad input, not a crash).
      line = `${/^megatest\b/.test(error.message) ? '' : 'megatest: '}${error.message}`;
      code = 1;
    } else {
      line = `megatest: ${(error as Error).stack ?? String(error)}`;
      code = 1;
    }
  }
  process.stderr.write(line + '\n');
  if (wantsJson(argv)) process.stdout.write(jsonFailure(line.split('\n')[0]!, code));
  process.exitCode = code;
}
