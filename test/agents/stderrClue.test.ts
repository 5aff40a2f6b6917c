// What an exited agent said of itself: the last stderr lines that carry a
// message, past the runtimes' closing lines that say nothing.

import { describe, expect, it } from 'vitest';
import { stderrClue } from '../../src/agents/stderrClue.js';

describe('stderrClue', () => {
  it('a shell that could not find the command', () => {
    expect(stderrClue(['/bin/sh: 1: nosuchprog: not found'])).toBe('/bin/sh: 1: nosuchprog: not found');
  });

  it('a Rust panic: the panic line, not the backtrace note', () => {
    const panic = "thread 'agent-2' panicked at 'injected agent_crash fault (simulation)', src/agent/loop.rs:214:9";
    expect(stderrClue([panic, 'note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace'])).toBe(panic);
  });

  it('an uncaught Node error: its message, not the stack frames or the version line', () => {
    const lines = ['file:///agent.mjs:3', "throw new Error('out of tokens')", '^', '', "Error: out of tokens", '    at file:///agent.mjs:3:7', '    at ModuleJob.run (node:internal/modules/esm/module_job:234:25)', '', 'Node.js v20.20.2'];
    expect(stderrClue(lines)).toBe("throw new Error('out of tokens') | Error: out of tokens");
  });

  it('nothing said, or only blank lines: no clue; a long one is cut', () => {
    expect(stderrClue([])).toBeUndefined();
    expect(stderrClue(['', '   '])).toBeUndefined();
    const clue = stderrClue(['x'.repeat(1_000)])!;
    expect(clue.length).toBe(300);
    expect(clue.endsWith('…')).toBe(true);
  });
});
