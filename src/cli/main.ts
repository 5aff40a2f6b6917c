// `megatest` command line (DESIGN §2). Each command parses its own options
// strictly: an unknown option or a bad value exits 2 with one clear line.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { existsSync, rmSync, statSync } from 'node:fs';
import { ConfigError, UsageError } from '../config/errors.js';
import { checkConfigFile, configToToml, loadConfig, type ConfigFlags } from '../config/load.js';
import { parseDuration } from '../config/duration.js';
import { MEGATEST_VERSION } from '../version.js';
import { renderJUnit, renderMarkdown, reportExitCode, writeReport } from '../report/report.js';
import { runPaths } from '../io/runFolder.js';
import { prepareRun, runOrchestratorInProcess, spawnOrchestrator, shouldRunHeadless } from './runSession.js';
import { runControlCommand } from './controlCommands.js';
import { listRuns, resolveSession, isOrchestratorAlive } from '../io/sessions.js';
import { openConsole } from './console.js';

const HELP: Record<string, string> = {
  main: `megatest ${MEGATEST_VERSION} — run an AI coding agent swarm for hours on a whole project, and watch it live

usage: megatest <command> [options]

commands:
  run [PROJECT] [HOURS] [AGENTS]   start a session (console on a terminal, plain lines otherwise)
  attach [SESSION|DIR]             live console on a running session
  resume DIR [--checkpoint ID]     continue a crashed or interrupted session from a checkpoint
  checkpoint|compress|pause|continue|stop [SESSION]   control a running session
  restore [SESSION] --checkpoint ID                    put a running session back to a checkpoint
  status [SESSION] [--json]        one status block
  report DIR [--format md|json|junit]   (re)build the final report
  ls                               list runs
  clean --older-than 7d [--dry-run]     delete old runs
  config check FILE | config print      validate a config file; print the resolved config

Run \`megatest <command> --help\` for a command's options.`,
  run: `usage: megatest run [PROJECT] [HOURS] [AGENTS] [options]

  PROJECT   project template: task_queue (RedQueue), database (MiniDB), microservices (ServiceMesh), or one of your own
  HOURS     session length in hours, 1-24 (as in run_mega_test.sh task_queue 6 6)
  AGENTS    number of agents, 2-16

options:
  --config FILE             a TOML file over the defaults (see config/mega_test_config.toml)
  --preset NAME             mini (1 h) | standard (4 h) | mega (8 h) | stress (12 h)
  --duration D              6h | 90m | 45s | 1h30m (10 s to 24 h); overrides HOURS
  --agents N                number of agents, 2-16
  --agent KIND              sim (default, a labelled simulation) | command | selfware | claude-code | codex
  --agent-cmd "CMD"         the command for --agent command (speaks the JSONL protocol)
  --session-id ID           run folder name (default mega-YYYYMMDD-HHMMSS-xxxx)
  --runs-dir DIR            where run folders go (default test_runs)
  --checkpoint-interval MIN minutes between time checkpoints
  --seed N                  seed of the sim agents
  --port N                  control API port (default 8080, the next free one if taken)
  --control-host HOST       bind the control API elsewhere than 127.0.0.1 (warns; off by default)
  --theme NAME              dark | light | high-contrast | mono
  --ascii                   ASCII borders and charts
  --headless                plain progress lines, no console (default without a TTY or with CI set)`,
  attach: `usage: megatest attach [SESSION|DIR] [--runs-dir DIR] [--theme NAME] [--ascii]
  Opens the console on a running session (default: the newest running one).`,
  resume: `usage: megatest resume DIR [--checkpoint ID] [--headless] [--theme NAME] [--ascii]
  Continues a crashed or interrupted session from its newest valid checkpoint (or the named one).`,
  report: `usage: megatest report DIR [--format md|json|junit]
  Rebuilds final_report.json, final_report.md and junit.xml from the run folder, and prints one of them.`,
  config: `usage: megatest config check FILE
       megatest config print [--config FILE] [--preset NAME] [run options]`,
  ls: `usage: megatest ls [--runs-dir DIR]`,
  clean: `usage: megatest clean --older-than 7d [--dry-run] [--runs-dir DIR]
  Deletes finished run folders older than the given age (s, m, h or d). Running sessions are never deleted.`,
  status: `usage: megatest status [SESSION] [--json] [--runs-dir DIR]`,
  control: `usage: megatest checkpoint|compress|pause|continue|stop [SESSION] [--runs-dir DIR] [--agent NAME (compress)]
       megatest restore [SESSION] --checkpoint ID [--runs-dir DIR]`,
  orchestrate: `usage: megatest orchestrate DIR [--resume] [--checkpoint ID]
  Internal: runs a prepared session's orchestrator in the foreground (what run and resume start).`,
};

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
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`megatest ${command}: ${message} (see megatest ${command} --help)`);
  }
}

function integer(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim())) throw new UsageError(`${flag} ${JSON.stringify(text)}: must be a whole number from ${min} to ${max}`);
  const value = Number(text);
  if (value < min || value > max) throw new UsageError(`${flag} ${text}: must be from ${min} to ${max}`);
  return value;
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
  const flags: ConfigFlags = {
    project,
    hours: integer('HOURS', hours, 1, 24),
    agents: integer('--agents', str('agents'), 2, 16) ?? integer('AGENTS', agents, 2, 16),
    duration: str('duration'),
    agentKind: str('agent'),
    agentCmd: str('agent-cmd'),
    sessionId: str('session-id'),
    runsDir: str('runs-dir'),
    checkpointInterval: integer('--checkpoint-interval', str('checkpoint-interval'), 1, 1440),
    headless: values.headless as boolean | undefined,
    seed: integer('--seed', str('seed'), 0, 2 ** 31 - 1),
    port: integer('--port', str('port'), 1, 65535),
    theme: str('theme'),
    ascii: values.ascii as boolean | undefined,
  };
  return { flags, configFile: str('config'), preset: str('preset') };
}

async function cmdRun(args: string[]): Promise<number> {
  const { values, positionals } = parse('run', args, RUN_OPTIONS);
  if (values.help) return help('run');
  const { flags, configFile, preset } = runFlags(values, positionals);
  const config = loadConfig({ configFile, preset, flags });
  const prepared = prepareRun(config);
  if (shouldRunHeadless(values.headless === true)) {
    return runOrchestratorInProcess(prepared.paths.root, { print: true, controlHost: values['control-host'] });
  }
  const child = spawnOrchestrator(prepared.paths.root, values['control-host'] ? ['--control-host', values['control-host']] : []);
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
  return runOrchestratorInProcess(dir, {
    print: true,
    resume: values.resume ? { checkpointId: values.checkpoint } : undefined,
    controlHost: values['control-host'],
  });
}

async function cmdResume(args: string[]): Promise<number> {
  const { values, positionals } = parse('resume', args, {
    checkpoint: { type: 'string' },
    headless: { type: 'boolean' },
    theme: { type: 'string' },
    ascii: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return help('resume');
  const dir = requireDir('resume', positionals);
  if (isOrchestratorAlive(dir)) {
    throw new UsageError(`megatest resume: the orchestrator of ${dir} is still running; use megatest attach ${dir}`);
  }
  if (values.checkpoint !== undefined && !/^checkpoint_\d{1,9}$/.test(values.checkpoint)) {
    throw new UsageError(`--checkpoint ${JSON.stringify(values.checkpoint)}: expected an id like checkpoint_007`);
  }
  const resume = { checkpointId: values.checkpoint };
  if (shouldRunHeadless(values.headless === true)) {
    return runOrchestratorInProcess(dir, { print: true, resume });
  }
  const child = spawnOrchestrator(dir, ['--resume', ...(values.checkpoint ? ['--checkpoint', values.checkpoint] : [])]);
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
  const dir = resolveSession(positionals[0], values['runs-dir'] ?? 'test_runs');
  return openConsole(dir, { theme: values.theme, ascii: values.ascii });
}

function requireDir(command: string, positionals: string[]): string {
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new UsageError(`megatest ${command}: expected one run folder (see megatest ${command} --help)`);
  if (!existsSync(runPaths(dir).config)) throw new UsageError(`megatest ${command}: ${dir} is not a megatest run folder (no config.json)`);
  return dir;
}

async function cmdReport(args: string[]): Promise<number> {
  const { values, positionals } = parse('report', args, { format: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) return help('report');
  const dir = requireDir('report', positionals);
  const format = values.format ?? 'md';
  if (!['md', 'json', 'junit'].includes(format)) throw new UsageError(`--format ${format}: use md, json or junit`);
  const report = await writeReport(dir);
  const out = format === 'json' ? JSON.stringify(report, null, 2) + '\n' : format === 'junit' ? renderJUnit(report) : renderMarkdown(report);
  process.stdout.write(out);
  return reportExitCode(report);
}

async function cmdConfig(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'check') {
    const { values, positionals } = parse('config check', rest, { help: { type: 'boolean', short: 'h' } });
    if (values.help || positionals.length !== 1) {
      if (!values.help) throw new UsageError('megatest config check: expected one FILE');
      return help('config');
    }
    checkConfigFile(positionals[0]!);
    process.stdout.write(`${positionals[0]}: ok\n`);
    return 0;
  }
  if (sub === 'print') {
    const { values, positionals } = parse('config print', rest, RUN_OPTIONS);
    if (values.help) return help('config');
    const { flags, configFile, preset } = runFlags(values, positionals);
    process.stdout.write(configToToml(loadConfig({ configFile, preset, flags })));
    return 0;
  }
  if (sub === '--help' || sub === '-h') return help('config');
  throw new UsageError(`megatest config: expected check FILE or print (got ${sub === undefined ? 'nothing' : JSON.stringify(sub)})`);
}

async function cmdLs(args: string[]): Promise<number> {
  const { values } = parse('ls', args, { 'runs-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) return help('ls');
  const runs = listRuns(values['runs-dir'] ?? 'test_runs');
  if (runs.length === 0) {
    process.stdout.write(`no runs under ${values['runs-dir'] ?? 'test_runs'}\n`);
    return 0;
  }
  for (const run of runs) {
    process.stdout.write(`${run.id.padEnd(32)} ${run.status.padEnd(12)} ${run.running ? 'running ' : '        '} ${run.startedAt ?? ''}  ${run.dir}\n`);
  }
  return 0;
}

function parseAge(text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text.trim());
  if (!match) throw new UsageError(`--older-than ${JSON.stringify(text)}: use a number and s, m, h or d (e.g. 7d)`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit * 1000;
}

async function cmdClean(args: string[]): Promise<number> {
  const { values } = parse('clean', args, {
    'older-than': { type: 'string' },
    'dry-run': { type: 'boolean' },
    'runs-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return help('clean');
  if (!values['older-than']) throw new UsageError('megatest clean: --older-than is required (e.g. --older-than 7d)');
  const ageMs = parseAge(values['older-than']);
  const cutoff = Date.now() - ageMs;
  let removed = 0;
  for (const run of listRuns(values['runs-dir'] ?? 'test_runs')) {
    if (run.running) continue;
    const mtime = statSync(run.dir).mtimeMs;
    if (mtime >= cutoff) continue;
    process.stdout.write(`${values['dry-run'] ? 'would delete' : 'deleting'} ${run.dir} (${run.status}, ${new Date(mtime).toISOString()})\n`);
    if (!values['dry-run']) rmSync(run.dir, { recursive: true, force: true });
    removed += 1;
  }
  process.stdout.write(`${removed} run(s) ${values['dry-run'] ? 'would be ' : ''}deleted\n`);
  return 0;
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
  if (positionals.length > 1) throw new UsageError(`megatest ${name}: expected at most one SESSION (got ${positionals.join(' ')})`);
  if (name === 'restore' && !values.checkpoint) throw new UsageError('megatest restore: --checkpoint ID is required (e.g. --checkpoint checkpoint_003)');
  return runControlCommand(name, {
    session: positionals[0],
    runsDir: values['runs-dir'] ?? 'test_runs',
    checkpoint: values.checkpoint,
    agent: values.agent,
    json: values.json,
  });
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
    case 'help':
      return help('main');
    case '--version':
    case '-V':
      process.stdout.write(`megatest ${MEGATEST_VERSION}\n`);
      return 0;
    case 'run':
      return cmdRun(args);
    case 'orchestrate':
      return cmdOrchestrate(args);
    case 'resume':
      return cmdResume(args);
    case 'attach':
      return cmdAttach(args);
    case 'report':
      return cmdReport(args);
    case 'config':
      return cmdConfig(args);
    case 'ls':
      return cmdLs(args);
    case 'clean':
      return cmdClean(args);
    case 'checkpoint':
    case 'compress':
    case 'pause':
    case 'continue':
    case 'stop':
    case 'restore':
    case 'status':
      return cmdControl(command, args);
    default:
      throw new UsageError(`megatest: unknown command ${JSON.stringify(command)} (see megatest --help)`);
  }
}

export async function runCli(argv: string[]): Promise<void> {
  let code: number;
  try {
    code = await main(argv);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`megatest: ${error.message}\n`);
      code = 2;
    } else {
      process.stderr.write(`megatest: ${(error as Error).stack ?? String(error)}\n`);
      code = 1;
    }
  }
  process.exitCode = code;
}
