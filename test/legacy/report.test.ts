// The report and status of a legacy run folder: built from the conversion
// and the one fold, figures its runner never recorded shown as such, damaged
// checkpoints named, and nothing written into the folder.

import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runControlCommand } from '../../src/cli/controlCommands.js';
import { buildReport, renderMarkdown, reportExitCode } from '../../src/report/report.js';
import { convertLegacyRun } from '../../src/legacy/convert.js';
import { foldRunFolder } from '../../src/io/foldLog.js';
import { applyEvents, initialConsoleState } from '../../src/state/applyEvent.js';
import { headerModel } from '../../src/ui/viewModels/header.js';
import { formatCount } from '../../src/ui/viewModels/format.js';
import { checkpointFiles, copyLegacyFixtures, metricsFiles, readJson } from './legacyFixtures.js';

let runs: string;
beforeAll(() => {
  runs = copyLegacyFixtures('megatest-legacy-report-');
});
afterAll(() => rmSync(runs, { recursive: true, force: true }));

function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (sub: string) => {
    for (const name of readdirSync(path.join(dir, sub)).sort()) {
      const rel = path.join(sub, name);
      if (statSync(path.join(dir, rel)).isDirectory()) walk(rel);
      else out.push(`${rel} ${readFileSync(path.join(dir, rel)).toString('base64')}`);
    }
  };
  walk('');
  return out;
}

describe('report of a legacy run', () => {
  it('python-killed: figures from the files, the 0-byte checkpoint invalid, unrecorded figures null, the folder untouched', async () => {
    const dir = path.join(runs, 'python-killed');
    const before = listing(dir);
    const report = await buildReport(dir);
    expect(listing(dir)).toEqual(before);
    const last = readJson(metricsFiles(dir).at(-1)!.file).metrics;
    expect(report.legacy).toMatchObject({ runner: 'python' });
    expect(report.status).toBe('interrupted');
    expect(report.measurements).toMatchObject({ total_tokens: last.total_tokens, lines_of_code: last.lines_of_code, tool_calls: null, input_tokens: null });
    const empty = checkpointFiles(dir).filter((c) => c.size === 0).map((c) => c.name.replace(/\.json$/, ''));
    expect(report.reliability.checkpoints).toBe(checkpointFiles(dir).length);
    expect(report.reliability.checkpoints_invalid.map((c) => c.id)).toEqual(empty);
    // A legacy checkpoint holds no files or checksums: nothing verifies, so the criterion is not judged (it passed on nothing).
    expect(report.reliability.checkpoints_valid).toBeNull();
    expect(report.criteria.find((c) => c.id === 'checkpoints_valid')).toBeUndefined();
    expect(report.criteria_not_judged?.find((c) => c.id === 'checkpoints_valid')?.reason).toMatch(/no files or checksums to verify/);
    // the original runner never told a fatal error from another: not judged, and out of the verdict
    expect(report.criteria.find((c) => c.id === 'no_fatal_errors')).toBeUndefined();
    expect(report.criteria_not_judged?.find((c) => c.id === 'no_fatal_errors')?.reason).toMatch(/did not tell a fatal error/);
    // Its tasks_remaining is the 0 test_runner.py wrote and never updated: no backlog share is judged on it.
    expect(last.tasks_remaining).toBe(0);
    expect(report.measurements.tasks_total).toBeNull();
    expect(report.criteria.find((c) => c.id === 'tasks_completed')).toBeUndefined();
    expect(report.criteria_not_judged?.find((c) => c.id === 'tasks_completed')?.reason).toMatch(/record no task counts/);
    const md = renderMarkdown(report);
    expect(md).toContain('Legacy run');
    expect(md).toContain(`checkpoints/${empty[0]}.json`);
    expect(md).toMatch(/\| Every checkpoint verifies \| critical \| not judged \|/);
    expect(md).toMatch(new RegExp(`- checkpoints: ${checkpointFiles(dir).length} \\(none verifiable: they hold no files or checksums\\); ${empty[0]} invalid: `));
    expect(md).toMatch(/\| tool calls \| not recorded \|/);
    // Its files name no agent: said so, not a table of no rows.
    expect(report.agents).toEqual([]);
    expect(md).toMatch(/## Agents\n\nNo agent recorded: the original runner's files name none\.\n/);
    expect(md).not.toContain('| agent | role |');
  });

  it('bash-complete: session, status and duration from config.json and final_report.json', async () => {
    const dir = path.join(runs, 'bash-complete');
    const config = readJson(path.join(dir, 'config.json'));
    const final = readJson(path.join(dir, 'final_report.json'));
    const report = await buildReport(dir);
    expect(report).toMatchObject({ session_id: config.session_id, project: config.project_type, status: final.status, exit_code: final.exit_code });
    expect(report.elapsed_seconds).toBe((Date.parse(final.completed_at) - Date.parse(config.started_at)) / 1000);
    expect(report.configured_duration_seconds).toBe(config.duration_hours * 3600);
    expect(report.measurements.total_tokens).toBeNull();
  });
});

describe('damage that lost nothing', () => {
  it("a count the Bash runner wrote as two lines is listed, but read whole: the event log criterion passes, the run exits 0", async () => {
    const dir = path.join(runs, 'bash-complete');
    const file = path.join(dir, 'final_report.json');
    // the shell fallback's quirk docs/legacy.md describes: `"checkpoints_created": 0` then a line `0`
    writeFileSync(file, readFileSync(file, 'utf8').replace(/("checkpoints_created": )\d+,/, '$10\n0,'));
    const report = await buildReport(dir);
    expect(report.status).toBe('completed');
    expect(report.legacy!.damage).toEqual([expect.objectContaining({ file: 'final_report.json', recovered: true })]);
    expect(report.criteria.find((c) => c.id === 'no_event_loss')).toMatchObject({ passed: true });
    expect(reportExitCode(report)).toBe(0);
    expect(renderMarkdown(report)).toMatch(/written as two lines .*the first number is read \(nothing lost\)/);
    // a file that lost its fields still counts
    writeFileSync(path.join(dir, 'metrics_current.json'), '{"timestamp": "2026-03-06T01:59:00-05:00", "elapsed_sec');
    const lost = await buildReport(dir);
    expect(lost.criteria.find((c) => c.id === 'no_event_loss')).toMatchObject({ passed: false });
    expect(reportExitCode(lost)).toBe(1);
  });
});

describe('status of a legacy run', () => {
  it('reads the converted fold: the figures of the last snapshot, the legacy runner named, no resume hint', async () => {
    const dir = path.join(runs, 'python-complete');
    const logs: string[] = [];
    const errors: string[] = [];
    const out = { log: (s: string) => logs.push(s), error: (s: string) => errors.push(s) };
    expect(await runControlCommand('status', { session: dir, runsDir: runs, json: true }, out)).toBe(0);
    const view = JSON.parse(logs.join('\n'));
    const last = readJson(metricsFiles(dir).at(-1)!.file).metrics;
    const final = readJson(path.join(dir, 'final_report.json'));
    expect(view).toMatchObject({ session_id: 'python-complete', status: final.status, legacy: 'python', running: false });
    expect(view.metrics).toMatchObject({ total_tokens: last.total_tokens, lines_of_code: last.lines_of_code, errors_encountered: final.errors, tool_calls: null });
    expect(view.last_checkpoint.id).toBe(checkpointFiles(dir).map((c) => c.name.replace(/\.json$/, '')).sort().at(-1));
    logs.length = 0;
    expect(await runControlCommand('status', { session: path.join(runs, 'python-killed'), runsDir: runs }, out)).toBe(0);
    expect(errors).toEqual([]);
    // The exit code the run's conversion ends it with (a killed run: interrupted), as the report and ls give it.
    const killed = (await foldRunFolder(path.join(runs, 'python-killed'))).state.ended;
    expect(killed).not.toBeNull();
    expect(logs.join('\n')).toMatch(new RegExp(`status\\s+interrupted, exit code ${killed!.exitCode}\\s+\\(a legacy run, read from its files\\)`));
    expect(logs.join('\n')).toMatch(/tool calls n\/a/);
  });
});

describe('the console header of a legacy run', () => {
  it('shows the tokens its runner recorded (the last snapshot), or n/a when it recorded none', async () => {
    const header = async (name: string) => {
      const dir = path.join(runs, name);
      // As the console folds it: its header model takes the console's state.
      const run = applyEvents(initialConsoleState(), (await convertLegacyRun(dir)).events);
      return headerModel(run, { nowMs: Date.now(), runDir: dir });
    };
    const last = readJson(metricsFiles(path.join(runs, 'python-complete')).at(-1)!.file).metrics;
    expect((await header('python-complete')).countsText).toMatch(new RegExp(`^\\d+ err  ${formatCount(last.total_tokens).replace('.', '\\.')} tok `));
    // The Bash runner recorded neither tokens nor errors: n/a, not 0.
    expect((await header('bash-complete')).countsText).toMatch(/^n\/a err  n\/a tok /);
  });
});
