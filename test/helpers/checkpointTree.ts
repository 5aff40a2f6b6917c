// What checkpoint tests share: a checkpoint body around a manifest, and a
// fingerprint of a folder by a walk written for the tests (not the store's),
// to compare a tree before and after a restore.

import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CheckpointBody, FileEntry } from '../../src/checkpoint/store.js';

/** A checkpoint body of fixed, plain values around the manifest entries. */
export function testBody(entries: FileEntry[]): Omit<CheckpointBody, 'id'> {
  return {
    timestamp: '2025-01-01T00:00:00.000Z',
    session_id: 'session-test',
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

/** path -> "type mode sha256-of-content" of every folder and file under root. */
export function fingerprintTree(root: string): Record<string, string> {
  const found: Record<string, string> = {};
  const visit = (relative: string): void => {
    for (const name of readdirSync(path.join(root, relative)).sort()) {
      const child = relative === '' ? name : `${relative}/${name}`;
      const stats = lstatSync(path.join(root, child));
      const mode = (stats.mode & 0o7777).toString(8);
      if (stats.isDirectory()) {
        found[child] = `dir ${mode}`;
        visit(child);
      } else {
        found[child] = `file ${mode} ${createHash('sha256').update(readFileSync(path.join(root, child))).digest('hex')}`;
      }
    }
  };
  visit('');
  return found;
}

/** Blob files under objects/, as sha256s (fan-out folder + name). */
export function blobFiles(checkpointsDir: string): Set<string> {
  const found = new Set<string>();
  const objects = path.join(checkpointsDir, 'objects');
  if (!existsSync(objects)) return found;
  for (const entry of readdirSync(objects, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && /^[0-9a-f]{62}$/.test(entry.name)) found.add(path.basename(entry.parentPath) + entry.name);
  }
  return found;
}
