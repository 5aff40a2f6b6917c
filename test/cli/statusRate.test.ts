// status of a finished run read its tokens/min again at the last event's time
// (session_ended, a moment after the last metrics snapshot), so it said
// another figure than the headless end line for the same run.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { viewFromFiles } from '../../src/cli/statusFromFiles.js';
import { recordedRunFolder } from '../legacy/legacyFixtures.js';

const base = mkdtempSync(path.join(tmpdir(), 'megatest-status-rate-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('status of a finished run', () => {
  it('gives the tokens/min of its last metrics snapshot, the figure the run itself printed', async () => {
    const dir = recordedRunFolder(path.join(base, 'runs'), 'rate');
    const file = path.join(dir, 'events.jsonl');
    const events = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string; ts: string; metrics?: { tokens_per_minute: number | null } });
    const ended = events.at(-1)!;
    expect(ended.type).toBe('session_ended');
    // The end recorded a few seconds after the last snapshot, as a final checkpoint and report take: the rate read there is lower.
    ended.ts = new Date(Date.parse(ended.ts) + 5_000).toISOString();
    writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    rmSync(path.join(dir, 'events.idx'), { force: true });
    const lastRate = events.filter((e) => e.type === 'metrics').at(-1)!.metrics!.tokens_per_minute;
    expect(typeof lastRate).toBe('number');
    const view = await viewFromFiles(dir);
    expect(view.metrics?.tokens_per_minute).toBe(lastRate);
  });
});
