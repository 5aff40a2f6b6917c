// Builds the resolved configuration from its layers (DESIGN §3):
//   config/projects/*.toml < config/mega_test_config.toml   (the defaults)
//   < config/presets/<preset>.toml < --config file < flags.
// Each layer is validated on its own first, so an error names the file (and
// line) the bad value came from; then the merged result is validated whole
// (what no single layer can check: required keys, cross-key rules).

import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import TOML from '@iarna/toml';
import type * as z from 'zod';
import { CONFIG_DIR, PACKAGE_ROOT } from '../paths.js';
import { assertNever } from '../contract/assertNever.js';
import { parseDuration } from './duration.js';
import { ConfigError, UsageError } from './errors.js';
import { displayKey, displayValue, dottedKey, findKeyLine, nearestKey, type KeyPath } from './messages.js';
import {
  AGENTS_MAX,
  AGENTS_MIN,
  CRITERION_METRICS,
  formatBound,
  HOURS_MAX,
  HOURS_MIN,
  configFileSchema,
  configLayerSchema,
  tableKeysAt,
  type ConfigFile,
  type TargetReference,
} from './schema.js';
import type { CriterionConfig, MegatestConfig, PhaseConfig, ProjectTemplate } from './types.js';

export const PRESETS: readonly string[] = ['mini', 'standard', 'mega', 'stress'];

export const DEFAULT_CONFIG_FILE = path.join(CONFIG_DIR, 'mega_test_config.toml');
export const PROJECTS_DIR = path.join(CONFIG_DIR, 'projects');
export const PRESETS_DIR = path.join(CONFIG_DIR, 'presets');

export interface ConfigFlags {
  project?: string;
  hours?: number;
  agents?: number;
  duration?: string;
  agentKind?: string;
  agentCmd?: string;
  sessionId?: string;
  runsDir?: string;
  checkpointInterval?: number;
  headless?: boolean;
  seed?: number;
  port?: number;
  theme?: string;
  ascii?: boolean;
}

type Table = Record<string, unknown>;

interface FlagOrigin {
  flag: string;
  value: unknown;
}

/** One source of configuration values, already placed where it sits in the merged tree. */
interface Layer {
  /** How messages name the layer: a file path, or "the command line". */
  label: string;
  file?: string;
  source?: string;
  /** Where the file's top level sits in the merged tree (['projects', 'database'] for a template file). */
  prefix: string[];
  data: Table;
  /** Command-line layer only: the flag that set each dotted key. */
  flags?: Map<string, FlagOrigin>;
}

export function loadConfig(options: { configFile?: string; preset?: string; flags?: ConfigFlags }): MegatestConfig {
  const layers: Layer[] = [...defaultLayers()];
  if (options.preset !== undefined) layers.push(presetLayer(options.preset));
  if (options.configFile !== undefined) layers.push(fileLayer(options.configFile, options.configFile, []));
  const flags = options.flags ?? {};
  const commandLine = flagsLayer(flags);
  if (commandLine) layers.push(commandLine);

  for (const layer of layers) validateLayer(layer);

  const merged = layers.reduce<Table>((accumulated, layer) => deepMerge(accumulated, layer.data), {});
  applyAgentCommandFlag(merged, flags);

  const parsed = configFileSchema.safeParse(merged);
  if (!parsed.success) throw describeIssue(parsed.error.issues[0], merged, layers);
  return resolve(parsed.data, merged, layers);
}

/** Validates a user file the way `--config FILE` would use it: merged over the defaults. */
export function checkConfigFile(file: string): MegatestConfig {
  return loadConfig({ configFile: file });
}

/** The template of the session's project; a ConfigError listing the valid types if there is none. */
export function resolveTemplate(config: MegatestConfig): ProjectTemplate {
  const template = config.projects[config.session.project];
  if (template === undefined) {
    throw new ConfigError(
      `unknown project ${JSON.stringify(config.session.project)}; valid project types: ${validProjects(config.projects)}`,
      { key: 'session.project' },
    );
  }
  return template;
}

/** The resolved configuration as TOML that loadConfig({ configFile }) reads back to the same value. */
export function configToToml(config: MegatestConfig): string {
  const projects: Record<string, Omit<ProjectTemplate, 'type'>> = {};
  for (const [key, template] of Object.entries(config.projects)) {
    const { type: _type, ...rest } = template;
    projects[key] = rest;
  }
  const printable = withoutUndefined({ ...config, projects }) as Parameters<typeof TOML.stringify>[0];
  return (
    '# megatest configuration, resolved (defaults < preset < --config file < flags).\n' +
    '# Durations are in seconds; "template" targets and criterion references are\n' +
    '# replaced by their values. Use it again with: megatest run --config <this file>\n\n' +
    TOML.stringify(printable)
  );
}

// ---------------------------------------------------------------- layers

function defaultLayers(): Layer[] {
  const layers: Layer[] = [];
  let names: string[];
  try {
    names = readdirSync(PROJECTS_DIR)
      .filter((name) => name.endsWith('.toml'))
      .sort();
  } catch (error) {
    throw new ConfigError(`cannot read the project templates in ${shippedLabel(PROJECTS_DIR)}: ${(error as Error).message}`, {
      file: PROJECTS_DIR,
    });
  }
  for (const name of names) {
    const type = name.slice(0, -'.toml'.length);
    const file = path.join(PROJECTS_DIR, name);
    if (!/^[a-z][a-z0-9_-]*$/.test(type)) {
      throw new ConfigError(
        `project template file ${shippedLabel(file)}: the file name is the project type and must be lower case letters, digits, "_" or "-", starting with a letter`,
        { file },
      );
    }
    layers.push(fileLayer(file, shippedLabel(file), ['projects', type]));
  }
  layers.push(fileLayer(DEFAULT_CONFIG_FILE, shippedLabel(DEFAULT_CONFIG_FILE), []));
  return layers;
}

function presetLayer(preset: string): Layer {
  if (!PRESETS.includes(preset)) {
    throw new UsageError(`--preset ${preset}: unknown preset; valid presets: ${PRESETS.join(', ')}`);
  }
  const file = path.join(PRESETS_DIR, `${preset}.toml`);
  return fileLayer(file, shippedLabel(file), []);
}

function shippedLabel(file: string): string {
  return path.relative(PACKAGE_ROOT, file) || file;
}

function fileLayer(file: string, label: string, prefix: string[]): Layer {
  const absolute = path.resolve(file);
  let source: string;
  try {
    const stats = statSync(absolute);
    if (stats.isDirectory()) throw new ConfigError(`config file ${label}: is a directory, expected a TOML file`, { file });
    source = readFileSync(absolute, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError(`config file ${label} not found (looked for ${absolute})`, { file });
    }
    throw new ConfigError(`config file ${label} cannot be read: ${(error as Error).message}`, { file });
  }
  let parsed: Table;
  try {
    parsed = TOML.parse(source) as Table;
  } catch (error) {
    const parseError = error as Error & { line?: number; col?: number };
    const reason = parseError.message.split('\n')[0].replace(/ at row \d+, col \d+, pos \d+:?$/, '');
    if (typeof parseError.line === 'number') {
      const line = parseError.line + 1;
      const column = (parseError.col ?? 0) + 1;
      throw new ConfigError(`${label} line ${line}, column ${column}: malformed TOML: ${reason}`, { file, line });
    }
    throw new ConfigError(`${label}: malformed TOML: ${reason}`, { file });
  }
  let data: Table = parsed;
  for (let index = prefix.length - 1; index >= 0; index -= 1) data = { [prefix[index]]: data };
  return { label, file, source, prefix, data };
}

function flagsLayer(flags: ConfigFlags): Layer | undefined {
  const data: Table = {};
  const origins = new Map<string, FlagOrigin>();
  const set = (keyPath: string[], value: unknown, flag: string, typed: unknown = value): void => {
    let table = data;
    for (const segment of keyPath.slice(0, -1)) {
      if (!isTable(table[segment])) table[segment] = {};
      table = table[segment] as Table;
    }
    table[keyPath[keyPath.length - 1]] = value;
    origins.set(keyPath.join('.'), { flag, value: typed });
  };

  if (flags.project !== undefined) set(['session', 'project'], flags.project, '--project');
  if (flags.duration !== undefined) {
    set(['session', 'duration_seconds'], parseDurationFlag(flags.duration), '--duration', flags.duration);
  } else if (flags.hours !== undefined) {
    const hours = flags.hours;
    if (typeof hours !== 'number' || !Number.isFinite(hours) || hours < HOURS_MIN || hours > HOURS_MAX) {
      throw new UsageError(`HOURS ${String(hours)}: must be a number of hours ${HOURS_MIN}..${HOURS_MAX}`);
    }
    set(['session', 'duration_seconds'], Math.round(hours * 3600), 'HOURS', hours);
  }
  if (flags.agents !== undefined) {
    const agents = flags.agents;
    if (typeof agents !== 'number' || !Number.isInteger(agents) || agents < AGENTS_MIN || agents > AGENTS_MAX) {
      throw new UsageError(`--agents ${String(agents)}: must be ${AGENTS_MIN}..${AGENTS_MAX}`);
    }
    set(['session', 'agents'], agents, '--agents');
  }
  if (flags.agentKind !== undefined) set(['agents', 'kind'], flags.agentKind, '--agent');
  if (flags.agentCmd !== undefined) {
    if (flags.agentCmd.trim() === '') throw new UsageError('--agent-cmd "": must be a non-empty command line');
    set(['agents', 'command'], flags.agentCmd, '--agent-cmd');
  }
  if (flags.sessionId !== undefined) set(['session', 'session_id'], flags.sessionId, '--session-id');
  if (flags.runsDir !== undefined) set(['session', 'runs_dir'], flags.runsDir, '--runs-dir');
  if (flags.checkpointInterval !== undefined) {
    set(['checkpoint', 'interval_minutes'], flags.checkpointInterval, '--checkpoint-interval');
  }
  if (flags.headless !== undefined) set(['session', 'headless'], flags.headless, '--headless');
  if (flags.seed !== undefined) set(['session', 'seed'], flags.seed, '--seed');
  if (flags.port !== undefined) set(['monitoring', 'control_port'], flags.port, '--port');
  if (flags.theme !== undefined) set(['ui', 'theme'], flags.theme, '--theme');
  if (flags.ascii !== undefined) set(['ui', 'ascii'], flags.ascii, '--ascii');

  if (origins.size === 0) return undefined;
  return { label: 'the command line', prefix: [], data, flags: origins };
}

function parseDurationFlag(text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`--${error.message}`);
    throw error;
  }
}

/** `--agent-cmd` alone means "run this command as the agent", unless a real agent kind was chosen. */
function applyAgentCommandFlag(merged: Table, flags: ConfigFlags): void {
  if (flags.agentCmd === undefined || flags.agentKind !== undefined) return;
  const agents = merged.agents;
  if (isTable(agents) && agents.kind === 'sim') merged.agents = { ...agents, kind: 'command' };
}

// ---------------------------------------------------------------- validation

function validateLayer(layer: Layer): void {
  const result = configLayerSchema.safeParse(layer.data);
  if (result.success) return;
  const issue = result.error.issues[0];
  if (layer.flags) {
    const keyPath = issue.path as KeyPath;
    const origin = layer.flags.get(dottedKey(keyPath));
    if (origin) throw new UsageError(`${origin.flag} ${String(origin.value)}: must be ${allowedText(issue)}`);
  }
  throw describeIssue(issue, layer.data, [layer]);
}

function describeIssue(issue: z.core.$ZodIssue, data: Table, layers: readonly Layer[]): Error {
  const issuePath = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const keyPath = [...issuePath, key];
    const layer = originOf(keyPath, layers);
    const valid = tableKeysAt(configFileSchema, issuePath);
    const suggestion = nearestKey(key, valid);
    const hint = suggestion !== undefined ? `did you mean ${suggestion}?` : `valid keys: ${valid.join(', ')}`;
    const relative = relativeTo(layer, keyPath);
    return new ConfigError(`unknown key ${displayKey(relative)} in ${layer.label}${lineSuffix(layer, relative)}; ${hint}`, {
      file: layer.file,
      key: dottedKey(keyPath),
      line: lineOf(layer, relative),
    });
  }
  if (issue.code === 'invalid_key') {
    const layer = originOf(issuePath, layers);
    const relative = relativeTo(layer, issuePath);
    const reason = issue.issues[0]?.message ?? issue.message;
    return new ConfigError(`table name ${displayKey(relative)} in ${layer.label}${lineSuffix(layer, relative)}: must be ${reason}`, {
      file: layer.file,
      key: dottedKey(issuePath),
      line: lineOf(layer, relative),
    });
  }
  return problemAt(issuePath, `must be ${allowedText(issue)}`, data, layers);
}

function allowedText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    if (issue.expected === 'object' || issue.expected === 'record') return 'a table';
    if (issue.expected === 'array') return 'an array';
  }
  return issue.message;
}

/** An error about the value at `keyPath`, naming where that value (or its table) came from. */
function problemAt(keyPath: KeyPath, problem: string, data: Table, layers: readonly Layer[]): Error {
  const layer = originOf(keyPath, layers);
  const value = valueAt(data, keyPath);
  const flag = layer.flags?.get(dottedKey(keyPath));
  if (flag) {
    return new ConfigError(`${flag.flag} ${String(flag.value)}: ${problem}`, { key: dottedKey(keyPath) });
  }
  const relative = relativeTo(layer, keyPath);
  const location = { file: layer.file, key: dottedKey(keyPath) };
  if (value === undefined) {
    const tableLine = lineOf(layer, relative.slice(0, -1));
    return new ConfigError(
      `missing key ${displayKey(relative)} in ${layer.label}${tableLine === undefined ? '' : ` (table at line ${tableLine})`}: ${problem}`,
      { ...location, line: tableLine },
    );
  }
  const line = lineOf(layer, relative);
  return new ConfigError(`${displayKey(relative)} = ${displayValue(value)} in ${layer.label}${lineSuffix(layer, relative)}: ${problem}`, {
    ...location,
    line,
  });
}

/** The layer a key's value came from: the one holding the deepest part of its path (later layers win ties). */
function originOf(keyPath: KeyPath, layers: readonly Layer[]): Layer {
  let best = layers[layers.length - 1];
  let bestDepth = -1;
  for (let index = layers.length - 1; index >= 0; index -= 1) {
    const depth = presentDepth(layers[index].data, keyPath);
    if (depth > bestDepth) {
      best = layers[index];
      bestDepth = depth;
    }
  }
  return best;
}

function presentDepth(data: unknown, keyPath: KeyPath): number {
  let current = data;
  let depth = 0;
  for (const segment of keyPath) {
    if (current === null || typeof current !== 'object') break;
    const next = (current as Record<string | number, unknown>)[segment];
    if (next === undefined) break;
    current = next;
    depth += 1;
  }
  return depth;
}

function valueAt(data: unknown, keyPath: KeyPath): unknown {
  let current = data;
  for (const segment of keyPath) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function relativeTo(layer: Layer, keyPath: KeyPath): KeyPath {
  const inside = layer.prefix.every((segment, index) => keyPath[index] === segment);
  return inside ? keyPath.slice(layer.prefix.length) : keyPath;
}

function lineOf(layer: Layer, relative: KeyPath): number | undefined {
  return layer.source === undefined ? undefined : findKeyLine(layer.source, relative);
}

function lineSuffix(layer: Layer, relative: KeyPath): string {
  const line = lineOf(layer, relative);
  return line === undefined ? '' : ` (line ${line})`;
}

// ---------------------------------------------------------------- resolution

function resolve(file: ConfigFile, merged: Table, layers: readonly Layer[]): MegatestConfig {
  const fail = (keyPath: KeyPath, problem: string): Error => problemAt(keyPath, problem, merged, layers);

  const projects: Record<string, ProjectTemplate> = {};
  for (const [type, template] of Object.entries(file.projects)) projects[type] = { type, ...template };

  const template = projects[file.session.project];
  if (template === undefined) {
    throw fail(['session', 'project'], `unknown project; valid project types: ${validProjects(projects)}`);
  }

  for (const [type, candidate] of Object.entries(projects)) {
    if ((candidate.test_format === 'junit' || candidate.test_format === 'pytest-junit') && candidate.test_report.trim() === '') {
      throw fail(['projects', type, 'test_format'], 'needs test_report: the junit report file the test command writes (test_report is "")');
    }
    if (candidate.coverage_command.trim() !== '' && candidate.coverage_report.trim() === '') {
      throw fail(['projects', type, 'coverage_command'], 'needs coverage_report: the report file it writes (coverage_report is "")');
    }
  }

  const target = {
    min_lines_of_code: file.project.target.min_lines_of_code === 'template' ? template.target_loc : file.project.target.min_lines_of_code,
    min_test_coverage:
      file.project.target.min_test_coverage === 'template' ? template.target_coverage : file.project.target.min_test_coverage,
    min_test_pass_rate: file.project.target.min_test_pass_rate,
    min_doc_coverage: file.project.target.min_doc_coverage,
  };
  const targetValue = (reference: TargetReference): number => {
    switch (reference) {
      case 'target.min_lines_of_code':
        return target.min_lines_of_code;
      case 'target.min_test_coverage':
        return target.min_test_coverage;
      case 'target.min_test_pass_rate':
        return target.min_test_pass_rate;
      case 'target.min_doc_coverage':
        return target.min_doc_coverage;
      default:
        return assertNever(reference, 'target reference');
    }
  };

  const roles = new Set(file.agent.roles);
  const phaseNames = new Set<string>();
  const criterionIds = new Set<string>();
  const phases: PhaseConfig[] = file.phases.map((phase, phaseIndex) => {
    if (phaseNames.has(phase.name)) throw fail(['phases', phaseIndex, 'name'], 'must be unique: another phase has this name');
    phaseNames.add(phase.name);
    phase.roles.forEach((role, roleIndex) => {
      if (!roles.has(role)) {
        throw fail(['phases', phaseIndex, 'roles', roleIndex], `must be one of [agent].roles: ${[...roles].join(', ')}`);
      }
    });
    const criteria: CriterionConfig[] = phase.criteria.map((criterion, criterionIndex) => {
      const where = ['phases', phaseIndex, 'criteria', criterionIndex] as const;
      if (criterionIds.has(criterion.id)) throw fail([...where, 'id'], 'must be unique: another criterion has this id');
      criterionIds.add(criterion.id);
      const value = typeof criterion.value === 'number' ? criterion.value : targetValue(criterion.value);
      const range = CRITERION_METRICS[criterion.metric];
      if (value < range.min || value > range.max) {
        const shown = typeof criterion.value === 'number' ? '' : ` (${criterion.value} is ${value})`;
        throw fail(
          [...where, 'value'],
          `must be ${formatBound(range.min)}..${formatBound(range.max)} for metric ${criterion.metric} (${range.unit})${shown}`,
        );
      }
      return { ...criterion, value };
    });
    return { ...phase, criteria };
  });

  phases.forEach((phase, phaseIndex) => {
    if (template.tasks[phase.name] !== undefined) return;
    throw fail(
      ['phases', phaseIndex, 'name'],
      `project template ${template.type} has no tasks for this phase; its tasks cover ${Object.keys(template.tasks).join(', ')} ` +
        `(add [projects.${template.type}.tasks] ${phase.name} = [3..6 tasks])`,
    );
  });

  // A misspelt phase would leave the fault silently unfired for the whole run.
  file.sim.faults.forEach((fault, faultIndex) => {
    if (fault.in_phase === undefined || phaseNames.has(fault.in_phase)) return;
    throw fail(['sim', 'faults', faultIndex, 'in_phase'], `must name one of the [[phases]]: ${[...phaseNames].join(', ')}`);
  });

  if (file.agents.kind === 'command' && file.agents.command.trim() === '') {
    const kindFromFlag = originOf(['agents', 'kind'], layers).flags !== undefined;
    throw kindFromFlag
      ? fail(['agents', 'kind'], 'needs the agent\'s command line: pass --agent-cmd "…" or set [agents].command in a --config file')
      : fail(['agents', 'command'], 'must be the agent\'s command line when [agents].kind = "command" (or pass --agent-cmd)');
  }
  if (file.error_handling.backoff_initial_seconds > file.error_handling.backoff_max_seconds) {
    throw fail(
      ['error_handling', 'backoff_initial_seconds'],
      `must not exceed backoff_max_seconds (${file.error_handling.backoff_max_seconds})`,
    );
  }

  return {
    metadata: file.metadata,
    session: file.session,
    checkpoint: file.checkpoint,
    agent: file.agent,
    consensus: file.consensus,
    limits: file.limits,
    monitoring: file.monitoring,
    error_handling: file.error_handling,
    project: { target, performance: file.project.performance },
    phases,
    notifications: file.notifications,
    agents: file.agents,
    projects,
    sim: file.sim,
    ui: file.ui,
  };
}

function validProjects(projects: Record<string, unknown>): string {
  return Object.keys(projects).sort().join(', ');
}

// ---------------------------------------------------------------- helpers

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Tables merge key by key; anything else (arrays included) is replaced by the later layer. */
function deepMerge(base: Table, over: Table): Table {
  const result: Table = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const existing = result[key];
    result[key] = isTable(existing) && isTable(value) ? deepMerge(existing, value) : value;
  }
  return result;
}

function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (isTable(value)) {
    const result: Table = {};
    for (const [key, entry] of Object.entries(value)) if (entry !== undefined) result[key] = withoutUndefined(entry);
    return result;
  }
  return value;
}

