// What the sim writes into project/: a real small JavaScript project for the
// session's template. A task of the sim's own backlog (backlog.ts) names
// the component or settings module it writes; any other task maps, by the
// words and a hash of its name, to one of the template's components (a module
// and its tests); once every component is written, further tasks add
// generated feature (settings) modules, so more tasks means more code. Some components are first written with a planted defect that a
// task of a later phase finds and fixes. Content depends only on seed,
// template and task; which file a task writes also depends on what is
// already in project/ (like a real swarm, it builds on the work so far).//
// The parts: projectSpec.ts (templates, header marks), componentFiles.ts,
// featureFiles.ts and scaffoldFiles.ts (what the files hold); this module
// decides which of them a task writes.

import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../../io/atomic.js';
import { namedComponent, SETTINGS_TASK_MARK } from './backlog.js';
import { defectiveComponents, renderComponent } from './componentFiles.js';
import { renderFeature, taskSlug } from './featureFiles.js';
import { DEFECT_MARK, oneLine, phaseKind, simProjectFor, TASK_MARK, type SimFile, type SimProjectSpec } from './projectSpec.js';
import { hashString } from './random.js';
import { renderScaffold } from './scaffoldFiles.js';
import type { SimComponent } from './templates/component.js';

export { defectiveComponents, renderComponent } from './componentFiles.js';
export { renderFeature, taskSlug } from './featureFiles.js';
export { phaseKind, SIM_TEMPLATES, simProjectFor, type PhaseKind, type SimFile, type SimProjectSpec } from './projectSpec.js';
export { renderScaffold, SIM_TEST_ENTRY } from './scaffoldFiles.js';
export { simBacklog } from './backlog.js';

export interface TaskWork {
  files: SimFile[];
  /** Components whose planted defect this task repaired. */
  fixed: string[];
  /** The component this task wrote, or undefined when it wrote a feature module. */
  component?: string;
  /** Whether the component went out with a planted defect. */
  defective: boolean;
  /** The feature module written once all components existed. */
  feature?: string;
}

interface WrittenModule {
  task: string;
  defectPhase?: string;
}

function readModuleHeader(file: string): WrittenModule | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const head = text.slice(0, 2000).split('\n', 6);
  const taskLine = head.find((line) => line.includes(TASK_MARK));
  const task = taskLine ? taskLine.slice(taskLine.indexOf(TASK_MARK) + TASK_MARK.length) : '';
  const defectLine = head.find((line) => line.startsWith(DEFECT_MARK));
  const defectPhase = defectLine?.match(/planted in phase (.*); a later task fixes it\)$/)?.[1];
  return { task, defectPhase };
}

function words(text: string): Set<string> {
  const split = text.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/);
  return new Set(split.filter((word) => word.length > 2).map((word) => word.replace(/s$/, '')));
}

/**
 * Components in the order a task tries them: those sharing words with the
 * task first (a task "RESP parser" goes to resp), then from a slot picked by
 * a hash of the task's name, wrapping round.
 */
function candidateOrder(spec: SimProjectSpec, template: string, task: string): SimComponent[] {
  const taskWords = words(task);
  const count = spec.components.length;
  const start = hashString(`${template}\u0000${task}`) % count;
  const ranked = spec.components.map((component, index) => {
    let overlap = 0;
    for (const word of words(`${component.id} ${component.title}`)) if (taskWords.has(word)) overlap++;
    return { component, overlap, probe: (index - start + count) % count };
  });
  ranked.sort((a, b) => b.overlap - a.overlap || a.probe - b.probe);
  return ranked.map((entry) => entry.component);
}

/**
 * Decides what one task writes, given what project/ already holds: repairs
 * of defects planted in earlier phases, then the task's own component or
 * feature module, plus the scaffold and any component it imports.
 */
export function planTask(projectDir: string, template: string, seed: number, task: string, phase: string): TaskWork {
  const spec = simProjectFor(template);
  const kind = phaseKind(phase);
  const files: SimFile[] = [];
  const fixed: string[] = [];
  const byId = new Map(spec.components.map((c) => [c.id, c]));

  for (const component of spec.components) {
    const written = readModuleHeader(path.join(projectDir, 'src', `${component.id}.js`));
    if (!written?.defectPhase) continue;
    if (kind === 'build' && written.defectPhase === oneLine(phase)) continue;
    files.push(...renderComponent(template, component, written.task || task, undefined));
    fixed.push(component.id);
  }

  for (const file of renderScaffold(template)) {
    if (!existsSync(path.join(projectDir, file.path))) files.push(file);
  }

  // A task of the sim's own backlog (backlog.ts) names what it writes: that component, or a settings module.
  const named = namedComponent(spec, task);
  if (named && fixed.includes(named.id)) return { files, fixed, component: named.id, defective: false };
  let chosen: SimComponent | undefined = named;
  const wantsSettings = named === undefined && task.includes(SETTINGS_TASK_MARK);
  for (const candidate of wantsSettings ? [] : candidateOrder(spec, template, task)) {
    if (chosen) break;
    if (fixed.includes(candidate.id)) continue;
    const written = readModuleHeader(path.join(projectDir, 'src', `${candidate.id}.js`));
    if (!written || written.task === oneLine(task)) chosen = candidate;
  }

  if (!chosen) {
    files.push(...renderFeature(template, seed, task));
    return { files, fixed, defective: false, feature: taskSlug(task) };
  }
  for (const id of chosen.requires) {
    const dependency = byId.get(id)!;
    if (!existsSync(path.join(projectDir, 'src', `${id}.js`)) && !fixed.includes(id)) {
      files.push(...renderComponent(template, dependency, task, undefined));
    }
  }
  const defective = kind === 'build' && defectiveComponents(template, seed).has(chosen.id);
  files.push(...renderComponent(template, chosen, task, defective ? { phase } : undefined));
  return { files, fixed, component: chosen.id, defective };
}

/** Writes the files atomically: the orchestrator measures project/ while agents write it. */
export function writeWork(projectDir: string, files: SimFile[]): void {
  for (const file of files) {
    const target = path.join(projectDir, ...file.path.split('/'));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileAtomicSync(target, file.content);
  }
}

/** Every file under a folder with its content, for comparisons (skips dot files). */
export function snapshotProject(projectDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), rel);
      else out[rel] = readFileSync(path.join(dir, entry.name), 'utf8');
    }
  };
  if (existsSync(projectDir)) walk(projectDir, '');
  return out;
}
