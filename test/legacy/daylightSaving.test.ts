// test_runner.py wrote local times without a zone (isoformat(), its log's
// asctime). A run that crosses a change of daylight saving time has two
// offsets: one offset for the whole run put every time after the change an
// hour off (a 4 h run read as 5 h, its end an hour in the future of its last
// snapshot). Each zone-less time takes the offset of the named file nearest it.
// The folder is made here (Europe/Berlin, 2026-03-29: 02:00 CET -> 03:00 CEST
// at 01:00 UTC), its times written out as the runner wrote them, whatever this
// machine's zone.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runControlCommand } from '../../src/cli/controlCommands.js';
import { legacyClock } from '../../src/legacy/clock.js';
import { convertLegacyRun } from '../../src/legacy/convert.js';

let runs: string;
let dir: string;
/** 2026-03-28T23:00:00Z, 00:00 CET. */
const START = 1774738800;
/** CET (+1 h) before 2026-03-29T01:00:00Z, CEST (+2 h) from then on. */
const offsetHours = (unix: number) => (unix < 1774746000 ? 1 : 2);
const local = (unix: number, sep = 'T') => new Date((unix + offsetHours(unix) * 3600) * 1000).toISOString().slice(0, 19).replace('T', sep);

beforeAll(() => {
  runs = mkdtempSync(path.join(tmpdir(), 'megatest-legacy-dst-'));
  dir = path.join(runs, 'py-dst');
  mkdirSync(path.join(dir, 'metrics'), { recursive: true });
  for (let i = 0; i <= 8; i += 1) {
    const unix = START + i * 1800;
    const metrics = { elapsed_seconds: i * 1800, total_tokens: 1000 * i, tokens_per_minute: 1, tasks_completed: i, tasks_remaining: 0, test_pass_rate: 0.5, lines_of_code: 100 + i, test_coverage: 0.5, checkpoint_count: 0, errors_encountered: 0, phase: 'bootstrap', status: 'running' };
    writeFileSync(path.join(dir, 'metrics', `metrics_${unix}.json`), JSON.stringify({ timestamp: `${local(unix)}.000100`, metrics }, null, 2));
  }
  const end = START + 8 * 1800 + 10;
  writeFileSync(path.join(dir, 'final_report.json'), JSON.stringify({ duration_seconds: 14400, total_tokens: 8000, final_coverage: 0.5, final_loc: 108, checkpoints: 9, errors: 0, status: 'completed' }));
  const line = (unix: number, text: string) => `${local(unix, ' ')},000 - mega_test - INFO - ${text}`;
  writeFileSync(
    path.join(dir, 'test_session.log'),
    [
      line(START - 1, 'Starting mega test session: py-dst'),
      line(START - 1, 'Duration: 4 hours'),
      line(START - 1, 'Starting phase: bootstrap (240 minutes)'),
      line(end, 'Phase bootstrap complete'),
      '',
    ].join('\n'),
  );
});
afterAll(() => rmSync(runs, { recursive: true, force: true }));

describe('a python run across a change of daylight saving time', () => {
  it("every time at its own offset: the run's span is 4 h 11 s, as the files' names say, not 5 h", async () => {
    const { events } = await convertLegacyRun(dir);
    const ms = (type: string) => events.filter((event) => event.type === type).map((event) => Date.parse(event.ts));
    expect(ms('session_started')).toEqual([(START - 1) * 1000]);
    expect(ms('session_ended')).toEqual([(START + 8 * 1800 + 10) * 1000]);
    // Each snapshot at its file name's time, the ones after the change too.
    expect(ms('metrics')).toEqual(Array.from({ length: 9 }, (_, i) => (START + i * 1800) * 1000));
    const logs: string[] = [];
    expect(await runControlCommand('status', { session: dir, runsDir: runs, json: true }, { log: (s) => logs.push(s), error: () => undefined })).toBe(0);
    const status = JSON.parse(logs.join('\n'));
    expect(status.metrics.elapsed_seconds).toBe(8 * 1800 + 11);
    expect(status.started_at).toBe(new Date((START - 1) * 1000).toISOString());
  });

  it('the clock: a time before the change at CET, after it at CEST, either side of the hour that does not exist', () => {
    const clock = legacyClock({ named: [START, START + 1800, START + 3600, START + 5400, START + 7200, START + 9000].map((unix) => ({ text: local(unix), unix })), zoned: [] }, []);
    expect(clock.timeOf('2026-03-29T01:45:00', 'x')).toBe(Date.parse('2026-03-29T00:45:00Z'));
    expect(clock.timeOf('2026-03-29 03:15:00,500', 'x')).toBe(Date.parse('2026-03-29T01:15:00.500Z'));
    // One offset throughout: as before.
    const steady = legacyClock({ named: [{ text: '2026-03-01T10:00:00', unix: Date.parse('2026-03-01T09:00:00Z') / 1000 }], zoned: [] }, []);
    expect(steady.offsetMinutes).toBe(60);
    expect(steady.timeOf('2026-03-01T12:00:00', 'x')).toBe(Date.parse('2026-03-01T11:00:00Z'));
  });
});
