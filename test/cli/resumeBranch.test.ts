// `megatest resume DIR` on a finished run branches: a short sim session runs
// to its end, then is resumed from its first checkpoint with another model.
// The branch `<id>-from-<K>` starts with a session_started naming its origin,
// carries the original's events up to the checkpoint byte for byte, goes on
// to its own end; the original folder stays byte-identical throughout.
// Everything keys on the processes ending and on the events they wrote.

import { createHash } from 'node:crypto';
import { cpSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CheckpointStore } from '../../src/checkpoint/store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT, eventsOf, readEvents, readStatusWord, removeDir, runCli, runHeadless, sessionArgs, tempRunsDir, type CliResult } from '../helpers/cli.js';

const BRISK = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'brisk.toml');
const FINISHED = ['completed', 'failed', 'timeout'];
/** Deadlines only for a stuck process: a loaded machine may slow a 20 s session a lot. */
const STUCK_MS = 400_000;

/** path -> "mode sha256" of every file and "dir mode" of every folder under root (a walk written for the test). */
function fingerprint(root: string): Record<string, string> {
  const found: Record<string, string> = {};
  const visit = (relative: string): void => {
    for (const name of readdirSync(path.join(root, relative)).sort()) {
      const child = relative === '' ? name : `${relative}/${name}`;
      const stats = lstatSync(path.join(root, child));
      const mode = (stats.mode & 0o7777).toString(8);
      if (stats.isDirectory()) {
        found[child] = `dir ${mode}`;
        visit(child);
      } else if (stats.isFile()) {
        found[child] = `${mode} ${createHash('sha256').update(readFileSync(path.join(root, child))).digest('hex')}`;
      } else {
        found[child] = `other ${mode}`;
      }
    }
  };
  visit('');
  return found;
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
}

describe.skipIf(!BUILT)(`megatest resume of a finished run branches${BUILT ? '' : ' (skipped: dist/ is not built; npm run build)'}`, () => {
  let runsDir: string;
  let original: string;
  let branch: string;
  let before: Record<string, string>;
  let originalRun: CliResult;
  let branchRun: CliResult;

  beforeAll(async () => {
    runsDir = tempRunsDir('megatest-branch-');
    original = path.join(runsDir, 'orig');
    branch = path.join(runsDir, 'orig-from-1');
    originalRun = await runHeadless(sessionArgs(runsDir, 'orig', BRISK, ['--duration', '20s']), { timeoutMs: STUCK_MS }).done;
    before = fingerprint(original);
    branchRun = await runHeadless(['resume', original, '--checkpoint', 'checkpoint_001', '--model', 'branch-model', '--headless'], { timeoutMs: STUCK_MS }).done;
  }, 2 * STUCK_MS + 60_000);
  afterAll(() => removeDir(runsDir));

  it('the original ran to its end and was left byte-identical by the branch', () => {
    expect(originalRun.signal).toBeNull();
    expect(FINISHED).toContain(readStatusWord(original));
    expect(eventsOf(readEvents(original), 'checkpoint_created').map((e) => e.id)).toContain('checkpoint_001');
    expect(fingerprint(original)).toEqual(before);
  });

  it('the branch continues in <id>-from-<K> from a session_started that names its origin', () => {
    expect(branchRun.signal).toBeNull();
    expect(branchRun.stdout).toContain(`branching orig (${readStatusWord(original)}) from checkpoint_001 into ${branch}`);
    const events = readEvents(branch);
    const start = events[0]!;
    expect(start.type).toBe('session_started');
    expect(start).toMatchObject({ seq: 1, session_id: 'orig-from-1', resumed_from: { run: 'orig', checkpoint: 'checkpoint_001' } });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, index) => index + 1));
    expect(eventsOf(events, 'session_started')).toHaveLength(1);

    // the original's history up to checkpoint_001, copied byte for byte after the rewritten first line
    const originalLines = lines(path.join(original, 'events.jsonl'));
    const branchLines = lines(path.join(branch, 'events.jsonl'));
    const cut = originalLines.findIndex((line) => line.includes('"type":"checkpoint_created"') && line.includes('"id":"checkpoint_001"'));
    expect(cut).toBeGreaterThan(0);
    expect(branchLines.slice(1, cut + 1)).toEqual(originalLines.slice(1, cut + 1));

    // then its own: the resume, the restore of checkpoint_001, agents on the new model, and an end
    const own = events.slice(cut + 1);
    expect(own[0]).toMatchObject({ type: 'command', name: 'resume', source: 'cli' });
    expect(eventsOf(own, 'checkpoint_restored')[0]).toMatchObject({ id: 'checkpoint_001' });
    const started = eventsOf(own, 'agent_started');
    expect(started.length).toBeGreaterThanOrEqual(2);
    expect(new Set(started.map((e) => e.model))).toEqual(new Set(['branch-model']));
    expect(events.at(-1)?.type).toBe('session_ended');
    expect(FINISHED).toContain(readStatusWord(branch));
    expect(existsJson(path.join(branch, 'final_report.json'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(branch, 'final_report.json'), 'utf8'))).toMatchObject({ branched_from: { run: 'orig', checkpoint: 'checkpoint_001' } });

    const info = JSON.parse(readFileSync(path.join(branch, 'config.json'), 'utf8')) as { session_id: string; simulated: boolean; config: { agents: { models: string[] } } };
    expect(info).toMatchObject({ session_id: 'orig-from-1', simulated: true });
    expect(info.config.agents.models).toEqual(['branch-model']);
  });

  it("the branch shares the original's blobs by hard link, and its checkpoints verify", async () => {
    expect(readFileSync(path.join(branch, 'checkpoints', 'checkpoint_001.json'))).toEqual(readFileSync(path.join(original, 'checkpoints', 'checkpoint_001.json')));
    // the files' blobs and the folder listings (the manifest) alike
    const checkpoint = await new CheckpointStore(path.join(branch, 'checkpoints')).read('checkpoint_001');
    const shared = [...checkpoint.body.file_system_state.entries.filter((e) => e.type === 'file').map((e) => e.sha256!), ...checkpoint.listings];
    expect(checkpoint.listings.length).toBeGreaterThan(0);
    for (const sha256 of shared) {
      const relative = path.join('checkpoints', 'objects', sha256.slice(0, 2), sha256.slice(2));
      expect(statSync(path.join(branch, relative)).ino).toBe(statSync(path.join(original, relative)).ino);
    }
    const verify = await runCli(['checkpoints', 'verify', branch], { timeoutMs: STUCK_MS });
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^checkpoint_001 {2}usable/m);
  });

  it('branching again from the same checkpoint is refused (exit 2), and --model on an unfinished run too', async () => {
    const again = await runCli(['resume', original, '--checkpoint', 'checkpoint_001', '--headless'], { timeoutMs: STUCK_MS });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/orig-from-1 already exists/);
    expect(fingerprint(original)).toEqual(before);

    const interrupted = path.join(runsDir, 'interrupted-copy');
    cpSync(original, interrupted, { recursive: true });
    writeFileSync(path.join(interrupted, 'status'), 'interrupted\n');
    const copyBefore = fingerprint(interrupted);
    const refused = await runCli(['resume', interrupted, '--model', 'other', '--headless'], { timeoutMs: STUCK_MS });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--agent, --agent-cmd and --model are for a finished run/);
    expect(fingerprint(interrupted)).toEqual(copyBefore);
  });
});

function existsJson(file: string): boolean {
  try {
    JSON.parse(readFileSync(file, 'utf8'));
    return true;
  } catch {
    return false;
  }
}
