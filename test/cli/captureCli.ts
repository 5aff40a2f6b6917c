// Runs the CLI in this process (src/cli/main.ts's runCli, the same path
// bin/megatest.js takes, exit code included) with stdout and stderr captured.

import { vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

export async function captureCli(argv: string[]): Promise<Captured> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    stdout.push(String(chunk));
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    stderr.push(String(chunk));
    return true;
  });
  const before = process.exitCode;
  let code: number;
  try {
    await runCli(argv);
    code = Number(process.exitCode ?? 0);
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = before;
  }
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}
