// `npm run bench`: every benchmark in turn, each printing its own figures;
// exits 1 if any missed its target. Run one alone with
// `node bench/<name>.mjs` (see each file's header for options).

import { main as events } from './events.mjs';
import { main as checkpoint } from './checkpoint.mjs';
import { main as console_ } from './console.mjs';
import { main as replay } from './replay.mjs';
import { main as bigRun } from './bigRun.mjs';
import { main as measure } from './measure.mjs';
import { main as cacheFolders } from './cacheFolders.mjs';
import { main as startup } from './startup.mjs';
import { main as commandLatency } from './commandLatency.mjs';

const only = process.argv.slice(2);
const benches = [
  ['startup', 'start-up of the non-console commands beside node -e 0; megatest checkpoint round trip (issue 13)', () => startup([])],
  ['commandLatency', "control commands while a phase-end gate's test run is in flight: round trips < 1 s (DESIGN §10)", () => commandLatency([])],
  ['events', 'event throughput: 60 s headless session, 8 sim agents (issue 2)', () => events({})],
  ['checkpoint', 'checkpoint store: 5,000 files / 50 MB against cp -a (issue 3)', () => checkpoint([])],
  // The issue-13 table's large size: 13 minutes here and a few GB of disk, so only when asked for.
  ['checkpoint50k', 'checkpoint store: 50,000 files / 500 MB (issue 13; with CHECKPOINT_BENCH_50K=1 or by name)', () => checkpoint(['--files', '50000', '--mb', '500']), { optIn: 'CHECKPOINT_BENCH_50K' }],
  ['console', 'console under 1,000 events/s + 500 log lines/s in tmux, then idle, then paused (issues 5 and 13)', () => console_({})],
  ['replay', 'replay of a 1,000,000-event run: first frame, seeks, RSS (issue 10)', () => replay({})],
  ['bigRun', 'a crashed 1,000,000-event run: resume, status, report, attach (issue 13)', () => bigRun({})],
  ['measure', 'metrics snapshot at 5,000 files (50,000 with MEASURE_BENCH_50K=1), orchestrator paused with 50 MB (issue 13)', () => measure([])],
  ['cacheFolders', 'checkpoints of a Rust-like project with its target/ tagged as a cache and not (a comparison)', () => cacheFolders([])],
];

let failed = 0;
const summary = [];
for (const [name, title, main, { optIn } = {}] of benches) {
  if (only.length > 0 ? !only.includes(name) : optIn !== undefined && process.env[optIn] !== '1') continue;
  console.log(`\n=== ${name}: ${title}`);
  try {
    const { passed } = await main();
    summary.push(`${name}: ${passed ? 'targets met' : 'TARGET MISSED'}`);
    if (!passed) failed += 1;
  } catch (error) {
    failed += 1;
    summary.push(`${name}: FAILED (${error.message})`);
    console.error(error);
  }
}
console.log(`\n${summary.join('\n')}`);
process.exitCode = failed > 0 ? 1 : 0;
