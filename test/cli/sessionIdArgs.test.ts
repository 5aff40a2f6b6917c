// `ls` prints session ids, and status, compare and restore take them: report,
// replay, resume and checkpoints verify take them too (a path still wins).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordedRunFolder } from '../legacy/legacyFixtures.js';
import { captureCli } from './captureCli.js';

const runs = mkdtempSync(path.join(tmpdir(), 'megatest-session-id-'));
const dir = recordedRunFolder(runs, 'by-id');
afterAll(() => rmSync(runs, { recursive: true, force: true }));

describe('a session id where a run folder is asked for', () => {
  it('report, replay and checkpoints verify read the run of that id under --runs-dir', async () => {
    const report = await captureCli(['report', 'by-id', '--runs-dir', runs, '--format', 'json']);
    expect(report.code, report.stderr).toBe(0);
    expect((JSON.parse(report.stdout) as { session_id: string }).session_id).toBeTruthy();
    const frame = await captureCli(['replay', 'by-id', '--runs-dir', runs, '--frame']);
    expect(frame.code, frame.stderr).toBe(0);
    expect(frame.stdout).toMatch(/replay/);
    const verify = await captureCli(['checkpoints', 'verify', 'by-id', '--runs-dir', runs]);
    expect(verify.stderr).not.toMatch(/no such folder/);
    expect(verify.stdout + verify.stderr).toContain(dir);
  });

  it('resume finds the run by its id (and says what it finds there, not "no such folder")', async () => {
    const resume = await captureCli(['resume', 'by-id', '--runs-dir', runs, '--headless']);
    expect(resume.stderr).not.toMatch(/no such folder/);
    expect(resume.stderr).toContain(dir);
  });

  it('an id that is no run is still said in one line, exit 2', async () => {
    const missing = await captureCli(['report', 'no-such-run', '--runs-dir', runs]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('megatest report: no-such-run: no such folder\n');
  });
});
