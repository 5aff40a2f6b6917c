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

  it.each(['plain text from the agent', '', '[1,2,3]', 'null', '  indented text'])('treats %j as the agent’s own output', (line) => {
    expect(parseAgentLine(line)).toEqual({ type: 'output', line });
  });

  it.each([
    ['{not json', /^not JSON/],
    ['{"type":"unknown_kind","x":1}', /^unknown type "unknown_kind"/],
    ['{"no_type":true}', /^no "type" field/],
    ['{"type":"tool_call","tool":"read_file","ok":"yes","duration_ms":1}', /^bad tool_call message: ok /],
    ['{"type":"tool_call","tool":"","ok":true,"duration_ms":1}', /^bad tool_call message: tool /],
    ['{"type":"tool_call","tool":"x","ok":true}', /^bad tool_call message: duration_ms /],
    ['{"type":"tokens","input":-5,"output":2,"model":"m"}', /^bad tokens message: input /],
    ['{"type":"tokens","input":"10","output":2,"model":"m"}', /^bad tokens message: input /],
    ['{"type":"state","status":"sleeping"}', /^bad state message: status /],
    ['{"type":"task_done"}', /^bad task_done message: task /],
    ['{"type":"context","tokens":null}', /^bad context message: tokens /],
    ['{"type":"error"}', /^bad error message: message /],
    ['{"type":"vote","topic":"t"}', /^bad vote message: choice /],
    ['  {"type":"tokens","input":1e999,"output":2}', /^bad tokens message: input /],
  ])('counts %j, which starts like a protocol line, as a parse failure', (line, reason) => {
    const message = parseAgentLine(line);
    expect(message).toMatchObject({ type: 'parse_failure', line });
    expect(message.type === 'parse_failure' && message.reason).toMatch(reason);
  });

  it('quotes at most the start of a long malformed line (output.log keeps all of it)', () => {
    const line = `{${'x'.repeat(5000)}`;
    const message = parseAgentLine(line);
    expect(message.type).toBe('parse_failure');
    expect(message.type === 'parse_failure' && message.line).toBe(`${line.slice(0, 300)}… (5001 chars)`);
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
