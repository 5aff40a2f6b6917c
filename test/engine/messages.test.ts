// Small wordings of issue 11, item 6: the disk limit never reads "0.01 GB >
// 0.01 GB", and a hang message never says a negative time.

import { describe, expect, it } from 'vitest';
import type { AgentPool, AgentSlot } from '../../src/engine/agentPool.js';
import type { EngineContext } from '../../src/engine/context.js';
import { sizesApart } from '../../src/engine/limits.js';
import type { Recovery } from '../../src/engine/recovery.js';
import { NOT_LOOKING_MS, Watchdog } from '../../src/engine/watchdog.js';

const MB = 1024 ** 2;
const GB = 1024 ** 3;

describe('sizesApart', () => {
  it('reads sizes below a GB in MB, and unequal sizes unequal', () => {
    expect(sizesApart(15 * MB, 0.01 * GB)).toEqual(['15.0 MB', '10.2 MB']);
    expect(sizesApart(10.21 * MB, 0.01 * GB)).toEqual(['10.21 MB', '10.24 MB']);
    expect(sizesApart(3 * GB, 2 * GB)).toEqual(['3.00 GB', '2.00 GB']);
    expect(sizesApart(2 * GB + 1, 2 * GB)).toEqual([`${2 * GB + 1} bytes`, `${2 * GB} bytes`]);
    expect(sizesApart(512 * 1024, 100 * 1024)).toEqual(['512.0 KB', '100.0 KB']);
  });
});

describe('the watchdog’s hang message', () => {
  it('never says a negative time, whatever order its clocks were read in', () => {
    const handled: string[] = [];
    const slot = {
      name: 'agent-1',
      adapter: { pid: process.pid },
      hungReported: false,
      silentReported: false,
      quietCpuBase: null,
      quietCpuUsed: 0,
      cpuActiveMs: 0,
      lastCpuCheckMs: 0,
      lastOutputMs: 0,
    } as unknown as AgentSlot;
    const ctx = {
      config: { agent: { step_timeout_secs: 2 } },
      state: { agents: [{ name: 'agent-1', status: 'working' }] },
      restoreGeneration: 0,
      background: (job: () => Promise<unknown>) => void job(),
    } as unknown as EngineContext;
    const pool = { slots: [slot], stop: async () => undefined } as unknown as AgentPool;
    const recovery = { handle: async (_slot: AgentSlot, _c: unknown, message: string) => void handled.push(message) } as unknown as Recovery;
    const watchdog = new Watchdog(ctx, pool, recovery);
    const now = 1_000_000;
    watchdog.watch(now); // the first look opens the quiet window
    // Its last output and its last CPU seen "after" now: a late tick, a clock step.
    slot.lastOutputMs = now - 10_000;
    slot.cpuActiveMs = now + 6_000;
    slot.quietCpuUsed = -5;
    watchdog.watch(now + 1);
    watchdog.watch(now + 2);
    expect(handled).toHaveLength(1);
    expect(handled[0]).not.toMatch(/-\d/);
    expect(handled[0]).toMatch(/^(hung|silent but working): no output/);
  });
});

describe('the watchdog on a loaded machine', () => {
  function setup(cpuAt: (now: number) => number) {
    const handled: string[] = [];
    const slot = {
      name: 'agent-1',
      adapter: { pid: 4242 },
      hungReported: false,
      silentReported: false,
      quietCpuBase: null,
      quietCpuUsed: 0,
      cpuActiveMs: 0,
      lastCpuCheckMs: 0,
      lastOutputMs: 10_000,
    } as unknown as AgentSlot;
    const ctx = {
      config: { agent: { step_timeout_secs: 4 } },
      state: { agents: [{ name: 'agent-1', status: 'working' }] },
      restoreGeneration: 0,
      background: (job: () => Promise<unknown>) => void job(),
      log: { warn: () => undefined },
    } as unknown as EngineContext;
    const pool = { slots: [slot], stop: async () => undefined } as unknown as AgentPool;
    const recovery = { handle: async (_slot: AgentSlot, _c: unknown, message: string) => void handled.push(message) } as unknown as Recovery;
    let now = 0;
    const watchdog = new Watchdog(ctx, pool, recovery, () => cpuAt(now));
    const look = (at: number) => {
      now = at;
      watchdog.watch(at);
    };
    const tick = (at: number) => watchdog.noteTick(at);
    return { handled, look, tick };
  }

  it('an idle agent whose first quiet look came late (a delayed tick) is hung, not "silent but working"', async () => {
    const { handled, look } = setup(() => 500); // no CPU at all after its last line
    look(13_500); // 3.5 s after the last line: the ticks before it were late
    look(14_500);
    await new Promise((resolve) => setImmediate(resolve)); // a hung agent is stopped before recovery hears of it
    expect(handled).toHaveLength(1);
    expect(handled[0]).toMatch(/^hung: no output and no CPU for the last 5 s/);
  });

  it('a silent agent is watched on: hung once it has used no CPU for a whole step, said silent only once', async () => {
    // A tick (10 ms) of CPU per 100 ms until 14.5 s (a collection after its last line, late on a loaded machine), none after.
    const { handled, look } = setup((now) => Math.min(now, 14_500) / 10);
    look(13_500);
    look(14_500);
    expect(handled).toHaveLength(1);
    expect(handled[0]).toMatch(/^silent but working: no output for 5 s/);
    look(16_000);
    look(18_000); // 3.5 s without CPU: not a whole step yet
    expect(handled).toHaveLength(1);
    look(18_600);
    await new Promise((resolve) => setImmediate(resolve)); // a hung agent is stopped before recovery hears of it
    expect(handled).toHaveLength(2);
    expect(handled[1]).toMatch(/^hung: no output and no CPU for the last 4 s \(1\.00 s of CPU in all\) for 9 s/);
  });

  it('after a gap in the ticks (the orchestrator stopped) a quiet agent gets a whole step again; a short gap changes nothing', async () => {
    const { handled, look, tick } = setup(() => 500); // no CPU at all after its last line at 10 s
    for (let at = 10_250; at <= 12_000; at += 250) tick(at), look(at);
    // Stopped from 12 s to 20 s, longer than the step timeout (4 s): not hung when it runs again.
    tick(20_000);
    look(20_000);
    for (let at = 20_250; at < 24_000; at += 250) tick(at), look(at);
    await new Promise((resolve) => setImmediate(resolve));
    expect(handled).toEqual([]);
    tick(24_000);
    look(24_250);
    await new Promise((resolve) => setImmediate(resolve));
    expect(handled).toHaveLength(1);
    expect(handled[0]).toMatch(/^hung: no output and no CPU for the last 4 s/);

    // A gap under NOT_LOOKING_MS (a loaded machine's late ticks) is not a stop: the agent is hung on time.
    const late = setup(() => 500);
    late.tick(10_000);
    late.tick(10_000 + NOT_LOOKING_MS - 1);
    late.look(13_500);
    late.look(14_500);
    await new Promise((resolve) => setImmediate(resolve));
    expect(late.handled).toHaveLength(1);
  });

  it('an agent using CPU in every look is still silent but working', () => {
    const { handled, look } = setup((now) => now / 10); // a tick (10 ms) of CPU per 100 ms
    look(13_500);
    look(14_500);
    expect(handled).toHaveLength(1);
    expect(handled[0]).toMatch(/^silent but working: no output for 5 s/);
  });
});
