// The shipped TOML files parsed at build time (src/config/parsedShipped.ts):
// a load takes a file's values from the cache only while the file reads
// exactly as it did, and gets the same values it would have parsed.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import TOML from '@iarna/toml';
import smolToml from 'smol-toml';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildParsedShipped, writeParsedShipped } from '../../src/config/buildParsedShipped.js';
import { DEFAULT_CONFIG_FILE, PROJECTS_DIR, defaultLayers, fileLayer, presetLayer, PRESETS } from '../../src/config/fileLayers.js';
import { loadConfig } from '../../src/config/load.js';
import { PARSED_SHIPPED_FILE, parsedShipped, useParsedShippedFrom } from '../../src/config/parsedShipped.js';
import { CONFIG_DIR } from '../../src/paths.js';

let dir: string;
let cacheFile: string;
let built: ReturnType<typeof buildParsedShipped>;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'megatest-parsed-config-'));
  cacheFile = path.join(dir, 'parsed-config.json');
  built = buildParsedShipped(cacheFile);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** Watches both TOML parsers a load may use (fileLayers.ts: smol-toml, then @iarna/toml for a file it refuses); returns the calls so far. */
function watchParsers(): () => number {
  const quick = vi.spyOn(smolToml, 'parse');
  const full = vi.spyOn(TOML, 'parse');
  return () => quick.mock.calls.length + full.mock.calls.length;
}

afterEach(() => {
  vi.restoreAllMocks();
  useParsedShippedFrom(PARSED_SHIPPED_FILE);
});

function shippedTomlFiles(): string[] {
  const files = [DEFAULT_CONFIG_FILE, path.join(CONFIG_DIR, 'demo.toml')];
  for (const sub of ['projects', 'presets']) {
    const folder = path.join(CONFIG_DIR, sub);
    for (const name of readdirSync(folder).filter((entry) => entry.endsWith('.toml'))) files.push(path.join(folder, name));
  }
  return files;
}

describe('the build', () => {
  it('caches every shipped file, and checks each default layer and preset at its place', () => {
    expect(built.leftOut).toEqual([]);
    expect(built.unchecked).toEqual([]);
    const cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as { files: Record<string, { checkedAt: string[] | null }> };
    const key = (file: string) => path.relative(path.dirname(CONFIG_DIR), file);
    expect(Object.keys(cache.files).sort()).toEqual(shippedTomlFiles().map(key).sort());
    expect(cache.files[key(DEFAULT_CONFIG_FILE)]!.checkedAt).toEqual([]);
    expect(cache.files[key(path.join(PROJECTS_DIR, 'database.toml'))]!.checkedAt).toEqual(['projects', 'database']);
    expect(cache.files[key(path.join(CONFIG_DIR, 'presets', 'mini.toml'))]!.checkedAt).toEqual([]);
    // demo.toml is a --config file, not a layer of every load: cached, checked where it is used.
    expect(cache.files[key(path.join(CONFIG_DIR, 'demo.toml'))]!.checkedAt).toBeNull();
  });

  it('npm run build wrote the cache for the config files as they are now', () => {
    useParsedShippedFrom(PARSED_SHIPPED_FILE);
    for (const file of shippedTomlFiles()) {
      expect(parsedShipped(file, readFileSync(file, 'utf8')), file).toBeDefined();
    }
  });
});

describe('a load with the cache', () => {
  it('gives every shipped layer the values the TOML parser gives, without parsing', () => {
    useParsedShippedFrom(null);
    const parsedLayers = [...defaultLayers(), ...PRESETS.map((preset) => presetLayer(preset)), fileLayer(path.join(CONFIG_DIR, 'demo.toml'), 'demo', [])];
    useParsedShippedFrom(cacheFile);
    const parses = watchParsers();
    const cachedLayers = [...defaultLayers(), ...PRESETS.map((preset) => presetLayer(preset)), fileLayer(path.join(CONFIG_DIR, 'demo.toml'), 'demo', [])];
    expect(parses()).toBe(0);
    expect(cachedLayers.map(({ checkedAtBuild, ...layer }) => layer)).toEqual(parsedLayers);
    expect(cachedLayers.map((layer) => layer.checkedAtBuild === true)).toEqual(cachedLayers.map((layer) => !layer.label.endsWith('demo')));
    // Deep-equal and of the same kinds (no Date turned into a string, no number into a string).
    for (const [index, layer] of cachedLayers.entries()) expect(isDeepStrictEqual(layer.data, parsedLayers[index]!.data)).toBe(true);
  });

  it('hands each load objects of its own', () => {
    useParsedShippedFrom(cacheFile);
    const first = fileLayer(DEFAULT_CONFIG_FILE, 'defaults', []);
    (first.data.session as Record<string, unknown>).duration_hours = 99;
    expect((fileLayer(DEFAULT_CONFIG_FILE, 'defaults', []).data.session as Record<string, unknown>).duration_hours).not.toBe(99);
  });

  it('parses a project template given as a --config file, and checks it there', () => {
    const template = path.join(PROJECTS_DIR, 'database.toml');
    useParsedShippedFrom(null);
    const withoutCache = (() => {
      try {
        loadConfig({ configFile: template });
        return 'loaded';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    useParsedShippedFrom(cacheFile);
    expect(fileLayer(template, template, []).checkedAtBuild).toBeUndefined();
    expect(() => loadConfig({ configFile: template })).toThrow(withoutCache);
    expect(withoutCache).toMatch(/unknown key .* in .*database\.toml/);
  });
});

describe('a cache that does not match', () => {
  let configDir: string;
  let toml: string;
  let file: string;
  beforeAll(() => {
    configDir = mkdtempSync(path.join(dir, 'config-'));
    toml = path.join(configDir, 'layer.toml');
    file = path.join(dir, 'own-cache.json');
  });

  it('is used only while the file reads as it did: an edit is parsed from the TOML', () => {
    writeFileSync(toml, '[session]\nduration_hours = 2\n');
    writeParsedShipped(new Map(), file, configDir);
    useParsedShippedFrom(file);
    const parses = watchParsers();
    expect(fileLayer(toml, 'layer', []).data).toEqual({ session: { duration_hours: 2 } });
    expect(parses()).toBe(0);
    writeFileSync(toml, '[session]\nduration_hours = 3\n');
    expect(fileLayer(toml, 'layer', []).data).toEqual({ session: { duration_hours: 3 } });
    expect(parses()).toBe(1);
  });

  it('values recorded for the same text are taken as they are (the cache is what a load reads)', () => {
    writeFileSync(toml, 'a = 1\n');
    writeParsedShipped(new Map([[toml, []]]), file, configDir);
    const cache = JSON.parse(readFileSync(file, 'utf8')) as { files: Record<string, { values: string }> };
    const key = Object.keys(cache.files)[0]!;
    cache.files[key]!.values = JSON.stringify({ a: 2 });
    writeFileSync(file, JSON.stringify(cache));
    useParsedShippedFrom(file);
    const layer = fileLayer(toml, 'layer', []);
    expect(layer.data).toEqual({ a: 2 });
    expect(layer.checkedAtBuild).toBe(true);
    expect(fileLayer(toml, 'layer', ['projects', 'x']).checkedAtBuild).toBeUndefined();
  });

  it('a cache cut short, of another format, or missing: every file parsed from its TOML', () => {
    writeFileSync(toml, 'a = 1\n');
    writeParsedShipped(new Map(), file, configDir);
    const whole = readFileSync(file, 'utf8');
    for (const broken of [whole.slice(0, whole.length / 2), whole.replace('"format":1', '"format":2'), null]) {
      if (broken === null) rmSync(file, { force: true });
      else writeFileSync(file, broken);
      useParsedShippedFrom(file);
      expect(parsedShipped(toml, 'a = 1\n')).toBeUndefined();
      expect(fileLayer(toml, 'layer', []).data).toEqual({ a: 1 });
    }
  });

  it('leaves out a file JSON cannot carry, and one that is not TOML; those parse (or fail) as without a cache', () => {
    const dated = path.join(configDir, 'dated.toml');
    const broken = path.join(configDir, 'broken.toml');
    writeFileSync(dated, 'when = 1979-05-27T07:32:00Z\nfar = inf\n');
    writeFileSync(broken, 'a = \n');
    const { cached, leftOut } = writeParsedShipped(new Map(), file, configDir);
    expect(cached.some((name) => name.endsWith('dated.toml'))).toBe(false);
    expect(leftOut.find((reason) => reason.includes('dated.toml'))).toMatch(/a value JSON cannot carry/);
    expect(leftOut.find((reason) => reason.includes('broken.toml'))).toBeDefined();
    useParsedShippedFrom(file);
    const data = fileLayer(dated, 'dated', []).data;
    expect(data.when).toBeInstanceOf(Date);
    expect(data.far).toBe(Infinity);
    expect(() => fileLayer(broken, 'broken.toml', [])).toThrow(/broken\.toml line 1, column \d+: malformed TOML/);
  });
});
