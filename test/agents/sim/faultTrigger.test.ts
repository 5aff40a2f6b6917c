// When a [[sim.faults]] fault is due: the pure trigger helpers (faultTrigger.ts)
// and the sim agent's schedule (faultSchedule.ts), on fake timers and counted
// events only, so nothing here depends on how fast the machine is.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SimFaultConfig } from '../../../src/config/types.js';
import { FaultSchedule } from '../../../src/agents/sim/faultSchedule.js';
import { describeFaultTrigger, faultDueForOrchestrator, faultTrigger, isTimeFault } from '../../../src/agents/sim/faultTrigger.js';
import { parseSimOptions } from '../../../src/agents/sim/options.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'megatest-fault-schedule-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let fileCount = 0;
const freshFile = (): string => path.join(scratch, `agent-${++fileCount}`, 'sim-faults-fired.json');

const crash = (trigger: Partial<SimFaultConfig>): SimFaultConfig => ({ kind: 'agent_crash', agent: '', ...trigger });

describe('faultTrigger helpers', () => {
  it('describe each trigger for log lines', () => {
    expect(describeFaultTrigger({ at_seconds: 30 })).toBe('at 30 s');
    expect(describeFaultTrigger({ after_tool_calls: 1 })).toBe('after 1 tool call');
    expect(describeFaultTrigger({ after_tool_calls: 3 })).toBe('after 3 tool calls');
    expect(describeFaultTrigger({ in_phase: 'development' })).toBe('in development');
    expect(describeFaultTrigger({ in_phase: 'development', after_tool_calls: 3 })).toBe('after 3 tool calls in development');
  });

  it('isTimeFault only for at_seconds', () => {
    expect(isTimeFault({ at_seconds: 0 })).toBe(true);
    expect(isTimeFault({ after_tool_calls: 2 })).toBe(false);
    expect(isTimeFault({ in_phase: 'refinement' })).toBe(false);
  });

  it('refuses a fault without exactly one trigger', () => {
    expect(() => faultTrigger({})).toThrow(/exactly one trigger.*it has none/);
    expect(() => faultTrigger({ at_seconds: 1, after_tool_calls: 1 })).toThrow(/it has at_seconds and after_tool_calls/);
  });

  it('faultDueForOrchestrator: time, session-wide tool calls, phase and calls within it', () => {
    const ctx = { elapsedSeconds: 10, toolCalls: 40, phase: 'development', phaseToolCalls: 5 };
    expect(faultDueForOrchestrator({ at_seconds: 10 }, ctx)).toBe(true);
    expect(faultDueForOrchestrator({ at_seconds: 11 }, ctx)).toBe(false);
    expect(faultDueForOrchestrator({ after_tool_calls: 40 }, ctx)).toBe(true);
    expect(faultDueForOrchestrator({ after_tool_calls: 41 }, ctx)).toBe(false);
    expect(faultDueForOrchestrator({ in_phase: 'development' }, ctx)).toBe(true);
    expect(faultDueForOrchestrator({ in_phase: 'refinement' }, ctx)).toBe(false);
    expect(faultDueForOrchestrator({ in_phase: 'development', after_tool_calls: 5 }, ctx)).toBe(true);
    expect(faultDueForOrchestrator({ in_phase: 'development', after_tool_calls: 6 }, ctx)).toBe(false);
    // Counted within the phase, not the session: 40 session calls do not make 6 development calls.
    expect(faultDueForOrchestrator({ in_phase: 'refinement', after_tool_calls: 1 }, ctx)).toBe(false);
  });

  it('the sim options check uses the same rule', () => {
    const base = { template: 'task_queue', seed: 1, tokensPerMinute: 1, toolCallsPerMinute: 1, sessionStartMs: 0 };
    const good = { ...base, faults: [crash({ in_phase: 'development', after_tool_calls: 2 })] };
    expect(parseSimOptions(JSON.stringify(good)).faults).toEqual(good.faults);
    const bad = { ...base, faults: [crash({ at_seconds: 1, in_phase: 'development' })] };
    expect(() => parseSimOptions(JSON.stringify(bad))).toThrow(/faults\.0: must be a \[\[sim\.faults\]\] table with exactly one trigger/);
  });
});

describe('FaultSchedule (one sim agent)', () => {
  let injected: string[];
  let notes: string[];
  const schedule = (faults: SimFaultConfig[], file: string | undefined = freshFile()) =>
    new FaultSchedule(faults, file, {
      inject: (fault) => injected.push(`${fault.kind} ${describeFaultTrigger(fault)}`),
      note: (text) => notes.push(text),
    });

  beforeEach(() => {
    injected = [];
    notes = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('after_tool_calls fires right after the Nth call, once', () => {
    const faults = schedule([crash({ after_tool_calls: 3 })]);
    faults.start(Date.now(), Date.now(), false);
    faults.toolCall();
    faults.toolCall();
    expect(injected).toEqual([]);
    faults.toolCall();
    expect(injected).toEqual(['agent_crash after 3 tool calls']);
    faults.toolCall();
    expect(injected).toHaveLength(1);
  });

  it('in_phase fires when the phase is given; with a count, on the Nth call in that phase', () => {
    const faults = schedule([
      { kind: 'network_timeout', agent: '', in_phase: 'development' },
      { kind: 'rate_limit', agent: '', in_phase: 'development', after_tool_calls: 2 },
    ]);
    faults.start(Date.now(), Date.now(), false);
    faults.phaseGiven('bootstrap');
    for (let i = 0; i < 5; i++) faults.toolCall();
    expect(injected).toEqual([]);
    faults.phaseGiven('development');
    expect(injected).toEqual(['network_timeout in development']);
    faults.toolCall();
    // A repeated phase command (a retry with a note) keeps the count.
    faults.phaseGiven('development');
    faults.toolCall();
    expect(injected).toEqual(['network_timeout in development', 'rate_limit after 2 tool calls in development']);
  });

  it('faults due on the same event fire in the order listed; corrupt_checkpoint is not the agent\'s', () => {
    const faults = schedule([
      { kind: 'network_timeout', agent: '', after_tool_calls: 1 },
      { kind: 'corrupt_checkpoint', agent: '', after_tool_calls: 1 },
      { kind: 'rate_limit', agent: '', after_tool_calls: 1 },
    ]);
    faults.start(Date.now(), Date.now(), false);
    faults.toolCall();
    expect(injected).toEqual(['network_timeout after 1 tool call', 'rate_limit after 1 tool call']);
  });

  it('a fault that ends the agent stops the ones after it', () => {
    let faults: FaultSchedule | undefined;
    faults = new FaultSchedule([crash({ after_tool_calls: 1 }), { kind: 'hang', agent: '', after_tool_calls: 1 }], freshFile(), {
      inject: (fault) => {
        injected.push(fault.kind);
        faults!.stop();
      },
      note: () => undefined,
    });
    faults.start(Date.now(), Date.now(), false);
    faults.toolCall();
    expect(injected).toEqual(['agent_crash']);
  });

  it('calls inside one step (an objective\'s writes) count singly but fire after the step', () => {
    const faults = schedule([crash({ after_tool_calls: 2 })]);
    const seen: string[] = [];
    faults.step(() => {
      for (let i = 1; i <= 3; i++) {
        faults.toolCall();
        seen.push(`call ${i}, injected ${injected.length}`);
      }
    });
    expect(seen).toEqual(['call 1, injected 0', 'call 2, injected 0', 'call 3, injected 0']);
    expect(injected).toEqual(['agent_crash after 2 tool calls']);
  });

  it('at_seconds runs on its timer from session start', () => {
    const start = Date.now();
    const faults = schedule([crash({ at_seconds: 5 })]);
    faults.start(start, start + 2000, false);
    vi.advanceTimersByTime(2999);
    expect(injected).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(injected).toEqual(['agent_crash at 5 s']);
    faults.stop();
  });

  it('an at_seconds fault due while the agent is paused fires when the pause ends, in order', () => {
    const start = Date.now();
    const faults = schedule([crash({ at_seconds: 5 }), { kind: 'rate_limit', agent: '', at_seconds: 7 }, { kind: 'hang', agent: '', at_seconds: 20 }]);
    faults.start(start, start, false);
    vi.advanceTimersByTime(1000);
    faults.setPaused(true);
    vi.advanceTimersByTime(10_000);
    expect(injected).toEqual([]);
    faults.setPaused(false);
    expect(injected).toEqual(['agent_crash at 5 s', 'rate_limit at 7 s']);
    vi.advanceTimersByTime(9_000);
    expect(injected).toHaveLength(3);
    faults.stop();
  });

  it('a restarted agent (same record file) does not replay what fired, and counts its calls afresh', () => {
    const file = freshFile();
    const first = schedule([crash({ after_tool_calls: 2 }), { kind: 'hang', agent: '', after_tool_calls: 4 }], file);
    first.start(Date.now(), Date.now(), false);
    first.toolCall();
    first.toolCall();
    expect(injected).toEqual(['agent_crash after 2 tool calls']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ fired: ['0:agent_crash'] });

    injected = [];
    const second = schedule([crash({ after_tool_calls: 2 }), { kind: 'hang', agent: '', after_tool_calls: 4 }], file);
    second.start(Date.now(), Date.now(), true);
    for (let i = 0; i < 3; i++) second.toolCall();
    expect(injected).toEqual([]);
    second.toolCall();
    expect(injected).toEqual(['hang after 4 tool calls']);
  });

  it('a restarted at_seconds fault already recorded is not re-armed', () => {
    const file = freshFile();
    const start = Date.now();
    const first = schedule([crash({ at_seconds: 1 })], file);
    first.start(start, start, false);
    vi.advanceTimersByTime(1000);
    expect(injected).toHaveLength(1);
    injected = [];
    // Even with a session start that would make it due again (a clock moved back, say).
    const second = schedule([crash({ at_seconds: 1 })], file);
    second.start(Date.now(), Date.now(), true);
    vi.advanceTimersByTime(5000);
    expect(injected).toEqual([]);
  });

  it('an unreadable record is reported, not trusted', () => {
    const file = freshFile();
    schedule([], file).start(0, 0, false); // creates nothing
    expect(existsSync(file)).toBe(false);
    const torn = path.join(scratch, 'torn.json');
    writeFileSync(torn, '{"fired":["0:agent_cr');
    const faults = schedule([crash({ after_tool_calls: 1 })], torn);
    expect(notes).toEqual([`[sim] ignoring an unreadable fault record ${torn}; faults may fire again`]);
    faults.toolCall();
    expect(injected).toEqual(['agent_crash after 1 tool call']);
  });

  it('without a record file it still fires (nothing is written)', () => {
    const faults = schedule([crash({ after_tool_calls: 1 })], undefined);
    faults.toolCall();
    expect(injected).toEqual(['agent_crash after 1 tool call']);
    expect(notes).toEqual([]);
  });
});
