// The small readers under the conversion: legacy times and the tolerant JSON reader.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLegacyJson } from '../../src/legacy/jsonFile.js';
import { offsetFromNamedFile, parseLegacyTime } from '../../src/legacy/time.js';
import type { ReplayDamage } from '../../src/replay/types.js';

describe('parseLegacyTime', () => {
  it('reads every shape the runners wrote', () => {
    expect(parseLegacyTime('2026-03-01T10:00:30.654321', 120)!.ms).toBe(Date.UTC(2026, 2, 1, 8, 0, 30, 654));
    expect(parseLegacyTime('2026-03-01 10:00:30,250', 120)!.ms).toBe(Date.UTC(2026, 2, 1, 8, 0, 30, 250));
    expect(parseLegacyTime('2026-03-01T10:00:30', -300)!.ms).toBe(Date.UTC(2026, 2, 1, 15, 0, 30));
    expect(parseLegacyTime('2026-03-01T10:00:30+05:30', 0)).toEqual({ ms: Date.UTC(2026, 2, 1, 4, 30, 30), zoned: true, offsetMinutes: 330 });
    expect(parseLegacyTime('2026-03-01T10:00:30.000001Z', 60)!.ms).toBe(Date.UTC(2026, 2, 1, 10, 0, 30));
    for (const bad of ['yesterday', '2026-13-01T00:00:00', '', 42, null]) expect(parseLegacyTime(bad, 0), String(bad)).toBeNull();
  });

  it('finds the run zone from a local time and the Unix seconds of the file name', () => {
    const unix = Date.UTC(2026, 2, 1, 8, 0, 30) / 1000;
    expect(offsetFromNamedFile('2026-03-01T10:00:30.123456', unix)).toBe(120);
    expect(offsetFromNamedFile('2026-03-01T13:30:30.9', unix)).toBe(330);
    expect(offsetFromNamedFile('2026-03-01T10:00:30+02:00', unix)).toBeNull(); // zoned: nothing to learn
    expect(offsetFromNamedFile('2026-03-01T10:07:30', unix)).toBeNull(); // not a quarter hour: not a zone
  });
});

describe('readLegacyJson', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'megatest-legacy-json-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const read = (name: string, text: string) => {
    writeFileSync(path.join(dir, name), text);
    const damage: ReplayDamage[] = [];
    return { ...readLegacyJson(dir, path.join(dir, name), damage), damage };
  };

  it('mends a count written as two lines, and says so', () => {
    const r = read('two.json', '{\n  "checkpoints_created": 3\n0,\n  "exit_code": 0\n0\n}\n');
    expect(r.value).toEqual({ checkpoints_created: 3, exit_code: 0 });
    expect(r.whole).toBe(true);
    expect(r.damage).toEqual([{ file: 'two.json', problem: 'checkpoints_created, exit_code written as two lines (not valid JSON); the first number is read', recovered: true }]);
  });

  it('salvages the fields of a torn file and names empty, garbage and missing files', () => {
    const torn = read('torn.json', '{\n  "timestamp": "2026-03-01T10:00:00",\n  "metrics": {\n    "total_tokens": 900,\n    "phase": "boot');
    expect(torn.value).toEqual({ timestamp: '2026-03-01T10:00:00', total_tokens: 900 });
    expect(torn.whole).toBe(false);
    expect(torn.damage[0]!.problem).toMatch(/not valid JSON.*; 2 fields read from what is there$/);
    const one = read('one.json', '{\n  "total_tokens": 900,\n  "phase": "boot');
    expect(one.value).toEqual({ total_tokens: 900 });
    expect(one.damage[0]!.problem).toMatch(/; 1 field read from what is there$/);
    expect(read('empty.json', '').damage[0]!.problem).toMatch(/^empty \(0 bytes\)/);
    expect(read('garbage.json', '\u0000\u0013garbage').damage[0]!.problem).toMatch(/nothing could be read/);
    expect(read('array.json', '[1, 2]').damage[0]!.problem).toBe('not a JSON object');
    const damage: ReplayDamage[] = [];
    expect(readLegacyJson(dir, path.join(dir, 'missing.json'), damage)).toMatchObject({ value: null, exists: false });
    expect(damage).toEqual([]);
  });
});
