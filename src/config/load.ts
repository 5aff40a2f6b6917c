// Builds the resolved configuration from its layers (DESIGN §3):
//   config/projects/*.toml < config/mega_test_config.toml   (the defaults)
//   < config/presets/<preset>.toml < --config file < flags.
// Each layer is validated on its own first, so an error names the file (and
// line) the bad value came from; then the merged result is validated whole
// (what no single layer can check: required keys, cross-key rules).
//
// The parts: layers.ts (what a layer is, merging), fileLayers.ts and
// flagLayer.ts (making layers), layerIssues.ts (error messages) and
// resolve.ts (the merged file to a MegatestConfig).

import TOML from '@iarna/toml';
import { ConfigError } from './errors.js';
import { defaultLayers, fileLayer, presetLayer } from './fileLayers.js';
import { applyAgentCommandFlag, flagsLayer, type ConfigFlags } from './flagLayer.js';
import { describeIssue, validateLayer } from './layerIssues.js';
import { deepMerge, isTable, type Layer, type Table } from './layers.js';
import { resolveConfig, validProjects } from './resolve.js';
import { configFileSchema } from './schema.js';
import type { MegatestConfig, ProjectTemplate } from './types.js';

export { DEFAULT_CONFIG_FILE, PRESETS, PRESETS_DIR, PROJECTS_DIR } from './fileLayers.js';
export type { ConfigFlags } from './flagLayer.js';

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
  return resolveConfig(parsed.data, merged, layers);
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

function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (isTable(value)) {
    const result: Table = {};
    for (const [key, entry] of Object.entries(value)) if (entry !== undefined) result[key] = withoutUndefined(entry);
    return result;
  }
  return value;
}
