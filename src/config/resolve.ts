// Resolution: the merged, schema-checked file becomes a MegatestConfig.
// The file's names (the original runner's, fileForm.ts) are mapped onto
// MegatestConfig's, "template" targets and criterion references get their
// values, and the rules no single key can check (names that must match,
// unique ids) are checked, each error naming the layer its key came from.

import { assertNever } from '../contract/assertNever.js';
import { CRITERION_METRICS, type TargetReference } from './allowedValues.js';
import { originOf, problemAt } from './layerIssues.js';
import type { Layer, Table } from './layers.js';
import type { KeyPath } from './messages.js';
import type { ConfigFile } from './schema.js';
import { formatBound } from './schemaFields.js';
import { NOT_ACTED_ON_FIELDS } from './notActedOn.js';
import type { CriterionConfig, MegatestConfig, PhaseConfig, ProjectTemplate } from './types.js';

/** `merged` and `layers` only serve to say where a rejected value came from. */
export function resolveConfig(file: ConfigFile, merged: Table, layers: readonly Layer[]): MegatestConfig {
  const fail = (keyPath: KeyPath, problem: string): Error => problemAt(keyPath, problem, merged, layers);

  const projects: Record<string, ProjectTemplate> = {};
  for (const [type, template] of Object.entries(file.projects)) projects[type] = { type, ...template };

  const template = projects[file.session.project_type];
  if (template === undefined) {
    throw fail(['session', 'project_type'], `unknown project; valid project types: ${validProjects(projects)}`);
  }

  for (const [type, candidate] of Object.entries(projects)) {
    if ((candidate.test_format === 'junit' || candidate.test_format === 'pytest-junit') && candidate.test_report.trim() === '') {
      throw fail(['projects', type, 'test_format'], 'needs test_report: the junit report file the test command writes (test_report is "")');
    }
    if (candidate.coverage_command.trim() !== '' && candidate.coverage_report.trim() === '') {
      throw fail(['projects', type, 'coverage_command'], 'needs coverage_report: the report file it writes (coverage_report is "")');
    }
  }

  // The file's coverage targets are fractions (the original runner's 0.80); MegatestConfig's are percentages.
  const fileTarget = file.project.target;
  const target = {
    min_lines_of_code: fileTarget.lines_of_code === 'template' ? template.target_loc : fileTarget.lines_of_code,
    min_test_coverage: fileTarget.test_coverage === 'template' ? template.target_coverage : asPercent(fileTarget.test_coverage),
    min_test_pass_rate: fileTarget.min_test_pass_rate,
    min_doc_coverage: asPercent(fileTarget.documentation_coverage),
  };
  const targetValue = (reference: TargetReference): number => {
    switch (reference) {
      case 'target.lines_of_code':
        return target.min_lines_of_code;
      case 'target.test_coverage':
        return target.min_test_coverage;
      case 'target.min_test_pass_rate':
        return target.min_test_pass_rate;
      case 'target.documentation_coverage':
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
    const phaseRoles = phase.roles ?? [];
    phaseRoles.forEach((role, roleIndex) => {
      if (!roles.has(role)) {
        throw fail(['phases', phaseIndex, 'roles', roleIndex], `must be one of [agent].roles: ${[...roles].join(', ')}`);
      }
    });
    const criteria: CriterionConfig[] = (phase.criteria ?? []).map((criterion, criterionIndex) => {
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
    // duration_minutes is the phase's nominal length; the session's duration is shared out in proportion.
    return { name: phase.name, weight: phase.duration_minutes, objectives: phase.objectives, roles: phaseRoles, criteria };
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
  const { auto_recovery, max_recovery_attempts, backoff_strategy, backoff_initial_seconds, backoff_max_seconds, ...checkpoint } =
    file.checkpoint;
  if (backoff_initial_seconds > backoff_max_seconds) {
    throw fail(['checkpoint', 'backoff_initial_seconds'], `must not exceed backoff_max_seconds (${backoff_max_seconds})`);
  }

  const { id, duration_hours, agent_count, project_type, ...session } = file.session;
  const { concurrent_agents, ...agent } = without(file.agent, NOT_ACTED_ON_FIELDS.agent);
  const { min_votes, vote_timeout_secs, ...consensus } = without(file.consensus, NOT_ACTED_ON_FIELDS.consensus);
  const { tokens_per_agent_per_hour, tool_calls_per_agent_per_hour, max_context_size, ...limits } = file.limits;
  const { enabled: notify, webhook_url, ...notifications } = without(file.notifications, NOT_ACTED_ON_FIELDS.notifications);
  return {
    metadata: file.metadata,
    session: { ...session, project: project_type, duration_seconds: duration_hours, agents: agent_count, session_id: id === 'auto' ? '' : id },
    checkpoint,
    agent: { ...agent, max_context_size },
    consensus: { ...consensus, quorum: min_votes, voting_timeout_secs: vote_timeout_secs },
    limits: {
      ...limits,
      tokens_per_hour_per_agent: tokens_per_agent_per_hour,
      tool_calls_per_hour_per_agent: tool_calls_per_agent_per_hour,
      max_parallel_agents: concurrent_agents,
    },
    monitoring: without(file.monitoring, NOT_ACTED_ON_FIELDS.monitoring),
    error_handling: {
      ...without(file.error_handling, NOT_ACTED_ON_FIELDS.error_handling),
      // auto_recovery = false: no recovery attempt, every error pauses the session for a person.
      max_recovery_attempts: auto_recovery ? max_recovery_attempts : 0,
      backoff_strategy,
      backoff_initial_seconds,
      backoff_max_seconds,
    },
    project: { target, performance: without(file.project.performance, NOT_ACTED_ON_FIELDS.performance) },
    phases,
    // enabled = false sends nothing, whatever the webhook.
    notifications: { ...notifications, webhook_url: notify ? webhook_url : '' },
    agents: file.agents,
    projects,
    sim: file.sim,
    ui: file.ui,
  };
}

/** A fraction 0..1 as a percentage, without binary noise (0.7 -> 70, not 70.00000000000001). */
function asPercent(fraction: number): number {
  return Math.round(fraction * 100 * 1e9) / 1e9;
}

/** The table without the keys megatest accepts but does not act on (they never reach MegatestConfig). */
function without<T extends object, K extends string>(table: T, keys: Record<K, unknown>): Omit<T, K> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(table)) if (!(key in keys)) kept[key] = value;
  return kept as Omit<T, K>;
}

/** The project types, sorted, for "valid project types: …". */
export function validProjects(projects: Record<string, unknown>): string {
  return Object.keys(projects).sort().join(', ');
}
