// A reader that stops early (`megatest status | head`): the output left has
// nowhere to go, which is no error. It was a stack trace of EPIPE on stderr.

import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BIN, BUILT } from '../helpers/cli.js';

describe.skipIf(!BUILT)('stdout closed by its reader (needs npm run build)', () => {
  it('config print into a closed pipe: exit 0, nothing on stderr', async () => {
    const child = spawn(process.execPath, [BIN, 'config', 'print'], { cwd: PACKAGE_ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    // Closed before the command writes anything: its first write meets EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 30_000);
});
