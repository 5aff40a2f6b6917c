// CheckpointStore.blobsNamedBy, what a branch links: the blobs of the
// checkpoints that read (their files' and their folder listings'), found by
// going through each shared listing once instead of expanding every
// manifest. It must name exactly what list() finds in the checkpoints it
// calls valid, whatever is damaged.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ListingCache } from '../../src/checkpoint/listingBlobs.js';
import { CheckpointStore, type CheckpointBody, type FileEntry } from '../../src/checkpoint/store.js';

let runDir: string;
let project: string;
let checkpoints: string;

beforeEach(() => {
  runDir = mkdtempSync(path.join(tmpdir(), 'megatest-named-'));
  project = path.join(runDir, 'project');
  checkpoints = path.join(runDir, 'checkpoints');
  mkdirSync(project);
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(runDir, { recursive: true, force: true });
});

function put(relative: string, content: string): void {
  mkdirSync(path.dirname(path.join(project, relative)), { recursive: true });
  writeFileSync(path.join(project, relative), content);
}

function bodyFor(entries: FileEntry[]): Omit<CheckpointBody, 'id'> {
  return {
    timestamp: '2025-01-01T00:00:00.000Z',
    session_id: 'named',
    phase: 'development',
    phase_index: 1,
    trigger: 'forced',
    last_event_seq: 1,
    elapsed_seconds: 1,
    agent_states: [],
    working_memory: {},
    file_system_state: { root: 'project', excluded: [], entries },
    test_results: null,
    metrics: null,
    git_commit: null,
  };
}

/** Five checkpoints of a project of nested folders, a few files changed before each; the sha256 of each one's root listing. */
async function fiveCheckpoints(store: CheckpointStore): Promise<string[]> {
  for (let a = 0; a < 3; a += 1) for (let b = 0; b < 3; b += 1) for (let c = 0; c < 4; c += 1) put(`pkg${a}/mod${b}/file${c}.js`, `export const v = ${a}${b}${c};\n`);
  put('link-target.txt', 'same in every checkpoint\n');
  const roots: string[] = [];
  for (let round = 1; round <= 5; round += 1) {
    if (round > 1) {
      put(`pkg${round % 3}/mod${round % 2}/file${round % 4}.js`, `export const v = 'round ${round}';\n`);
      put(`pkg${round % 3}/new/round${round}.js`, `// added in round ${round}\n`);
    }
    const snapshot = await store.snapshot(project);
    const { id } = await store.write(bodyFor(snapshot.entries));
    const file = JSON.parse(readFileSync(path.join(checkpoints, `${id}.json`), 'utf8')) as { body: CheckpointBody };
    roots.push(file.body.file_system_state.tree as string);
  }
  return roots;
}

/** What list() finds in the valid checkpoints among ids: their files' blobs and their listings (those also apart). */
async function namedByList(ids: readonly string[]): Promise<Set<string> & { listings: Set<string> }> {
  const named = Object.assign(new Set<string>(), { listings: new Set<string>() });
  for (const listing of await new CheckpointStore(checkpoints).list()) {
    if (!listing.valid || !ids.includes(listing.id)) continue;
    for (const entry of listing.body!.file_system_state.entries) if (entry.type === 'file') named.add(entry.sha256!);
    for (const sha256 of listing.listings!) {
      named.add(sha256);
      named.listings.add(sha256);
    }
  }
  return named;
}

describe('CheckpointStore.blobsNamedBy', () => {
  it('names what list() finds in the valid checkpoints, reading each listing once', async () => {
    await fiveCheckpoints(new CheckpointStore(checkpoints));
    const ids = ['checkpoint_001', 'checkpoint_002', 'checkpoint_003', 'checkpoint_004'];
    const expected = await namedByList(ids);
    const withTheFifth = await namedByList([...ids, 'checkpoint_005']);
    const reads = vi.spyOn(ListingCache.prototype, 'read');
    const named = await new CheckpointStore(checkpoints).blobsNamedBy(ids);
    expect([...named].sort()).toEqual([...expected].sort());
    // Not checkpoint_005's: its new file and the listings on its path to the root.
    expect(named.size).toBeLessThan(withTheFifth.size);
    // Each listing of the four read once: the walk does not go into a folder it has been through.
    const listingsRead = reads.mock.calls.map(([, sha256]) => sha256);
    expect(listingsRead.sort()).toEqual([...expected.listings].sort());
  });

  it('leaves out a checkpoint whose file or listing is damaged, keeping what the others share with it', async () => {
    const roots = await fiveCheckpoints(new CheckpointStore(checkpoints));
    // checkpoint_002: its body altered (checksum mismatch); checkpoint_004: its root listing gone.
    const second = path.join(checkpoints, 'checkpoint_002.json');
    writeFileSync(second, readFileSync(second, 'utf8').replace('"last_event_seq": 1', '"last_event_seq": 2'));
    unlinkSync(new CheckpointStore(checkpoints).blobPath(roots[3]!));
    const ids = ['checkpoint_001', 'checkpoint_002', 'checkpoint_003', 'checkpoint_004', 'checkpoint_005'];
    const listed = await new CheckpointStore(checkpoints).list();
    expect(listed.map((listing) => listing.valid)).toEqual([true, false, true, false, true]);
    const named = await new CheckpointStore(checkpoints).blobsNamedBy(ids);
    expect([...named].sort()).toEqual([...(await namedByList(ids))].sort());
    expect(named.has(roots[3]!)).toBe(false);
    // The file checkpoint_004 added and checkpoint_005 still has is named (by checkpoint_005).
    expect(named.has(roots[4]!)).toBe(true);
  });
});
