// The readers of a whole run (status, report, ls, compare, resume) stream
// events.jsonl in bounded chunks, start from events.idx's folded state when
// it matches the log, and turn a read the disk refuses into an error, never
// into a shorter log. Expected states are folded here from the fixture's
// lines with JSON.parse and foldAll, not by the reader under test.

import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isEventType, type MegatestEvent } from '../../src/contract/events.js';
import { checkLogReadable, foldEventFile, foldFromIndex, foldRunFolder, foldRunLog } from '../../src/io/foldLog.js';
import { LogIndexUpkeep } from '../../src/io/logIndexUpkeep.js';
import { RunFileReadError } from '../../src/io/readError.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { foldAll } from '../../src/state/fold.js';

const FIXTURES = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'events');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8').split('\n').filter((line) => line !== '');
const SIM = fixture('sim_session.jsonl');
const RESTORE = fixture('restore_session.jsonl');
const text = (lines: string[]) => lines.map((line) => `${line}\n`).join('');
/** The oracle: every line that starts like an event, parsed and folded in order. */
const folded = (lines: string[]) =>
  foldAll(lines.filter((line) => line.startsWith('{"seq":')).map((line) => JSON.parse(line) as MegatestEvent).filter((event) => isEventType(event.type)));
const garbage = (lines: string[]) => lines.filter((line) => line.trim() !== '' && !line.startsWith('{"seq":')).length;

const dirs: string[] = [];
function runDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'megatest-foldlog-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

interface ReadStats {
  /** The largest buffer any read filled: what the reader held of the log at once. */
  largestBuffer: number;
  bytes: number;
  reads: number;
}

/** Opens the log through a handle that records its reads, and fails them from `failAfter` reads on. */
function recordingOpen(stats: ReadStats, failAfter = Infinity) {
  return async (file: string): Promise<FileHandle> => {
    const handle = await fs.open(file, 'r');
    return new Proxy(handle, {
      get(target, property) {
        if (property === 'read') {
          return async (buffer: Buffer, offset: number, length: number, position: number) => {
            stats.reads += 1;
            if (stats.reads > failAfter) throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
            stats.largestBuffer = Math.max(stats.largestBuffer, buffer.length);
            const result = await target.read(buffer, offset, length, position);
            stats.bytes += result.bytesRead;
            return result;
          };
        }
        const value = Reflect.get(target, property) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
}
const newStats = (): ReadStats => ({ largestBuffer: 0, bytes: 0, reads: 0 });

describe('folding a run log', () => {
  it('streams a log many times its read size: no read holds more than a chunk or one line, and an overlong line is skipped unread', async () => {
    const dir = runDir();
    // A 40 kB "line" with no newline in it: what a crash's run of zeros looks like.
    const lines = [...SIM.slice(0, 200), 'x'.repeat(40_000), ...SIM.slice(200), 'not json at all'];
    writeFileSync(path.join(dir, 'events.jsonl'), text(lines));
    const size = Buffer.byteLength(text(lines));
    const stats = newStats();
    const result = await foldRunLog(dir, { open: recordingOpen(stats), chunkBytes: 4096, maxLineBytes: 8192 });
    expect(size).toBeGreaterThan(16 * 8192);
    expect(stats.largestBuffer).toBeLessThanOrEqual(8192);
    expect(result.from).toBe('start');
    expect(result.state).toEqual(folded(lines));
    expect(result.unreadable).toBe(garbage(lines));
  });

  it('a last line without its newline counts when it is a whole event, and as unreadable when it is torn', async () => {
    const dir = runDir();
    const file = path.join(dir, 'events.jsonl');
    writeFileSync(file, text(SIM.slice(0, 50)) + SIM[50]);
    expect((await foldEventFile(file)).state).toEqual(folded(SIM.slice(0, 51)));
    writeFileSync(file, text(SIM.slice(0, 50)) + SIM[50]!.slice(0, 30));
    const torn = await foldEventFile(file);
    expect(torn.state).toEqual(folded(SIM.slice(0, 50)));
    expect(torn.unreadable).toBe(1);
  });

  it('a missing log folds to the empty state', async () => {
    const result = await foldRunLog(runDir());
    expect(result.state.eventsApplied).toBe(0);
    expect(result.bytes).toBe(0);
  });

  it('a read the disk refuses is a RunFileReadError naming the file, never a shorter log', async () => {
    const dir = runDir();
    writeFileSync(path.join(dir, 'events.jsonl'), text(SIM));
    const failing = foldRunLog(dir, { open: recordingOpen(newStats(), 3), chunkBytes: 4096, useIndex: false });
    await expect(failing).rejects.toBeInstanceOf(RunFileReadError);
    await expect(failing).rejects.toThrow(/^cannot read .*events\.jsonl \(EIO\)$/);
  });

  it('a folder in place of the log is a RunFileReadError (EISDIR)', async () => {
    const dir = runDir();
    mkdirSync(path.join(dir, 'events.jsonl'));
    await expect(foldRunLog(dir)).rejects.toThrow(/cannot read .*events\.jsonl \(EISDIR\)/);
    await expect(checkLogReadable(path.join(dir, 'events.jsonl'), 'megatest resume', 'the session was not resumed')).rejects.toThrow(
      /^megatest resume: cannot read .*events\.jsonl \(EISDIR\); the session was not resumed$/,
    );
  });

  it('a log that is not there is said missing, naming it (a run folder is made with its log)', async () => {
    const dir = runDir();
    const absent = path.join(dir, 'absent.jsonl');
    const missing = checkLogReadable(absent, 'megatest resume', 'the session was not resumed');
    await expect(missing).rejects.toBeInstanceOf(RunFileReadError);
    await expect(missing).rejects.toThrow(`megatest resume: ${absent} is missing (deleted or moved?): the run folder holds no event log; the session was not resumed`);
  });

  it('a FIFO in place of the log fails at once instead of waiting for a writer', async () => {
    const dir = runDir();
    execFileSync('mkfifo', [path.join(dir, 'events.jsonl')]);
    await expect(foldRunLog(dir)).rejects.toThrow(/cannot read .*events\.jsonl \(not a regular file\)/);
    await expect(checkLogReadable(path.join(dir, 'events.jsonl'), 'megatest resume', 'the session was not resumed')).rejects.toThrow(/not a regular file/);
  });
});

describe('starting from events.idx', () => {
  /** A run folder whose index was kept over its first `indexed` lines, and the log then grew by the rest. */
  async function indexedThenGrown(first: string[], rest: string[]): Promise<string> {
    const dir = runDir();
    writeFileSync(path.join(dir, 'events.jsonl'), text(first));
    writeFileSync(path.join(dir, 'session.log'), '');
    const upkeep = await LogIndexUpkeep.open({ root: dir, events: path.join(dir, 'events.jsonl'), sessionLog: path.join(dir, 'session.log') }, () => undefined);
    expect(upkeep.state).toEqual(folded(first));
    await upkeep.close();
    appendFileSync(path.join(dir, 'events.jsonl'), text(rest));
    return dir;
  }

  it('reads only what follows the index, and agrees with the whole log folded from its start', async () => {
    const first = [...SIM.slice(0, 150), 'garbage before the index', ...SIM.slice(150, 350)];
    const rest = [...SIM.slice(350), '{"torn":'];
    const dir = await indexedThenGrown(first, rest);
    const stats = newStats();
    const fromIndex = await foldRunFolder(dir, { open: recordingOpen(stats), chunkBytes: 4096 });
    const whole = await foldEventFile(path.join(dir, 'events.jsonl'));
    expect(fromIndex.from).toBe('index');
    expect(whole.from).toBe('start');
    expect(fromIndex.state).toEqual(folded([...first, ...rest]));
    expect(fromIndex.state).toEqual(whole.state);
    expect(fromIndex.unreadable).toBe(garbage([...first, ...rest]));
    expect(fromIndex.unreadable).toBe(whole.unreadable);
    // The reads through the handle cover the part after the index (the index's own key check reads 2 kB beside it).
    expect(stats.bytes).toBeLessThanOrEqual(Buffer.byteLength(text(rest)));
  });

  it('an event line of a type this build does not know (a newer megatest wrote it) is skipped and counted apart: no gap, no damage, with or without the index', async () => {
    /** Line `i` turned into an event of a type no megatest of this version knows, its seq and ts kept. */
    const newer = (lines: string[], i: number) => {
      const { seq, ts } = JSON.parse(lines[i]!) as MegatestEvent;
      return lines.map((line, j) => (j === i ? JSON.stringify({ seq, ts, type: 'agent_note', agent: 'agent-1', note: 'from the future' }) : line));
    };
    const all = newer(newer(SIM, 100), 400);
    const dir = runDir();
    writeFileSync(path.join(dir, 'events.jsonl'), text(all.slice(0, 350)));
    writeFileSync(path.join(dir, 'session.log'), '');
    const upkeep = await LogIndexUpkeep.open({ root: dir, events: path.join(dir, 'events.jsonl'), sessionLog: path.join(dir, 'session.log') }, () => undefined);
    await upkeep.close();
    appendFileSync(path.join(dir, 'events.jsonl'), text(all.slice(350)));
    const fromIndex = await foldRunFolder(dir);
    const whole = await foldEventFile(path.join(dir, 'events.jsonl'));
    expect(fromIndex.from).toBe('index');
    for (const fold of [fromIndex, whole]) {
      expect(fold.state.seqGaps).toBe(0);
      expect(fold.state.lastSeq).toBe(folded(SIM).lastSeq);
      expect(fold.unreadable).toBe(0);
      expect(fold.seqRepeats).toBe(0);
      expect(fold.unknownTypes).toEqual({ lines: 2, types: ['agent_note'] });
    }
    expect(fromIndex.state).toEqual(whole.state);
  });

  it('foldFromIndex reads nothing when there is no index that matches (the caller builds one)', async () => {
    const dir = runDir();
    writeFileSync(path.join(dir, 'events.jsonl'), text(SIM));
    const stats = newStats();
    expect(await foldFromIndex(dir, { open: recordingOpen(stats) })).toBeNull();
    expect(stats.bytes).toBe(0);
    const indexed = await indexedThenGrown(SIM.slice(0, 200), SIM.slice(200));
    const fromIndex = await foldFromIndex(indexed);
    expect(fromIndex?.state).toEqual(folded(SIM));
    expect(fromIndex?.eventsRead).toBe(SIM.length - 200);
  });

  it('an index built from another log is not trusted: the log is folded from its start', async () => {
    const dir = await indexedThenGrown(SIM.slice(0, 300), []);
    writeFileSync(path.join(dir, 'events.jsonl'), text(RESTORE));
    const result = await foldRunLog(dir);
    expect(result.from).toBe('start');
    expect(result.state).toEqual(folded(RESTORE));
  });

  it('a corrupt index is not trusted either', async () => {
    const dir = await indexedThenGrown(SIM.slice(0, 300), SIM.slice(300));
    const idx = path.join(dir, 'events.idx');
    const bytes = readFileSync(idx);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(idx, bytes);
    const result = await foldRunLog(dir);
    expect(result.from).toBe('start');
    expect(result.state).toEqual(folded(SIM));
  });
});

describe('LogIndexUpkeep (the orchestrator keeps events.idx)', () => {
  it('takes in what the log gained, and the next reader starts there', async () => {
    const dir = runDir();
    const events = path.join(dir, 'events.jsonl');
    writeFileSync(events, text(SIM.slice(0, 100)));
    const paths = { root: dir, events, sessionLog: path.join(dir, 'session.log') };
    const problems: string[] = [];
    const upkeep = await LogIndexUpkeep.open(paths, (m) => problems.push(m));
    expect(upkeep.info.opened).toBe('built');
    appendFileSync(events, text(SIM.slice(100)));
    await upkeep.refresh();
    expect(upkeep.state).toEqual(folded(SIM));
    const stats = newStats();
    const next = await foldRunLog(dir, { open: recordingOpen(stats) });
    expect(next.from).toBe('index');
    expect(next.state).toEqual(folded(SIM));
    expect(stats.bytes).toBe(0);
    await upkeep.close();
    // Opened again (a resume): loaded as it was, nothing of the log read again.
    const again = await LogIndexUpkeep.open(paths, (m) => problems.push(m));
    expect(again.info.eventsRead).toBe(0);
    expect(again.state).toEqual(folded(SIM));
    expect(again.bytes).toBe(Buffer.byteLength(text(SIM)));
    await again.close();
    expect(problems).toEqual([]);
  });

  it('a log it cannot read is a RunFileReadError (a resume stops on it)', async () => {
    const dir = runDir();
    mkdirSync(path.join(dir, 'events.jsonl'));
    const opening = LogIndexUpkeep.open({ root: dir, events: path.join(dir, 'events.jsonl'), sessionLog: path.join(dir, 'session.log') }, () => undefined);
    await expect(opening).rejects.toBeInstanceOf(RunFileReadError);
    await expect(opening).rejects.toThrow(/events\.jsonl \(EISDIR\)/);
  });
});
