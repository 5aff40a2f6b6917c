// Resolution: the merged, schema-checked file becomes a MegatestConfig.
// "template" targets and criterion references get their values, and the
// rules no single key can check (names that must match, unique ids) are
// checked, each error naming the layer its key came from.

import { assertNever } from '../contract/assertNever.js';
import { CRITERION_METRICS, type TargetReference } from './allowedValues.js';
import { originOf, problemAt } from './layerIssues.js';
import type { Layer, Table } from './layers.js';
import type { KeyPath } from './messages.js';
import type { ConfigFile } from './schema.js';
import { formatBound } from './schemaFields.js';
import type { CriterionConfig, MegatestConfig, PhaseConfig, ProjectTemplate } from './types.js';

/** `merged` and `layers` only serve to say where a rejected value came from. */
export function resolveConfig(file: ConfigFile, merged: Table, layers: readonly Layer[]): MegatestConfig {
  const fail = (keyPath: KeyPath, problem: string): Error => problemAt(keyPath, problem, merged, layers);

  const projects: Record<string, ProjectTemplate> = {};
  for (const [type, template] of Object.entries(file.projects)) projects[type] = { type, ...template };

  const template = projects[file.session.project];
  if (template === undefined) {
    throw fail(['session', 'project'], `unknown project; valid project types: ${validProjects(projects)}`);
  }

  for (const [type, candidate] of Object.entries(projects)) {
    if ((candidate.test_format === 'junit' || candidate.test_format === 'pytest-junit') && candidate.test_report.trim() === '') {
      throw fail(['projects', type, 'test_format'], 'needs test_report: the junit report file the test command writes (test_report is "")');
    }
    if (candidate.coverage_command.trim() !== '' && candidate.coverage_report.trim() === '') {
      throw fail(['projects', type, 'coverage_command'], 'needs coverage_report: the report file it writes (coverage_report is "")');
    }
  }

  const target = {
    min_lines_of_code: file.project.target.min_lines_of_code === 'template' ? template.target_loc : file.project.target.min_lines_of_code,
    min_test_coverage:
      file.project.target.min_test_coverage === 'template' ? template.target_coverage : file.project.target.min_test_coverage,
    min_test_pass_rate: file.project.target.min_test_pass_rate,
    min_doc_coverage: file.project.target.min_doc_coverage,
  };
  const targetValue = (reference: TargetReference): number => {
    switch (reference) {
      case 'target.min_lines_of_code':
        return target.min_lines_of_code;
      case 'target.min_test_coverage':
        return target.min_test_coverage;
      case 'target.min_test_pass_rate':
        return target.min_test_pass_rate;
      case 'target.min_doc_coverage':
        return target.min_doc_coverage;
      default:
        return assertNever(reference, 'target reference');
    }
  };

  const roles = new Set(file.agent.roles);
  const phaseNames = new Set<string>();
  const criterionIds = new Set<string>();
  const phases: PhaseConfig[] = file.phases.map((phase, phaseIndex) => {
    if (phaseNames.has(phase.name)) throw fail(['phases', phaseIndex, 'name'], 'must be unique: another phase has this name');
    phaseNames.add(phase.name);
    phase.roles.forEach((role, roleIndex) => {
      if (!roles.has(role)) {
        throw fail(['phases', phaseIndex, 'roles', roleIndex], `must be one of [agent].roles: ${[...roles].join(', ')}`);
      }
    });
    const criteria: CriterionConfig[] = phase.criteria.map((criterion, criterionIndex) => {
      const where = ['phases', phaseIndex, 'criteria', criterionIndex] as const;
      if (criterionIds.has(criterion.id)) throw fail([...where, 'id'], 'must be unique: another criterion has this id');
      criterionIds.add(criterion.id);
      const value = typeof criterion.value === 'number' ? criterion.value : targetValue(criterion.value);
      const range = CRITERION_METRICS[criterion.metric];
      if (value < range.min || value > range.max) {
        const shown = typeof criterion.value === 'number' ? '' : ` (${criterion.value} is ${value})`;
        throw fail(
          [...where, 'value'],
          `must be ${formatBound(range.min)}..${formatBound(range.max)} for metric ${criterion.metric} (${range.unit})${shown}`,
        );
      }
      return { ...criterion, value };
    });
    return { ...phase, criteria };
  });

  phases.forEach((phase, phaseIndex) => {
    if (template.tasks[phase.name] !== undefined) return;
    throw fail(
      ['phases', phaseIndex, 'name'],
      `project template ${template.type} has no tasks for this phase; its tasks cover ${Object.keys(template.tasks).join(', ')} ` +
        `(add [projects.${template.type}.tasks] ${phase.name} = [3..6 tasks])`,
    );
  });

  // A misspelt phase would leave the fault silently unfired for the whole run.
  file.sim.faults.forEach((fault, faultIndex) => {
    if (fault.in_phase === undefined || phaseNames.has(fault.in_phase)) return;
    throw fail(['sim', 'faults', faultIndex, 'in_phase'], `must name one of the [[phases]]: ${[...phaseNames].join(', ')}`);
  });

  if (file.agents.kind === 'command' && file.agents.command.trim() === '') {
    const kindFromFlag = originOf(['agents', 'kind'], layers).flags !== undefined;
    throw kindFromFlag
      ? fail(['agents', 'kind'], 'needs the agent\'s command line: pass --agent-cmd "…" or set [agents].command in a --config file')
      : fail(['agents', 'command'], 'must be the agent\'s command line when [agents].kind = "command" (or pass --agent-cmd)');
  }
  if (file.error_handling.backoff_initial_seconds > file.error_handling.backoff_max_seconds) {
    throw fail(
      ['error_handling', 'backoff_initial_seconds'],
      `must not exceed backoff_max_seconds (${file.error_handling.backoff_max_seconds})`,
    );
  }

  return {
    metadata: file.metadata,
    session: file.session,
    checkpoint: file.checkpoint,
    agent: file.agent,
    consensus: file.consensus,
    limits: file.limits,
    monitoring: file.monitoring,
    error_handling: file.error_handling,
    project: { target, performance: file.project.performance },
    phases,
    notifications: file.notifications,
    agents: file.agents,
    projects,
    sim: file.sim,
    ui: file.ui,
  };
}

/** The project types, sorted, for "valid project types: …". */
export function validProjects(projects: Record<string, unknown>): string {
  return Object.keys(projects).sort().join(', ');
}
