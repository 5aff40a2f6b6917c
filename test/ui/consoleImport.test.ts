// importForConsole hides NODE_ENV's absence and the CI variables from the
// console's import only, and puts every variable back.

import { afterEach, describe, expect, it } from 'vitest';
import { importForConsole } from '../../src/ui/consoleImport.js';

const NAMES = ['NODE_ENV', 'CI', 'CONTINUOUS_INTEGRATION'] as const;
const before = Object.fromEntries(NAMES.map((name) => [name, process.env[name]]));

afterEach(() => {
  for (const name of NAMES) {
    if (before[name] === undefined) delete process.env[name];
    else process.env[name] = before[name];
  }
});

describe('importForConsole', () => {
  it('loads with a production NODE_ENV and CI off, then restores what the process had', async () => {
    delete process.env.NODE_ENV;
    process.env.CI = '1';
    delete process.env.CONTINUOUS_INTEGRATION;
    const seen = await importForConsole(async () => ({ ...process.env }));
    expect(seen.NODE_ENV).toBe('production');
    expect(seen.CI).toBe('false');
    expect(seen.CONTINUOUS_INTEGRATION).toBeUndefined();
    expect(process.env.NODE_ENV).toBeUndefined();
    expect(process.env.CI).toBe('1');
    expect('CONTINUOUS_INTEGRATION' in process.env).toBe(false);
  });

  it('keeps a NODE_ENV the process chose, and restores even when the import fails', async () => {
    process.env.NODE_ENV = 'test';
    process.env.CONTINUOUS_INTEGRATION = 'true';
    await expect(
      importForConsole(async () => {
        expect(process.env.NODE_ENV).toBe('test');
        throw new Error('no such module');
      }),
    ).rejects.toThrow('no such module');
    expect(process.env.NODE_ENV).toBe('test');
    expect(process.env.CONTINUOUS_INTEGRATION).toBe('true');
  });
});
