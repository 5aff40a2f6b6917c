import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SIM_PROJECT_COMMANDS } from '../../../src/agents/sim/index.js';
import {
  defectiveComponents,
  phaseKind,
  planTask,
  renderComponent,
  simProjectFor,
  snapshotProject,
  SIM_TEMPLATES,
  taskSlug,
  writeWork,
  type TaskWork,
} from '../../../src/agents/sim/project.js';
import { removeTempDirs, tempDir } from '../helpers.js';

afterAll(removeTempDirs);

const PHASES: [string, string[]][] = [
  ['planning', ['Design the architecture', 'Define the wire protocol', 'Outline storage layout', 'Plan the public API']],
  ['development', ['Implement core data structures', 'Write the command handlers', 'Add persistence', 'Build the worker loop']],
  ['testing', ['Write integration tests', 'Cover edge cases', 'Measure coverage']],
  ['refinement', ['Polish error messages', 'Optimize hot paths', 'Document the modules']],
];

function run(command: string, cwd: string, env: NodeJS.ProcessEnv = process.env): { status: number | null; output: string } {
  const result = spawnSync('/bin/sh', ['-c', command], { cwd, encoding: 'utf8', env });
  return { status: result.status, output: result.stdout + result.stderr };
}

/** Plays a whole session's tasks one after another, as one agent would. */
function playSession(template: string, seed: number, afterTask?: (work: TaskWork, dir: string) => void): string {
  const dir = tempDir(`megatest-sim-${template}-`);
  for (const [phase, tasks] of PHASES) {
    for (const task of tasks) {
      const work = planTask(dir, template, seed, task, phase);
      writeWork(dir, work.files);
      afterTask?.(work, dir);
    }
  }
  return dir;
}

describe('sim project content', () => {
  it('classifies phases by name', () => {
    expect(phaseKind('Development')).toBe('build');
    expect(phaseKind('planning')).toBe('build');
    expect(phaseKind('testing')).toBe('test');
    expect(phaseKind('Refinement & polish')).toBe('fix');
  });

  it('rejects an unknown template naming the ones it knows', () => {
    expect(() => simProjectFor('kernel')).toThrow(/unknown project template "kernel".*task_queue, database, microservices/);
  });

  it('plants each defect with exactly one substitution', () => {
    for (const [template, spec] of Object.entries(SIM_TEMPLATES)) {
      for (const component of spec.components) {
        const [clean] = renderComponent(template, component, 't', undefined);
        const [buggy] = renderComponent(template, component, 't', { phase: 'development' });
        expect(buggy.content).not.toBe(clean.content);
        expect(buggy.content).toContain('// sim-defect: ');
      }
    }
  });

  it('gives tasks stable, distinct file names', () => {
    expect(taskSlug('Implement the RESP parser!')).toMatch(/^implement-the-resp-parser-[0-9a-f]{4}$/);
    expect(taskSlug('a b')).not.toBe(taskSlug('a  b '));
  });

  it('is deterministic: same seed and tasks give the same files, another seed differs', () => {
    const first = snapshotProject(playSession('task_queue', 42));
    const second = snapshotProject(playSession('task_queue', 42));
    const other = snapshotProject(playSession('task_queue', 7));
    expect(Object.keys(first).length).toBeGreaterThan(10);
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
    expect(Object.values(first).every((text) => !text.includes('Math.random'))).toBe(true);
  });

  it('picks the component whose name the task mentions', () => {
    const dir = tempDir('megatest-sim-pick-');
    expect(planTask(dir, 'task_queue', 1, 'Implement the RESP parser', 'development').component).toBe('resp');
    expect(planTask(dir, 'database', 1, 'B-tree index with range scans', 'development').component).toBe('btree');
    expect(planTask(dir, 'microservices', 1, 'Circuit breaker', 'development').component).toBe('circuitBreaker');
  });

  describe.each(Object.keys(SIM_TEMPLATES))('%s', (template) => {
    it('fails its tests while a planted defect is in, and passes build, tests and coverage at the end', () => {
      let sawFailingMidway = false;
      let defectsPlanted = 0;
      const dir = playSession(template, 42, (work, projectDir) => {
        if (!work.defective) return;
        defectsPlanted++;
        if (sawFailingMidway) return;
        const midway = run(SIM_PROJECT_COMMANDS.test_command, projectDir);
        expect(midway.status).not.toBe(0);
        expect(midway.output).toMatch(/^not ok /m);
        sawFailingMidway = true;
      });
      expect(defectsPlanted).toBeGreaterThan(0);
      expect(sawFailingMidway).toBe(true);
      expect(defectiveComponents(template, 42).size).toBeGreaterThan(0);

      const files = snapshotProject(dir);
      expect(Object.values(files).some((text) => text.includes('// sim-defect:'))).toBe(false);
      const sources = Object.keys(files).filter((file) => file.startsWith('src/'));
      expect(sources.length).toBeGreaterThanOrEqual(simProjectFor(template).components.length);
      const loc = Object.entries(files)
        .filter(([file]) => file.endsWith('.js'))
        .reduce((sum, [, text]) => sum + text.split('\n').length, 0);
      expect(loc).toBeGreaterThan(500);
      expect(JSON.parse(files['package.json']).type).toBe('module');
      expect(files['README.md']).toMatch(/simulation/);

      const build = run(SIM_PROJECT_COMMANDS.build_command, dir);
      expect(build.status, build.output).toBe(0);
      const tests = run(SIM_PROJECT_COMMANDS.test_command, dir);
      expect(tests.status, tests.output).toBe(0);
      expect(tests.output).toMatch(/^# fail 0$/m);
      expect(Number(/^# pass (\d+)$/m.exec(tests.output)?.[1])).toBeGreaterThan(15);
      const coverage = run(SIM_PROJECT_COMMANDS.coverage_command, dir);
      expect(coverage.status, coverage.output).toBe(0);
      const lcov = readFileSync(path.join(dir, SIM_PROJECT_COMMANDS.coverage_report), 'utf8');
      expect(lcov).toMatch(/^SF:src\//m);
      expect(lcov).toMatch(/^LH:\d+$/m);
      // Each step runs the project's real build and tests: on a loaded machine that takes a while.
    }, 180_000);
  });

  it('fails the coverage check of a project with no tests yet, and leaves nothing in the temp dir', () => {
    const dir = tempDir('megatest-sim-empty-');
    const temp = tempDir('megatest-sim-tmp-');
    const coverage = run(SIM_PROJECT_COMMANDS.coverage_command, dir, { ...process.env, TMPDIR: temp });
    expect(coverage.status).toBe(1);
    expect(coverage.output).toMatch(/not written yet: test\/index\.mjs/);
    expect(readdirSync(temp)).toEqual([]);
  });

  it('fails the build check on a syntax error', () => {
    const dir = playSession('microservices', 3);
    writeWork(dir, [{ path: 'src/broken.js', content: 'export function (' }]);
    const build = run(SIM_PROJECT_COMMANDS.build_command, dir);
    expect(build.status).toBe(1);
    expect(build.output).toMatch(/FAIL src\/broken\.js/);
    expect(existsSync(path.join(dir, 'scripts', 'build.mjs'))).toBe(true);
  });
});
