// RedQueue's RESP protocol parser and encoder: the module and node:test file the sim writes as
// src/resp.js and test/resp.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const resp: SimComponent = {
  id: 'resp',
  title: 'RESP protocol parser and encoder',
  requires: [],
  bug: {
    find: "return '$' + Buffer.byteLength(value) + CRLF + value + CRLF;",
    replace: "return '$' + value.length + CRLF + value + CRLF;",
    note: 'bulk string length counts characters instead of bytes',
  },
  module: String.raw`const CRLF = '\r\n';

/**
 * Encodes a JavaScript value as RESP: strings become bulk strings, numbers
 * integers, arrays arrays, null the null bulk string, Error an error reply.
 * @param {unknown} value
 * @returns {string}
 */
export function encode(value) {
  if (value === null || value === undefined) return '$-1' + CRLF;
  if (value instanceof Error) return '-' + value.message + CRLF;
  if (typeof value === 'number') return ':' + Math.trunc(value) + CRLF;
  if (Array.isArray(value)) return '*' + value.length + CRLF + value.map(encode).join('');
  value = String(value);
  return '$' + Buffer.byteLength(value) + CRLF + value + CRLF;
}

/**
 * Encodes a status reply such as +OK.
 * @param {string} text
 */
export function encodeStatus(text) {
  return '+' + text + CRLF;
}

/**
 * Parses one RESP value from the start of a buffer.
 * @param {Buffer} buffer
 * @param {number} [offset]
 * @returns {{ value: unknown, next: number } | null} null when the buffer holds only part of a value
 */
export function parse(buffer, offset = 0) {
  if (offset >= buffer.length) return null;
  const lineEnd = buffer.indexOf(CRLF, offset);
  if (lineEnd === -1) return null;
  const kind = String.fromCharCode(buffer[offset]);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const after = lineEnd + 2;
  switch (kind) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new Error(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const length = Number(line);
      if (length === -1) return { value: null, next: after };
      if (buffer.length < after + length + 2) return null;
      return { value: buffer.toString('utf8', after, after + length), next: after + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count === -1) return { value: null, next: after };
      const items = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, next);
        if (item === null) return null;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error('RESP: unknown type byte ' + JSON.stringify(kind) + ' at offset ' + offset);
  }
}

/**
 * Splits a stream of bytes into complete RESP values, keeping partial input.
 */
export class RespReader {
  constructor() {
    /** @type {Buffer} */
    this.pending = Buffer.alloc(0);
  }

  /**
   * Adds bytes and returns every value now complete.
   * @param {Buffer | string} chunk
   * @returns {unknown[]}
   */
  push(chunk) {
    this.pending = Buffer.concat([this.pending, Buffer.from(chunk)]);
    const values = [];
    let parsed = parse(this.pending, 0);
    while (parsed !== null) {
      values.push(parsed.value);
      this.pending = this.pending.subarray(parsed.next);
      parsed = parse(this.pending, 0);
    }
    return values;
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { encode, encodeStatus, parse, RespReader } from '../src/resp.js';

test('encodes scalars, arrays and null', () => {
  assert.equal(encode('hi'), '$2\r\nhi\r\n');
  assert.equal(encode(42), ':42\r\n');
  assert.equal(encode(null), '$-1\r\n');
  assert.equal(encode(['a', 1]), '*2\r\n$1\r\na\r\n:1\r\n');
  assert.equal(encodeStatus('OK'), '+OK\r\n');
  assert.equal(encode(new Error('ERR bad')), '-ERR bad\r\n');
});

test('bulk string length is in bytes', () => {
  assert.equal(encode('héllo'), '$6\r\nhéllo\r\n');
  const round = parse(Buffer.from(encode('héllo')));
  assert.equal(round.value, 'héllo');
});

test('parses nested arrays and reports the next offset', () => {
  const wire = Buffer.from('*2\r\n$4\r\nPUSH\r\n*1\r\n:7\r\n+OK\r\n');
  const first = parse(wire);
  assert.deepEqual(first.value, ['PUSH', [7]]);
  assert.deepEqual(parse(wire, first.next), { value: 'OK', next: wire.length });
});

test('partial input yields null until complete', () => {
  assert.equal(parse(Buffer.from('$5\r\nhel')), null);
  const reader = new RespReader();
  assert.deepEqual(reader.push('*1\r\n$3\r\nfo'), []);
  assert.deepEqual(reader.push('o\r\n:1\r\n'), [['foo'], 1]);
});

test('unknown type byte is an error naming it', () => {
  assert.throws(() => parse(Buffer.from('?x\r\n')), /unknown type byte/);
});
`,
};
