// CI in the environment: set and meaning it, or set to say "not CI".

import { describe, expect, it } from 'vitest';
import { ciIsSet } from '../../src/cli/ciEnv.js';

describe('ciIsSet', () => {
  it('takes CI=true, 1 or any other word as CI', () => {
    for (const value of ['true', 'TRUE', '1', 'yes', 'github']) expect(ciIsSet({ CI: value }), value).toBe(true);
  });

  it('takes CI unset, empty, false or 0 as not CI (CI=false npm run … says not CI)', () => {
    expect(ciIsSet({})).toBe(false);
    for (const value of ['', ' ', 'false', 'False', ' FALSE ', '0']) expect(ciIsSet({ CI: value }), JSON.stringify(value)).toBe(false);
  });
});
