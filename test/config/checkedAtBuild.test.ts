// A load checks each layer alone (validateLayer) so that an error names its
// file; the shipped layers the build checked, unchanged since, are not
// checked again (src/config/parsedShipped.ts). Every other layer is.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as LayerIssues from '../../src/config/layerIssues.js';

const checked = vi.hoisted(() => [] as string[]);
vi.mock('../../src/config/layerIssues.js', async (importOriginal) => {
  const original = await importOriginal<typeof LayerIssues>();
  return {
    ...original,
    validateLayer: (layer: Parameters<typeof original.validateLayer>[0]) => {
      checked.push(layer.label);
      original.validateLayer(layer);
    },
  };
});

const { buildParsedShipped } = await import('../../src/config/buildParsedShipped.js');
const { DEFAULT_CONFIG_FILE, loadConfig } = await import('../../src/config/load.js');
const { PARSED_SHIPPED_FILE, useParsedShippedFrom } = await import('../../src/config/parsedShipped.js');

let dir: string;
let cacheFile: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'megatest-checked-at-build-'));
  cacheFile = path.join(dir, 'parsed-config.json');
  buildParsedShipped(cacheFile);
});
afterAll(() => {
  useParsedShippedFrom(PARSED_SHIPPED_FILE);
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  checked.length = 0;
});

describe('the layers a load checks', () => {
  it('with the build\'s cache: only what is not a shipped layer the build checked', () => {
    useParsedShippedFrom(cacheFile);
    const own = path.join(dir, 'own.toml');
    writeFileSync(own, `# a user's copy\n${readFileSync(DEFAULT_CONFIG_FILE, 'utf8')}`);
    loadConfig({ preset: 'mini', configFile: own, flags: { agents: 3 } });
    expect(checked).toEqual([own, 'the command line']);
  });

  it('a copy of the defaults, byte for byte, is the file the build checked', () => {
    useParsedShippedFrom(cacheFile);
    loadConfig({ configFile: DEFAULT_CONFIG_FILE });
    expect(checked).toEqual([]);
  });

  it('without it: every layer', () => {
    useParsedShippedFrom(null);
    loadConfig({ preset: 'mini' });
    // The three project templates, the defaults, the preset.
    expect(checked).toHaveLength(5);
  });
});
