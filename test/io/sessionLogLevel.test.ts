// [monitoring] log_level (the original runner's key) is the lowest level
// session.log keeps; the console's sinks still see every line.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SessionLog } from '../../src/io/eventLog.js';

const dir = mkdtempSync(path.join(tmpdir(), 'megatest-loglevel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SessionLog with a log level', () => {
  it('a WARN log keeps only WARN and ERROR lines; the sinks still get every line', () => {
    const file = path.join(dir, 'warn.log');
    const log = new SessionLog(file, undefined, 'WARN');
    const seen: string[] = [];
    log.onLine((level) => seen.push(level));
    log.debug('orchestrator', 'detail');
    log.info('orchestrator', 'hello');
    log.warn('limits', 'close to the budget');
    log.error('agent-1', 'crashed');
    log.close();
    const levels = readFileSync(file, 'utf8').trim().split('\n').map((line) => line.split(' ')[1]);
    expect(levels).toEqual(['WARN', 'ERROR']);
    expect(seen).toEqual(['DEBUG', 'INFO', 'WARN', 'ERROR']);
  });
});

describe('SessionLog with what an agent printed', () => {
  it('writes one printable line: no escape sequence, carriage return or bell reaches a `tail -f` of it', () => {
    const file = path.join(dir, 'printable.log');
    const log = new SessionLog(file);
    const seen: string[] = [];
    log.onLine((_level, _source, message) => seen.push(message));
    log.error('agent-1', '\u001b[31merror:\u001b[0m compile\tfailed\rOVER\u0007\nsecond line');
    log.close();
    const line = readFileSync(file, 'utf8');
    // eslint-disable-next-line no-control-regex
    expect(line.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(line).toMatch(/ ERROR \[agent-1\] error: compile failed OVER\^G \| second line\n$/);
    expect(seen).toEqual(['error: compile failed OVER^G | second line']);
  });
});
