// The watchdog tells a hung agent (no output, no CPU for step_timeout_secs)
// from a silent one that is working (CPU but no output, its own or its child
// processes': a tool's test run), and hands either to recovery. The CPU used in the quiet window is measured from a sample taken
// once the output stopped.

import { readdirSync, readFileSync } from 'node:fs';
import type { AgentPool } from './agentPool.js';
import { WATCHDOG_CLASSES } from './classify.js';
import type { EngineContext } from './context.js';
import type { Recovery } from './recovery.js';

/** CPU ticks (1/100 s) an agent may use in a quiet window and still count as idle rather than working. */
const IDLE_CPU_TICKS = 2;

/**
 * A gap this long between the orchestrator's ticks (250 ms apart) is time it
 * did not look: it was stopped (Ctrl-Z, SIGSTOP), the machine slept, or its
 * event loop stalled. Its agents' output went unread meanwhile, and some
 * blocked on a full pipe: their silence then says nothing about them.
 */
export const NOT_LOOKING_MS = 5000;

export class Watchdog {
  private lastTickMs: number | null = null;
  /** Since when the orchestrator has been looking without a gap: no agent is quiet for longer than that. */
  private lookingSinceMs = 0;

  constructor(
    private readonly ctx: EngineContext,
    private readonly pool: AgentPool,
    private readonly recovery: Recovery,
    private readonly cpuTicks: (pid: number) => number | null = processTreeCpuTicks,
  ) {}

  /**
   * On every tick, paused or not: after a gap of NOT_LOOKING_MS or more, every
   * agent's quiet window starts again now. Before, an orchestrator stopped
   * with Ctrl-Z for longer than agent.step_timeout_secs found every agent
   * hung when it ran again, and restored the last checkpoint over their work.
   */
  noteTick(now: number): void {
    const gap = this.lastTickMs === null ? 0 : now - this.lastTickMs;
    this.lastTickMs = now;
    if (gap < NOT_LOOKING_MS) return;
    this.lookingSinceMs = now;
    for (const slot of this.pool.slots) slot.quietCpuBase = null;
    this.ctx.log.warn(
      'watchdog',
      `this orchestrator did not run for ${Math.round(gap / 1000)} s (stopped with Ctrl-Z or SIGSTOP, the machine asleep, or its event loop held up): every agent's quiet time (agent.step_timeout_secs) counts from now`,
    );
  }

  watch(now: number): void {
    const stepTimeoutMs = this.ctx.config.agent.step_timeout_secs * 1000;
    for (const slot of this.pool.slots) {
      const adapter = slot.adapter;
      if (!adapter?.pid || slot.hungReported) continue;
      const cpu = this.cpuTicks(adapter.pid);
      if (cpu === null) continue; // exited: the pool reports it
      // Its last line, or the end of a time the orchestrator did not look, whichever came later.
      const heardMs = Math.max(slot.lastOutputMs, this.lookingSinceMs);
      if (slot.lastCpuCheckMs <= heardMs || slot.quietCpuBase === null) {
        // First look since the agent last spoke: a new quiet window. Its last sure sign of work is
        // its last line, not this look: on a loaded machine the look can come seconds late, and
        // dating the work to it made a hung agent look busy ("silent but working").
        slot.quietCpuBase = cpu;
        slot.quietCpuUsed = 0;
        slot.cpuActiveMs = Math.min(now, heardMs);
        slot.lastCpuCheckMs = now;
        continue;
      }
      // CPU since the last look: the work an agent finishes after its last line (or a
      // loaded machine's late scheduling of it) shows early in the window, not at its end.
      const step = cpu - slot.quietCpuBase;
      slot.quietCpuBase = cpu;
      slot.quietCpuUsed += step;
      if (step > IDLE_CPU_TICKS) slot.cpuActiveMs = now;
      slot.lastCpuCheckMs = now;
      const quietMs = now - heardMs;
      if (quietMs < stepTimeoutMs) continue;
      const status = this.ctx.state.agents.find((a) => a.name === slot.name)?.status;
      if (status === 'idle' || status === 'waiting') continue; // quiet by design
      // Never a negative time: the clocks compared may have been read in another order (a late tick, a clock step).
      const quietSeconds = Math.max(0, Math.round(quietMs / 1000));
      const used = (Math.max(0, slot.quietCpuUsed) / 100).toFixed(2);
      // Busy: it used CPU in the second half of the window. Once said to be silent, it is
      // watched on, and hung only after a whole step without CPU: a hung agent's last CPU
      // (a collection just after its last line, late on a loaded machine) made it look busy
      // once, and it was never looked at again.
      const idleMs = now - slot.cpuActiveMs;
      if (slot.silentReported ? idleMs < stepTimeoutMs : idleMs < stepTimeoutMs / 2) {
        if (slot.silentReported) continue;
        slot.silentReported = true;
        const message = `silent but working: no output for ${quietSeconds} s (agent.step_timeout_secs) while using ${used} s of CPU`;
        this.ctx.background(() => this.recovery.handle(slot, { ...WATCHDOG_CLASSES.agent_silent, matched: 'watchdog' }, message));
      } else {
        slot.hungReported = true;
        const idleSeconds = Math.min(quietSeconds, Math.max(0, Math.round((now - slot.cpuActiveMs) / 1000)));
        const message = `hung: no output and no CPU for the last ${idleSeconds} s (${used} s of CPU in all) for ${quietSeconds} s (agent.step_timeout_secs)`;
        const seen = this.ctx.restoreGeneration;
        this.ctx.background(async () => {
          // A restore since it was seen has replaced the hung process already.
          if (seen === this.ctx.restoreGeneration) await this.pool.stop(slot);
          await this.recovery.handle(slot, { ...WATCHDOG_CLASSES.agent_hang, matched: 'watchdog' }, message, seen);
        });
      }
    }
  }
}

/** utime+stime of a process in clock ticks, from /proc; null when it is gone. */
export function processCpuTicks(pid: number): number | null {
  const fields = statFields(pid);
  return fields === null ? null : Number(fields[11]) + Number(fields[12]);
}

/** More processes than an agent's tree holds: a bound on the walk, whatever /proc says. */
const MAX_TREE_PROCESSES = 512;

/**
 * The CPU of an agent and of every process under it, in clock ticks; null
 * when the agent is gone. An agent waiting on its tool (a test run, a build)
 * uses none itself: the child does, and a child's CPU reaches its parent's
 * stat (cutime) only once it has exited. Counting the agent alone, an agent
 * whose test run took longer than agent.step_timeout_secs (Claude Code prints
 * nothing while a tool runs) was "hung": stopped, and the last checkpoint
 * restored over its work. Each live process counts its own CPU and that of
 * its children that exited (cutime, cstime), so no tick is counted twice.
 */
export function processTreeCpuTicks(pid: number): number | null {
  const root = statFields(pid);
  if (root === null) return null;
  let ticks = 0;
  const pending = [pid];
  const seen = new Set<number>();
  while (pending.length > 0 && seen.size < MAX_TREE_PROCESSES) {
    const next = pending.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    const fields = next === pid ? root : statFields(next);
    if (fields === null) continue; // gone meanwhile
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    pending.push(...childrenOf(next));
  }
  return ticks;
}

/** The fields of /proc/PID/stat after the command name (state first), or null when the process is gone. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The process's children, from each of its threads' children list (none where the kernel keeps no such list). */
function childrenOf(pid: number): number[] {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const thread of threads) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${thread}/children`, 'utf8').split(' ')) if (child !== '') children.push(Number(child));
    } catch {
      // The thread ended, or the kernel has no children lists (CONFIG_PROC_CHILDREN): the agent's own CPU still counts.
    }
  }
  return children;
}
