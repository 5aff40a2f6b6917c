// The one line `megatest status`, the agent detail and the report give of
// what an agent kind can do.

import { describe, expect, it } from 'vitest';
import { SIM_CAPABILITIES } from '../../src/agents/sim/index.js';
import { capabilitiesOf, describeCapabilities } from '../../src/contract/capabilities.js';

describe('describeCapabilities', () => {
  it('says the sim’s token counts are not real usage (status shows them beside this line)', () => {
    expect(describeCapabilities(SIM_CAPABILITIES)).toBe('can: own compression, pause; cannot: own checkpoints, native resume, real token usage, cost');
  });

  it('reads back only a whole set', () => {
    expect(capabilitiesOf({ ...SIM_CAPABILITIES })).toEqual(SIM_CAPABILITIES);
    expect(capabilitiesOf({ pause: true })).toBeNull();
    expect(capabilitiesOf(null)).toBeNull();
  });
});
