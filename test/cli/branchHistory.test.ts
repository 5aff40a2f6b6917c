// Where a branch's copied history ends: right after the checkpoint's
// checkpoint_created event, or (that event lost to a kill) after its
// last_event_seq; lines copied byte for byte, the first one rewritten.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/config/errors.js';
import { copyHistory, copyMetricsHistory } from '../../src/cli/branchHistory.js';
import type { EventOf } from '../../src/contract/events.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'megatest-branch-history-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const line = (seq: number, type: string, rest: Record<string, unknown> = {}) =>
  JSON.stringify({ seq, ts: `2025-01-01T00:00:${String(seq).padStart(2, '0')}.000Z`, type, ...rest });
const START = line(1, 'session_started', { session_id: 'orig', project: 'task_queue' });

function write(lines: string[], tail = '\n'): string {
  const file = path.join(dir, 'events.jsonl');
  writeFileSync(file, lines.join('\n') + tail);
  return file;
}

const rewrite = {
  rewriteStart: (start: EventOf<'session_started'>): EventOf<'session_started'> => ({ ...start, session_id: 'orig-from-2', resumed_from: { run: 'orig', checkpoint: 'checkpoint_002' } }),
};

describe('copyHistory', () => {
  it("cuts right after the checkpoint's checkpoint_created, keeping the events taken while it was written", async () => {
    const source = write([
      START,
      line(2, 'tool_call'),
      'garbage that is no event',
      line(3, 'checkpoint_created', { id: 'checkpoint_001' }),
      line(4, 'task_completed'),
      line(5, 'task_completed'),
      line(6, 'checkpoint_created', { id: 'checkpoint_002' }),
      line(7, 'tool_call'),
      line(8, 'session_ended'),
    ]);
    const target = path.join(dir, 'branch.jsonl');
    const cut = await copyHistory(source, target, { checkpointId: 'checkpoint_002', lastEventSeq: 4, ...rewrite });
    expect(cut).toMatchObject({ lastSeq: 6, sawCheckpointEvent: true, lastTs: '2025-01-01T00:00:06.000Z' });
    const copied = readFileSync(target, 'utf8').split('\n');
    expect(JSON.parse(copied[0]!)).toMatchObject({ seq: 1, type: 'session_started', session_id: 'orig-from-2', project: 'task_queue', resumed_from: { run: 'orig', checkpoint: 'checkpoint_002' } });
    expect(copied.slice(1)).toEqual(readFileSync(source, 'utf8').split('\n').slice(1, 7).concat(''));
  });

  it('without the checkpoint_created event (lost to a kill), cuts after last_event_seq; a torn last line is never copied', async () => {
    const source = write([START, line(2, 'tool_call'), line(3, 'tool_call'), line(4, 'command', { name: 'resume' }), line(5, 'tool_call'), '{"seq":6,"ts":"2025'], '');
    const target = path.join(dir, 'branch.jsonl');
    const cut = await copyHistory(source, target, { checkpointId: 'checkpoint_002', lastEventSeq: 3, ...rewrite });
    expect(cut).toMatchObject({ lastSeq: 3, sawCheckpointEvent: false });
    const copied = readFileSync(target, 'utf8');
    expect(copied.endsWith(`${line(3, 'tool_call')}\n`)).toBe(true);
    expect(copied.split('\n')).toHaveLength(4);
  });

  it('refuses a log that does not start with session_started (the caller drops its staging folder)', async () => {
    const source = write([line(1, 'tool_call'), START]);
    await expect(copyHistory(source, path.join(dir, 'branch.jsonl'), { checkpointId: 'checkpoint_001', lastEventSeq: 2, ...rewrite })).rejects.toBeInstanceOf(UsageError);
  });

  it('copyMetricsHistory keeps the snapshots taken up to the cut', async () => {
    const source = path.join(dir, 'metrics.jsonl');
    writeFileSync(source, ['{"timestamp":"2025-01-01T00:00:02.000Z","n":1}', '{"timestamp":"2025-01-01T00:00:06.000Z","n":2}', '{"timestamp":"2025-01-01T00:00:07.000Z","n":3}', ''].join('\n'));
    const target = path.join(dir, 'metrics-branch.jsonl');
    expect(await copyMetricsHistory(source, target, '2025-01-01T00:00:06.000Z')).toBe(2);
    expect(readFileSync(target, 'utf8')).toBe(readFileSync(source, 'utf8').split('\n').slice(0, 2).join('\n') + '\n');
    expect(await copyMetricsHistory(path.join(dir, 'absent.jsonl'), target, '2025-01-01T00:00:06.000Z')).toBe(0);
  });

  it('copyMetricsHistory reads the history rotated away first, oldest first (metrics.jsonl.2, .1, then metrics.jsonl)', async () => {
    const source = path.join(dir, 'rotated', 'metrics.jsonl');
    mkdirSync(path.dirname(source), { recursive: true });
    const snap = (second: number) => `{"timestamp":"2025-01-01T00:00:0${second}.000Z","n":${second}}\n`;
    writeFileSync(`${source}.2`, snap(1) + snap(2));
    writeFileSync(`${source}.1`, snap(3));
    writeFileSync(source, snap(4) + snap(5));
    const target = path.join(dir, 'rotated-branch.jsonl');
    expect(await copyMetricsHistory(source, target, '2025-01-01T00:00:04.000Z')).toBe(4);
    expect(readFileSync(target, 'utf8')).toBe(snap(1) + snap(2) + snap(3) + snap(4));
    // A cut within an older file stops there.
    expect(await copyMetricsHistory(source, target, '2025-01-01T00:00:02.000Z')).toBe(2);
  });
});
