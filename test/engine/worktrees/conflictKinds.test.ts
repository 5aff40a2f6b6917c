// A conflict handed to its agent is settled only when the agent settled it,
// whatever git's index says (src/engine/conflictFiles.ts): markers the agent
// staged (or committed) never reach main, and a binary or modify/delete
// conflict the agent left as it was handed over is not merged with one side
// silently kept. The handover's note says what to do for each kind.

import { existsSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentSlot } from '../../../src/engine/agentPool.js';
import { git, read, write } from './gitRepo.js';
import { completed, setUp } from './mergerHarness.js';

const LOGO_A = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0x41]);
const LOGO_B = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x07, 0x08, 0x42]);

/** agent-1's work lands on main, agent-2's conflicts with it and is handed over; returns agent-2's work dir and the note. */
async function conflictHandedOver(h: ReturnType<typeof setUp>, plant: (one: string, two: string) => void) {
  const [one, two] = h.slots as [AgentSlot, AgentSlot];
  one.objectives = ['first'];
  two.objectives = ['second'];
  const a = (await h.wt.ensure('agent-1')).dir;
  const b = (await h.wt.ensure('agent-2')).dir;
  plant(a, b);
  h.merger.taskDone(one, 'first');
  await h.settle();
  h.merger.taskDone(two, 'second');
  await h.settle();
  expect(completed(h.seen)).toEqual(['agent-1:first']);
  expect(h.seen.conflicts).toHaveLength(1);
  const handed = await h.merger.handOver(two);
  return { b, two, note: handed!.note! };
}

const markerFree = (text: string) => !/^(<{7}|>{7})/m.test(text);

describe('a conflict handed to its agent', () => {
  it('with its markers only staged (git add) is not resolved: main never gets them', async () => {
    const h = setUp();
    const { b, two } = await conflictHandedOver(h, (a, b) => {
      write(a, 'greeting.js', `exports.greeting = 'hello world';\n`);
      write(b, 'greeting.js', `exports.greeting = 'hello megatest';\n`);
    });
    git(b, ['add', 'greeting.js']);
    expect(git(b, ['diff', '--name-only', '--diff-filter=U'])).toBe('');
    h.merger.taskDone(two, 'second');
    await h.settle();
    expect(h.seen.conflicts[1]?.message).toMatch(/^megatest\/agent-2 still has the merge conflict unresolved in greeting\.js/);
    expect(completed(h.seen)).toEqual(['agent-1:first']);
    expect(markerFree(read(h.run.project, 'greeting.js'))).toBe(true);
  });

  it('with its markers committed by the agent itself is not resolved either', async () => {
    const h = setUp();
    const { b, two } = await conflictHandedOver(h, (a, b) => {
      write(a, 'greeting.js', `exports.greeting = 'hello world';\n`);
      write(b, 'greeting.js', `exports.greeting = 'hello megatest';\n`);
    });
    git(b, ['-c', 'user.name=agent', '-c', 'user.email=agent@localhost', 'commit', '-q', '-am', 'resolved (not really)']);
    h.merger.taskDone(two, 'second');
    await h.settle();
    expect(h.seen.conflicts[1]?.message).toMatch(/unresolved in greeting\.js/);
    expect(markerFree(read(h.run.project, 'greeting.js'))).toBe(true);
    // Handed over again: the note names the file (no fresh merge of main over the markers).
    const again = await h.merger.handOver(two);
    expect(again?.files).toEqual(['greeting.js']);
  });

  it('of a binary file both sides created: the note says to pick or combine; left as handed over it is unresolved; picking a side lands it', async () => {
    const h = setUp();
    const { b, two, note } = await conflictHandedOver(h, (a, b) => {
      writeFileSync(path.join(a, 'logo.png'), LOGO_A);
      writeFileSync(path.join(b, 'logo.png'), LOGO_B);
    });
    expect(note).toMatch(/logo\.png: both sides changed this file and git could not merge them \(binary: no markers/);
    expect(note).toMatch(/git checkout --theirs -- FILE/);
    expect(note).not.toMatch(/markers \(<{7}/);

    h.merger.taskDone(two, 'second');
    await h.settle();
    expect(h.seen.conflicts[1]?.message).toMatch(/unresolved in logo\.png/);
    expect(completed(h.seen)).toEqual(['agent-1:first']);
    expect(read(h.run.project, 'logo.png')).toBe(LOGO_A.toString('utf8'));

    git(b, ['checkout', '--theirs', '--', 'logo.png']);
    h.merger.taskDone(two, 'second');
    await h.settle();
    expect(completed(h.seen)).toEqual(['agent-1:first', 'agent-2:second']);
    expect(read(h.run.project, 'logo.png')).toBe(LOGO_A.toString('utf8'));
  });

  it('of a binary file: keeping its own version by staging it (git add) is a decision, and lands', async () => {
    const h = setUp();
    const { b, two } = await conflictHandedOver(h, (a, b) => {
      writeFileSync(path.join(a, 'logo.png'), LOGO_A);
      writeFileSync(path.join(b, 'logo.png'), LOGO_B);
    });
    git(b, ['add', 'logo.png']);
    h.merger.taskDone(two, 'second');
    await h.settle();
    expect(completed(h.seen)).toEqual(['agent-1:first', 'agent-2:second']);
    expect(read(h.run.project, 'logo.png')).toBe(LOGO_B.toString('utf8'));
  });

  it('of a file one side deleted and the other changed: the note asks to keep or delete; left alone the delete is not undone', async () => {
    const h = setUp();
    const { b, two, note } = await conflictHandedOver(h, (a, b) => {
      git(a, ['rm', '-q', 'greeting.js']);
      write(b, 'greeting.js', `exports.greeting = 'hello megatest';\n`);
    });
    expect(note).toMatch(/greeting\.js: changed on one side and deleted on the other; decide: keep it .*\(`git add FILE`\) or delete it \(`git rm FILE`\)/);

    h.merger.taskDone(two, 'second');
    await h.settle();
    expect(h.seen.conflicts[1]?.message).toMatch(/unresolved in greeting\.js/);
    expect(existsSync(path.join(h.run.project, 'greeting.js'))).toBe(false);

    git(b, ['rm', '-q', 'greeting.js']);
    h.merger.taskDone(two, 'second');
    await h.settle();
    expect(completed(h.seen)).toEqual(['agent-1:first', 'agent-2:second']);
    expect(existsSync(path.join(h.run.project, 'greeting.js'))).toBe(false);
  });

  it('of a file on one side where the other has a folder: the note says to rename or delete the file git moved aside, not to pick a version', async () => {
    const h = setUp();
    const { b, two, note } = await conflictHandedOver(h, (a, b) => {
      write(a, 'lib', 'a file named lib\n');
      write(b, 'lib/x.js', 'exports.x = 1;\n');
    });
    expect(note).toContain('lib~main: one side has a file lib and the other a folder lib/, which cannot share a name');
    expect(note).toContain('mv lib~main NEW_NAME');
    expect(note).not.toMatch(/git checkout --(ours|theirs)/);
    // Left as handed over: not settled, nothing lands.
    h.merger.taskDone(two, 'second');
    await h.settle();
    expect(h.seen.conflicts[1]?.message).toMatch(/unresolved in lib~main/);
    expect(completed(h.seen)).toEqual(['agent-1:first']);
    // Renamed: both the file and the folder land on main.
    renameSync(path.join(b, 'lib~main'), path.join(b, 'lib.txt'));
    h.merger.taskDone(two, 'second');
    await h.settle();
    expect(completed(h.seen)).toEqual(['agent-1:first', 'agent-2:second']);
    expect(git(h.run.project, ['ls-tree', '-r', '--name-only', 'main']).split('\n').sort()).toEqual(['greeting.js', 'lib.txt', 'lib/x.js'].sort());
    expect(read(h.run.project, 'lib.txt')).toBe('a file named lib\n');
  });

  it('resolved beside a symbolic link to a file out of the project that holds markers: the link is not read through, and lands', async () => {
    const h = setUp();
    const { b, two } = await conflictHandedOver(h, (a, b) => {
      write(a, 'greeting.js', `exports.greeting = 'hello world';\n`);
      write(b, 'greeting.js', `exports.greeting = 'hello megatest';\n`);
    });
    // A page about merge conflicts, out of the project, with markers in it; the agent links to it from docs/.
    const outside = path.join(h.run.root, 'merge-conflicts.txt');
    writeFileSync(outside, 'An example:\n<<<<<<< ours\na\n=======\nb\n>>>>>>> theirs\n');
    mkdirSync(path.join(b, 'docs'));
    symlinkSync(outside, path.join(b, 'docs', 'merge-example.txt'));
    write(b, 'greeting.js', `exports.greeting = 'hello world megatest';\n`);
    git(b, ['add', '-A']);
    h.merger.taskDone(two, 'second');
    await h.settle();
    expect(h.seen.conflicts).toHaveLength(1);
    expect(completed(h.seen)).toEqual(['agent-1:first', 'agent-2:second']);
    expect(git(h.run.project, ['ls-tree', '-r', 'main', 'docs/merge-example.txt'])).toMatch(/^120000 /);
    expect(read(h.run.project, 'greeting.js')).toBe(`exports.greeting = 'hello world megatest';\n`);
  });

  it('of a text conflict still reads as before: markers named, and an edit without git add resolves it', async () => {
    const h = setUp();
    const { b, two, note } = await conflictHandedOver(h, (a, b) => {
      write(a, 'greeting.js', `exports.greeting = 'hello world';\n`);
      write(b, 'greeting.js', `exports.greeting = 'hello megatest';\n`);
    });
    expect(note).toMatch(/greeting\.js: the conflict markers \(<{7} ={7} >{7}\) are in it; edit so both sides' changes are kept and remove every marker\. Then report task_done for "second" again\.$/);
    write(b, 'greeting.js', `exports.greeting = 'hello megatest world';\n`);
    h.merger.taskDone(two, 'second');
    await h.settle();
    expect(completed(h.seen)).toEqual(['agent-1:first', 'agent-2:second']);
  });
});
