// A component's module and tests as the sim writes them, with or without
// the planted defect a later phase finds and fixes.

import { Random } from './random.js';
import { COMPONENT_MARK, DEFECT_MARK, LABEL, oneLine, simProjectFor, TASK_MARK, type SimFile } from './projectSpec.js';
import type { SimComponent } from './templates/component.js';

/** Components that are planted with a defect when a build phase writes them: a third of them, chosen by seed. */
export function defectiveComponents(template: string, seed: number): Set<string> {
  const spec = simProjectFor(template);
  const random = Random.from('defects', template, seed);
  const ids = spec.components.map((c) => c.id);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  return new Set(ids.slice(0, Math.max(1, Math.ceil(ids.length / 3))));
}

/** The module and test of one component, exactly as the sim writes them. */
export function renderComponent(
  template: string,
  component: SimComponent,
  task: string,
  defect: { phase: string } | undefined,
): SimFile[] {
  const spec = simProjectFor(template);
  let source = component.module;
  const header = [
    `// ${spec.name} — ${component.id}: ${component.title}.`,
    `// ${LABEL}${TASK_MARK}${oneLine(task)}`,
    `${COMPONENT_MARK}${component.id}`,
  ];
  if (defect) {
    if (source.split(component.bug.find).length !== 2) {
      throw new Error(`sim: defect of ${template}/${component.id} does not match its source exactly once`);
    }
    source = source.replace(component.bug.find, () => component.bug.replace);
    header.push(`${DEFECT_MARK}${component.bug.note} (planted in phase ${oneLine(defect.phase)}; a later task fixes it)`);
  }
  const testHeader = `// Tests for ${component.id}. ${LABEL}${TASK_MARK}${oneLine(task)}\n`;
  return [
    { path: `src/${component.id}.js`, content: header.join('\n') + '\n\n' + source },
    { path: `test/${component.id}.test.js`, content: testHeader + component.test },
  ];
}
