// The startup line's URL must be one a client can use: an IPv6 host was
// printed as http://::1:18917, which no client parses.

import { describe, expect, it } from 'vitest';
import { controlBanner } from '../../src/cli/runSession.js';

describe('control API banner', () => {
  it('brackets an IPv6 host', () => {
    expect(controlBanner('::1', 18917, '/r/control.token')).toBe('control API on http://[::1]:18917 (token in /r/control.token)');
  });
  it('leaves an IPv4 host as it is', () => {
    expect(controlBanner('127.0.0.1', 18900, '/r/control.token')).toBe('control API on http://127.0.0.1:18900 (token in /r/control.token)');
  });
});
