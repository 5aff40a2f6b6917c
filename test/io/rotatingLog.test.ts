// Size-capped logs (src/io/rotatingLog.ts): output.log rotates past its cap
// into output.log.1 … with a bounded number kept, without losing or
// reordering a byte, with the agent's pipes still paused on backpressure;
// a kill -9 at any moment leaves whole files a new writer goes on from; and
// the readers (the console's tail, a failed attempt's tail) read across a
// rotation.

import { spawn } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { openOutputLog, outputLogClosed, recordOutput } from '../../src/agents/outputLog.js';
import { lastOutputLines } from '../../src/io/agentOutput.js';
import { olderLogs, readLogTail, RotatingFileStream, rotateSync } from '../../src/io/rotatingLog.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT } from '../helpers/cli.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function tempDir(): string {
  dir = mkdtempSync(path.join(tmpdir(), 'megatest-rotate-'));
  return dir;
}

/** Every file of the log, oldest first, read and joined: what the log still holds, in order. */
function allKept(file: string): string {
  return [...olderLogs(file).reverse(), file].map((name) => (existsSync(name) ? readFileSync(name, 'utf8') : '')).join('');
}

const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${String(from + i).padStart(6, '0')}\n`).join('');

describe('RotatingFileStream', () => {
  it('rotates past the cap, keeps `keep` older files, and every byte kept is in order in exactly one file', async () => {
    const file = path.join(tempDir(), 'output.log');
    const log = new RotatingFileStream(file, { maxBytes: 1000, keep: 2 });
    const text = lines(0, 500); // 6,500 bytes: six rotations past a 1,000-byte cap
    // One write at a time: writes queued together go out as one (and rotate once), as they should.
    for (let i = 0; i < 500; i += 1) await new Promise((resolve) => log.write(lines(i, i + 1), resolve));
    log.end();
    await outputLogClosed(log);
    expect(readdirSync(dir!).sort()).toEqual(['output.log', 'output.log.1', 'output.log.2']);
    for (const older of olderLogs(file)) expect(statSync(older).size).toBeGreaterThanOrEqual(1000);
    expect(statSync(file).size).toBeLessThan(1000);
    const kept = allKept(file);
    // The newest bytes, with no gap or repeat: the oldest files were dropped, nothing else.
    expect(text.endsWith(kept)).toBe(true);
    expect(kept.length).toBeGreaterThan(2000);
    expect(log.bytesWritten).toBe(text.length);
  });

  it('a resumed agent appends to its output.log, rotating it at once when it is already past the cap', async () => {
    const file = path.join(tempDir(), 'output.log');
    writeFileSync(file, 'x'.repeat(2000));
    const log = new RotatingFileStream(file, { maxBytes: 1000, keep: 3 });
    log.write('first line of the resumed run\n');
    log.end();
    await outputLogClosed(log);
    expect(readFileSync(`${file}.1`, 'utf8')).toBe('x'.repeat(2000) + 'first line of the resumed run\n');
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it("paces the agent's pipes on backpressure across rotations, and loses no byte of what it printed", async () => {
    const agentDir = tempDir();
    const log = openOutputLog(agentDir, 4096, { maxBytes: 10_000, keep: 100 });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let paused = 0;
    stdout.on('pause', () => (paused += 1));
    recordOutput(stdout, stderr, () => log, () => {}, () => {});
    const text = lines(0, 20_000); // 260 KB: 26 rotations
    for (let i = 0; i < 20_000; i += 100) stdout.write(lines(i, i + 100));
    stdout.end();
    await new Promise((resolve) => stdout.once('end', resolve));
    log.end();
    await outputLogClosed(log);
    expect(paused).toBeGreaterThan(0);
    expect(allKept(path.join(agentDir, 'output.log'))).toBe(text);
  });

  it('a folder that refuses the rename: the stream writes on in the same file, nothing lost, and no error', async () => {
    const file = path.join(tempDir(), 'output.log');
    // output.log.1 a non-empty folder: renaming output.log over it fails.
    mkdirSync(`${file}.1`);
    writeFileSync(path.join(`${file}.1`, 'keep'), '');
    const log = new RotatingFileStream(file, { maxBytes: 100, keep: 1 });
    const errors: unknown[] = [];
    log.on('error', (error) => errors.push(error));
    for (let i = 0; i < 50; i += 1) log.write(lines(i, i + 1));
    log.end();
    await outputLogClosed(log);
    expect(errors).toEqual([]);
    expect(readFileSync(file, 'utf8')).toBe(lines(0, 50));
  });

  it('goes on from what a crash between two renames left: a gap in the numbers and no current file', async () => {
    const file = path.join(tempDir(), 'output.log');
    // Killed after output.log.1 -> .2 and output.log -> .1 of keep 3, before the new output.log: .3 missing too.
    writeFileSync(`${file}.1`, 'b\n');
    writeFileSync(`${file}.2`, 'a\n');
    expect((await readLogTail(file, 100)).data.toString()).toBe('a\nb\n');
    const log = new RotatingFileStream(file, { maxBytes: 2, keep: 3 });
    log.write('c\n');
    log.end();
    await outputLogClosed(log);
    expect(readdirSync(dir!).sort()).toEqual(['output.log', 'output.log.1', 'output.log.2', 'output.log.3']);
    expect(allKept(file)).toBe('a\nb\nc\n');
  });

  describe.skipIf(!BUILT)(`a kill -9 at any moment${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
    it('leaves whole files with every line once and in order, which a new writer goes on from', async () => {
      const file = path.join(tempDir(), 'output.log');
      const module = path.join(PACKAGE_ROOT, 'dist', 'io', 'rotatingLog.js');
      // The writer counts on from the last line kept, writes through 200-byte-cap rotations,
      // and says how many of its lines were written (their write called back); it is killed after a different
      // number each time, wherever its rotations are then.
      const writer = `
        import { RotatingFileStream } from ${JSON.stringify(module)};
        const log = new RotatingFileStream(${JSON.stringify(file)}, { maxBytes: 200, keep: 1000 });
        // One line at a time, each after the last was written: a rotation every 16th line.
        const next = (n) => log.write('line ' + String(n).padStart(6, '0') + '\\n', () => {
          if ((n + 1) % 10 === 0) process.stdout.write(n + 1 + '\\n');
          next(n + 1);
        });
        next(Number(process.argv[1]));`;
      let next = 0;
      for (const after of [7, 120, 333, 51, 260]) {
        const child = spawn(process.execPath, ['--input-type=module', '-e', writer, String(next)], { stdio: ['ignore', 'pipe', 'inherit'] });
        await new Promise<void>((resolve) => {
          child.stdout.on('data', (chunk: Buffer) => {
            if (Number(chunk.toString().trim().split('\n').pop()) >= next + after) child.kill('SIGKILL');
          });
          child.on('exit', () => resolve());
        });
        const kept = allKept(file);
        const numbers = kept.split('\n').filter(Boolean).map((line) => Number(/^line (\d{6})$/.exec(line)?.[1]));
        // Whole lines only (a write of one line is whole), once each, in order, from 0 with no gap.
        expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i));
        // Each writer went on from the last, and every line whose write was called back is kept.
        expect(numbers.length).toBeGreaterThanOrEqual(next + after);
        next = numbers.length;
      }
      expect(olderLogs(file).length).toBeGreaterThan(40);
      expect(readdirSync(dir!).every((name) => /^output\.log(\.\d+)?$/.test(name))).toBe(true);
    });
  });
});

describe('reading across a rotation', () => {
  it("the console's tail of an agent's output reads on into output.log.1, a line cut by the rotation made whole", async () => {
    const runDir = tempDir();
    const agentDir = path.join(runDir, 'agents', 'agent-1');
    mkdirSync(agentDir, { recursive: true });
    const file = path.join(agentDir, 'output.log');
    writeFileSync(file, 'one\ntwo\nthr');
    rotateSync(file, 3);
    writeFileSync(file, 'ee\nfour\n');
    expect(await lastOutputLines(runDir, 'agent-1')).toEqual(['one', 'two', 'three', 'four']);
    expect(await lastOutputLines(runDir, 'agent-1', 2)).toEqual(['three', 'four']);
  });

  it('the tail stops at its byte budget, and a file a rotation just moved to .1 (the same file) is read once', async () => {
    const file = path.join(tempDir(), 'output.log');
    writeFileSync(`${file}.2`, 'older\n');
    writeFileSync(file, 'current\n');
    // The state a reader meets when a rotation renamed output.log after it opened it: .1 is the file it has open.
    linkSync(file, `${file}.1`);
    expect((await readLogTail(file, 1000)).data.toString()).toBe('older\ncurrent\n');
    expect(await readLogTail(file, 10)).toEqual({ data: Buffer.from('r\ncurrent\n'), whole: false });
    expect(await readLogTail(path.join(dir!, 'none.log'), 10)).toEqual({ data: Buffer.alloc(0), whole: true });
  });
});
