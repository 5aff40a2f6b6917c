// The sim's own backlog. The project templates' backlogs are written for
// real agents in the template's language (a Cargo workspace, serde types);
// the sim writes a small JavaScript project instead, so it gets tasks that
// say what it does: each component of its project (src/<id>.js with its
// node:test tests), then settings modules once every component exists, and
// in the phases that repair (refinement, finalization …) a run of the tests
// and the fix of what fails first. planTask (project.ts) writes what a task
// of this backlog names.

import { phaseKind, simProjectFor, type SimProjectSpec } from './projectSpec.js';
import type { SimComponent } from './templates/component.js';

/** What a backlog task that adds a settings module says; planTask writes a feature module for it. */
export const SETTINGS_TASK_MARK = 'settings module';

/** The component task's words, naming its file (which planTask reads back). */
export function componentTask(component: SimComponent): string {
  return `Write the ${component.title} (src/${component.id}.js) with its node:test tests`;
}

/** The component a task names by its file (src/<id>.js), if any. */
export function namedComponent(spec: SimProjectSpec, task: string): SimComponent | undefined {
  return spec.components.find((c) => task.includes(`(src/${c.id}.js)`));
}

/** Components with what they import first, otherwise in the template's order. */
function dependencyOrder(spec: SimProjectSpec): SimComponent[] {
  const byId = new Map(spec.components.map((c) => [c.id, c]));
  const ordered: SimComponent[] = [];
  const visit = (component: SimComponent, seen: Set<string>): void => {
    if (ordered.includes(component) || seen.has(component.id)) return;
    seen.add(component.id);
    for (const id of component.requires) {
      const dependency = byId.get(id);
      if (dependency) visit(dependency, seen);
    }
    ordered.push(component);
  };
  for (const component of spec.components) visit(component, new Set());
  return ordered;
}

/**
 * The sim's tasks for each phase, as many as the phase has in the template
 * (`counts`), so a run has the same amount of work either way. Task names are
 * distinct across the whole backlog: the engine knows a task by its name.
 */
export function simBacklog(template: string, phases: readonly { name: string; count: number }[]): Record<string, string[]> {
  const spec = simProjectFor(template);
  const components = dependencyOrder(spec);
  let nextComponent = 0;
  let nextWord = 0;
  const settingsTask = (prefix: string): string => {
    const word = spec.vocabulary[nextWord % spec.vocabulary.length]!;
    const round = Math.floor(nextWord / spec.vocabulary.length);
    nextWord += 1;
    return `${prefix}the ${word} ${SETTINGS_TASK_MARK}${round > 0 ? ` ${round + 1}` : ''} (src/features/) with its node:test tests`;
  };
  const backlog: Record<string, string[]> = {};
  for (const phase of phases) {
    const repairs = phaseKind(phase.name) !== 'build';
    const tasks: string[] = [];
    for (let i = 0; i < phase.count; i++) {
      if (nextComponent < components.length) {
        const task = componentTask(components[nextComponent++]!);
        tasks.push(repairs ? `Run the tests and fix what fails; ${task[0]!.toLowerCase()}${task.slice(1)}` : task);
      } else {
        tasks.push(settingsTask(repairs ? 'Run the tests and fix what fails; add ' : 'Add '));
      }
    }
    backlog[phase.name] = tasks;
  }
  return backlog;
}
