#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('megatest: not built yet; run `npm install` (or `npm run build`) in the megatest folder first\n');
  process.exit(2);
}
const { runCli } = await import(entry.href);
await runCli(process.argv.slice(2));
