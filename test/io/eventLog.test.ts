import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog, SessionLog, repairEventLog } from '../../src/io/eventLog.js';

const dirs: string[] = [];
function tmp(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'megatest-log-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('EventLog', () => {
  it('numbers events contiguously and writes one JSON object a line', () => {
    const file = path.join(tmp(), 'events.jsonl');
    writeFileSync(file, '');
    const log = new EventLog(file);
    for (let i = 0; i < 1000; i++) log.emit({ type: 'alert', level: 'info', message: `m${i}` });
    log.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1000);
    lines.forEach((line, i) => {
      const event = JSON.parse(line);
      expect(event.seq).toBe(i + 1);
      expect(event.type).toBe('alert');
      expect(Date.parse(event.ts)).not.toBeNaN();
    });
  });

  it('continues seq after a restart and drops a torn last line', () => {
    const file = path.join(tmp(), 'events.jsonl');
    writeFileSync(file, '');
    const first = new EventLog(file);
    first.emit({ type: 'alert', level: 'info', message: 'a' });
    first.emit({ type: 'alert', level: 'info', message: 'b' });
    first.close();
    appendFileSync(file, '{"seq":3,"ts":"2026-'); // a crash mid-write
    expect(repairEventLog(file)).toEqual({ lastSeq: 2, droppedBytes: 20 });
    const second = new EventLog(file);
    expect(second.emit({ type: 'alert', level: 'info', message: 'c' }).seq).toBe(3);
    second.close();
    const seqs = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).seq);
    expect(seqs).toEqual([1, 2, 3]);
  });

  it('repair walks back a block at a time: a torn tail longer than a block, garbage lines spanning blocks, no newline at all', () => {
    const file = path.join(tmp(), 'events.jsonl');
    const event = (seq: number) => JSON.stringify({ seq, ts: '2026-01-01T00:00:00.000Z', type: 'alert', level: 'info', message: 'm'.repeat(100) });
    const good = Array.from({ length: 50 }, (_, i) => event(i + 1)).join('\n') + '\n';
    const tornTail = 'z'.repeat(200_000); // no newline: cut by the crash
    writeFileSync(file, good + tornTail);
    expect(repairEventLog(file)).toEqual({ lastSeq: 50, droppedBytes: tornTail.length });
    expect(readFileSync(file, 'utf8')).toBe(good);
    // Whole lines that are not events (one of them 150 kB, over two blocks) are looked past, back to the last event.
    const junk = `${'y'.repeat(150_000)}\n{"seq":"not a number"}\n\n{"half":\n`;
    writeFileSync(file, good + junk);
    expect(repairEventLog(file)).toEqual({ lastSeq: 50, droppedBytes: 0 });
    writeFileSync(file, '\0'.repeat(300_000));
    expect(repairEventLog(file)).toEqual({ lastSeq: 0, droppedBytes: 300_000 });
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('tells listeners of each event as it is written', () => {
    const file = path.join(tmp(), 'events.jsonl');
    writeFileSync(file, '');
    const log = new EventLog(file);
    const seen: number[] = [];
    log.onEvent((e) => seen.push(e.seq));
    log.emit({ type: 'alert', level: 'info', message: 'x' });
    log.emit({ type: 'alert', level: 'info', message: 'y' });
    log.close();
    expect(seen).toEqual([1, 2]);
  });
});

describe('SessionLog', () => {
  it('writes `<ISO time> <LEVEL> [<source>] <message>` lines, one per message', () => {
    const file = path.join(tmp(), 'session.log');
    const log = new SessionLog(file);
    log.info('orchestrator', 'hello');
    log.error('agent-1', 'two\nlines');
    log.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  \[orchestrator\] hello$/);
    expect(lines[1]).toMatch(/ERROR \[agent-1\] two \| lines$/);
  });
});
