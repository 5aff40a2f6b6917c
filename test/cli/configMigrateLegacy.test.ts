// `megatest config migrate` given a run folder of the original runner, or the
// config.json run_mega_test.sh wrote into one: a record of one run, not a
// configuration. One line says so and what reads the run, exit 2, nothing on
// stdout (it said "malformed TOML: unexpected character {").

import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyLegacyFixtures } from '../legacy/legacyFixtures.js';
import { captureCli } from './captureCli.js';

let runs: string;
beforeAll(() => {
  runs = copyLegacyFixtures('megatest-migrate-legacy-');
});
afterAll(() => rmSync(runs, { recursive: true, force: true }));

const tail = (folder: string) =>
  `, not a configuration: megatest report ${folder} and megatest replay ${folder} read the run as it is; config migrate takes the runner's configuration file (mega_test_config.toml)\n`;

describe('config migrate of a legacy run record', () => {
  it("a Bash run folder's config.json, and the folder itself: named as such", async () => {
    const folder = path.join(runs, 'bash-complete');
    const json = await captureCli(['config', 'migrate', path.join(folder, 'config.json')]);
    expect(json.code).toBe(2);
    expect(json.stdout).toBe('');
    expect(json.stderr).toBe(`megatest config migrate: ${path.join(folder, 'config.json')} is the record run_mega_test.sh kept of one run (its run folder's config.json)${tail(folder)}`);
    const dir = await captureCli(['config', 'migrate', path.join(runs, 'python-complete')]);
    expect(dir.code).toBe(2);
    expect(dir.stderr).toBe(`megatest config migrate: ${path.join(runs, 'python-complete')} is a run folder of test_runner.py${tail(path.join(runs, 'python-complete'))}`);
  });

  it('a config.json elsewhere is read as the file it is (a TOML error naming its .json)', async () => {
    const result = await captureCli(['config', 'migrate', path.join(runs, 'nowhere', 'config.json')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('not found');
  });
});
