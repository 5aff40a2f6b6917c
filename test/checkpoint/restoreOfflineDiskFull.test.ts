// `megatest restore DIR --checkpoint ID --yes` (and `--to OUTDIR`) on a run
// whose disk is full: one line naming the checkpoint and the refused write,
// exit 1, project/ as it was (the restore stages every file before it
// changes any), and the restore done once there is room. Before, the person
// got "megatest: Error: ENOSPC…" and a stack trace. Through the built CLI, on
// a run folder made here with the checkpoint store on a small tmpfs.

import { mkdirSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { fingerprintTree as fingerprint, testBody } from '../helpers/checkpointTree.js';
import { BUILT, runCli } from '../helpers/cli.js';
import { suiteTmpfs } from '../helpers/tmpfs.js';

const disk = suiteTmpfs(4, 'megatest-offline-diskfull-');
const skip = disk.skip || (BUILT ? '' : 'dist/ is not built (npm run build)');

let made: string[] = [];
afterEach(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made = [];
});

/** A finished run on the tmpfs with one checkpoint of `fileCount` files, then project/ emptied of them: what a restore writes back. */
async function runWithCheckpoint(fileCount: number, fileBytes: number): Promise<{ runDir: string; project: string; id: string }> {
  const runDir = path.join(disk.dir, 'run');
  made.push(runDir);
  const project = path.join(runDir, 'project');
  mkdirSync(path.join(project, 'src'), { recursive: true });
  writeFileSync(path.join(runDir, 'config.json'), '{"session_id":"run"}\n');
  writeFileSync(path.join(runDir, 'status'), 'completed\n');
  writeFileSync(path.join(runDir, 'session.log'), '');
  for (let index = 0; index < fileCount; index += 1) writeFileSync(path.join(project, 'src', `f${index}.bin`), randomBytes(fileBytes));
  const store = new CheckpointStore(path.join(runDir, 'checkpoints'));
  const { written } = await store.checkpoint(project, (taken) => testBody(taken.entries));
  rmSync(path.join(project, 'src'), { recursive: true });
  writeFileSync(path.join(project, 'later.txt'), 'written after the checkpoint\n');
  return { runDir, project, id: written.id };
}

/** Fills the tmpfs until about `leftBytes` are free; the filler's path. */
function fillLeaving(leftBytes: number): string {
  const filler = path.join(disk.dir, 'filler');
  made.push(filler);
  const stats = statfsSync(disk.dir);
  writeFileSync(filler, Buffer.alloc(Math.max(0, stats.bavail * stats.bsize - leftBytes)));
  return filler;
}

describe.skipIf(skip !== '')(`an offline restore on a full disk${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('says in one line which checkpoint was not restored and why, exits 1, leaves project/ as it was, and restores once there is room', async () => {
    const fileCount = 8;
    const fileBytes = 64 * 1024;
    const { runDir, project, id } = await runWithCheckpoint(fileCount, fileBytes);
    const before = fingerprint(project);
    // Room for a file or two of the eight the restore stages.
    const filler = fillLeaving(fileBytes * 2);

    const refused = await runCli(['restore', runDir, '--checkpoint', id, '--yes']);
    expect(refused.code, refused.stderr).toBe(1);
    const lines = refused.stderr.trim().split('\n');
    expect(lines, refused.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^megatest restore: ${id} not restored: the disk refused a write \\(ENOSPC`));
    expect(lines[0]).toContain(project);
    expect(fingerprint(project)).toEqual(before);

    const exported = path.join(disk.dir, 'exported');
    made.push(exported);
    const refusedExport = await runCli(['restore', runDir, '--checkpoint', id, '--to', exported, '--json']);
    expect(refusedExport.code, refusedExport.stderr).toBe(1);
    expect(refusedExport.stderr.trim().split('\n'), refusedExport.stderr).toHaveLength(1);
    expect(refusedExport.stderr).toMatch(new RegExp(`^megatest restore: ${id} not written to ${exported}: the disk refused a write \\(ENOSPC`));
    expect(JSON.parse(refusedExport.stdout)).toMatchObject({ ok: false, exit_code: 1 });
    expect(readdirSync(disk.dir).filter((name) => name.includes('exported'))).toEqual([]);

    rmSync(filler);
    const restored = await runCli(['restore', runDir, '--checkpoint', id, '--yes']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(readdirSync(path.join(project, 'src'))).toHaveLength(fileCount);
    expect(readdirSync(project).sort()).toEqual(['src']);
  }, 240_000);
});
