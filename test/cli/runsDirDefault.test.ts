// Where the commands that find runs look: --runs-dir, else CONFIG_FILE's
// [session] runs_dir (the original runner's habit, which `run` honours), else
// test_runs. `run` wrote where CONFIG_FILE said and `ls` looked in test_runs.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_RUNS_DIR, runsDirFor } from '../../src/cli/runsDir.js';
import { BUILT, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'megatest-runsdir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runsDirFor', () => {
  it('--runs-dir first, then CONFIG_FILE\'s runs_dir, then test_runs', async () => {
    const config = path.join(dir, 'old.toml');
    const runs = path.join(dir, 'mega_runs');
    writeFileSync(config, `[session]\nruns_dir = ${JSON.stringify(runs)}\n`);
    expect(await runsDirFor('ls', 'given', { CONFIG_FILE: config })).toBe('given');
    expect(await runsDirFor('ls', undefined, { CONFIG_FILE: config })).toBe(runs);
    expect(await runsDirFor('ls', undefined, {})).toBe(DEFAULT_RUNS_DIR);
    expect(await runsDirFor('ls', undefined, { CONFIG_FILE: '' })).toBe(DEFAULT_RUNS_DIR);
  });

  it('a CONFIG_FILE that cannot be read is said, and test_runs looked in', async () => {
    const broken = path.join(dir, 'broken.toml');
    writeFileSync(broken, '[session\n');
    const warn = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await runsDirFor('ls', undefined, { CONFIG_FILE: broken })).toBe(DEFAULT_RUNS_DIR);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(new RegExp(`^megatest ls: warning: CONFIG_FILE=${broken.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: its runs_dir cannot be read \\(.*\\); looking in test_runs\\n$`));
    } finally {
      warn.mockRestore();
    }
  });
});

describe.skipIf(!BUILT)(`megatest ls with CONFIG_FILE${BUILT ? '' : ' (skipped: dist/ is not built; npm run build)'}`, () => {
  it('lists the runs in the folder CONFIG_FILE names', async () => {
    const runs = path.join(dir, 'ls_runs');
    const config = path.join(dir, 'ls.toml');
    writeFileSync(config, `[session]\nruns_dir = ${JSON.stringify(runs)}\n`);
    mkdirSync(path.join(runs, 'old-run'), { recursive: true });
    writeFileSync(path.join(runs, 'old-run', 'status'), 'completed\n');
    writeFileSync(path.join(runs, 'old-run', 'events.jsonl'), '');
    const listed = await runCli(['ls'], { env: { CONFIG_FILE: config } });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('old-run');
  });
});
