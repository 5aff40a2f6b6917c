// Manifests a restore must refuse, and some it must accept: manifestProblem
// is judged by them (manifestProblem.test.ts), and so is buildTrees, which
// checks what it stores as listings (manifestTrees.test.ts).

import type { FileEntry } from '../../src/checkpoint/types.js';

export const file = (p: string): FileEntry => ({ path: p, type: 'file', sha256: 'a'.repeat(64), size: 1, mode: 0o644 });
export const dir = (p: string): FileEntry => ({ path: p, type: 'dir', size: 0, mode: 0o755 });
export const link = (p: string, target: string): FileEntry => ({ path: p, type: 'symlink', size: target.length, mode: 0o777, target });

export const refused: [string, unknown[], RegExp][] = [
  ['a parent segment', [file('..')], /relative.*'\.\.'/],
  ['a parent segment inside', [dir('a'), file('a/../b')], /relative/],
  ['a dot segment', [dir('a'), file('a/./b')], /relative/],
  ['the folder itself', [file('.')], /relative/],
  ['an absolute path', [file('/etc/passwd')], /relative/],
  ['a trailing slash', [file('x/')], /relative/],
  ['an empty segment', [dir('a'), file('a//b')], /relative/],
  ['a NUL', [file('a\0b')], /relative/],
  ['.git at the top', [file('.git')], /excluded folder/],
  ['.git below', [dir('x'), file('x/.git/config')], /excluded folder/],
  ['node_modules', [dir('node_modules')], /excluded folder/],
  ['a path listed twice', [file('a'), file('a')], /listed twice/],
  ['a file under a file', [file('a'), file('a/b')], /"a" is not a dir entry/],
  ['a file through a symlink', [link('l', '/tmp'), file('l/evil')], /"l" is not a dir entry/],
  ['no folder entry', [file('a/b')], /"a" is not a dir entry/],
  ['a bad mode', [{ ...file('a'), mode: 0o10000 }], /mode must be/],
  ['a bad size', [{ ...file('a'), size: -1 }], /size must be/],
  ['a bad type', [{ ...file('a'), type: 'fifo' }], /type must be/],
  ['a file without its hash', [{ ...file('a'), sha256: 'xyz' }], /sha256 as 64/],
  ['a symlink without a target', [link('l', '')], /non-empty target/],
  ['an entry that is not an object', [null], /not an object/],
  ['an entry without a path', [{ type: 'file' }], /no path/],
];

export const accepted: [string, FileEntry[]][] = [
  ['names with dots that are not . or ..', [file('a..b'), file('...'), file('.gitx'), file('.gitignore'), dir('node_modules_x'), file('node_modules_x/.git-keep')]],
  ['nested folders', [dir('a'), dir('a/b'), file('a/b/c.txt'), link('a/l', '../x'), file('a/x.txt')]],
  ['nothing', []],
  // A backslash is a character of a POSIX name, not a separator: a file named so is kept like any other.
  ['a backslash in a name', [dir('win\\dir'), file('win\\dir/a\\b.txt'), file('..\\x')]],
];

