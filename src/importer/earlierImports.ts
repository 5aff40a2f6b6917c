// Run folders `megatest import` already made of the same recording. Importing
// a file twice made a second folder without a word: `ls` and `compare` then
// showed two runs (two session ids, so compare's "the same run given twice"
// note never came) where there was one recording. The import still goes on
// (a fresh import after an upgrade is a reason to do it again), and says so.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ImportKind } from './kinds.js';
import type { PinnedFile } from './pinnedFile.js';

interface RecordedFile {
  file?: unknown;
  bytes?: unknown;
}

/** The ids of the run folders under runsDir imported from these very files (same kind, paths, order and sizes). */
export function earlierImportsOf(runsDir: string, kind: ImportKind, files: readonly PinnedFile[]): string[] {
  let names: string[];
  try {
    names = readdirSync(runsDir);
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const name of names.sort()) {
    // hidden names are run folders still being made
    if (name.startsWith('.')) continue;
    let imported: { agent_kind?: unknown; files?: unknown } | undefined;
    try {
      imported = (JSON.parse(readFileSync(path.join(runsDir, name, 'config.json'), 'utf8')) as { imported?: typeof imported }).imported;
    } catch {
      continue; // not a run folder, or not one that can be read: nothing to say of it here
    }
    if (imported?.agent_kind !== kind || !Array.isArray(imported.files) || imported.files.length !== files.length) continue;
    const recorded = imported.files as RecordedFile[];
    if (files.every((f, i) => recorded[i]?.file === f.path && recorded[i]?.bytes === f.bytes)) found.push(name);
  }
  return found;
}
