// RedQueue (task_queue): a Redis-flavoured job queue, written by the sim as a
// small real JavaScript project.

import type { SimComponent } from './component.js';

const resp: SimComponent = {
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

const queue: SimComponent = {
  id: 'queue',
  title: 'priority queue with delayed jobs',
  requires: [],
  bug: {
    find: 'if (a.priority !== b.priority) return b.priority - a.priority;',
    replace: 'if (a.priority !== b.priority) return a.priority - b.priority;',
    note: 'priority order reversed',
  },
  module: String.raw`/**
 * @typedef {{ id: number, name: string, payload: unknown, priority: number, readyAt: number, seq: number }} Job
 */

function before(a, b) {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.seq - b.seq;
}

/**
 * A job queue: higher priority first, first-in first-out within a priority,
 * delayed jobs held back until their time. The clock is injectable for tests.
 */
export class JobQueue {
  /** @param {{ now?: () => number }} [options] */
  constructor(options = {}) {
    this.now = options.now ?? Date.now;
    /** @type {Job[]} */
    this.ready = [];
    /** @type {Job[]} */
    this.delayed = [];
    this.seq = 0;
  }

  /**
   * Adds a job.
   * @param {string} name
   * @param {unknown} payload
   * @param {{ priority?: number, delayMs?: number }} [options]
   * @returns {number} the job id
   */
  push(name, payload, options = {}) {
    const seq = ++this.seq;
    const job = { id: seq, name, payload, priority: options.priority ?? 0, readyAt: this.now() + (options.delayMs ?? 0), seq };
    if (job.readyAt > this.now()) this.delayed.push(job);
    else this.insert(job);
    return job.id;
  }

  insert(job) {
    let index = this.ready.length;
    while (index > 0 && before(job, this.ready[index - 1]) < 0) index--;
    this.ready.splice(index, 0, job);
  }

  /** Moves delayed jobs whose time has come into the ready list. */
  promote() {
    const now = this.now();
    const still = [];
    for (const job of this.delayed) {
      if (job.readyAt <= now) this.insert(job);
      else still.push(job);
    }
    this.delayed = still;
  }

  /**
   * Takes the next ready job.
   * @returns {Job | undefined}
   */
  pop() {
    this.promote();
    return this.ready.shift();
  }

  /** Jobs ready now plus jobs waiting for their delay. */
  get size() {
    return this.ready.length + this.delayed.length;
  }

  /** Removes a job by id wherever it waits. */
  cancel(id) {
    const before = this.size;
    this.ready = this.ready.filter((job) => job.id !== id);
    this.delayed = this.delayed.filter((job) => job.id !== id);
    return this.size < before;
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { JobQueue } from '../src/queue.js';

test('higher priority first, FIFO within a priority', () => {
  const queue = new JobQueue();
  queue.push('low', 1, { priority: 1 });
  queue.push('high', 2, { priority: 9 });
  queue.push('low2', 3, { priority: 1 });
  assert.deepEqual([queue.pop().name, queue.pop().name, queue.pop().name], ['high', 'low', 'low2']);
  assert.equal(queue.pop(), undefined);
});

test('delayed jobs wait for their time', () => {
  let now = 1000;
  const queue = new JobQueue({ now: () => now });
  queue.push('later', null, { delayMs: 500 });
  queue.push('now', null);
  assert.equal(queue.pop().name, 'now');
  assert.equal(queue.pop(), undefined);
  assert.equal(queue.size, 1);
  now = 1500;
  assert.equal(queue.pop().name, 'later');
});

test('cancel removes ready and delayed jobs', () => {
  const queue = new JobQueue({ now: () => 0 });
  const a = queue.push('a', null);
  const b = queue.push('b', null, { delayMs: 10 });
  assert.equal(queue.cancel(a), true);
  assert.equal(queue.cancel(b), true);
  assert.equal(queue.cancel(b), false);
  assert.equal(queue.size, 0);
});
`,
};

const workerPool: SimComponent = {
  id: 'workerPool',
  title: 'worker pool with retries',
  requires: [],
  bug: {
    find: 'while (this.active < this.concurrency && this.waiting.length > 0) {',
    replace: 'while (this.active <= this.concurrency && this.waiting.length > 0) {',
    note: 'runs one job more than the concurrency limit',
  },
  module: String.raw`/**
 * Runs jobs through an async handler with bounded concurrency, retrying a
 * failing job up to maxAttempts times.
 */
export class WorkerPool {
  /**
   * @param {(job: unknown) => Promise<unknown>} handler
   * @param {{ concurrency?: number, maxAttempts?: number }} [options]
   */
  constructor(handler, options = {}) {
    this.handler = handler;
    this.concurrency = options.concurrency ?? 4;
    this.maxAttempts = options.maxAttempts ?? 3;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new RangeError('concurrency must be a positive integer, got ' + this.concurrency);
    }
    this.active = 0;
    this.peak = 0;
    this.completed = 0;
    this.failed = 0;
    /** @type {{ job: unknown, attempt: number, resolve: Function }[]} */
    this.waiting = [];
    /** @type {Function[]} */
    this.idleWaiters = [];
  }

  /**
   * Queues a job; resolves with its outcome once it succeeded or ran out of attempts.
   * @param {unknown} job
   * @returns {Promise<{ ok: boolean, attempts: number, value?: unknown, error?: Error }>}
   */
  submit(job) {
    return new Promise((resolve) => {
      this.waiting.push({ job, attempt: 1, resolve });
      this.drain();
    });
  }

  drain() {
    while (this.active < this.concurrency && this.waiting.length > 0) {
      const entry = this.waiting.shift();
      this.active++;
      this.peak = Math.max(this.peak, this.active);
      this.run(entry);
    }
    if (this.active === 0 && this.waiting.length === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  async run(entry) {
    try {
      const value = await this.handler(entry.job);
      this.completed++;
      entry.resolve({ ok: true, attempts: entry.attempt, value });
    } catch (error) {
      if (entry.attempt < this.maxAttempts) {
        this.waiting.push({ ...entry, attempt: entry.attempt + 1 });
      } else {
        this.failed++;
        entry.resolve({ ok: false, attempts: entry.attempt, error });
      }
    } finally {
      this.active--;
      this.drain();
    }
  }

  /** Resolves when no job is running or waiting. */
  idle() {
    if (this.active === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool } from '../src/workerPool.js';

test('never runs more jobs at once than its concurrency', async () => {
  const pool = new WorkerPool(async (n) => {
    await new Promise((resolve) => setImmediate(resolve));
    return n * 2;
  }, { concurrency: 2 });
  const results = await Promise.all([1, 2, 3, 4, 5].map((n) => pool.submit(n)));
  assert.deepEqual(results.map((r) => r.value), [2, 4, 6, 8, 10]);
  assert.equal(pool.peak, 2);
  assert.equal(pool.completed, 5);
});

test('retries a failing job, then reports the failure', async () => {
  let calls = 0;
  const pool = new WorkerPool(async () => {
    calls++;
    throw new Error('boom');
  }, { concurrency: 1, maxAttempts: 3 });
  const outcome = await pool.submit('x');
  assert.equal(outcome.ok, false);
  assert.equal(outcome.attempts, 3);
  assert.equal(calls, 3);
  assert.equal(pool.failed, 1);
  await pool.idle();
});

test('rejects a bad concurrency', () => {
  assert.throws(() => new WorkerPool(async () => 0, { concurrency: 0 }), /positive integer/);
});
`,
};

const aof: SimComponent = {
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

const dispatcher: SimComponent = {
  id: 'dispatcher',
  title: 'server command dispatch',
  requires: ['resp', 'queue'],
  bug: {
    find: 'const name = String(argv[0] ?? \'\').toUpperCase();',
    replace: 'const name = String(argv[0] ?? \'\');',
    note: 'command names became case-sensitive',
  },
  module: String.raw`import { encode, encodeStatus } from './resp.js';
import { JobQueue } from './queue.js';

/**
 * Turns RESP command arrays into replies: PING, ECHO, PUSH, POP, LEN, CANCEL.
 */
export class Dispatcher {
  /** @param {{ queue?: JobQueue }} [options] */
  constructor(options = {}) {
    this.queue = options.queue ?? new JobQueue();
    this.commandsServed = 0;
  }

  /**
   * Runs one command and returns its encoded reply.
   * @param {string[]} argv
   * @returns {string}
   */
  dispatch(argv) {
    const name = String(argv[0] ?? '').toUpperCase();
    this.commandsServed++;
    switch (name) {
      case 'PING':
        return argv.length > 1 ? encode(argv[1]) : encodeStatus('PONG');
      case 'ECHO':
        return this.arity(argv, 2) ?? encode(argv[1]);
      case 'PUSH': {
        const error = this.arity(argv, 3, 4);
        if (error) return error;
        const priority = argv[3] === undefined ? 0 : Number(argv[3]);
        if (!Number.isFinite(priority)) return encode(new Error('ERR priority must be a number'));
        return encode(this.queue.push(argv[1], argv[2], { priority }));
      }
      case 'POP': {
        const job = this.queue.pop();
        return encode(job ? [job.name, String(job.payload)] : null);
      }
      case 'LEN':
        return encode(this.queue.size);
      case 'CANCEL':
        return this.arity(argv, 2) ?? encode(this.queue.cancel(Number(argv[1])) ? 1 : 0);
      default:
        return encode(new Error("ERR unknown command '" + argv[0] + "'"));
    }
  }

  arity(argv, min, max = min) {
    if (argv.length < min || argv.length > max) {
      return encode(new Error("ERR wrong number of arguments for '" + String(argv[0]).toLowerCase() + "'"));
    }
    return undefined;
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { Dispatcher } from '../src/dispatcher.js';

test('answers PING and ECHO', () => {
  const server = new Dispatcher();
  assert.equal(server.dispatch(['PING']), '+PONG\r\n');
  assert.equal(server.dispatch(['ping']), '+PONG\r\n');
  assert.equal(server.dispatch(['echo', 'hi']), '$2\r\nhi\r\n');
});

test('PUSH, LEN and POP go through the queue by priority', () => {
  const server = new Dispatcher();
  assert.equal(server.dispatch(['PUSH', 'email', 'a', '1']), ':1\r\n');
  assert.equal(server.dispatch(['push', 'sms', 'b', '5']), ':2\r\n');
  assert.equal(server.dispatch(['LEN']), ':2\r\n');
  assert.equal(server.dispatch(['POP']), '*2\r\n$3\r\nsms\r\n$1\r\nb\r\n');
  assert.equal(server.dispatch(['CANCEL', '1']), ':1\r\n');
  assert.equal(server.dispatch(['POP']), '$-1\r\n');
  assert.equal(server.commandsServed, 6);
});

test('errors name the command', () => {
  const server = new Dispatcher();
  assert.equal(server.dispatch(['FLY']), "-ERR unknown command 'FLY'\r\n");
  assert.equal(server.dispatch(['ECHO']), "-ERR wrong number of arguments for 'echo'\r\n");
  assert.equal(server.dispatch(['PUSH', 'a', 'b', 'high']), '-ERR priority must be a number\r\n');
});
`,
};

const stats: SimComponent = {
  id: 'stats',
  title: 'queue statistics',
  requires: [],
  bug: {
    find: 'const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);',
    replace: 'const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length));',
    note: 'percentile index off by one',
  },
  module: String.raw`/**
 * Counts processed and failed jobs and keeps a window of latencies to report
 * percentiles and throughput.
 */
export class QueueStats {
  /** @param {{ window?: number, now?: () => number }} [options] */
  constructor(options = {}) {
    this.window = options.window ?? 1000;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.processed = 0;
    this.failed = 0;
    /** @type {number[]} */
    this.latencies = [];
  }

  /**
   * Records one finished job.
   * @param {number} latencyMs
   * @param {boolean} [ok]
   */
  record(latencyMs, ok = true) {
    if (ok) this.processed++;
    else this.failed++;
    this.latencies.push(latencyMs);
    if (this.latencies.length > this.window) this.latencies.shift();
  }

  /**
   * Nearest-rank percentile of the recorded latencies.
   * @param {number} p 0–100
   */
  percentile(p) {
    if (this.latencies.length === 0) return 0;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
    return sorted[Math.max(0, index)];
  }

  /** Jobs per second since the stats began. */
  throughput() {
    const seconds = (this.now() - this.startedAt) / 1000;
    return seconds > 0 ? (this.processed + this.failed) / seconds : 0;
  }

  /** A plain summary object, e.g. for an INFO command. */
  snapshot() {
    return {
      processed: this.processed,
      failed: this.failed,
      p50: this.percentile(50),
      p99: this.percentile(99),
      throughput: this.throughput(),
    };
  }
}
`,
  test: String.raw`import test from 'node:test';
import assert from 'node:assert/strict';
import { QueueStats } from '../src/stats.js';

test('nearest-rank percentiles', () => {
  const stats = new QueueStats();
  for (let ms = 1; ms <= 10; ms++) stats.record(ms);
  assert.equal(stats.percentile(50), 5);
  assert.equal(stats.percentile(90), 9);
  assert.equal(stats.percentile(100), 10);
  assert.equal(new QueueStats().percentile(50), 0);
});

test('throughput and window', () => {
  let now = 0;
  const stats = new QueueStats({ window: 3, now: () => now });
  stats.record(5);
  stats.record(7, false);
  stats.record(9);
  stats.record(11);
  now = 2000;
  assert.equal(stats.latencies.length, 3);
  assert.equal(stats.throughput(), 2);
  assert.deepEqual({ ...stats.snapshot(), throughput: 0 }, { processed: 3, failed: 1, p50: 9, p99: 11, throughput: 0 });
});
`,
};

export const TASK_QUEUE_PROJECT = {
  name: 'RedQueue',
  packageName: 'redqueue',
  description: 'A Redis-flavoured job queue: RESP protocol, priorities, delayed jobs, workers, AOF persistence.',
  components: [resp, queue, workerPool, aof, dispatcher, stats],
  vocabulary: ['queue', 'worker', 'job', 'retry', 'lease', 'shard', 'channel', 'backlog', 'batch', 'ttl'],
};
