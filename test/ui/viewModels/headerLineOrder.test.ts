// The header of an import in line order (1 ms per line): its times say which
// line came first, not when, so the header says "line order" where a run
// shows its clock, share and ETA ("3m20s / 3m21s  99%" was 200,000 lines).
// The run is imported here from a transcript written here.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MegatestEvent } from '../../../src/contract/events.js';
import { importRecordedRun } from '../../../src/importer/importRun.js';
import { applyEvents, initialConsoleState } from '../../../src/state/applyEvent.js';
import { lastEventMs } from '../../../src/state/runState.js';
import { headerModel, LINE_ORDER_PROGRESS } from '../../../src/ui/viewModels/header.js';
import { eventsOf, readEvents } from '../../helpers/cli.js';

const root = mkdtempSync(path.join(tmpdir(), 'megatest-header-line-order-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A JSONL-protocol transcript of `n` tool calls, one a line: in line order, n ms long. */
async function importedEvents(n: number): Promise<MegatestEvent[]> {
  const file = path.join(root, `calls-${n}.jsonl`);
  writeFileSync(file, Array.from({ length: n }, (_, i) => JSON.stringify({ type: 'tool_call', tool: 'read', ok: true, duration_ms: i }) + '\n').join(''));
  const result = await importRecordedRun({ kind: 'command', files: [file], runsDir: root, sessionId: `calls-${n}` });
  return readEvents(result.runDir);
}

const progressAt = (events: MegatestEvent[], count: number): string => {
  const run = applyEvents(initialConsoleState(), events.slice(0, count));
  return headerModel(run, { nowMs: lastEventMs(run), runDir: 'x' }).progressText;
};

describe('header of an import in line order', () => {
  it('says line order, with no time, share or ETA, part-way and at the end', async () => {
    const events = await importedEvents(3000);
    expect(eventsOf(events, 'session_started')[0]!.times).toBe('line_order');
    for (const count of [3, Math.floor(events.length / 2), events.length]) expect(progressAt(events, count)).toBe(LINE_ORDER_PROGRESS);
  });

  it('the same events with their times taken as times show the clock (what line order leaves out)', async () => {
    const events = (await importedEvents(3001)).map((e) => (e.type === 'session_started' ? (({ times: _times, ...rest }) => rest)(e) : e)) as MegatestEvent[];
    expect(progressAt(events, events.length)).toMatch(/^\d+s \/ \d+s {2}\d+%$/);
  });
});
