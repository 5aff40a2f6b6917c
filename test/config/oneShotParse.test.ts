// A config is validated a few times per process (each layer, then the merged
// file). zod's fast path compiles a parser per object schema (new Function)
// on its first parse, about 14 ms of `megatest config check` for the config's
// schemas, which only pays back over many parses. These parses ask for the
// plain path (layerIssues.ts ONE_PASS); this checks nothing is compiled.

import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../src/config/load.js';
import { useParsedShippedFrom } from '../../src/config/parsedShipped.js';

const realFunction = globalThis.Function;
afterEach(() => {
  globalThis.Function = realFunction;
});

/** Runs work with the global Function constructor counted. */
function functionsCompiledBy(work: () => void): number {
  let compiled = 0;
  globalThis.Function = new Proxy(realFunction, {
    construct(target, args, newTarget) {
      compiled += 1;
      return Reflect.construct(target, args, newTarget);
    },
    apply(target, self, args) {
      compiled += 1;
      return Reflect.apply(target, self, args);
    },
  });
  try {
    work();
  } finally {
    globalThis.Function = realFunction;
  }
  return compiled;
}

describe('validating a config', () => {
  it('compiles no parser: the defaults, a --config file and a preset take zod\'s plain path', () => {
    // Every layer checked here, not only those the build has not (parsedShipped.ts).
    const before = useParsedShippedFrom(null);
    let compiled: number;
    try {
      compiled = functionsCompiledBy(() => {
        loadConfig({ configFile: DEFAULT_CONFIG_FILE });
        loadConfig({ preset: 'mini', configFile: path.join(path.dirname(DEFAULT_CONFIG_FILE), 'demo.toml') });
      });
    } finally {
      useParsedShippedFrom(before);
    }
    expect(compiled).toBe(0);
  });
});
