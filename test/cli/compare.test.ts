// `megatest compare` and `megatest report` from the command line, on a
// recorded run and legacy folders; bad input exits 2 with one line.

import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyLegacyFixtures, recordedEvents, recordedRunFolder } from '../legacy/legacyFixtures.js';
import { captureCli } from './captureCli.js';

let runs: string;
let recorded: string;
beforeAll(() => {
  runs = copyLegacyFixtures('megatest-compare-cli-');
  recorded = recordedRunFolder(runs, 'recorded');
});
afterAll(() => rmSync(runs, { recursive: true, force: true }));

describe('megatest compare', () => {
  it('prints the runs side by side in Markdown, by folder or by session id', async () => {
    const legacy = path.join(runs, 'python-complete');
    const result = await captureCli(['compare', recorded, legacy]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`| | ${recorded} (base) | ${legacy} |`);
    const tokens = recordedEvents()
      .filter((e) => e.type === 'tokens')
      .reduce((sum, e) => sum + e.input + e.output, 0);
    expect(result.stdout).toContain(`| tokens | ${tokens.toLocaleString('en-US')} |`);
    expect(result.stdout).toMatch(/\| agent \| sim \(SIMULATED\) \| legacy, legacy python \|/);
    // torn-garbage: 14 problems in 13 files (one recovered), not "14 damaged files"
    const torn = await captureCli(['compare', legacy, path.join(runs, 'torn-garbage')]);
    expect(torn.stdout).toMatch(/\| agent \| legacy, legacy python \| legacy, legacy python, 14 problems in 13 files \|/);
    expect(torn.stdout).not.toMatch(/damaged file/);
    const byId = await captureCli(['compare', 'recorded', 'python-complete', 'bash-complete', '--runs-dir', runs]);
    expect(byId.code).toBe(0);
    expect(byId.stdout).toContain('| | recorded (base) | python-complete | bash-complete |');
  });

  it('--format json prints the view model', async () => {
    const result = await captureCli(['compare', recorded, path.join(runs, 'bash-interrupted'), '--format', 'json']);
    expect(result.code).toBe(0);
    const view = JSON.parse(result.stdout);
    expect(view.runs.map((r: any) => r.legacy)).toEqual([null, 'bash']);
    expect(view.rows.map((r: any) => r.key)).toEqual([
      'duration',
      'tokens',
      'tokens_per_loc',
      'tool_calls_per_task',
      'test_pass_rate',
      'coverage',
      'lines_of_code',
      'errors',
      'recoveries',
      'checkpoints',
      'cost_usd',
    ]);
  });

  it('bad input exits 2 with one line naming it', async () => {
    const cases: [string[], RegExp][] = [
      [[recorded, runs], new RegExp(`${runs.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a run folder`)],
      [[recorded, path.join(runs, 'nope')], /nope: no such run folder/],
      [[recorded, path.join(recorded, 'events.jsonl')], /events\.jsonl is a file, not a run folder/],
      [[recorded], /at least two runs/],
      [[recorded, recorded, '--format', 'xml'], /--format "xml"/],
      [[recorded, recorded, '--frob'], /--frob/],
    ];
    for (const [args, message] of cases) {
      const result = await captureCli(['compare', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
  });
});

describe('megatest report on a legacy folder', () => {
  it('prints the report and writes nothing into the folder', async () => {
    const dir = path.join(runs, 'bash-complete');
    const before = readdirSync(dir).sort();
    const result = await captureCli(['report', dir]);
    expect(result.stdout).toContain('Legacy run');
    expect(result.stderr).toMatch(/nothing is written into the folder/);
    expect(readdirSync(dir).sort()).toEqual(before);
    // What the original runner never recorded (a build, fatal errors) is not judged, so a completed run passes on what it recorded.
    expect(result.code).toBe(0);
    const bash = JSON.parse((await captureCli(['report', dir, '--format', 'json'])).stdout);
    // bash's metrics_current.json holds none of the figures the project's criteria are on, and its checkpoints are not in its
    // folder to verify: only the log is judged
    const metricsCurrent = JSON.parse(readFileSync(path.join(dir, 'metrics_current.json'), 'utf8'));
    expect(Object.keys(metricsCurrent).filter((key) => /pass|coverage|lines|tasks/.test(key))).toEqual([]);
    expect(bash.criteria.map((c: { id: string }) => c.id).sort()).toEqual(['no_event_loss']);
    expect(bash.criteria_not_judged.find((c: { id: string }) => c.id === 'checkpoints_valid').reason).toBe("the original runner's checkpoints hold no files or checksums to verify");
    expect(bash.criteria_not_judged.find((c: { id: string }) => c.id === 'build_passes').reason).toBe('the original runner recorded no build result');
    expect(bash.criteria_not_judged.find((c: { id: string }) => c.id === 'tests_pass').reason).toBe("this run's files record no test pass rate");
    expect(bash.verdict).toEqual({ critical_passed: true, passed: 1, failed: 0 });
    const junit = await captureCli(['report', dir, '--format', 'junit']);
    expect(junit.stdout).toContain('not judged: the original runner did not tell a fatal error from another');
    // The Python runner's snapshots hold a pass rate, coverage, lines and tasks: judged; its tests' counts are not recorded.
    const python = await captureCli(['report', path.join(runs, 'python-complete')]);
    expect(python.code).toBe(0);
    expect(python.stdout).toMatch(/\| Test pass rate at least 95% \| critical \| PASS \|/);
    expect(python.stdout).toMatch(/\| The project builds \| critical \| not judged \| the original runner recorded no build result \|/);
    expect(python.stdout).toContain('| tests | not recorded |');
    const json = await captureCli(['report', path.join(runs, 'python-killed'), '--format', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'interrupted', legacy: { runner: 'python' } });
    expect(json.code).toBe(130);
  });

  it('a folder that is not a run folder exits 2', async () => {
    const result = await captureCli(['report', path.join(runs, 'python-complete', 'metrics')]);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
