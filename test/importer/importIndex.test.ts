// An import leaves events.idx beside its log, as a live run does, so that
// ls, compare, status and report start from the index's folded state and
// read none of the log again; and that state is the whole log's.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { foldRunFolder } from '../../src/io/foldLog.js';
import { importRecordedRun } from '../../src/importer/importRun.js';
import { SHARED_FIXTURES_DIR } from '../../src/paths.js';

const root = mkdtempSync(path.join(tmpdir(), 'megatest-import-index-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const claudeDir = path.join(SHARED_FIXTURES_DIR, 'claude-code');
const present = existsSync(claudeDir);

describe.skipIf(!present)(`import leaves events.idx${present ? '' : ' (skipped: ../shared/fixtures is absent)'}`, () => {
  it('a long session: readers fold from the index, reading no event of the log again, to the state the whole log folds to', async () => {
    // The captured tool call and its result, repeated (each a new message and tool id) into a session of a few
    // thousand events: more than one of the index's snapshots.
    const lines = readFileSync(path.join(claudeDir, 'ls_session.partial.ndjson'), 'utf8').split('\n').filter((l) => l.trim() !== '');
    const result = lines.find((l) => JSON.parse(l).type === 'result')!;
    const turn = lines.filter((l) => l !== result);
    const repeats = 3000;
    const body: string[] = [];
    for (let i = 0; i < repeats; i++) body.push(...turn.map((l) => l.replaceAll(/"(toolu_|msg_)([A-Za-z0-9]+)"/g, `"$1$2_${i}"`)));
    const file = path.join(root, 'long.ndjson');
    writeFileSync(file, [...body, result].join('\n') + '\n');

    const imported = await importRecordedRun({ kind: 'claude-code', files: [file], runsDir: path.join(root, 'runs'), sessionId: 'long' });
    expect(readdirSync(imported.runDir)).toContain('events.idx');
    expect(imported.warnings).toEqual([]);
    const fromIndex = await foldRunFolder(imported.runDir);
    const whole = await foldRunFolder(imported.runDir, { useIndex: false });
    expect(fromIndex.from).toBe('index');
    expect(fromIndex.eventsRead).toBe(0);
    expect(whole.from).toBe('start');
    // Every tool call of the file is in both.
    expect(whole.state.counters.toolCalls).toBe(repeats);
    expect(fromIndex.state).toEqual(whole.state);
    expect(fromIndex.unreadable).toBe(whole.unreadable);
  });
});
