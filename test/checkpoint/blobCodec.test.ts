// The two forms of a blob (blobCodec.ts): a brotli frame whose header holds
// the content's size and the stream's, and gzip. Each reads back whole, is
// checked from its header and its size on disk without unpacking, and a
// frame that is damaged, cut short or says another size than its stream
// holds is refused, never read past what it says.

import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import zlib, { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkBlobFile, FRAME_HEADER_BYTES, FRAME_MAGIC, readBackVerdict, readBlobHead, unpackBlob, unpackBlobSync } from '../../src/checkpoint/blobCodec.js';
import { packContent } from '../../src/checkpoint/blobPacker.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'megatest-blobcodec-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const text = (bytes: number): Buffer => Buffer.from('export function next(queue) { return queue.shift(); }\n'.repeat(Math.ceil(bytes / 54) + 1)).subarray(0, bytes);
const sha256 = (content: Buffer): string => createHash('sha256').update(content).digest('hex');

async function frameOf(content: Buffer): Promise<Buffer> {
  const packed = Buffer.from(await packContent(zlib, content, 1, false));
  expect(packed.subarray(0, 4).equals(FRAME_MAGIC)).toBe(true);
  return packed;
}

/** The frame with its recorded content size changed (the stream left as it is). */
function withContentSize(frame: Buffer, size: number): Buffer {
  const copy = Buffer.from(frame);
  copy.writeUIntLE(size, 4, 6);
  return copy;
}

function file(name: string, data: Buffer | string): string {
  writeFileSync(path.join(dir, name), data);
  return path.join(dir, name);
}

describe('the brotli frame', () => {
  it('holds the magic, the content size and the stream size, and unpacks to the content at once and in the thread pool', async () => {
    for (const content of [text(400), text(60_000), text(700_000)]) {
      const frame = await frameOf(content);
      expect(readBlobHead(frame)).toEqual({ form: 'brotli', contentSize: content.length, streamBytes: frame.length - FRAME_HEADER_BYTES });
      expect(unpackBlobSync(frame).equals(content)).toBe(true);
      expect((await unpackBlob(zlib, frame, true)).equals(content)).toBe(true);
    }
  });

  it('packs content that does not compress as gzip in stored blocks; empty content reads back empty', async () => {
    const noise = randomBytes(5000);
    const stored = Buffer.from(await packContent(zlib, noise, 1, false));
    expect(readBlobHead(stored)).toEqual({ form: 'gzip' });
    expect(unpackBlobSync(stored).equals(noise)).toBe(true);
    const empty = Buffer.from(await packContent(zlib, Buffer.alloc(0), 1, false));
    expect(unpackBlobSync(empty).length).toBe(0);
  });

  it('is refused when cut short, with bytes after its stream, or when its stream holds more or less than it says', async () => {
    const content = text(50_000);
    const frame = await frameOf(content);
    const cases: [string, Buffer, RegExp][] = [
      ['cut short', frame.subarray(0, frame.length - 7), /its frame says \d+ bytes of brotli data, it holds \d+/],
      ['bytes after the stream', Buffer.concat([frame, Buffer.from('xx')]), /its frame says \d+ bytes of brotli data, it holds \d+/],
      ['less content than its stream holds', withContentSize(frame, content.length - 1), /./],
      ['more content than its stream holds', withContentSize(frame, content.length + 1), /its frame says \d+ bytes of content, it inflates to \d+/],
      ['a header with a high size byte set', Buffer.from(frame).fill(1, 10, 11), /neither gzip nor a brotli frame/],
      ['plain text', Buffer.from('plain text, not a blob at all'), /neither gzip nor a brotli frame/],
    ];
    for (const [, packed, why] of cases) {
      expect(() => unpackBlobSync(packed)).toThrow(why);
      await expect(Promise.resolve().then(() => unpackBlob(zlib, packed, true))).rejects.toThrow(why);
    }
  });
});

describe('checkBlobFile', () => {
  it('passes a whole blob of either form, and says what is wrong with the others without unpacking them', async () => {
    const content = text(20_000);
    const frame = await frameOf(content);
    const check = (name: string, data: Buffer | string | null, size = content.length) =>
      checkBlobFile(data === null ? path.join(dir, name) : file(name, data), `objects/${name}`, size);

    expect(check('frame', frame)).toEqual({ problem: null, storedSize: frame.length });
    const gzip = gzipSync(content);
    expect(check('gzip', gzip)).toEqual({ problem: null, storedSize: gzip.length });
    expect(check('absent', null)).toEqual({ problem: 'blob objects/absent is missing', corrupt: false });
    expect(check('tiny', 'short')).toEqual({ problem: 'blob objects/tiny is truncated (5 bytes)', corrupt: true });
    expect(check('cut', frame.subarray(0, frame.length - 1))).toEqual({
      problem: `blob objects/cut is truncated or damaged: its frame says ${frame.length} bytes, it holds ${frame.length - 1}`,
      corrupt: true,
    });
    expect(check('frame-size', frame, content.length + 3)).toEqual({ problem: `blob objects/frame-size holds ${content.length} bytes, the manifest says ${content.length + 3}`, corrupt: true });
    expect(check('gzip-size', gzip, content.length + 3)).toEqual({
      problem: `blob objects/gzip-size holds ${content.length} bytes (mod 2^32), the manifest says ${content.length + 3}`,
      corrupt: true,
    });
    expect(check('text', 'this is plain text, and long enough')).toEqual({ problem: 'blob objects/text is not a blob: neither gzip nor a brotli frame', corrupt: true });
  });
});

describe('readBackVerdict', () => {
  it('tells a good blob of either form from a bad one, and from one that cannot be read', async () => {
    const content = text(30_000);
    const name = sha256(content);
    const frame = await frameOf(content);
    expect(await readBackVerdict(file('frame', frame), name)).toBe('good');
    expect(await readBackVerdict(file('gzip', gzipSync(content)), name)).toBe('good');
    expect(await readBackVerdict(file('other-frame', await frameOf(text(30_001))), name)).toBe('bad');
    expect(await readBackVerdict(file('other-gzip', gzipSync(text(30_001))), name)).toBe('bad');
    expect(await readBackVerdict(file('cut-frame', frame.subarray(0, frame.length - 5)), name)).toBe('bad');
    expect(await readBackVerdict(file('cut-gzip', gzipSync(content).subarray(0, 100)), name)).toBe('bad');
    expect(await readBackVerdict(file('text', 'plain text'), name)).toBe('bad');
    expect(await readBackVerdict(path.join(dir, 'absent'), name)).toBe('unreadable');
  });
});
