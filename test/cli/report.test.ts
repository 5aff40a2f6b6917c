// `megatest report DIR`: rebuilds and writes a finished run's final report;
// a running session's is printed as of now and nothing is written (its
// orchestrator writes the final report when the run ends).

import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordedRunFolder } from '../legacy/legacyFixtures.js';
import { captureCli } from './captureCli.js';

const runs = mkdtempSync(path.join(tmpdir(), 'megatest-report-cli-'));
afterAll(() => rmSync(runs, { recursive: true, force: true }));
const reportFiles = (dir: string) => readdirSync(dir).filter((name) => name.startsWith('final_report') || name === 'junit.xml').sort();

describe('megatest report', () => {
  it('writes the report files of a run nobody runs', async () => {
    const dir = recordedRunFolder(runs, 'ended');
    const result = await captureCli(['report', dir]);
    expect(result.stdout).toMatch(/^# megatest report — /);
    expect(result.stderr).toBe('');
    expect(reportFiles(dir)).toEqual(['final_report.json', 'final_report.md', 'junit.xml']);
  });

  it('prints a running session\'s report as of now and writes nothing into its folder', async () => {
    const dir = recordedRunFolder(runs, 'going');
    // Its orchestrator: a process that is alive (this one).
    writeFileSync(path.join(dir, 'control.json'), JSON.stringify({ pid: process.pid, host: '127.0.0.1', port: 1, started_at: new Date().toISOString() }));
    const result = await captureCli(['report', dir, '--format', 'json']);
    expect((JSON.parse(result.stdout) as { session_id: string }).session_id).toBeTruthy();
    expect(result.stderr.trim()).toBe(`megatest report: the session in ${dir} is still running: this is the report as of now, printed only; its orchestrator writes final_report.* when the run ends`);
    expect(reportFiles(dir)).toEqual([]);
    expect(existsSync(path.join(dir, 'final_report.json'))).toBe(false);
  });
});
