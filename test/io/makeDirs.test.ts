// makeDirsSync: mkdir -p for the folders a person names, which ends with an
// error where Node's recursive mkdir spins for ever (under /proc).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDirsSync } from '../../src/io/makeDirs.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

const dir = mkdtempSync(path.join(tmpdir(), 'megatest-makedirs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('makeDirsSync', () => {
  it('makes every missing folder, and a folder that is there is no error', () => {
    const deep = path.join(dir, 'a', 'b', 'c');
    makeDirsSync(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    makeDirsSync(deep);
    makeDirsSync(path.join(dir, 'a'));
    expect(statSync(deep).isDirectory()).toBe(true);
  });

  it('a file on the way, or at the end: ENOTDIR, nothing made', () => {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'x');
    expect(() => makeDirsSync(path.join(file, 'x', 'y'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(() => makeDirsSync(file)).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });

  it('a relative path is taken from the working folder', () => {
    const cwd = process.cwd();
    mkdirSync(path.join(dir, 'cwd'));
    process.chdir(path.join(dir, 'cwd'));
    try {
      makeDirsSync(path.join('rel', 'x'));
    } finally {
      process.chdir(cwd);
    }
    expect(statSync(path.join(dir, 'cwd', 'rel', 'x')).isDirectory()).toBe(true);
  });

  // In a child process with a bound: were it Node's recursive mkdir, it would never return (its loop is in C++, out of reach of a test timeout).
  const built = path.join(PACKAGE_ROOT, 'dist', 'io', 'makeDirs.js');
  const why = !existsSync('/proc/self') ? ' (skipped: no /proc here)' : !existsSync(built) ? ' (skipped: run npm run build first)' : '';
  it.skipIf(why !== '')(`under /proc: ENOENT, at once${why}`, () => {
    const script = `import { makeDirsSync } from ${JSON.stringify(pathToFileURL(built).href)};
try { makeDirsSync('/proc/megatest-no-such/runs'); console.log('made'); } catch (error) { console.log(error.code); }`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
    expect(child.signal).toBeNull();
    expect(child.stdout.trim()).toBe('ENOENT');
  });
});
