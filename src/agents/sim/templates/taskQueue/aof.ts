// RedQueue's append-only file persistence: the module and node:test file the sim writes as
// src/aof.js and test/aof.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const aof: SimComponent = {
  id: 'aof',
  title: 'append-only file persistence',
  requires: ['resp'],
  bug: {
    find: 'for (let i = 0; i < values.length; i++) commands.push(values[i]);',
    replace: 'for (let i = 0; i < values.length - 1; i++) commands.push(values[i]);',
    note: 'replay drops the last command',
  },
  module: String.raw`import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { encode, RespReader } from './resp.js';

/**
 * Persists every write command as RESP in an append-only file and replays
 * them on start, like Redis' AOF.
 */
export class AppendOnlyFile {
  /** @param {string} path */
  constructor(path) {
    this.path = path;
    this.appended = 0;
  }

  /**
   * Appends one command.
   * @param {string[]} argv
   */
  append(argv) {
    appendFileSync(this.path, encode(argv.map(String)));
    this.appended++;
  }

  /**
   * Reads back every complete command; a torn last record is ignored.
   * @returns {string[][]}
   */
  replay() {
    if (!existsSync(this.path)) return [];
    const reader = new RespReader();
    const values = reader.push(readFileSync(this.path));
    const commands = [];
    for (let i = 0; i < values.length; i++) commands.push(values[i]);
    return commands;
  }

  /**
   * Rewrites the file with only the given commands (compaction).
   * @param {string[][]} commands
   */
  rewrite(commands) {
    writeFileSync(this.path, commands.map((argv) => encode(argv)).join(''));
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, appendFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppendOnlyFile } from '../src/aof.js';

test('replays appended commands in order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aof-'));
  try {
    const aof = new AppendOnlyFile(join(dir, 'queue.aof'));
    assert.deepEqual(aof.replay(), []);
    aof.append(['PUSH', 'jobs', 'a']);
    aof.append(['PUSH', 'jobs', 'b']);
    aof.append(['POP', 'jobs']);
    assert.deepEqual(aof.replay(), [['PUSH', 'jobs', 'a'], ['PUSH', 'jobs', 'b'], ['POP', 'jobs']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ignores a torn last record and compacts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aof-'));
  try {
    const path = join(dir, 'queue.aof');
    const aof = new AppendOnlyFile(path);
    aof.append(['PUSH', 'q', '1']);
    appendFileSync(path, '*2\r\n$4\r\nPU');
    assert.deepEqual(aof.replay(), [['PUSH', 'q', '1']]);
    aof.rewrite([['PUSH', 'q', '2']]);
    assert.deepEqual(aof.replay(), [['PUSH', 'q', '2']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
`,
};
