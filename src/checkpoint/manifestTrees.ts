// A checkpoint's manifest, split per folder and content-addressed like git's
// trees (issue 13): each folder of project/ is a listing of its files (name,
// blob, size, mode), symlinks and sub-folders (name, mode, the sha256 of the
// sub-folder's listing). A listing is stored as a blob in objects/, its
// canonical JSON packed as a file's content is (blobCodec.ts) and named by the sha256 of that text, and a checkpoint
// file names only the root's. A folder that did not change gives the same
// text, the same name and no new blob: a checkpoint stores the listings of
// the folders that changed and of their parents, not the whole manifest
// again, and reading one back checks every listing against its name.
//
//   {"entries":[{"mode":420,"name":"a.js","sha256":"…","size":12,"type":"file"},
//               {"mode":493,"name":"src","tree":"…","type":"dir"},
//               {"mode":511,"name":"l","size":4,"target":"a.js","type":"symlink"}],
//    "format":"megatest-tree/1"}

import { assertNever } from '../contract/assertNever.js';
import { sha256Hex } from './canonical.js';
import { Breather, compareStrings, EXCLUDED_DIR_NAMES, SHA256_PATTERN } from './tree.js';
import type { FileEntry } from './types.js';

export const TREE_FORMAT = 'megatest-tree/1';

/**
 * A manifest expanded from listings stops beyond this many entries: listings
 * naming the same sub-folder under many names could otherwise multiply
 * without end.
 */
export const MAX_EXPANDED_ENTRIES = 5_000_000;

export type TreeItem =
  | { mode: number; name: string; sha256: string; size: number; type: 'file' }
  | { mode: number; name: string; tree: string; type: 'dir' }
  | { mode: number; name: string; size: number; target: string; type: 'symlink' };

export interface BuiltTrees {
  /** sha256 of the root folder's listing. */
  root: string;
  /** Every folder's listing text by its sha256, sub-folders before their parents. */
  listings: Map<string, Buffer>;
}

/** A listing that cannot be read back as what its name says, and the folder it lists ('' for the root). */
export class TreeListingError extends Error {
  constructor(
    readonly sha256: string,
    readonly folder: string,
    readonly problem: string,
  ) {
    super(`the listing of ${folder === '' ? 'the project folder' : `folder ${JSON.stringify(folder)}`} (blob ${sha256}) ${problem}`);
    this.name = 'TreeListingError';
  }
}

/**
 * What the last build of a store made of each folder: its items as plain
 * values (name, type, mode, size, and the blob, sub-listing or target), and
 * the listing's name and text. A folder whose items compare equal to these
 * takes the same listing without building its JSON or hashing it: at 50,000
 * files that was most of a no-change checkpoint's work after the walk. The
 * values are copies, so nothing a caller does to its entries later can make
 * a remembered listing stand for items it does not hold.
 */
export class TreeMemo {
  folders = new Map<string, RememberedFolder>();
}

/** A folder as the memo's build made it: VALUES_PER_ITEM values and the JSON text per item, and its listing. */
interface RememberedFolder {
  values: (string | number)[];
  parts: string[];
  sha256: string;
  text: Buffer;
}

/** Values per item kept by TreeMemo (name, type, mode, size, blob / sub-listing / target). */
const VALUES_PER_ITEM = 5;

/** A manifest that cannot be stored as listings: manifestProblem says why. */
export class UnlistableManifestError extends Error {}

/**
 * The listings of a manifest. Key order and item order are fixed, so the
 * text is the canonical JSON of the listing and equal folders give equal
 * names. With a memo, folders unchanged since its last build are passed
 * over, and the memo then holds this build. Every entry of a folder it
 * builds is checked as manifestProblem would (a folder passed over holds
 * the items the memo's build checked; its own path is checked as an item
 * of its parent): one that is not what a manifest may hold, or whose parent
 * is no dir entry of it, throws UnlistableManifestError. At 50,000 files,
 * checking the whole manifest took a no-change checkpoint about 50 ms.
 * In a folder that changed, an item equal to the memo's item of that name
 * takes the memo's text (checked when it was built) instead of being
 * checked and turned into JSON again: with 1% of 50,000 files changed,
 * about a third of the folders change, each by an item or two.
 */
export function buildTrees(entries: readonly FileEntry[], memo?: TreeMemo): BuiltTrees {
  const build = new TreeBuild(entries, memo);
  for (const folder of build.folders) build.add(folder);
  return build.finish();
}

/**
 * buildTrees with a turn of the event loop let in between folders
 * (`breathe`): a first checkpoint of 30,000 files built its listings in one
 * stretch of about 140 ms, during which the orchestrator answered nothing.
 */
export async function buildTreesInTurns(entries: readonly FileEntry[], memo: TreeMemo | undefined, breathe: () => Promise<void>): Promise<BuiltTrees> {
  const build = new TreeBuild(entries, memo);
  for (const folder of build.folders) {
    await breathe();
    build.add(folder);
  }
  return build.finish();
}

/** One build of the listings: the entries grouped by folder, then each folder added, deepest first. */
class TreeBuild {
  /** Deepest folders first: a listing names its sub-folders' listings. */
  readonly folders: string[];
  private readonly children = new Map<string, FileEntry[]>([['', []]]);
  private readonly treeOf = new Map<string, string>();
  private readonly listings = new Map<string, Buffer>();
  private readonly next: TreeMemo['folders'] = new Map();

  constructor(
    entries: readonly FileEntry[],
    private readonly memo: TreeMemo | undefined,
  ) {
    const children = this.children;
    for (const entry of entries) if (entry.type === 'dir') children.set(entry.path, []);
    // A snapshot's manifest comes sorted, so an entry is mostly in the folder of the one before: found without a slice and a lookup each.
    let lastParent: string | null = null;
    let lastSiblings: FileEntry[] = [];
    for (const entry of entries) {
      const slash = lastSlash(entry.path);
      if (lastParent !== null && slash === lastParent.length && entry.path.startsWith(lastParent)) {
        lastSiblings.push(entry);
        continue;
      }
      const parent: string = slash < 0 ? '' : entry.path.slice(0, slash);
      const siblings = children.get(parent);
      if (siblings === undefined) throw new UnlistableManifestError(`the folder of ${JSON.stringify(entry.path)} is not a dir entry of the manifest`);
      siblings.push(entry);
      lastParent = parent;
      lastSiblings = siblings;
    }
    this.folders = [...children.keys()].sort((a, b) => depth(b) - depth(a));
  }

  add(folder: string): void {
    const { treeOf, listings, memo, next } = this;
    const items = this.children.get(folder)!;
    if (!isSorted(items)) items.sort((a, b) => compareStrings(a.path, b.path));
    const nameFrom = folder === '' ? 0 : folder.length + 1;
    const before = memo?.folders.get(folder);
    if (before !== undefined && sameValues(before.values, items, nameFrom, treeOf)) {
      treeOf.set(folder, before.sha256);
      listings.set(before.sha256, before.text);
      next.set(folder, before);
      return;
    }
    const parts: string[] = [];
    const values: (string | number)[] = [];
    let previous: string | null = null;
    // The memo's items are sorted as these are: one pass over both finds each name's item there.
    const beforeCount = before === undefined ? 0 : before.parts.length;
    let at = 0;
    for (const entry of items) {
      const name = entry.path.slice(nameFrom);
      if (entry.path === previous) throw new UnlistableManifestError(`entry ${JSON.stringify(entry.path)}: listed twice`);
      previous = entry.path;
      while (at < beforeCount && compareStrings(before!.values[at * VALUES_PER_ITEM] as string, name) < 0) at += 1;
      if (at < beforeCount && before!.values[at * VALUES_PER_ITEM] === name && sameItem(before!.values, at * VALUES_PER_ITEM, entry, treeOf)) {
        parts.push(before!.parts[at]!);
        for (let value = at * VALUES_PER_ITEM; value < (at + 1) * VALUES_PER_ITEM; value += 1) values.push(before!.values[value]!);
        continue;
      }
      const problem = entryProblem(entry, name);
      if (problem !== null) throw new UnlistableManifestError(`entry ${JSON.stringify(entry.path)}: ${problem}`);
      const item = treeItem(entry, name, treeOf);
      parts.push(JSON.stringify(item));
      if (memo !== undefined) values.push(item.name, item.type, item.mode, entry.size, itemRef(item));
    }
    const text = Buffer.from(`{"entries":[${parts.join(',')}],"format":"${TREE_FORMAT}"}`);
    const sha256 = sha256Hex(text);
    treeOf.set(folder, sha256);
    listings.set(sha256, text);
    if (memo !== undefined) next.set(folder, { values, parts, sha256, text });
  }

  finish(): BuiltTrees {
    if (this.memo !== undefined) this.memo.folders = this.next;
    return { root: this.treeOf.get('')!, listings: this.listings };
  }
}

/** The blob, sub-listing or target an item points at. */
function itemRef(item: TreeItem): string {
  switch (item.type) {
    case 'file':
      return item.sha256;
    case 'dir':
      return item.tree;
    case 'symlink':
      return item.target;
    default:
      return assertNever(item, 'tree item');
  }
}

/** Whether the folder's sorted items are those the memo's values describe (sub-folders by the listings just built). */
function sameValues(values: readonly (string | number)[], items: readonly FileEntry[], nameFrom: number, treeOf: ReadonlyMap<string, string>): boolean {
  if (values.length !== items.length * VALUES_PER_ITEM) return false;
  for (let index = 0, at = 0; index < items.length; index += 1, at += VALUES_PER_ITEM) {
    const entry = items[index]!;
    if (!sameItem(values, at, entry, treeOf)) return false;
    const name = values[at] as string;
    if (entry.path.length !== nameFrom + name.length || !entry.path.endsWith(name)) return false;
  }
  return true;
}

/** Whether the memo's item at `at` in values has the entry's type, mode, size and blob, sub-listing or target (the name is compared by the caller). */
function sameItem(values: readonly (string | number)[], at: number, entry: FileEntry, treeOf: ReadonlyMap<string, string>): boolean {
  if (values[at + 1] !== entry.type || values[at + 2] !== entry.mode || values[at + 3] !== entry.size) return false;
  switch (entry.type) {
    case 'file':
      return values[at + 4] === entry.sha256;
    case 'dir':
      return values[at + 4] === treeOf.get(entry.path);
    case 'symlink':
      return values[at + 4] === entry.target;
    default:
      return assertNever(entry.type, 'file entry type');
  }
}

/** path.lastIndexOf('/'), as a loop the compiler inlines: the builtin cost a no-change checkpoint of 50,000 files about 9 ms. */
function lastSlash(path: string): number {
  for (let index = path.length - 1; index >= 0; index -= 1) if (path.charCodeAt(index) === 47) return index;
  return -1;
}

/** Whether the items are in compareStrings order already (a snapshot's are): one pass instead of a sort. */
function isSorted(items: readonly FileEntry[]): boolean {
  for (let index = 1; index < items.length; index += 1) if (items[index - 1]!.path > items[index]!.path) return false;
  return true;
}

function depth(folder: string): number {
  if (folder === '') return 0;
  let count = 1;
  for (let index = folder.indexOf('/'); index >= 0; index = folder.indexOf('/', index + 1)) count += 1;
  return count;
}

/** What manifestProblem would find wrong with an entry named `name` in a folder that is itself sound; null if nothing. */
function entryProblem(entry: FileEntry, name: string): string | null {
  if (name === '' || name === '.' || name === '..' || /[/\0]/.test(name)) return 'a path must be relative, without empty, . or .. parts';
  if (EXCLUDED_DIR_NAMES.includes(name)) return 'lies in an excluded folder';
  if (!Number.isInteger(entry.mode) || entry.mode < 0 || entry.mode > 0o7777) return 'mode must be an integer 0..0o7777';
  if (!Number.isSafeInteger(entry.size) || entry.size < 0) return 'size must be a non-negative integer';
  switch (entry.type) {
    case 'dir':
      return null;
    case 'file':
      return typeof entry.sha256 === 'string' && SHA256_PATTERN.test(entry.sha256) ? null : 'a file needs sha256 as 64 lowercase hex digits';
    case 'symlink':
      return typeof entry.target === 'string' && entry.target !== '' && !entry.target.includes('\0') ? null : 'a symlink needs a non-empty target';
    default:
      return `type must be file, symlink or dir, got ${JSON.stringify((entry as { type?: unknown }).type)}`;
  }
}

/** The item of a listing, its keys in sorted order (canonical JSON). */
function treeItem(entry: FileEntry, name: string, treeOf: ReadonlyMap<string, string>): TreeItem {
  switch (entry.type) {
    case 'file':
      return { mode: entry.mode, name, sha256: entry.sha256 as string, size: entry.size, type: 'file' };
    case 'dir':
      return { mode: entry.mode, name, tree: treeOf.get(entry.path)!, type: 'dir' };
    case 'symlink':
      return { mode: entry.mode, name, size: entry.size, target: entry.target as string, type: 'symlink' };
    default:
      return assertNever(entry.type, 'file entry type');
  }
}

/** Parses and checks a listing's text (already known to hash to its name); throws a plain message otherwise. */
export function parseListing(text: string): TreeItem[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`is not valid JSON: ${(error as Error).message}`);
  }
  const { format, entries } = (parsed ?? {}) as { format?: unknown; entries?: unknown };
  if (format !== TREE_FORMAT) throw new Error(`is not a folder listing (format ${JSON.stringify(format)}, expected ${JSON.stringify(TREE_FORMAT)})`);
  if (!Array.isArray(entries)) throw new Error('has no entries array');
  for (const item of entries as TreeItem[]) {
    const problem = itemProblem(item);
    if (problem !== null) throw new Error(`has a bad entry ${JSON.stringify(item)?.slice(0, 200)}: ${problem}`);
  }
  return entries as TreeItem[];
}

function itemProblem(item: TreeItem): string | null {
  if (item === null || typeof item !== 'object') return 'not an object';
  const { name } = item;
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || /[/\0]/.test(name)) return 'its name must be one path segment';
  if (EXCLUDED_DIR_NAMES.includes(name)) return `an excluded folder (${EXCLUDED_DIR_NAMES.join(', ')}) is never listed`;
  if (!Number.isInteger(item.mode) || item.mode < 0 || item.mode > 0o7777) return 'mode must be an integer 0..0o7777';
  switch (item.type) {
    case 'file':
      if (typeof item.sha256 !== 'string' || !SHA256_PATTERN.test(item.sha256)) return 'a file needs sha256 as 64 lowercase hex digits';
      return Number.isSafeInteger(item.size) && item.size >= 0 ? null : 'size must be a non-negative integer';
    case 'dir':
      return typeof item.tree === 'string' && SHA256_PATTERN.test(item.tree) ? null : 'a folder needs tree as 64 lowercase hex digits';
    case 'symlink':
      if (typeof item.target !== 'string' || item.target === '' || item.target.includes('\0')) return 'a symlink needs a non-empty target';
      return Number.isSafeInteger(item.size) && item.size >= 0 ? null : 'size must be a non-negative integer';
    default:
      return `type must be file, symlink or dir, got ${JSON.stringify((item as { type?: unknown }).type)}`;
  }
}

/** Reads the listing named sha256 (of folder, '' for the root), checked against its name; throws TreeListingError. */
export type ListingReader = (sha256: string, folder: string) => Promise<TreeItem[]>;

/**
 * The flat manifest (sorted by path) of the listing named root, and the
 * sha256 of every listing it took. A listing met twice is read once.
 */
export async function expandTrees(root: string, read: ListingReader): Promise<{ entries: FileEntry[]; listings: string[] }> {
  const entries: FileEntry[] = [];
  const listings = new Set<string>([root]);
  const pending: { sha256: string; folder: string }[] = [{ sha256: root, folder: '' }];
  // Listings are read with synchronous calls: the event loop gets its turns (a restore's check while the session runs).
  const breather = new Breather();
  while (pending.length > 0) {
    await breather.breathe();
    const { sha256, folder } = pending.pop()!;
    const items = await read(sha256, folder);
    if (entries.length + items.length > MAX_EXPANDED_ENTRIES) {
      throw new TreeListingError(sha256, folder, `takes the manifest past ${MAX_EXPANDED_ENTRIES} entries`);
    }
    for (const item of items) {
      const itemPath = folder === '' ? item.name : `${folder}/${item.name}`;
      switch (item.type) {
        case 'file':
          entries.push({ path: itemPath, type: 'file', sha256: item.sha256, size: item.size, mode: item.mode });
          break;
        case 'dir':
          entries.push({ path: itemPath, type: 'dir', size: 0, mode: item.mode });
          listings.add(item.tree);
          pending.push({ sha256: item.tree, folder: itemPath });
          break;
        case 'symlink':
          entries.push({ path: itemPath, type: 'symlink', size: item.size, mode: item.mode, target: item.target });
          break;
        default:
          assertNever(item, 'tree item');
      }
    }
  }
  entries.sort((a, b) => compareStrings(a.path, b.path));
  return { entries, listings: [...listings] };
}
