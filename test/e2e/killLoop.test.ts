// A running sim session is killed with SIGKILL at 20 random instants, each
// followed by `megatest resume`, until it completes. The run folder must come
// out whole: no torn JSON, every checkpoint verifies, events contiguous, the
// report counting the restores, and no agent of a killed orchestrator left.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { readControlFile } from '../../src/io/sessions.js';
import {
  agentPidsOf,
  BUILT,
  eventsOf,
  readEvents,
  readReport,
  readStatusWord,
  removeDir,
  runCli,
  runHeadless,
  sessionArgs,
  tempRunsDir,
  waitFor,
  type RunningCli,
} from '../helpers/cli.js';

const KILLS = 20;
const STATUS_WORDS = ['starting', 'running', 'paused', 'recovering', 'completed', 'failed', 'interrupted', 'timeout'];

/** Every .json / .jsonl file under dir (not .git, not the hidden temp files of atomic writes). */
function jsonFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === '.git' || name === 'node_modules' || name === 'objects') continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) found.push(...jsonFiles(full));
    else if (/\.jsonl?$/.test(name) && !name.startsWith('.')) found.push(full);
  }
  return found;
}

/** Seeded so a failure can be replayed: MEGATEST_KILL_SEED=… npx vitest run test/e2e/killLoop.test.ts */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

describe.skipIf(!BUILT)('kill loop: SIGKILL at 20 random instants, megatest resume after each (needs npm run build)', () => {
  const runsDir = tempRunsDir('megatest-killloop-');
  const runDir = path.join(runsDir, 'kill-loop');
  const seed = Number(process.env.MEGATEST_KILL_SEED ?? Date.now() % 1_000_000);
  const random = seededRandom(seed);
  afterAll(() => removeDir(runsDir));

  it(`survives ${KILLS} kills and completes (seed ${seed})`, async () => {
    let current: RunningCli = runHeadless(sessionArgs(runsDir, 'kill-loop', 'killloop.toml', ['--agents', '3', '--duration', '40s']), { timeoutMs: 560_000 });
    let kills = 0;
    let refusedWhileAlive = false;
    let final = null as Awaited<RunningCli['done']> | null;
    while (final === null) {
      const child = current;
      const exited = { value: false };
      void child.done.then(() => (exited.value = true));
      await waitFor(() => exited.value || readControlFile(runDir)?.pid === child.child.pid, 'the orchestrator to write control.json', 120_000, 20);
      // The random instant is counted from the resume's own record (its restore is written with it), not from
      // the process start: a kill before the resume is recorded would leave nothing to check it by.
      const resumesRecorded = () => eventsOf(readEvents(runDir), 'command').filter((e) => e.name === 'resume').length;
      if (kills > 0) await waitFor(() => exited.value || resumesRecorded() >= kills, 'the resume to be recorded in events.jsonl', 60_000, 20);
      if (!refusedWhileAlive && !exited.value) {
        // resume refuses a session whose orchestrator is alive
        const refused = await runCli(['resume', runDir, '--headless']);
        expect(refused.code).toBe(2);
        expect(refused.stderr).toMatch(/still running/);
        refusedWhileAlive = true;
      }
      if (kills < KILLS && !exited.value) {
        const delay = 300 + random() * 1700;
        await new Promise((resolve) => setTimeout(resolve, delay)); // the random kill instant is the point of the test
      }
      if (kills >= KILLS || exited.value) {
        final = await child.done;
        break;
      }
      child.child.kill('SIGKILL');
      const result = await child.done;
      if (result.signal !== 'SIGKILL') {
        final = result; // it finished just before the kill
        break;
      }
      kills += 1;
      expect(STATUS_WORDS).toContain(readStatusWord(runDir));
      current = runHeadless(['resume', runDir, '--headless'], { timeoutMs: 560_000 });
    }

    expect(kills).toBe(KILLS);
    expect([0, 1, 124], `exit ${final.code}: ${final.stderr.slice(-2000)}`).toContain(final.code);
    expect(['completed', 'timeout']).toContain(readStatusWord(runDir));

    // No torn JSON anywhere in the run folder.
    for (const file of jsonFiles(runDir)) {
      const text = readFileSync(file, 'utf8');
      if (file.endsWith('.jsonl')) {
        expect(text === '' || text.endsWith('\n'), `${file} ends mid-line`).toBe(true);
        for (const line of text.split('\n').filter(Boolean)) expect(() => JSON.parse(line), `${file}: ${line.slice(0, 120)}`).not.toThrow();
      } else {
        expect(() => JSON.parse(text), file).not.toThrow();
      }
    }

    // Every checkpoint verifies (checksum, manifest, every blob read back against its sha256).
    // How many there are depends on how fast a loaded machine lets the sims work between kills;
    // what must hold is that each one the events announce is there, and none is broken.
    const listing = await new CheckpointStore(path.join(runDir, 'checkpoints')).verifyAll();
    for (const entry of listing) expect(entry.usable, `${entry.id}: ${entry.reason}`).toBe(true);
    const announced = eventsOf(readEvents(runDir), 'checkpoint_created').map((c) => c.id);
    expect(announced.length).toBeGreaterThan(0);
    expect(listing.map((entry) => entry.id)).toEqual(expect.arrayContaining(announced));

    // Events contiguous; rolled-back events kept and marked.
    const events = readEvents(runDir);
    events.forEach((event, index) => expect(event.seq).toBe(index + 1));
    expect(eventsOf(events, 'session_started')).toHaveLength(1);
    expect(events.at(-1)?.type).toBe('session_ended');
    const resumes = eventsOf(events, 'command').filter((e) => e.name === 'resume');
    expect(resumes).toHaveLength(KILLS);
    const restores = eventsOf(events, 'checkpoint_restored');
    for (const restore of restores) expect(restore.rolled_back_after_seq).toBeLessThan(restore.seq);
    // Each resume that had a checkpoint to go back to restored one.
    const firstCheckpointSeq = eventsOf(events, 'checkpoint_created')[0]?.seq ?? Number.POSITIVE_INFINITY;
    const resumesWithCheckpoint = resumes.filter((r) => r.seq > firstCheckpointSeq).length;
    expect(restores.length).toBeGreaterThanOrEqual(resumesWithCheckpoint);

    // The report counts them; metrics history went on across the restarts.
    const report = readReport(runDir);
    expect(report.reliability.restores).toBe(restores.length);
    expect(report.reliability.resumes).toBe(resumes.length);
    expect(readFileSync(path.join(runDir, 'final_report.md'), 'utf8')).toContain(`- resumes: ${resumes.length} (`);
    const history = readFileSync(path.join(runDir, 'metrics', 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(history.length).toBeGreaterThan(KILLS);

    // No agent of any killed orchestrator is left running.
    await waitFor(() => agentPidsOf(runDir).length === 0, 'every agent of the run to exit', 60_000);
  }, 600_000);
});
