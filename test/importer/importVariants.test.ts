// megatest import of the shared recordings as a user may bring them: saved by
// a Windows tool with a UTF-8 byte order mark first, or with CRLF line ends,
// or as UTF-16 (Windows PowerShell 5's `>`).
// Each variant is made here from a fixture read in place (never copied into
// the repo); what it should give is counted from the fixture's own lines
// (streamCounts.ts), never by a parser.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/config/errors.js';
import { importRecordedRun } from '../../src/importer/importRun.js';
import { readLines } from '../../src/importer/lineReader.js';
import { pinFile } from '../../src/importer/pinnedFile.js';
import type { ImportKind } from '../../src/importer/kinds.js';
import { SHARED_FIXTURES_DIR } from '../../src/paths.js';
import { eventsOf, readEvents, readReport } from '../helpers/cli.js';
import { claudeCounts, codexCounts, selfwareCounts, type StreamCounts } from './streamCounts.js';

const root = mkdtempSync(path.join(tmpdir(), 'megatest-import-variants-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const BOM = '\uFEFF';
const present = existsSync(SHARED_FIXTURES_DIR);

const KINDS: { kind: ImportKind; folder: string; suffix: string; counts: (text: string) => StreamCounts }[] = [
  { kind: 'claude-code', folder: 'claude-code', suffix: '.ndjson', counts: claudeCounts },
  { kind: 'codex', folder: 'codex', suffix: '.jsonl', counts: codexCounts },
  { kind: 'selfware', folder: 'selfware', suffix: '.agent.log', counts: selfwareCounts },
];

function fixtures(folder: string, suffix: string): string[] {
  const dir = path.join(SHARED_FIXTURES_DIR, folder);
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith(suffix)).sort().map((n) => path.join(dir, n)) : [];
}

let made = 0;
async function importText(kind: ImportKind, name: string, text: string | Buffer) {
  made += 1;
  const file = path.join(root, `${made}-${name}`);
  writeFileSync(file, text);
  const result = await importRecordedRun({ kind, files: [file], runsDir: path.join(root, 'runs'), sessionId: `variant-${made}` });
  return { result, events: readEvents(result.runDir) };
}

describe.skipIf(!present)(`import of a recording saved with a byte order mark or CRLF line ends${present ? '' : ' (skipped: ../shared/fixtures is absent)'}`, () => {
  for (const { kind, folder, suffix, counts } of KINDS) {
    const files = fixtures(folder, suffix);
    it.each(files.map((f) => [path.basename(f), f]))(`${kind} %s with a UTF-8 BOM: the same counts, no parse failure for the first line`, async (_name, file) => {
      const text = readFileSync(file, 'utf8');
      const expected = counts(text);
      const { result, events } = await importText(kind, path.basename(file), BOM + text);
      const plain = await importText(kind, path.basename(file), text);
      // The mark is not a line, nor part of one: the first line reads as it does without it (the same errors,
      // parse failures among them: a selfware log has lines of its own that are none of selfware's).
      expect(eventsOf(events, 'error').map((e) => e.message)).toEqual(eventsOf(plain.events, 'error').map((e) => e.message));
      expect(result.imported.files[0]!.lines).toBe(plain.result.imported.files[0]!.lines);
      expect(eventsOf(events, 'tool_call')).toHaveLength(Object.values(expected.tools).reduce((n, c) => n + c, 0));
      expect(eventsOf(events, 'agent_state').flatMap((e) => (e.step === undefined ? [] : [e.step]))).toEqual(expected.steps);
      expect(readReport(result.runDir).measurements.total_tokens).toBe(expected.tokens);
      expect(result.status).toBe(plain.result.status);
      // output.log is the file as given, mark and all.
      expect(readFileSync(path.join(result.runDir, 'agents', 'agent-1', 'output.log'), 'utf8')).toBe(BOM + text);
    });
  }

  it('a file whose one recognised line comes first, after a BOM, is that kind\'s output (not refused)', async () => {
    const [first] = fixtures('claude-code', '.ndjson');
    expect(first).toBeDefined();
    const line = readFileSync(first!, 'utf8').split('\n')[0]!;
    expect(JSON.parse(line).type).toBe('system');
    const { events } = await importText('claude-code', 'init-only.ndjson', `${BOM}${line}\n`);
    expect(eventsOf(events, 'error').filter((e) => e.class === 'parse_failure')).toEqual([]);
    expect(eventsOf(events, 'session_ended')).toHaveLength(1);
  });

  it.each(fixtures('claude-code', '.ndjson').map((f) => [path.basename(f), f]))('claude-code %s with CRLF line ends: the same counts', async (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const expected = claudeCounts(text);
    const { result, events } = await importText('claude-code', path.basename(file), text.replace(/\n/g, '\r\n'));
    expect(eventsOf(events, 'error').filter((e) => e.class === 'parse_failure')).toEqual([]);
    expect(eventsOf(events, 'tool_call')).toHaveLength(Object.values(expected.tools).reduce((n, c) => n + c, 0));
    expect(readReport(result.runDir).measurements.total_tokens).toBe(expected.tokens);
  });
});

/** The text as UTF-16 with its byte order mark, little- or big-endian. */
function utf16(text: string, endian: 'le' | 'be'): Buffer {
  const le = Buffer.from(text, 'utf16le');
  if (endian === 'le') return Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
  const be = Buffer.from(le);
  be.swap16();
  return Buffer.concat([Buffer.from([0xfe, 0xff]), be]);
}

describe.skipIf(!present)(`import of a recording saved as UTF-16 (Windows PowerShell 5's >)${present ? '' : ' (skipped: ../shared/fixtures is absent)'}`, () => {
  for (const { kind, folder, suffix, counts } of KINDS.filter((k) => k.kind !== 'selfware')) {
    for (const endian of ['le', 'be'] as const) {
      it.each(fixtures(folder, suffix).map((f) => [path.basename(f), f]))(`${kind} %s as UTF-16${endian.toUpperCase()} with CRLF: read as the UTF-8 file is`, async (_name, file) => {
        const text = readFileSync(file, 'utf8');
        const expected = counts(text);
        const { result, events } = await importText(kind, path.basename(file), utf16(text.replace(/\n/g, '\r\n'), endian));
        const plain = await importText(kind, path.basename(file), text);
        expect(eventsOf(events, 'error').map((e) => e.message)).toEqual(eventsOf(plain.events, 'error').map((e) => e.message));
        expect(result.imported.files[0]!.lines).toBe(plain.result.imported.files[0]!.lines);
        expect(eventsOf(events, 'tool_call')).toHaveLength(Object.values(expected.tools).reduce((n, c) => n + c, 0));
        expect(readReport(result.runDir).measurements.total_tokens).toBe(expected.tokens);
        expect(result.status).toBe(plain.result.status);
      });
    }
  }

  it('a character split between two reads is whole in its line', async () => {
    // Characters of two and four UTF-16 bytes, read 7 bytes at a time: every boundary falls inside some character.
    const lines = ['{"type":"system","note":"naïve ✓"}', '{"emoji":"🚀🚀🚀","more":"ünïcödé"}', 'plain last line'];
    made += 1;
    const file = path.join(root, `${made}-split.ndjson`);
    writeFileSync(file, utf16(lines.join('\n') + '\n', 'le'));
    const read: string[] = [];
    for await (const line of readLines(await pinFile(file), 7)) read.push(line);
    expect(read).toEqual(lines);
  });
});

describe.skipIf(!present)(`import --agent codex of codex's older exec --json stream${present ? '' : ' (skipped: ../shared/fixtures is absent)'}`, () => {
  it.each(fixtures('codex', '.jsonl').map((f) => [path.basename(f), f]))('%s rewrapped as {"id","msg"} lines: refused in one line that says it is the older stream, no folder', async (_name, file) => {
    // The older stream put each event under "msg", with the submission's id beside it, and no top-level type.
    const older = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.stringify({ id: '0', msg: JSON.parse(line) }))
      .join('\n');
    made += 1;
    const olderFile = path.join(root, `${made}-older-${path.basename(file)}`);
    writeFileSync(olderFile, older + '\n');
    const runsDir = path.join(root, `older-runs-${made}`);
    const error = await importRecordedRun({ kind: 'codex', files: [olderFile], runsDir, sessionId: 'older' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toContain(`FILE ${olderFile}: no line of it is codex output`);
    expect(message).toMatch(/older exec --json stream .* which megatest does not read: record it with a newer codex$/);
    expect(existsSync(path.join(runsDir, 'older'))).toBe(false);
  });
});
