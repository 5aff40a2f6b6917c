// All agents crash at the same moment (issue 11, item 5): one restore, not
// one per crash; every recovery that starts ends with an outcome; the report's
// counts are those outcomes. Then the report counts only checkpoints that
// verify (item 3): a bit flipped inside a blob makes every checkpoint that
// names it invalid, and `megatest checkpoints verify` sets the blob aside.
// Every fault keys on an event (each sim agent crashes when it is given the
// development phase, test/fixtures/recovery/burst.toml).

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { unpackBlobSync } from '../../../src/checkpoint/blobCodec.js';
import { CheckpointStore } from '../../../src/checkpoint/store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventOf, MegatestEvent } from '../../../src/contract/events.js';
import type { FinalReport } from '../../../src/report/report.js';
import {
  BUILT,
  eventsOf,
  readEvents,
  readReport,
  removeDir,
  runCli,
  runHeadless,
  sessionArgs,
  tempRunsDir,
  type CliResult,
  waitForEventWhileRunning,
} from '../../helpers/cli.js';

const AGENTS = 3;

/** Recoveries started and not ended, counted here: an outcome ends the oldest open start of its agent, action and attempt. */
function openRecoveries(events: MegatestEvent[]): EventOf<'recovery'>[] {
  const open: EventOf<'recovery'>[] = [];
  for (const r of eventsOf(events, 'recovery')) {
    if (r.outcome === 'started') {
      open.push(r);
      continue;
    }
    const i = open.findIndex((o) => o.agent === r.agent && o.action === r.action && o.attempt === r.attempt);
    if (i >= 0) open.splice(i, 1);
  }
  return open;
}

describe.skipIf(!BUILT)(`a burst crash of every agent${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const runsDir = tempRunsDir();
  const runDir = path.join(runsDir, 'burst');
  let result: CliResult;
  let events: MegatestEvent[];

  beforeAll(async () => {
    const run = runHeadless(sessionArgs(runsDir, 'burst', 'burst.toml', ['--agents', String(AGENTS), '--duration', '90s']), { timeoutMs: 200_000 });
    try {
      const restored = await waitForEventWhileRunning(run, runDir, 'checkpoint_restored', (r) => (r.reason ?? '').includes('agent_crash'), 150_000);
      // The restore's recovery ends when an agent makes progress again.
      await waitForEventWhileRunning(run, runDir, 'recovery', (r) => r.action === 'restore_checkpoint' && r.outcome !== 'started' && r.seq > restored.seq, 60_000);
      run.child.kill('SIGTERM');
      result = await run.done;
    } finally {
      run.child.kill('SIGKILL');
    }
    events = readEvents(runDir);
  }, 240_000);
  afterAll(() => removeDir(runsDir));

  it('restores once for all the crashes', () => {
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(130);
    const crashes = eventsOf(events, 'error').filter((e) => e.class === 'agent_crash');
    expect(crashes.length).toBeGreaterThanOrEqual(1);
    expect(crashes.length).toBeLessThanOrEqual(AGENTS);
    expect(eventsOf(events, 'checkpoint_restored')).toHaveLength(1);
    expect(eventsOf(events, 'recovery').filter((r) => r.action === 'restore_checkpoint' && r.outcome === 'started')).toHaveLength(1);
    // Each agent's crash fault fired (the sim says so in its log), whether it was seen as a crash or ended by the restore.
    for (let i = 1; i <= AGENTS; i += 1) {
      expect(readFileSync(path.join(runDir, 'agents', `agent-${i}`, 'output.log'), 'utf8')).toContain('SIMULATED fault agent_crash');
    }
  });

  it('ends every recovery that started with an outcome', () => {
    expect(openRecoveries(events)).toEqual([]);
    const restore = eventsOf(events, 'recovery').filter((r) => r.action === 'restore_checkpoint');
    expect(restore.map((r) => r.outcome)).toEqual(['started', 'succeeded']);
  });

  it('reports the outcomes as counted in the events', () => {
    const report = readReport(runDir);
    const outcomes = eventsOf(events, 'recovery').filter((r) => r.outcome !== 'started');
    expect(report.reliability.recoveries).toBe(outcomes.filter((r) => r.outcome === 'succeeded').length);
    expect(report.reliability.recoveries_failed).toBe(outcomes.filter((r) => r.outcome !== 'succeeded').length);
    expect(report.reliability.recoveries_started).toBe(eventsOf(events, 'recovery').filter((r) => r.outcome === 'started').length);
    expect(report.reliability.recoveries_open).toBe(0);
    expect(report.reliability.restores).toBe(1);
  });

  it('counts only checkpoints that verify, and verify sets the rotten blob aside', async () => {
    const checkpointsDir = path.join(runDir, 'checkpoints');
    const files = readdirSync(checkpointsDir).filter((name) => /^checkpoint_\d+\.json$/.test(name)).sort();
    const store = new CheckpointStore(checkpointsDir);
    const manifests: { type: string; sha256?: string }[][] = [];
    for (const name of files) manifests.push((await store.read(name.replace('.json', ''))).body.file_system_state.entries);
    const first = manifests[0]!.find((entry) => entry.type === 'file' && entry.sha256)!.sha256!;
    const naming = manifests.filter((entries) => entries.some((entry) => entry.sha256 === first)).length;
    expect(naming).toBeGreaterThanOrEqual(1);
    const blob = path.join(checkpointsDir, 'objects', first.slice(0, 2), first.slice(2));
    const content = unpackBlobSync(readFileSync(blob));
    content[0] ^= 0x01;
    writeFileSync(blob, gzipSync(content));

    const rebuilt = await runCli(['report', runDir, '--format', 'json']);
    expect(rebuilt.code, rebuilt.stderr).not.toBe(2);
    const report = JSON.parse(rebuilt.stdout) as FinalReport;
    expect(report.reliability.checkpoints).toBe(files.length);
    expect(report.reliability.checkpoints_valid).toBe(files.length - naming);

    const verified = await runCli(['checkpoints', 'verify', runDir]);
    expect(verified.code).toBe(1);
    expect(verified.stderr).toContain(`${files.length - naming} of ${files.length} ${files.length === 1 ? 'checkpoint' : 'checkpoints'} usable`);
    expect(verified.stderr).toMatch(/^1 corrupt blob moved to .*bad-blobs/m);
    expect(existsSync(blob)).toBe(false);
    expect(readdirSync(path.join(checkpointsDir, 'bad-blobs')).filter((name) => name.startsWith(first))).toHaveLength(1);
  });
});
