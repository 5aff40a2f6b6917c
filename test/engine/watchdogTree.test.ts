// The watchdog counts the CPU of an agent's child processes as the agent's
// work: an agent waiting on its tool's long test run uses no CPU itself, and
// was "hung" (stopped, the last checkpoint restored) after
// agent.step_timeout_secs of it. Real processes: an idle parent whose child
// spins. Nothing races the clock: the test waits until the child has used
// CPU (read from /proc), then looks, on the watchdog's own clock.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentPool, AgentSlot } from '../../src/engine/agentPool.js';
import type { EngineContext } from '../../src/engine/context.js';
import type { Recovery } from '../../src/engine/recovery.js';
import { processCpuTicks, processTreeCpuTicks, Watchdog } from '../../src/engine/watchdog.js';

const PROC = existsSync('/proc/self/stat');
const CHILDREN_LISTS = existsSync(`/proc/self/task/${process.pid}/children`);

/** Ticks (1/100 s) the child is to use before the look: well over the watchdog's idle allowance of 2. */
const CHILD_TICKS = 20;

const started: ChildProcess[] = [];
let spinnerPid: number | null = null;

afterEach(() => {
  if (spinnerPid !== null) {
    try {
      process.kill(spinnerPid, 'SIGKILL');
    } catch {
      // gone already
    }
    spinnerPid = null;
  }
  for (const child of started.splice(0)) child.kill('SIGKILL');
});

/** A parent that starts a spinning child and then waits, idle; resolves once it says the child's pid. */
async function idleParentOfSpinner(): Promise<{ parent: number; child: number }> {
  const script = `const c = require('node:child_process').spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }); console.log(c.pid); setInterval(() => {}, 1e6);`;
  const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(parent);
  const [chunk] = (await once(parent.stdout!, 'data')) as [Buffer];
  spinnerPid = Number(chunk.toString().trim());
  return { parent: parent.pid!, child: spinnerPid };
}

/** Resolves once the process has used `ticks` of CPU of its own since `from` (polls /proc; the test's timeout bounds it). */
async function untilUsed(pid: number, from: number, ticks: number): Promise<void> {
  while ((processCpuTicks(pid) ?? from) - from < ticks) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe.skipIf(!PROC || !CHILDREN_LISTS)('the watchdog and an agent whose child works (needs /proc with children lists)', () => {
  it('counts the CPU of the agent’s child processes', async () => {
    const { parent, child } = await idleParentOfSpinner();
    const parentBefore = processTreeCpuTicks(parent)!;
    const childBefore = processCpuTicks(child)!;
    await untilUsed(child, childBefore, CHILD_TICKS);
    const childUsed = processCpuTicks(child)! - childBefore;
    const parentOwn = processCpuTicks(parent)!;
    // The tree grew by at least what the child used; the parent itself by far less (it waits).
    expect(processTreeCpuTicks(parent)! - parentBefore).toBeGreaterThanOrEqual(childUsed);
    expect(processTreeCpuTicks(parent)).toBeGreaterThanOrEqual(parentOwn + processCpuTicks(child)!);
  }, 30_000);

  it('an agent quiet for a whole step while its child works is silent but working, not hung', async () => {
    const { parent, child } = await idleParentOfSpinner();
    const handled: string[] = [];
    const stepTimeoutSecs = 1;
    const lastOutputMs = 1_000_000;
    const slot = {
      name: 'agent-1',
      adapter: { pid: parent },
      hungReported: false,
      silentReported: false,
      quietCpuBase: null,
      quietCpuUsed: 0,
      cpuActiveMs: 0,
      lastCpuCheckMs: 0,
      lastOutputMs,
    } as unknown as AgentSlot;
    const ctx = {
      config: { agent: { step_timeout_secs: stepTimeoutSecs } },
      state: { agents: [{ name: 'agent-1', status: 'working' }] },
      restoreGeneration: 0,
      background: (job: () => Promise<unknown>) => void job(),
      log: { warn: () => undefined },
    } as unknown as EngineContext;
    const pool = { slots: [slot], stop: async () => undefined } as unknown as AgentPool;
    const recovery = { handle: async (_slot: AgentSlot, _c: unknown, message: string) => void handled.push(message) } as unknown as Recovery;
    const watchdog = new Watchdog(ctx, pool, recovery); // its own /proc reading
    watchdog.watch(lastOutputMs + 100); // the first quiet look opens the window
    await untilUsed(child, processCpuTicks(child)!, CHILD_TICKS);
    // A whole step after the agent's last line: it printed nothing, its child used CPU.
    watchdog.watch(lastOutputMs + stepTimeoutSecs * 1000 + 100);
    await new Promise((resolve) => setImmediate(resolve));
    expect(handled).toHaveLength(1);
    expect(handled[0]).toMatch(/^silent but working: no output for 1 s/);
  }, 30_000);
});
