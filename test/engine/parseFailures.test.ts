// Parse failures: every one counted, the event log told at most once a second
// per agent, with the count; the rest of a burst is not lost.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { ParseFailureReporter } from '../../src/engine/parseFailures.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('ParseFailureReporter', () => {
  it('reports the first failure at once and the rest of a burst a second later, with counts', () => {
    vi.useFakeTimers();
    const reports: { agent: string; message: string; total: number }[] = [];
    const reporter = new ParseFailureReporter((agent, message, total) => reports.push({ agent, message, total }), 1000, () => Date.now());
    const bad = (n: number) => ({ line: `{bad ${n}`, reason: 'not JSON' });
    reporter.record('agent-1', bad(1));
    expect(reports).toHaveLength(1);
    expect(reports[0]!.message).toBe("1 line not in the agent's format (1 in all, kept in output.log); last: not JSON: {bad 1");
    for (let i = 2; i <= 500; i++) reporter.record('agent-1', bad(i));
    // Another agent has its own second.
    reporter.record('agent-2', bad(1));
    expect(reports.map((r) => r.agent)).toEqual(['agent-1', 'agent-2']);
    vi.advanceTimersByTime(999);
    expect(reports).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(reports).toHaveLength(3);
    expect(reports[2]).toMatchObject({ agent: 'agent-1', total: 500 });
    expect(reports[2]!.message).toBe("499 lines not in the agent's format (500 in all, kept in output.log); last: not JSON: {bad 500");
    expect(reporter.totalOf('agent-1')).toBe(500);
    // Quiet: nothing more is reported.
    vi.advanceTimersByTime(10_000);
    expect(reports).toHaveLength(3);
  });

  it('flush reports what is pending at once and leaves no timer', () => {
    vi.useFakeTimers();
    const reports: string[] = [];
    const reporter = new ParseFailureReporter((_agent, message) => reports.push(message), 1000, () => Date.now());
    reporter.record('agent-1', { line: '{a', reason: 'x' });
    reporter.record('agent-1', { line: '{b', reason: 'y' });
    reporter.flushAll();
    expect(reports).toHaveLength(2);
    expect(reports[1]).toMatch(/^1 line .*\(2 in all/);
    expect(vi.getTimerCount()).toBe(0);
    reporter.flush('agent-1');
    expect(reports).toHaveLength(2);
  });
});
