import { describe, expect, it } from 'vitest';
import { createSelfwareParser } from '../../../src/agents/selfware/outputParser.js';
import type { AgentMessage } from '../../../src/agents/types.js';

function parse(text: string, options: { model?: string } = {}): AgentMessage[] {
  const parser = createSelfwareParser(options);
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return [...lines.flatMap((line) => parser.line(line)), ...parser.end()];
}

function only<T extends AgentMessage['type']>(messages: AgentMessage[], type: T): Extract<AgentMessage, { type: T }>[] {
  return messages.filter((m): m is Extract<AgentMessage, { type: T }> => m.type === type);
}

const calls = (messages: AgentMessage[]): [string, boolean][] => only(messages, 'tool_call').map((m) => [m.tool, m.ok]);

describe('selfware parser: tool blocks', () => {
  it('reads a well-formed block as one call, its duration unknown (0)', () => {
    const messages = parse('<tool>\n<name>file_read</name>\n<arguments>{"path": "./src/lib.rs"}</arguments>\n</tool>\n');
    expect(only(messages, 'tool_call')).toEqual([{ type: 'tool_call', tool: 'file_read', ok: true, duration_ms: 0 }]);
    expect(only(messages, 'parse_failure')).toEqual([]);
    expect(only(messages, 'output')).toEqual([]);
  });

  it('counts the forms selfware tolerates as runnable calls', () => {
    const text = [
      '<tool>', '<name=file_write</name>', '<arguments>{}</arguments>', '</tool>',
      '<tool>', '<name=glob_find>', '<arguments>{}</arguments>', '</tool>',
      '<tool>', '<function=cargo_test</function>', '<arguments>{}</arguments>', '</tool>',
      '<tool><function>cargo_check</function><arguments>{}</arguments></tool>',
      '<tool_call>', '<function=shell_exec>', '<parameter=command>', 'ls', '</parameter>', '</function>', '</tool_call>',
    ].join('\n');
    const messages = parse(text);
    expect(calls(messages)).toEqual([
      ['file_write', true],
      ['glob_find', true],
      ['cargo_test', true],
      ['cargo_check', true],
      ['shell_exec', true],
    ]);
    expect(only(messages, 'parse_failure')).toEqual([]);
  });

  it('a name tag closed by the wrong tag is one call selfware cannot run', () => {
    const messages = parse('<tool>\n<name>shell_exec</command>\n<arguments>{"command": "ls"}</arguments>\n</tool>\n');
    expect(calls(messages)).toEqual([['shell_exec', false]]);
    const [failure] = only(messages, 'parse_failure');
    expect(failure!.reason).toContain('</command>');
  });

  it('`<function=x` left open on its line is one call, malformed', () => {
    const messages = parse('<tool>\n<function=file_read\n<arguments>{"path": "a"}</arguments>\n</tool>\n');
    expect(calls(messages)).toEqual([['file_read', false]]);
    expect(only(messages, 'parse_failure')[0]!.reason).toContain('not closed on its line');
  });

  it('a block with no opening <tool> is one call, malformed', () => {
    const messages = parse('<name>file_read</name>\n<arguments>{"path": "a"}</arguments>\n</tool>\nNext.\n');
    expect(calls(messages)).toEqual([['file_read', false]]);
    expect(only(messages, 'parse_failure')[0]!.reason).toContain('no opening <tool>');
    expect(only(messages, 'output')).toEqual([{ type: 'output', line: 'Next.' }]);
  });

  it('a bare `<function=x>` call closed by </function> is the form selfware parses without a wrapper', () => {
    const messages = parse('<function=file_read>\n<parameter=path>\na\n</parameter>\n</function>\n');
    expect(calls(messages)).toEqual([['file_read', true]]);
  });

  it('a doubled </tool> (or a doubled opening <tool>) is still one call', () => {
    const doubledClose = parse('<tool>\n<name=file_read</name>\n<arguments>{}</arguments>\n</tool>\n</tool>\n<tool>\n<name>x</name>\n<arguments>{}</arguments>\n</tool>\n');
    expect(calls(doubledClose)).toEqual([['file_read', true], ['x', true]]);
    expect(only(doubledClose, 'parse_failure')).toEqual([]);
    const doubledOpen = parse('<tool>\n<tool>\n<name>file_read</name>\n<arguments>{}</arguments>\n</tool>\n');
    expect(calls(doubledOpen)).toEqual([['file_read', true]]);
  });

  it('a block cut by a step marker (unclosed) is one failed call, then the step', () => {
    const messages = parse('📝 Step 6 Executing...\n<tool>\n<name>file_edit</name>\n<arguments>{"path": "a", "old_str": "b"}\n📝 Step 7 Executing...\n');
    expect(messages.map((m) => m.type)).toEqual(['step', 'parse_failure', 'tool_call', 'step']);
    expect(calls(messages)).toEqual([['file_edit', false]]);
    expect(only(messages, 'parse_failure')[0]!.reason).toContain('📝 Step 7');
  });

  it('a new <tool> before </tool> ends the first block as malformed', () => {
    const messages = parse('<tool>\n<name>a</name>\n<arguments>{}\n<tool>\n<name>b</name>\n<arguments>{}</arguments>\n</tool>\n');
    expect(calls(messages)).toEqual([['a', false], ['b', true]]);
  });

  it('a block without any name is one call of tool "unknown"', () => {
    const messages = parse('<tool>\n<arguments>{}</arguments>\n</tool>\n');
    expect(calls(messages)).toEqual([['unknown', false]]);
  });

  it('a `✗` result line after a block marks the call failed; `✓` keeps it ok', () => {
    const block = (name: string): string => `<tool>\n<name>${name}</name>\n<arguments>{}</arguments>\n</tool>`;
    const messages = parse(`${block('cargo_test')}\n\n  ✗ Tests: some failed\n${block('cargo_check')}\n  ✓ Cargo check passed\n`);
    expect(calls(messages)).toEqual([['cargo_test', false], ['cargo_check', true]]);
  });

  it('a whole block on one line, and text after </tool> on its line', () => {
    const messages = parse('<tool><name>file_read</name><arguments>{}</arguments></tool> Done reading.\n');
    expect(calls(messages)).toEqual([['file_read', true]]);
    expect(only(messages, 'output').map((m) => m.line)).toEqual([' Done reading.']);
  });
});

describe('selfware parser: steps, errors, tokens', () => {
  it('reads step markers, also glued to cut-off text, and repeated numbers', () => {
    const messages = parse('📝 Step 1 Executing...\nI will now read the fi📝 Step 2 Executing...\n📝 Step 2 Executing...\n');
    expect(only(messages, 'step').map((m) => m.step)).toEqual([1, 2, 2]);
    expect(only(messages, 'output').map((m) => m.line)).toEqual(['I will now read the fi']);
  });

  it('an error glued to the end of a cut-off tool block ends the block and is an error', () => {
    const messages = parse('<tool>\n<name=file_edit</name>\n<arguments>{"path": "a", "new_str": "let⚠️ Recovering from error: Streaming failed: Stream error\n');
    expect(messages.map((m) => m.type)).toEqual(['parse_failure', 'tool_call', 'error']);
    expect(only(messages, 'error')[0]!.message).toBe('Recovering from error: Streaming failed: Stream error');
  });

  it('reads ❌ Task failed as the outcome, and main\'s Error: after it as the same failure: no error of their own (the adapter reports the failed run once)', () => {
    const messages = parse('❌ Task failed: Agent failed to take action after 3 prompts\nError: Agent failed: Agent failed to take action after 3 prompts\n');
    expect(only(messages, 'error')).toEqual([]);
    expect(only(messages, 'outcome')).toEqual([
      { type: 'outcome', outcome: 'failed', detail: 'Agent failed to take action after 3 prompts' },
    ]);
    expect(only(messages, 'output').map((m) => m.line)).toEqual([
      '❌ Task failed: Agent failed to take action after 3 prompts',
      'Error: Agent failed: Agent failed to take action after 3 prompts',
    ]);
  });

  it('an Error: line before any outcome is the run\'s failure, said at the stream\'s end: an outcome, no error of its own', () => {
    const messages = parse('📝 Step 1 Executing...\nError: connection refused\n');
    expect(only(messages, 'error')).toEqual([]);
    expect(only(messages, 'outcome')).toEqual([{ type: 'outcome', outcome: 'failed', detail: 'Error: connection refused' }]);
    expect(only(messages, 'output').map((m) => m.line)).toContain('Error: connection refused');
    // A shutdown said after it is how the run ended; a completion before it is not.
    expect(only(parse('Error: connection refused\nReceived shutdown signal, exiting gracefully...\n'), 'outcome')[0]!.outcome).toBe('interrupted');
    expect(only(parse('✅ Task completed successfully!\nError: Failed to save checkpoint\n'), 'outcome')).toEqual([{ type: 'outcome', outcome: 'failed', detail: 'Error: Failed to save checkpoint' }]);
    // One the loop went on after (a tool's output, the model's text), or an indented one, was not main's last words.
    expect(only(parse("📝 Step 1 Executing...\nError: Cannot find module 'foo'\n📝 Step 2 Executing...\n✅ Task completed successfully!\n"), 'outcome')).toEqual([
      { type: 'outcome', outcome: 'succeeded', detail: 'selfware said the task completed successfully' },
    ]);
    expect(only(parse("📝 Step 1 Executing...\n    Error: not main's\n"), 'outcome')).toEqual([]);
  });

  it('the iteration limit is max_turns', () => {
    expect(only(parse('Error: Max iterations reached\n'), 'outcome')[0]!.outcome).toBe('max_turns');
    expect(only(parse('❌ Task failed: Iteration limit reached (80)\n'), 'outcome')[0]!.outcome).toBe('max_turns');
  });

  it('an `Error:` inside a multi-line tool block is the model\'s text, not an error', () => {
    const messages = parse('<tool>\n<name>file_write</name>\n<arguments>{"content": "\nError: not mine\n"}</arguments>\n</tool>\n');
    expect(only(messages, 'error')).toEqual([]);
    expect(calls(messages)).toEqual([['file_write', true]]);
  });

  it('a failed VERIFICATION REPORT is one error naming the trigger and the check', () => {
    const box = [
      '╔══════════════════════════════════════════╗',
      '║         VERIFICATION REPORT              ║',
      '╠══════════════════════════════════════════╣',
      '║ Trigger: file_write:./src/lib.rs        ║',
      '║ Status: ✗ FAILED                        ║',
      '║ ✗ type_check: 106ms',
      '║   └─ src/lib.rs: unresolved import `html_esc...',
      '╚══════════════════════════════════════════╝',
    ].join('\n');
    const messages = parse(box);
    expect(only(messages, 'error').map((m) => m.message)).toEqual([
      'selfware verification failed after file_write:./src/lib.rs: type_check: 106ms: src/lib.rs: unresolved import `html_esc...',
    ]);
    expect(only(messages, 'output')).toHaveLength(8);
    expect(only(parse(box.replace('✗ FAILED', '✓ PASSED')), 'error')).toEqual([]);
  });

  it('reads --show-tokens lines as usage; compact and session totals are not split or counted', () => {
    const messages = parse(
      '📊 Tokens: 1843 prompt + 64 completion = 1907 total\n[1907 tokens]\n📊 Session tokens: 1843 prompt + 64 completion = 1907 total\n',
      { model: 'qwen3-coder' },
    );
    expect(only(messages, 'tokens')).toEqual([{ type: 'tokens', input: 1843, output: 64, model: 'qwen3-coder' }]);
    expect(only(messages, 'output').map((m) => m.line)).toEqual(['[1907 tokens]', '📊 Session tokens: 1843 prompt + 64 completion = 1907 total']);
  });

  it('a token line whose parts do not add up is a parse failure, not usage', () => {
    const messages = parse('📊 Tokens: 10 prompt + 5 completion = 99 total\n');
    expect(only(messages, 'tokens')).toEqual([]);
    expect(only(messages, 'parse_failure')).toHaveLength(1);
  });

  it("reads 🔄 intent-without-action as selfware's own retry, counting them since the last tool call", () => {
    const intent = "🔄 Model described intent but didn't act - prompting for action...";
    const messages = parse(`${intent}\n${intent}\n<tool><name>a</name><arguments>{}</arguments></tool>\n${intent}\n`);
    expect(only(messages, 'retry').map((m) => m.attempt)).toEqual([1, 2, 1]);
    expect(only(messages, 'error')).toEqual([]);
  });
});

describe('selfware parser: outcome', () => {
  it('succeeds on selfware\'s two completion lines, with the time it printed', () => {
    const messages = parse('✅ Task completed successfully!\n\n🌾 Task complete. Your garden has been tended. (1m 13s)\n');
    expect(only(messages, 'outcome')).toEqual([
      { type: 'outcome', outcome: 'succeeded', detail: 'selfware said the task completed successfully', duration_ms: 73_000 },
    ]);
  });

  it('the model writing "Task completed successfully." is not an outcome', () => {
    const messages = parse('All done. Task completed successfully.\n- ✅ Task completed successfully!\n📝 Step 4 Executing...\n');
    expect(only(messages, 'outcome')).toEqual([]);
  });

  it('a ✅ line followed by more steps was prose; one at the end of a cut stream is success', () => {
    expect(only(parse('✅ Task completed successfully!\n📝 Step 9 Executing...\n'), 'outcome')).toEqual([]);
    expect(only(parse('📝 Step 9 Executing...\n✅ Task completed successfully!\n'), 'outcome')[0]!.outcome).toBe('succeeded');
  });

  it('a shutdown is interrupted, whether or not the grace period ran out', () => {
    const forced = parse('📝 Step 4 Executing...\n\nReceived shutdown signal, exiting gracefully...\nShutdown grace period expired, forcing exit.');
    expect(only(forced, 'outcome')[0]!.detail).toContain('grace period expired');
    const graceful = parse('Received shutdown signal, exiting gracefully...\n');
    expect(only(graceful, 'outcome')).toEqual([
      { type: 'outcome', outcome: 'interrupted', detail: 'received a shutdown signal and exited within its grace period' },
    ]);
  });

  it('a shutdown line inside a block (stderr interleaved) leaves the block open; a glued grace-expired line still counts', () => {
    const messages = parse('<tool>\n<name=file_edit</name>\n<arguments>{"a": "b\nReceived shutdown signal, exiting gracefully...\n c", "d": "eShutdown grace period expired, forcing exit.');
    expect(messages.map((m) => m.type)).toEqual(['output', 'output', 'outcome', 'parse_failure', 'tool_call']);
    expect(calls(messages)).toEqual([['file_edit', false]]);
    expect(only(messages, 'outcome')[0]!.outcome).toBe('interrupted');
  });

  it('says at most one outcome', () => {
    const messages = parse('❌ Task failed: boom\nError: Max iterations reached\nReceived shutdown signal, exiting gracefully...\n');
    expect(only(messages, 'outcome')).toHaveLength(1);
  });
});

describe('selfware parser: bad input', () => {
  it('a stream cut mid-block: end() flushes the block as a failed call with its reason', () => {
    const parser = createSelfwareParser();
    expect(parser.line('<tool>')).toEqual([]);
    expect(parser.line('<name>file_write</name>')).toEqual([]);
    expect(parser.line('<arguments>{"content": "half')).toEqual([]);
    const end = parser.end();
    expect(end.map((m) => m.type)).toEqual(['parse_failure', 'tool_call']);
    expect((end[0] as { reason: string }).reason).toContain('the stream ended');
    expect(end[1]).toEqual({ type: 'tool_call', tool: 'file_write', ok: false, duration_ms: 0 });
  });

  it('end() flushes a well-formed call still waiting for its result line', () => {
    const parser = createSelfwareParser();
    expect(parser.line('<tool><name>a</name><arguments>{}</arguments></tool>')).toEqual([]);
    expect(parser.end()).toEqual([{ type: 'tool_call', tool: 'a', ok: true, duration_ms: 0 }]);
  });

  it('a 10 MB line outside a block is cut in its output message; inside a block it is a parse failure and the call still counts', () => {
    const huge = 'x'.repeat(10 * 1024 * 1024);
    const outside = parse(`${huge}\n`);
    expect(outside).toHaveLength(1);
    const line = (outside[0] as { line: string }).line;
    expect(line.length).toBeLessThan(70 * 1024);
    expect(line).toContain('more characters cut');

    const inside = parse(`<tool>\n<name>file_write</name>\n<arguments>{"content": "${huge}"}</arguments>\n</tool>\n`);
    expect(calls(inside)).toEqual([['file_write', true]]);
    const failures = only(inside, 'parse_failure');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.line.length).toBeLessThan(1024);
  });

  it('a runaway tool name is cut, and the call marked malformed', () => {
    const messages = parse(`<tool>\n<name>${'n'.repeat(5000)}</name>\n</tool>\n`);
    const [call] = only(messages, 'tool_call');
    expect(call!.tool).toHaveLength(128);
    expect(call!.ok).toBe(false);
  });

  it('binary garbage is printable output outside a block and a parse failure inside one', () => {
    const garbage = 'ab\u0000\u0001\u0002\uFFFDcd';
    const outside = parse(`${garbage}\n`);
    expect(outside).toEqual([{ type: 'output', line: 'ab\uFFFD\uFFFD\uFFFD\uFFFDcd' }]);
    const inside = parse(`<tool>\n<name>file_write</name>\n${garbage}\n</tool>\n`);
    expect(calls(inside)).toEqual([['file_write', false]]);
    expect(only(inside, 'parse_failure').map((m) => m.reason)).toContain('binary garbage inside a <tool> block');
  });

  it('strips colour escapes and reads a `\\r`-redrawn line as the lines drawn', () => {
    const messages = parse('\x1b[34m📝 Step 3\x1b[0m \x1b[1mExecuting\x1b[0m...\r\n\r\x1b[2K📝 Step 4 Executing...\n');
    expect(only(messages, 'step').map((m) => m.step)).toEqual([3, 4]);
  });

  it('a box that never closes stops being read and still reports its failure', () => {
    const parser = createSelfwareParser();
    const messages = [
      ...parser.line('║         VERIFICATION REPORT              ║'),
      ...parser.line('║ Status: ✗ FAILED                        ║'),
      ...parser.end(),
    ];
    expect(only(messages, 'error')).toHaveLength(1);
  });

  it('never throws on arbitrary lines', () => {
    const parser = createSelfwareParser();
    const samples = ['', '<', '<tool', '</tool>', '<name=', '<function=', '📝 Step', '📝 Step 99999999999999999999 Executing...', '║', '╚', '\u0000'];
    for (let i = 0; i < 2000; i += 1) {
      const a = samples[i % samples.length]!;
      const b = samples[(i * 7) % samples.length]!;
      expect(() => parser.line(a + b)).not.toThrow();
    }
    expect(() => parser.end()).not.toThrow();
  });
});
