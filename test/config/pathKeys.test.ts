// Path keys are read as written: megatest runs no shell over them, so a "~" or
// "$VAR" in one named a folder called "~" (runs_dir = "~/mega_runs" wrote into
// ./~/mega_runs/). Such a value is refused in one line naming the file and the
// key, and what to write instead.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'megatest-path-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(text: string): Error {
  const file = path.join(dir, 'paths.toml');
  writeFileSync(file, text);
  try {
    loadConfig({ configFile: file });
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, none was thrown');
}

describe('a path key with "~" or "$VAR"', () => {
  it('[session] runs_dir: refused, naming the file, the key and the path written out', () => {
    const file = path.join(dir, 'paths.toml');
    for (const [written, out] of [
      ['~/mega_runs', path.join(os.homedir(), 'mega_runs')],
      ['$HOME/mega_runs', `${process.env.HOME}/mega_runs`],
      ['${HOME}/mega_runs', `${process.env.HOME}/mega_runs`],
    ] as const) {
      const error = errorOf(`[session]\nruns_dir = "${written}"\n`);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toBe(
        `[session].runs_dir = "${written}" in ${file} (line 2): must be a directory path written out: megatest expands no "~" or "$VARIABLE" in a path (write "${out}")`,
      );
    }
    // a variable not set here: no path to suggest
    expect(errorOf('[session]\nruns_dir = "${MEGATEST_NOT_SET_X}/runs"\n').message).toMatch(/expands no "~" or "\$VARIABLE" in a path$/);
  });

  it('the other path keys too: [agents] binary, a project\'s test_report and coverage_report', () => {
    expect(errorOf('[agents]\nbinary = "~/bin/selfware"\n').message).toMatch(/^\[agents\]\.binary = "~\/bin\/selfware" in .* written out/);
    expect(errorOf('[projects.task_queue]\ntest_report = "$OUT/junit.xml"\n').message).toMatch(/^\[projects\.task_queue\]\.test_report = "\$OUT\/junit\.xml" in .* written out/);
  });

  it('--runs-dir given "~" (quoted, so no shell expanded it): refused the same way', () => {
    expect(() => loadConfig({ flags: { runsDir: '~/mega_runs' } })).toThrow(UsageError);
    expect(() => loadConfig({ flags: { runsDir: '~/mega_runs' } })).toThrow(/^--runs-dir ~\/mega_runs: must be a directory path written out/);
  });

  it('a path written out, or with a "~" or "$" not at a shell\'s place, is taken as it is', () => {
    const file = path.join(dir, 'fine.toml');
    writeFileSync(file, '[session]\nruns_dir = "/srv/runs/a~b/$5"\n');
    expect(loadConfig({ configFile: file }).session.runs_dir).toBe('/srv/runs/a~b/$5');
  });
});
