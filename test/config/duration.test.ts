import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatDuration, MAX_DURATION_SECONDS, MIN_DURATION_SECONDS, parseDuration } from '../../src/config/duration.js';
import { UsageError } from '../../src/config/errors.js';

describe('parseDuration', () => {
  it.each([
    ['6h', 21_600],
    ['90m', 5_400],
    ['45s', 45],
    ['1h30m', 5_400],
    ['1h 30m', 5_400],
    ['2h15m30s', 8_130],
    ['1.5h', 5_400],
    [' 10m ', 600],
    ['24H', 86_400],
  ])('reads %j as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it('accepts the bounds 10 s and 24 h exactly', () => {
    expect(parseDuration('10s')).toBe(MIN_DURATION_SECONDS);
    expect(parseDuration('24h')).toBe(MAX_DURATION_SECONDS);
  });

  it('rejects values outside 10 s .. 24 h, naming the value and the range', () => {
    expect(() => parseDuration('9s')).toThrowError(new UsageError('duration "9s": must be between 10s and 24h'));
    expect(() => parseDuration('24h1s')).toThrowError('duration "24h1s": must be between 10s and 24h');
    expect(() => parseDuration('1500m')).toThrowError('duration "1500m" (25h): must be between 10s and 24h');
    expect(() => parseDuration('0m')).toThrow(UsageError);
  });

  it.each(['', 'soon', '90', '6 hours', '30m1h', 'h', '-5m', '1d'])('rejects %j naming the allowed forms', (text) => {
    let caught: unknown;
    try {
      parseDuration(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as Error).message).toContain(`duration ${JSON.stringify(text)}`);
    expect((caught as Error).message).toContain('6h, 90m, 45s or 1h30m');
  });
});

describe('formatDuration', () => {
  it.each([
    [5_400, '1h 30m'],
    [45, '45s'],
    [21_600, '6h'],
    [3_725, '1h 2m 5s'],
    [120, '2m'],
    [0, '0s'],
    [59.9, '59s'],
    [-3, '0s'],
  ])('formats %d seconds as %j', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('round-trips through parseDuration for every whole second in range', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_DURATION_SECONDS, max: MAX_DURATION_SECONDS }), (seconds) => {
        expect(parseDuration(formatDuration(seconds))).toBe(seconds);
      }),
    );
  });
});
