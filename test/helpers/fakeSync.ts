// A fake `sync` put first on PATH, for tests of how the checkpoint store
// makes its blobs durable: it logs its arguments, then runs the real
// `/bin/sync` or exits with the given code (a `sync -f` that fails).

import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface FakeSync {
  /** Puts a `sync` first on PATH that runs the real one (exit code 0) or refuses with exitCode. */
  install(exitCode: number): void;
  /** Puts a `sync` first on PATH that is this script (it logs nothing). */
  installScript(script: string): void;
  /** Removes the fake, so that PATH has no `sync` at all when set to its folder alone. */
  uninstall(): void;
  /** The folder the fake is in. */
  readonly bin: string;
  /** Each call's arguments, in order. */
  calls(): string[];
  /** Forgets the calls so far. */
  clearCalls(): void;
  /** PATH as it was before install. */
  readonly originalPath: string | undefined;
  /** Puts PATH back. */
  restorePath(): void;
}

/** A fake `sync` kept in `base` (a test's scratch folder). */
export function fakeSync(base: string): FakeSync {
  const originalPath = process.env.PATH;
  const bin = path.join(base, 'bin');
  const callLog = path.join(base, 'sync-calls.log');
  mkdirSync(bin, { recursive: true });
  // A fake replaced while an earlier one may still be starting (a shell killed
  // mid-call leaves its `sync` running): writing into the file it executes
  // fails with ETXTBSY, so the new script takes the name by a rename.
  const replaceScript = (script: string): void => {
    const staged = path.join(bin, '.sync.new');
    writeFileSync(staged, script, { mode: 0o755 });
    chmodSync(staged, 0o755);
    renameSync(staged, path.join(bin, 'sync'));
    process.env.PATH = `${bin}:${originalPath}`;
  };
  return {
    bin,
    originalPath,
    install(exitCode) {
      const log = `echo "$@" >> ${JSON.stringify(callLog)}`;
      const script = exitCode === 0 ? `#!/bin/sh\n${log}\nexec /bin/sync "$@"\n` : `#!/bin/sh\n${log}\necho "sync: refused" >&2\nexit ${exitCode}\n`;
      replaceScript(script);
    },
    installScript(script) {
      replaceScript(script);
    },
    uninstall() {
      rmSync(path.join(bin, 'sync'), { force: true });
    },
    calls() {
      return existsSync(callLog) ? readFileSync(callLog, 'utf8').trim().split('\n') : [];
    },
    clearCalls() {
      rmSync(callLog, { force: true });
    },
    restorePath() {
      process.env.PATH = originalPath;
    },
  };
}
