// Builds the resolved configuration from its layers (DESIGN §3):
//   config/projects/*.toml < config/mega_test_config.toml   (the defaults)
//   < config/presets/<preset>.toml < --config file (or CONFIG_FILE)
//   < CHECKPOINT_INTERVAL (environment) < flags.
// Each layer is validated on its own first, so an error names the file (and
// line) the bad value came from; then the merged result is validated whole
// (what no single layer can check: required keys, cross-key rules).
//
// The parts: layers.ts (what a layer is, merging), fileLayers.ts,
// environment.ts and flagLayer.ts (making layers), layerIssues.ts and
// keySuggestions.ts (error messages), notActedOn.ts (warnings), resolve.ts
// (the merged file to a MegatestConfig) and fileForm.ts (back again).

import path from 'node:path';
import TOML from '@iarna/toml';
import { ConfigError } from './errors.js';
import { configFileFrom, environmentLayer, type Environment } from './environment.js';
import { DEFAULT_CONFIG_FILE as SHIPPED_DEFAULTS, defaultLayers, fileLayer, PRESETS_DIR as SHIPPED_PRESETS, presetLayer } from './fileLayers.js';
import { toFileForm } from './fileForm.js';
import { applyAgentCommandFlag, flagsLayer, type ConfigFlags } from './flagLayer.js';
import { describeIssue, ONE_PASS, validateLayer } from './layerIssues.js';
import { deepMerge, isTable, type Layer, type Table } from './layers.js';
import { migrateHint, notActedOnByKind, notActedOnWarnings } from './notActedOn.js';
import { resolveConfig, validProjects } from './resolve.js';
import { configFileSchema } from './schema.js';
import type { MegatestConfig, ProjectTemplate } from './types.js';

export { DEFAULT_CONFIG_FILE, PRESETS, PRESETS_DIR, PROJECTS_DIR } from './fileLayers.js';
export type { ConfigFlags } from './flagLayer.js';
export type { Environment } from './environment.js';

/** Something the user should know about the configuration, said once on stderr by the CLI. */
export interface ConfigNotice {
  level: 'warning' | 'note';
  message: string;
}

export interface LoadOptions {
  configFile?: string;
  preset?: string;
  flags?: ConfigFlags;
  /** The process environment: CONFIG_FILE (when configFile is not given) and CHECKPOINT_INTERVAL, as run_mega_test.sh read them. */
  env?: Environment;
  /** Keys given but not acted on (each named once, with the reason), and where the config file came from. */
  onNotice?: (notice: ConfigNotice) => void;
}

export function loadConfig(options: LoadOptions): MegatestConfig {
  const defaults = defaultLayers();
  const layers: Layer[] = [...defaults];
  if (options.preset !== undefined) layers.push(presetLayer(options.preset));
  const userLayers: Layer[] = [];
  const configFile = configFileFrom(options.configFile, options.env);
  if (configFile.file !== undefined) {
    const label = configFile.fromEnvironment ? `${configFile.file} (CONFIG_FILE)` : configFile.file;
    userLayers.push(fileLayer(configFile.file, label, []));
    if (configFile.fromEnvironment) {
      options.onNotice?.({ level: 'note', message: `reading CONFIG_FILE=${configFile.file} (from the environment) as the --config file` });
    }
  }
  const environment = environmentLayer(options.env);
  if (environment) userLayers.push(environment);
  const flags = options.flags ?? {};
  const commandLine = flagsLayer(flags);
  if (commandLine) userLayers.push(commandLine);
  layers.push(...userLayers);

  for (const layer of layers) if (!layer.checkedAtBuild) validateLayer(layer);

  const merged = layers.reduce<Table>((accumulated, layer) => mergeLayer(accumulated, layer.data), {});
  applyAgentCommandFlag(merged, flags);

  const parsed = configFileSchema.safeParse(merged, ONE_PASS);
  if (!parsed.success) throw describeIssue(parsed.error.issues[0], merged, layers);
  const named = choiceOf(layers.slice(defaults.length), defaults);
  const config = withAgentCap(withModels(resolveConfig(parsed.data, merged, layers), named), named);
  // Only once the configuration is valid: a rejected file says its error alone.
  for (const layer of userLayers) {
    // megatest's own files (checked as `config check config/mega_test_config.toml`) say in their comments what they set that megatest does not act on.
    if (layer.file !== undefined && isShippedFile(layer.file)) continue;
    for (const message of [...notActedOnWarnings(layer), ...notActedOnByKind(layer, config.agents.kind)]) options.onNotice?.({ level: 'warning', message });
    const hint = migrateHint(layer);
    if (hint !== null) options.onNotice?.({ level: 'note', message: hint });
  }
  return config;
}

/** Kinds whose program has its own default model, which megatest's default (Claude's names) would override. */
const OWN_MODEL_KINDS: ReadonlySet<string> = new Set(['codex', 'selfware']);

/**
 * The models each agent goes through, the one it starts on first:
 * `[agent] model` starts, `[agents] models` is the fallback order (the
 * defaults agree). A start model named above the defaults goes first: it
 * was ignored, and agents started on models[0] (claude-sonnet-4-5) whatever
 * it said, the original runner's model line included. And the defaults name
 * Claude models, which only claude-code takes (the sim and a command agent
 * take any label): codex ran `--model claude-sonnet-4-5`, selfware asked
 * its endpoint for it, and every task failed. Where nothing above the
 * defaults names a model, those kinds get [""], the program's own default
 * (codex runs without --model; selfware is refused at the start, as its
 * endpoint's model must be named).
 */
function withModels(config: MegatestConfig, named: NamedAboveDefaults): MegatestConfig {
  const start = config.agent.model;
  let models = config.agents.models;
  if (named('agent', 'model')) models = [start, ...models.filter((model) => model !== start)].slice(0, MODELS_MAX);
  else if (!named('agents', 'models') && OWN_MODEL_KINDS.has(config.agents.kind)) models = [''];
  return models === config.agents.models ? config : { ...config, agents: { ...config.agents, models } };
}

/** Whether a layer above the defaults (preset, file, environment, flags) sets [table] key to a value of its own. */
type NamedAboveDefaults = (table: string, key: string) => boolean;

function choiceOf(chosenLayers: readonly Layer[], defaults: readonly Layer[]): NamedAboveDefaults {
  const valueIn = (layer: Layer, table: string, key: string): unknown => (isTable(layer.data[table]) ? (layer.data[table] as Table)[key] : undefined);
  const byDefault = (table: string, key: string) => JSON.stringify(defaults.map((layer) => valueIn(layer, table, key)).filter((value) => value !== undefined).at(-1));
  // A copy of the documented default file names the defaults' values: that is no choice.
  return (table, key) => chosenLayers.some((layer) => valueIn(layer, table, key) !== undefined && JSON.stringify(valueIn(layer, table, key)) !== byDefault(table, key));
}

/**
 * `--agents 16` (or AGENTS, or agent_count) ran 8: the defaults' [agent] concurrent_agents capped it, with
 * one alert. The cap is a choice only when something above the defaults makes it; otherwise as many agents
 * run at once as were asked for.
 */
function withAgentCap(config: MegatestConfig, named: NamedAboveDefaults): MegatestConfig {
  if (named('agent', 'concurrent_agents') || config.limits.max_parallel_agents >= config.session.agents) return config;
  return { ...config, limits: { ...config.limits, max_parallel_agents: config.session.agents } };
}

/** [agents] models holds at most this many (schema.ts). */
const MODELS_MAX = 20;

/**
 * Layers merge key by key (layers.ts), and an array replaces the whole array;
 * but a [[phases]] entry that sets no criteria keeps those of the phase of the
 * same name below it, so the original runner's phases (free-text
 * success_criteria only) are still judged by megatest's measured criteria.
 */
export function mergeLayer(base: Table, over: Table): Table {
  const merged = deepMerge(base, over);
  const below = base.phases;
  if (Array.isArray(over.phases) && Array.isArray(below)) {
    merged.phases = over.phases.map((phase: unknown) => {
      if (!isTable(phase) || phase.criteria !== undefined) return phase;
      const same = below.find((candidate: unknown) => isTable(candidate) && candidate.name === phase.name) as Table | undefined;
      return same?.criteria === undefined ? phase : { ...phase, criteria: same.criteria };
    });
  }
  return merged;
}

/** Validates a user file the way `--config FILE` would use it: merged over the defaults. */
export function checkConfigFile(file: string, onNotice?: (notice: ConfigNotice) => void): MegatestConfig {
  return loadConfig({ configFile: file, onNotice });
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

/** The resolved configuration as TOML, in today's file form, that loadConfig({ configFile }) reads back to the same value. */
export function configToToml(config: MegatestConfig): string {
  const tree = toFileForm(config);
  // [consensus] as the defaults have it is not printed: megatest does not act on it, and the file printed warned so when given back.
  if (JSON.stringify(config.consensus) === JSON.stringify(loadConfig({}).consensus)) delete tree.consensus;
  const printable = withoutUndefined(tree) as Parameters<typeof TOML.stringify>[0];
  return (
    '# megatest configuration, resolved (defaults < preset < --config file < environment < flags).\n' +
    '# "template" targets and criterion references are replaced by their values.\n' +
    '# Use it again with: megatest run --config <this file>\n\n' +
    TOML.stringify(printable)
  );
}

export function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (isTable(value)) {
    const result: Table = {};
    for (const [key, entry] of Object.entries(value)) if (entry !== undefined) result[key] = withoutUndefined(entry);
    return result;
  }
  return value;
}

/** The shipped defaults file or a shipped preset. */
function isShippedFile(file: string): boolean {
  const absolute = path.resolve(file);
  return absolute === SHIPPED_DEFAULTS || path.dirname(absolute) === SHIPPED_PRESETS;
}
