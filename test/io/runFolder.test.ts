import { describe, expect, it } from 'vitest';
import { defaultSessionId, validateSessionId } from '../../src/io/runFolder.js';

describe('defaultSessionId', () => {
  it('is mega-YYYYMMDD-HHMMSS-xxxx in UTC, four hex digits of chance, and a valid session id', () => {
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    const ids = Array.from({ length: 200 }, () => defaultSessionId(at));
    for (const id of ids) {
      expect(id).toMatch(/^mega-20260102-030405-[0-9a-f]{4}$/);
      expect(() => validateSessionId(id)).not.toThrow();
    }
    // Two bytes of chance: 200 ids of one second are not all the same (the odds of that are 65536^-199).
    expect(new Set(ids).size).toBeGreaterThan(1);
  });
});
