// RedQueue's server command dispatch: the module and node:test file the sim writes as
// src/dispatcher.js and test/dispatcher.test.js, and the bug it can plant there.

import type { SimComponent } from '../component.js';

export const dispatcher: SimComponent = {
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
