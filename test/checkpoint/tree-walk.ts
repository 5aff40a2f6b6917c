// A deliberately simple, synchronous walk used to judge the store: what is on
// disk, byte for byte, written independently of the store's own scanner.

import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { TreeScan } from '../../src/checkpoint/tree.js';

export type WalkedItem =
  | { type: 'dir'; mode: number }
  | { type: 'file'; mode: number; content: string }
  | { type: 'symlink'; target: string };

/** path -> item for everything under root except .git and node_modules folders. */
export function walkTree(root: string): Record<string, WalkedItem> {
  const found: Record<string, WalkedItem> = {};
  const visit = (relative: string): void => {
    for (const name of readdirSync(path.join(root, relative)).sort()) {
      if (name === '.git' || name === 'node_modules') continue;
      const child = relative === '' ? name : `${relative}/${name}`;
      const absolute = path.join(root, child);
      const stats = lstatSync(absolute);
      if (stats.isSymbolicLink()) {
        found[child] = { type: 'symlink', target: readlinkSync(absolute) };
      } else if (stats.isDirectory()) {
        found[child] = { type: 'dir', mode: stats.mode & 0o7777 };
        visit(child);
      } else if (stats.isFile()) {
        found[child] = { type: 'file', mode: stats.mode & 0o7777, content: readFileSync(absolute).toString('hex') };
      }
    }
  };
  visit('');
  return found;
}

/**
 * A scan as plain data, each item's stat fields read out: scanTree's items
 * read theirs where the walk's lstat left them, so two scans are compared by
 * what they hold, not by how they hold it.
 */
export function plainScan(scan: TreeScan): { items: unknown[]; excluded: string[] } {
  return {
    items: scan.items.map(({ path: relative, type, stats, target }) => ({
      path: relative,
      type,
      stats: { mode: stats.mode, size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs, ino: stats.ino },
      ...(target === undefined ? {} : { target }),
    })),
    excluded: scan.excluded,
  };
}
