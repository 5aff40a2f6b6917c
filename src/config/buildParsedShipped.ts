// `npm run build`'s step for the shipped configuration files: each default
// layer and preset is read from its TOML and checked as a load checks it,
// then every shipped file is written to the cache of parsed files
// (parsedShipped.ts) with whether it was checked. A file that fails its
// check is cached unchecked: every load checks it again and names what is
// wrong, as it would without the cache. A file whose values JSON cannot
// carry (a TOML date, inf, nan) is left out: it is parsed at each load.
//
//   node scripts/parseShippedConfig.mjs   (run by `npm run build`, after tsc)

import { readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import TOML from '@iarna/toml';
import { defaultLayers, presetLayer, PRESETS } from './fileLayers.js';
import { validateLayer } from './layerIssues.js';
import type { Layer } from './layers.js';
import { forgetParsedShipped, keyOf, PARSED_SHIPPED_FILE, PARSED_SHIPPED_FORMAT, type ParsedShipped, useParsedShippedFrom } from './parsedShipped.js';
import { CONFIG_DIR } from '../paths.js';

/** The files cached; those left out, and the layers that failed their check (cached unchecked), each with the reason. */
export function buildParsedShipped(file: string = PARSED_SHIPPED_FILE): { cached: string[]; leftOut: string[]; unchecked: string[] } {
  // The layers from the TOML itself, not from a cache an earlier build wrote.
  const before = useParsedShippedFrom(null);
  try {
    const checked = new Map<string, string[]>();
    const unchecked: string[] = [];
    let layers: Layer[] = [];
    try {
      layers = [...defaultLayers(), ...PRESETS.map((preset) => presetLayer(preset))];
    } catch (error) {
      unchecked.push(`the shipped layers: ${(error as Error).message}`);
    }
    for (const layer of layers) {
      try {
        validateLayer(layer);
        if (layer.file !== undefined) checked.set(path.resolve(layer.file), layer.prefix);
      } catch (error) {
        unchecked.push((error as Error).message);
      }
    }
    return { ...writeParsedShipped(checked, file, CONFIG_DIR), unchecked };
  } finally {
    useParsedShippedFrom(before);
  }
}

function tomlFilesUnder(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...tomlFilesUnder(file));
    else if (entry.isFile() && entry.name.endsWith('.toml')) files.push(file);
  }
  return files.sort();
}

/**
 * Parses every .toml file under `configDir` and writes the cache to `file`
 * (whole or not at all); `checked` maps each file (absolute path) the
 * build checked as a layer, and found right, to where the layer sits in the
 * merged tree (its prefix). Returns the files cached and
 * those left out, with the reason: not valid TOML (a load names the error,
 * as without a cache), or values JSON cannot carry.
 */
export function writeParsedShipped(checked: ReadonlyMap<string, string[]>, file: string = PARSED_SHIPPED_FILE, configDir: string = CONFIG_DIR): { cached: string[]; leftOut: string[] } {
  const cache: ParsedShipped = { format: PARSED_SHIPPED_FORMAT, files: {} };
  const cached: string[] = [];
  const leftOut: string[] = [];
  for (const toml of tomlFilesUnder(configDir)) {
    let source = readFileSync(toml, 'utf8');
    // As fileLayer reads it: a byte order mark is not the file's text.
    if (source.startsWith('\uFEFF')) source = source.slice(1);
    let values: unknown;
    try {
      values = TOML.parse(source);
    } catch (error) {
      leftOut.push(`${keyOf(toml)}: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    const json = JSON.stringify(values);
    if (!isDeepStrictEqual(values, JSON.parse(json))) {
      leftOut.push(`${keyOf(toml)}: a value JSON cannot carry (a date, inf or nan)`);
      continue;
    }
    cache.files[keyOf(toml)] = { source, values: json, checkedAt: checked.get(path.resolve(toml)) ?? null };
    cached.push(keyOf(toml));
  }
  // Written aside and renamed: a build killed midway leaves the old cache or none (a cut-short one would only be ignored).
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(cache)}\n`);
  renameSync(temp, file);
  forgetParsedShipped(file);
  return { cached, leftOut };
}
