// Worktree isolation: what megatest's own gates (build, tests, benchmark) make
// in project/ is never committed to main (src/engine/gateOutput.ts), whether
// a merge comes after the gate or while it runs; before, a build's dist/ that
// the project's .gitignore did not name went to main with the next merge's
// leftover commit (and from main into every branch). A file a person (or
// anything but a gate) leaves in project/ is still committed as before.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GateOutput } from '../../../src/engine/gateOutput.js';
import { runBuild, type ProjectCommands } from '../../../src/engine/projectGates.js';
import { git, write } from './gitRepo.js';
import { completed, setUp } from './mergerHarness.js';

const COMMANDS: ProjectCommands = {
  build_command: 'mkdir -p dist && echo built > dist/app.js && echo info > build.log',
  test_command: '',
  coverage_command: '',
  test_format: 'node-tap',
  test_report: '',
  coverage_report: '',
  coverage_format: 'lcov',
};

const onMain = (project: string) => git(project, ['ls-tree', '-r', '--name-only', 'main']).split('\n');

describe('gate output in worktree isolation', () => {
  it('a build’s output is not committed by the next merge; a file left by anything else is', async () => {
    const h = setUp(['agent-1']);
    const gate = new GateOutput(h.run.project);
    h.merger.gateRunning = () => gate.busy;
    const [one] = h.slots;
    const dir = (await h.wt.ensure('agent-1')).dir;
    const build = await gate.around(() => runBuild(h.run.project, COMMANDS, 60_000));
    expect(build.ok).toBe(true);
    write(h.run.project, 'notes/by-hand.md', 'a person wrote this\n');
    write(dir, 'src/sum.js', 'exports.sum = (a, b) => a + b;\n');
    await h.merger.taskDone(one!, 'create sum');
    await h.settle();
    expect(completed(h.seen)).toEqual(['agent-1:create sum']);
    const files = onMain(h.run.project);
    expect(files).toEqual(expect.arrayContaining(['src/sum.js', 'notes/by-hand.md']));
    expect(files).not.toContain('dist/app.js');
    expect(files).not.toContain('build.log');
  });

  it('a merge while a gate runs leaves its half-written output alone', async () => {
    const h = setUp(['agent-1']);
    const gate = new GateOutput(h.run.project);
    h.merger.gateRunning = () => gate.busy;
    const [one] = h.slots;
    const dir = (await h.wt.ensure('agent-1')).dir;
    write(dir, 'src/sum.js', 'exports.sum = (a, b) => a + b;\n');
    await gate.around(async () => {
      // The gate's first file is written; the merge comes before the gate ends.
      write(h.run.project, path.join('coverage-tmp', 'part.json'), '{');
      await h.merger.taskDone(one!, 'create sum');
      await h.until(() => completed(h.seen).length > 0);
      await h.settle();
    });
    write(dir, 'src/product.js', 'exports.product = (a, b) => a * b;\n');
    await h.merger.taskDone(one!, 'create product');
    await h.settle();
    expect(completed(h.seen)).toEqual(['agent-1:create sum', 'agent-1:create product']);
    const files = onMain(h.run.project);
    expect(files).toEqual(expect.arrayContaining(['src/sum.js', 'src/product.js']));
    expect(files).not.toContain('coverage-tmp/part.json');
  });
});
