// megatest import of a file still being written: the import takes the file's
// size once, when it begins, and every pass (the kind check, the line count
// in config.json, the copy to output.log, the events) reads those bytes; the
// file's change is said in session.log and the result's warnings. The file
// grows, or shrinks, at a set point (right after its size is taken, through
// the module's own pinFile), never on a timer. Expected figures are counted
// from the text written here.

import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/config/errors.js';
import { importRecordedRun } from '../../src/importer/importRun.js';
import { eventsOf, readEvents } from '../helpers/cli.js';

/** What happens to the file right after the import took its size. */
const afterPin = vi.hoisted(() => ({ act: null as ((file: string) => void) | null }));
vi.mock('../../src/importer/pinnedFile.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/importer/pinnedFile.js')>();
  return {
    ...actual,
    pinFile: async (file: string) => {
      const pinned = await actual.pinFile(file);
      afterPin.act?.(file);
      return pinned;
    },
  };
});

const root = mkdtempSync(path.join(tmpdir(), 'megatest-import-grow-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const toolLine = (i: number): string => JSON.stringify({ type: 'tool_call', tool: `tool-${i % 3}`, ok: i % 5 !== 0, duration_ms: i });
const transcript = (from: number, to: number): string => Array.from({ length: to - from }, (_, k) => toolLine(from + k) + '\n').join('');

describe('import of a file that changes while it is imported', () => {
  it('grows: config.json, output.log and the events all hold the file as it was when the import began, and a warning says so', async () => {
    const file = path.join(root, 'growing.jsonl');
    const before = transcript(0, 500);
    const added = transcript(500, 800);
    writeFileSync(file, before);
    afterPin.act = (f) => appendFileSync(f, added);
    try {
      const result = await importRecordedRun({ kind: 'command', files: [file], runsDir: root, sessionId: 'grow' });
      const lines = before.split('\n').length - 1;
      expect(result.imported.files[0]).toMatchObject({ lines, bytes: Buffer.byteLength(before) });
      expect(readFileSync(path.join(result.runDir, 'agents', 'agent-1', 'output.log'), 'utf8')).toBe(before);
      expect(eventsOf(readEvents(result.runDir), 'tool_call')).toHaveLength(lines);
      // The file did grow: the import read what it held when it began, and says so.
      expect(readFileSync(file, 'utf8')).toBe(before + added);
      expect(result.warnings).toHaveLength(1);
      expect(result.warnings[0]).toContain(`agent-1: ${file}: it changed while it was imported (${Buffer.byteLength(before).toLocaleString('en-US')} bytes when the import began, ${Buffer.byteLength(before + added).toLocaleString('en-US')} bytes now)`);
      expect(readFileSync(path.join(result.runDir, 'session.log'), 'utf8')).toContain(`WARN  [import] ${result.warnings[0]}`);
    } finally {
      afterPin.act = null;
    }
  });

  it('does not change: no warning', async () => {
    const file = path.join(root, 'still.jsonl');
    writeFileSync(file, transcript(0, 20));
    const result = await importRecordedRun({ kind: 'command', files: [file], runsDir: root, sessionId: 'still' });
    expect(result.warnings).toEqual([]);
    expect(readFileSync(path.join(result.runDir, 'session.log'), 'utf8')).not.toContain('WARN');
  });

  it('shrinks: it cannot be read as it was, so the import stops naming it, and leaves no folder', async () => {
    const file = path.join(root, 'shrinking.jsonl');
    writeFileSync(file, transcript(0, 100));
    afterPin.act = (f) => truncateSync(f, 10);
    try {
      const error = await importRecordedRun({ kind: 'command', files: [file], runsDir: root, sessionId: 'shrink' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(new RegExp(`^megatest import: FILE ${file}: it shrank while being imported`));
      expect(existsSync(path.join(root, 'shrink'))).toBe(false);
    } finally {
      afterPin.act = null;
    }
  });
});
