// megatest import of a recording with a line over the splitter's bound
// (MAX_LINE_CHARS): the line is one line in every count, and its Claude
// tool_result still says whether the call failed. The recording is built
// here; every expected figure is counted from the text written.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS } from '../../src/agents/lineSplitter.js';
import { importRecordedRun } from '../../src/importer/importRun.js';
import { eventsOf, readEvents, readReport } from '../helpers/cli.js';

const root = mkdtempSync(path.join(tmpdir(), 'megatest-import-long-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A Claude stream-json run: one Bash call whose result is `size` chars, then the result line. */
function claudeRun(size: number, isError: boolean): string {
  const lines = [
    { type: 'system', subtype: 'init', session_id: 's-1', model: 'claude-test' },
    {
      type: 'assistant',
      session_id: 's-1',
      parent_tool_use_id: null,
      message: { id: 'msg_1', model: 'claude-test', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'cat big' } }], usage: { input_tokens: 10, output_tokens: 5 } },
    },
    // is_error comes after the long content, as the CLI writes it.
    { type: 'user', session_id: 's-1', message: { role: 'user', content: [{ tool_use_id: 'toolu_1', type: 'tool_result', content: 'x'.repeat(size), is_error: isError }] } },
    { type: 'result', subtype: 'success', is_error: false, session_id: 's-1', usage: { input_tokens: 10, output_tokens: 5 } },
  ];
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

describe('import of a recording with a line over MAX_LINE_CHARS', () => {
  it.each([false, true])('a 5,000,000-char tool_result (is_error %s) is one line, its call judged by its is_error, no parse failure', async (isError) => {
    const text = claudeRun(5_000_000, isError);
    const file = path.join(root, `big-${isError}.ndjson`);
    writeFileSync(file, text);
    const lines = text.split('\n').length - 1;
    const longest = Math.max(...text.split('\n').map((l) => l.length));
    expect(longest).toBeGreaterThan(MAX_LINE_CHARS);

    const result = await importRecordedRun({ kind: 'claude-code', files: [file], runsDir: root, sessionId: `big-${isError}` });
    const events = readEvents(result.runDir);
    expect(eventsOf(events, 'tool_call').map((c) => ({ tool: c.tool, ok: c.ok }))).toEqual([{ tool: 'Bash', ok: !isError }]);
    expect(eventsOf(events, 'error').filter((e) => e.class === 'parse_failure')).toEqual([]);
    // config.json and the report count the file's lines, the long one once.
    expect(result.imported.files[0]).toMatchObject({ lines, bytes: Buffer.byteLength(text) });
    const config = JSON.parse(readFileSync(path.join(result.runDir, 'config.json'), 'utf8')) as { imported: { files: { lines: number }[] } };
    expect(config.imported.files[0]!.lines).toBe(lines);
    expect(readReport(result.runDir).imported?.files[0]).toMatchObject({ lines });
    expect(readFileSync(path.join(result.runDir, 'session.log'), 'utf8')).toContain(`(${lines} lines, `);
  });

  it('a line over the bound that is not JSON is one parse failure naming its length', async () => {
    const run = claudeRun(10, false).split('\n');
    const junk = '{"type":"user","message":' + 'y'.repeat(2 * MAX_LINE_CHARS);
    const text = [run[0], run[1], junk, run[2], run[3]].join('\n') + '\n';
    const file = path.join(root, 'junk.ndjson');
    writeFileSync(file, text);
    const result = await importRecordedRun({ kind: 'claude-code', files: [file], runsDir: root, sessionId: 'junk' });
    const failures = eventsOf(readEvents(result.runDir), 'error').filter((e) => e.class === 'parse_failure');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.message).toMatch(/^1 line not in the agent's format \(1 in all/);
    expect(failures[0]!.message).toContain(`a line of ${junk.length} chars`);
    expect(result.imported.files[0]!.lines).toBe(text.split('\n').length - 1);
    expect(eventsOf(readEvents(result.runDir), 'tool_call').map((c) => c.ok)).toEqual([true]);
  });
});
