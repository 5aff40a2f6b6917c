#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

// The CLI as scripts/bundleCli.mjs bundles it: a few files load far faster than Ink's hundreds.
const entry = new URL('../dist/bundle/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('megatest: not built yet; run `npm install` (or `npm run build`) in the megatest folder first\n');
  process.exit(2);
}

const args = process.argv.slice(2);

/** CI set, and not "", "false" or "0" (as src/cli/ciEnv.ts reads it: `CI=false` says not CI). */
function ciIsSet() {
  const value = process.env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}

// The console redraws a full screen several times a second, and V8 lets the
// heap of such a long-lived process grow far past what it keeps alive. A
// bounded heap keeps its resident memory small (bench/console.mjs); heap
// flags only take effect at start, so console commands re-run node once with
// them. The orchestrator and headless runs keep node's defaults. The young
// generation is 16 MB a half: every frame leaves a few MB of short-lived
// objects, and with 8 MB garbage collection was a quarter of a busy
// console's CPU (more of each frame's objects lived through a collection
// and were copied); 16 MB costs 15-20 MB of resident memory.
const CONSOLE_HEAP_FLAGS = ['--max-old-space-size=96', '--max-semi-space-size=16'];
const opensConsole =
  ['run', 'attach', 'resume'].includes(args[0] ?? '') &&
  !args.includes('--headless') &&
  !args.includes('--help') &&
  !args.includes('-h') &&
  process.stdout.isTTY === true &&
  process.stdin.isTTY === true &&
  !ciIsSet() &&
  process.env.MEGATEST_CONSOLE_PROCESS !== '1';

if (opensConsole) {
  // Loaded here only: every other command (status, checkpoint, --version) would pay about 8 ms for it.
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...CONSOLE_HEAP_FLAGS, fileURLToPath(import.meta.url), ...args], {
    stdio: 'inherit',
    env: { ...process.env, MEGATEST_CONSOLE_PROCESS: '1' },
  });
  // The child owns the terminal; Ctrl+C reaches it directly. A hang-up (the
  // window closed, the SSH link dropped, tmux kill-server) reaches only this
  // process, the session's leader: passed on, or the console lives on with
  // no screen, reading the run folder for ever.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => undefined);
  process.on('SIGHUP', () => child.kill('SIGHUP'));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
} else {
  const { runCli } = await import(entry.href);
  await runCli(args);
}
