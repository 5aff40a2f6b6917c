import { describe, expect, it } from 'vitest';
import { encodeCommand, parseAgentCommand, parseAgentLine, phaseCommand } from '../../src/agents/jsonl.js';

describe('parseAgentLine', () => {
  it('parses every message type of the protocol', () => {
    expect(parseAgentLine('{"type":"tool_call","tool":"read_file","ok":true,"duration_ms":12}')).toEqual({
      type: 'tool_call',
      tool: 'read_file',
      ok: true,
      duration_ms: 12,
    });
    expect(parseAgentLine('{"type":"tokens","input":1200,"output":80,"model":"m1"}')).toEqual({
      type: 'tokens',
      input: 1200,
      output: 80,
      model: 'm1',
    });
    expect(parseAgentLine('{"type":"state","status":"working","task":"parser"}')).toEqual({
      type: 'state',
      status: 'working',
      task: 'parser',
    });
    expect(parseAgentLine('{"type":"state","status":"idle"}')).toEqual({ type: 'state', status: 'idle' });
    expect(parseAgentLine('{"type":"task_done","task":"parser"}')).toEqual({ type: 'task_done', task: 'parser' });
    expect(parseAgentLine('{"type":"context","tokens":5000}')).toEqual({ type: 'context', tokens: 5000 });
    expect(parseAgentLine('{"type":"error","message":"boom"}')).toEqual({ type: 'error', message: 'boom' });
    expect(parseAgentLine('{"type":"vote","topic":"merge","choice":"approve"}')).toEqual({
      type: 'vote',
      topic: 'merge',
      choice: 'approve',
    });
  });

  it('keeps only the contract fields and tolerates CRLF and a missing model', () => {
    expect(parseAgentLine('{"type":"context","tokens":7,"extra":"x"}\r')).toEqual({ type: 'context', tokens: 7 });
    expect(parseAgentLine('{"type":"tokens","input":1,"output":2}')).toEqual({ type: 'tokens', input: 1, output: 2, model: '' });
  });

  it.each([
    'plain text from the agent',
    '',
    '{not json',
    '[1,2,3]',
    'null',
    '{"type":"unknown_kind","x":1}',
    '{"no_type":true}',
    '{"type":"tool_call","tool":"read_file","ok":"yes","duration_ms":1}',
    '{"type":"tool_call","tool":"","ok":true,"duration_ms":1}',
    '{"type":"tool_call","tool":"x","ok":true}',
    '{"type":"tokens","input":-5,"output":2,"model":"m"}',
    '{"type":"tokens","input":"10","output":2,"model":"m"}',
    '{"type":"state","status":"sleeping"}',
    '{"type":"task_done"}',
    '{"type":"context","tokens":null}',
    '{"type":"error"}',
    '{"type":"vote","topic":"t"}',
  ])('treats %j as the agent’s own output', (line) => {
    expect(parseAgentLine(line)).toEqual({ type: 'output', line });
  });
});

describe('commands', () => {
  it('encodes the phase command with its objectives and duration', () => {
    const line = encodeCommand(phaseCommand({ phase: 'development', objectives: ['a', 'b'], duration_seconds: 90 }));
    expect(JSON.parse(line)).toEqual({ cmd: 'phase', name: 'development', objectives: ['a', 'b'], duration_seconds: 90 });
    expect(line).not.toContain('\n');
  });

  it('carries a retry note when there is one', () => {
    const command = phaseCommand({ phase: 'development', objectives: ['a'], duration_seconds: 30, note: 'use valid JSON' });
    expect(JSON.parse(encodeCommand(command))).toEqual({ cmd: 'phase', name: 'development', objectives: ['a'], duration_seconds: 30, note: 'use valid JSON' });
    expect(parseAgentCommand(encodeCommand(command))).toEqual(command);
  });

  it.each(['checkpoint', 'compress', 'pause', 'resume', 'stop'] as const)('encodes %s and parses it back', (cmd) => {
    const line = encodeCommand({ cmd });
    expect(line).toBe(`{"cmd":"${cmd}"}`);
    expect(parseAgentCommand(line)).toEqual({ cmd });
  });

  it('round-trips a phase command and rejects non-commands', () => {
    const command = { cmd: 'phase' as const, name: 'testing', objectives: ['x'], duration_seconds: 5 };
    expect(parseAgentCommand(encodeCommand(command))).toEqual(command);
    expect(parseAgentCommand('{"cmd":"dance"}')).toBeNull();
    expect(parseAgentCommand('hello')).toBeNull();
    expect(parseAgentCommand('{"cmd":"phase","name":"x"}')).toBeNull();
  });
});
