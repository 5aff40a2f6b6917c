// The sim's project templates and what every file it writes shares: the
// label saying a simulation wrote it, and the header marks by which a later
// task reads back which task wrote a module and whether it holds a defect.

import type { SimComponent } from './templates/component.js';
import { DATABASE_PROJECT } from './templates/database.js';
import { MICROSERVICES_PROJECT } from './templates/microservices.js';
import { TASK_QUEUE_PROJECT } from './templates/taskQueue.js';

export interface SimProjectSpec {
  name: string;
  packageName: string;
  description: string;
  components: SimComponent[];
  vocabulary: string[];
}

export const SIM_TEMPLATES: Record<string, SimProjectSpec> = {
  task_queue: TASK_QUEUE_PROJECT,
  database: DATABASE_PROJECT,
  microservices: MICROSERVICES_PROJECT,
};

export function simProjectFor(template: string): SimProjectSpec {
  const spec = SIM_TEMPLATES[template];
  if (!spec) {
    throw new Error(`sim: unknown project template "${template}"; the sim can write ${Object.keys(SIM_TEMPLATES).join(', ')}`);
  }
  return spec;
}

/**
 * How a phase shapes the work: `build` phases write new code (and may plant
 * defects), `test` and `fix` phases first repair defects from earlier phases.
 */
export type PhaseKind = 'build' | 'test' | 'fix';

export function phaseKind(phase: string): PhaseKind {
  const name = phase.toLowerCase();
  if (/refin|polish|fix|harden|optimi|review|final|cleanup/.test(name)) return 'fix';
  if (/test|qa|verif|valid/.test(name)) return 'test';
  return 'build';
}

export interface SimFile {
  /** Relative to the project folder, with forward slashes. */
  path: string;
  content: string;
}

export const LABEL = 'Written by the megatest sim agent (a simulation, not a real model)';
export const DEFECT_MARK = '// sim-defect: ';
export const TASK_MARK = ' for task: ';
export const COMPONENT_MARK = '// sim-component: ';

/** Task and phase names go into `//` comment lines, which a newline would end. */
export function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}
