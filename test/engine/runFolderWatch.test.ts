// Whether the run folder is still the session's: its events.jsonl at the
// same path, the same file. Real files in a temp folder.

import { closeSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunFolderWatch } from '../../src/engine/runFolderWatch.js';

const root = mkdtempSync(path.join(tmpdir(), 'megatest-folder-watch-'));
const open: number[] = [];
afterAll(() => {
  for (const fd of open) closeSync(fd);
  rmSync(root, { recursive: true, force: true });
});

function runFolder(name: string): { dir: string; events: string; watch: RunFolderWatch } {
  const dir = path.join(root, name);
  mkdirSync(dir);
  const events = path.join(dir, 'events.jsonl');
  writeFileSync(events, '{"seq":1}\n');
  // Held open, as the session's event log holds it: its inode is not given to another file while the session runs.
  open.push(openSync(events, 'a'));
  return { dir, events, watch: new RunFolderWatch(events) };
}

describe('RunFolderWatch', () => {
  it('says nothing while the folder is there, whatever is appended to its log', () => {
    const { events, watch } = runFolder('kept');
    writeFileSync(events, '{"seq":2}\n', { flag: 'a' });
    expect(watch.gone()).toBeNull();
  });

  it('says the folder is gone once it was deleted or moved', () => {
    const deleted = runFolder('deleted');
    rmSync(deleted.dir, { recursive: true });
    expect(deleted.watch.gone()).toBe(`${deleted.events} is gone (the run folder was deleted or moved)`);
    const moved = runFolder('moved');
    renameSync(moved.dir, path.join(root, 'moved-away'));
    expect(moved.watch.gone()).toBe(`${moved.events} is gone (the run folder was deleted or moved)`);
  });

  it('says it was replaced when another folder (another run) stands at its path', () => {
    const { dir, events, watch } = runFolder('replaced');
    rmSync(dir, { recursive: true });
    mkdirSync(dir);
    writeFileSync(events, '{"seq":1}\n');
    expect(watch.gone()).toBe(`${events} is another file now (the run folder was replaced)`);
  });

  it('says it is gone when a file stands where the folder was', () => {
    const { dir, events, watch } = runFolder('file');
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'not a folder');
    expect(watch.gone()).toBe(`${events} is gone (a file stands where the run folder was)`);
  });

  it('watches nothing when there was no log to begin with', () => {
    expect(new RunFolderWatch(path.join(root, 'none', 'events.jsonl')).gone()).toBeNull();
  });
});
