// The watchdog tells a hung agent (no output, no CPU for step_timeout_secs)
// from a silent one that is working (CPU but no output), and hands either to
// recovery. The CPU used in the quiet window is measured from a sample taken
// once the output stopped.

import { readFileSync } from 'node:fs';
import type { AgentPool } from './agentPool.js';
import { WATCHDOG_CLASSES } from './classify.js';
import type { EngineContext } from './context.js';
import type { Recovery } from './recovery.js';

/** CPU ticks (1/100 s) an agent may use in a quiet window and still count as idle rather than working. */
const IDLE_CPU_TICKS = 2;

export class Watchdog {
  constructor(
    private readonly ctx: EngineContext,
    private readonly pool: AgentPool,
    private readonly recovery: Recovery,
    private readonly cpuTicks: (pid: number) => number | null = processCpuTicks,
  ) {}

  watch(now: number): void {
    const stepTimeoutMs = this.ctx.config.agent.step_timeout_secs * 1000;
    for (const slot of this.pool.slots) {
      const adapter = slot.adapter;
      if (!adapter?.pid || slot.hungReported) continue;
      const cpu = this.cpuTicks(adapter.pid);
      if (cpu === null) continue; // exited: the pool reports it
      if (slot.lastCpuCheckMs <= slot.lastOutputMs || slot.quietCpuBase === null) {
        // First look since the agent last spoke: a new quiet window. Its last sure sign of work is
        // its last line, not this look: on a loaded machine the look can come seconds late, and
        // dating the work to it made a hung agent look busy ("silent but working").
        slot.quietCpuBase = cpu;
        slot.quietCpuUsed = 0;
        slot.cpuActiveMs = Math.min(now, slot.lastOutputMs);
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
      const quietMs = now - slot.lastOutputMs;
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
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}
