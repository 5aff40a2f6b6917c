// The sim's own backlog says what the sim writes (JavaScript modules and their
// node:test tests), not what the template asks of a real agent (Cargo, serde),
// and each of its tasks writes what it names.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { namedComponent, simBacklog } from '../../../src/agents/sim/backlog.js';
import { planTask, SIM_TEMPLATES, writeWork } from '../../../src/agents/sim/project.js';
import { removeTempDirs, tempDir } from '../helpers.js';

afterAll(removeTempDirs);

const PHASES = [
  { name: 'bootstrap', count: 5 },
  { name: 'development', count: 6 },
  { name: 'refinement', count: 5 },
  { name: 'finalization', count: 5 },
];

describe('the sim backlog', () => {
  for (const template of Object.keys(SIM_TEMPLATES)) {
    it(`${template}: as many tasks per phase as asked, distinct, in the sim's own words`, () => {
      const backlog = simBacklog(template, PHASES);
      expect(PHASES.map((p) => backlog[p.name]!.length)).toEqual(PHASES.map((p) => p.count));
      const tasks = Object.values(backlog).flat();
      expect(new Set(tasks).size).toBe(tasks.length);
      for (const task of tasks) {
        expect(task).not.toMatch(/cargo|serde|rust|crate/i);
        expect(task).toMatch(/node:test tests$/);
      }
      // Every component of the sim's project is named once, before any settings module.
      const spec = SIM_TEMPLATES[template]!;
      const named = tasks.map((t) => namedComponent(spec, t)?.id).filter((id): id is string => id !== undefined);
      expect([...named].sort()).toEqual(spec.components.map((c) => c.id).sort());
      // The phases that repair say so.
      for (const task of [...backlog.refinement!, ...backlog.finalization!]) expect(task).toMatch(/^Run the tests and fix what fails; /);
    });
  }

  it('each task writes what it names, whichever agent finishes first', () => {
    const template = 'task_queue';
    const backlog = simBacklog(template, PHASES);
    const dir = tempDir('megatest-sim-backlog-');
    // Within a phase, the tasks finish in reverse order (a dependency is written by a later task first).
    for (const phase of PHASES) {
      for (const task of [...backlog[phase.name]!].reverse()) {
        const work = planTask(dir, template, 3, task, phase.name);
        writeWork(dir, work.files);
        const component = namedComponent(SIM_TEMPLATES[template]!, task);
        if (component) {
          expect(work.component, task).toBe(component.id);
          const header = readFileSync(path.join(dir, 'src', `${component.id}.js`), 'utf8').split('\n', 3).join('\n');
          expect(header).toContain(`for task: ${task}`);
        } else {
          expect(work.feature, task).toBeDefined();
          expect(existsSync(path.join(dir, 'src', 'features', `${work.feature}.js`))).toBe(true);
        }
      }
    }
  });
});
