// Bundles the built CLI (dist/cli/main.js and what it imports, packages
// included) into dist/bundle/, the code bin/megatest.js loads. Node's ESM
// loader pays per module file: Ink alone is ~480 files (416 of them one
// es-toolkit barrel), and importing them cost ~0.8 s of every console start,
// against ~0.2 s for the same code in a few files. Commands load lazily as
// before: each dynamic import is a chunk of its own. Child processes (sim
// agents) still run tsc's output in dist/.
//
//   node scripts/bundleCli.mjs   (run by `npm run build`, after tsc)

import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist', 'bundle');
const warnings = [];

// yoga-layout (Ink's layout engine) embeds its WebAssembly as a data: URL,
// and its Emscripten loader reads that through fetch whenever there is a
// fetch: that loads Node's HTTP client (undici) and decodes the URL in
// JavaScript, about 50 ms of every console start. Told there is no fetch, it
// decodes the same bytes itself. A yoga whose loader reads otherwise is left
// as it is, with a warning.
const YOGA_LOADER = /yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/;
const YOGA_FETCH_TEST = '"function"!=typeof fetch';
const yogaWithoutFetch = {
  name: 'yoga-without-fetch',
  transform(code, id) {
    if (!YOGA_LOADER.test(id)) return null;
    if (!code.includes(YOGA_FETCH_TEST)) {
      warnings.push(`${id}: its wasm loader no longer tests for fetch as expected; bundled unchanged`);
      return null;
    }
    return { code: code.replace(YOGA_FETCH_TEST, 'true'), map: null };
  },
};

rmSync(outDir, { recursive: true, force: true });
const bundle = await rolldown({
  cwd: root,
  input: { main: path.join(root, 'dist', 'cli', 'main.js') },
  platform: 'node',
  // Ink imports React's devtools only when DEV=true, and megatest does not ship them.
  external: [/^node:/, 'react-devtools-core'],
  plugins: [yogaWithoutFetch],
  onLog: (level, log) => {
    // @iarna/toml reaches util.inspect through a guarded eval on purpose, so that bundlers leave it alone.
    if (log.code === 'EVAL' && String(log.id ?? log.message).includes('@iarna/toml')) return;
    if (level === 'warn') warnings.push(log.message);
  },
});
await bundle.write({ dir: outDir, format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' });
await bundle.close();
for (const warning of warnings) process.stderr.write(`bundle: ${warning}\n`);
