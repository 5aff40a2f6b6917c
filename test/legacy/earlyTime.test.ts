// A Bash run whose final report says it completed an hour before config.json
// says it started (the machine's clock was set back): the run's start stays
// config.json's, and the early time is listed as damage, nothing lost (the
// span took the earliest time of any file, moving the start back an hour).

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertLegacyRun } from '../../src/legacy/convert.js';
import { LEGACY_FIXTURES } from './legacyFixtures.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'megatest-legacy-early-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('a time before the run began', () => {
  it("keeps config.json's start, ends at the last record, and lists the early time (recovered)", async () => {
    const dir = path.join(scratch, 'bash-early');
    cpSync(path.join(LEGACY_FIXTURES, 'bash-complete'), dir, { recursive: true });
    const report = JSON.parse(readFileSync(path.join(dir, 'final_report.json'), 'utf8'));
    writeFileSync(path.join(dir, 'final_report.json'), JSON.stringify({ ...report, completed_at: '2026-03-05T21:00:00-05:00' }, null, 2));
    const { events, damage } = await convertLegacyRun(dir);
    expect(events.find((e) => e.type === 'session_started')!.ts).toBe('2026-03-06T03:00:00.000Z');
    // metrics_current.json's time, the last record
    expect(events.find((e) => e.type === 'session_ended')!.ts).toBe('2026-03-06T06:59:00.000Z');
    expect(damage).toEqual([
      {
        file: 'final_report.json',
        problem: "a time (2026-03-06T02:00:00.000Z) before the run's start (2026-03-06T03:00:00.000Z): the clock was set back, or the file is another run's; the start is kept",
        recovered: true,
      },
    ]);
  });
});
