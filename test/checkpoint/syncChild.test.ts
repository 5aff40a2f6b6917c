// The shell kept to run `sync -f` (syncChild.ts): one shell for many calls,
// answers in the order asked, a failed or missing `sync` told by its status,
// a dead shell replaced, and a process that holds one still exits.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SyncChild } from '../../src/checkpoint/syncChild.js';
import { fakeSync } from '../helpers/fakeSync.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { isPidAlive } from '../../src/io/sessions.js';
import { waitFor } from '../helpers/cli.js';

const BUILT_MODULE = path.join(PACKAGE_ROOT, 'dist', 'checkpoint', 'syncChild.js');
const NOT_BUILT = !existsSync(BUILT_MODULE);
const base = mkdtempSync(path.join(tmpdir(), 'megatest-syncchild-'));
const sync = fakeSync(base);
const children: SyncChild[] = [];
function newChild(): SyncChild {
  const child = new SyncChild();
  children.push(child);
  return child;
}
afterEach(() => {
  for (const child of children.splice(0)) child.stop();
  sync.restorePath();
  sync.clearCalls();
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** The pid of the shell a SyncChild runs (children of this process running /bin/sh with its script). */
function shellPids(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes('sync -f'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

describe('SyncChild', () => {
  it('runs every sync in one shell and answers each call in order', async () => {
    sync.install(0);
    const child = newChild();
    const statuses = await Promise.all([base, path.join(base, 'bin'), base].map((target) => child.run(target)));
    expect(statuses).toEqual([0, 0, 0]);
    expect(await child.run(base)).toBe(0);
    expect(sync.calls()).toEqual([`-f ${base}`, `-f ${path.join(base, 'bin')}`, `-f ${base}`, `-f ${base}`]);
    expect(shellPids()).toHaveLength(1);
  });

  it('tells a failed sync by its status, and a missing one by 127', async () => {
    sync.install(1);
    const child = newChild();
    expect(await child.run(base)).toBe(1);
    sync.uninstall();
    // A new PATH: the next call starts a new shell, which finds no `sync` there.
    process.env.PATH = sync.bin;
    expect(await child.run(base)).toBe(127);
  });

  it('a path with a newline is left to the caller', async () => {
    expect(await newChild().run(`${base}\nx`)).toBeNull();
  });

  it('a shell killed while a sync waits answers null; the next call starts a new shell', async () => {
    sync.install(0);
    const child = newChild();
    expect(await child.run(base)).toBe(0);
    const [first] = shellPids();
    expect(first).toBeGreaterThan(0);
    // A sync that does not end while its shell lives: killing the shell is the only answer it gets.
    // It ends once the shell is gone (its parent is no longer that shell), so it is not left running after the
    // test. Not `kill -0 $PPID` alone: a sync started just as its shell was killed has PPID 1 from its start,
    // and init lives for ever (two such loops were found running after suite runs). A minute at most, in any case.
    sync.installScript(
      '#!/bin/sh\ni=0\nwhile [ "$PPID" != 1 ] && [ "$(ps -o ppid= -p $$ | tr -d " ")" = "$PPID" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done\n',
    );
    const waiting = child.run(base);
    process.kill(first!, 'SIGKILL');
    expect(await waiting).toBeNull();
    sync.install(0);
    expect(await child.run(base)).toBe(0);
    expect(shellPids().filter((pid) => pid !== first)).toHaveLength(1);
  });

  it.skipIf(NOT_BUILT)(
    `a process whose shell is idle exits by itself, and its shell ends with it${NOT_BUILT ? ' (skipped: dist/ is not built; npm test builds it)' : ''}`,
    async () => {
      const script = `import { execFileSync } from 'node:child_process';
        const { SyncChild } = await import(${JSON.stringify(BUILT_MODULE)});
        const child = new SyncChild();
        const statuses = [await child.run(${JSON.stringify(base)}), await child.run(${JSON.stringify(base)})];
        const listed = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
        const shells = listed.split('\\n').filter((line) => line.includes('sync -f')).map((line) => line.trim().split(' ')[0]).join(' ');
        console.log(statuses.join(' ') + ';' + shells);`;
      // execFileSync returns once the process has exited: an idle shell that kept it alive would hold it until this timeout.
      const [statuses, shells] = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 }).trim().split(';');
      expect(statuses).toBe('0 0');
      const pids = shells!.split(/\s+/).map(Number);
      expect(pids).toHaveLength(1);
      await waitFor(() => !isPidAlive(pids[0]!), 'the shell to end once its input closed', 60_000, 20);
    },
  );
});
