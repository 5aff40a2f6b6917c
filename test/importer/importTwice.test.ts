// Importing the same recording twice: a second folder, as asked, and a note
// on stderr naming the first (two folders of one recording read as two runs
// in ls and compare). A file that grew since, or another file, is a new
// recording and gets no note.

import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { captureCli } from '../cli/captureCli.js';

const root = mkdtempSync(path.join(tmpdir(), 'megatest-import-twice-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TRANSCRIPT = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'importer', 'protocol.transcript.jsonl');

describe('megatest import of a file already imported', () => {
  it('makes a second folder and says, in one line on stderr, which folder holds the same recording', async () => {
    const runs = path.join(root, 'runs');
    const file = path.join(root, 'transcript.jsonl');
    copyFileSync(TRANSCRIPT, file);
    const first = await captureCli(['import', '--agent', 'command', file, '--runs-dir', runs, '--session-id', 'first']);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe('');
    const second = await captureCli(['import', '--agent', 'command', file, '--runs-dir', runs, '--session-id', 'second']);
    expect(second.code).toBe(0);
    expect(readdirSync(runs).sort()).toEqual(['first', 'second']);
    const lines = second.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^megatest import: note: this file, at this size, was imported before, into ${path.join(runs, 'first').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    expect(lines[0]).not.toContain(path.join(runs, 'second'));

    // The file grew (the agent wrote on): another recording, no note.
    appendFileSync(file, '{"type":"log","level":"info","message":"more"}\n');
    const grown = await captureCli(['import', '--agent', 'command', file, '--runs-dir', runs, '--session-id', 'grown']);
    expect(grown.code).toBe(0);
    expect(grown.stderr).toBe('');
    // Another file with the same bytes: told apart by its path, not read again to compare contents.
    const other = path.join(root, 'other.jsonl');
    copyFileSync(TRANSCRIPT, other);
    const elsewhere = await captureCli(['import', '--agent', 'command', other, '--runs-dir', runs, '--session-id', 'other']);
    expect(elsewhere.stderr).toBe('');
  });
});
