// The run's own success criteria (the seed's critical / important /
// nice-to-have lists), judged on the final measurements. A run shorter than
// the phases' nominal length is judged on a lines-of-code target scaled to
// its length (locScale.ts).

import type { CriterionConfig, MegatestConfig, ProjectTemplate } from '../config/types.js';
import { describeLocScale, locScaleFor, scaledLoc } from './locScale.js';

export function finalCriteria(config: MegatestConfig, template: ProjectTemplate): CriterionConfig[] {
  const target = config.project.target;
  const fullLoc = target.min_lines_of_code > 0 ? target.min_lines_of_code : template.target_loc;
  const scale = locScaleFor(config.session.duration_seconds, config.phases);
  const loc = scale ? scaledLoc(fullLoc, scale) : fullLoc;
  const locDescription = scale ? `At least ${loc} lines of code (the target ${fullLoc} scaled: ${describeLocScale(scale)})` : `At least ${loc} lines of code`;
  const coverage = target.min_test_coverage > 0 ? target.min_test_coverage : template.target_coverage;
  return [
    { id: 'build_passes', description: 'The project builds', level: 'critical', metric: 'build_ok', op: '==', value: 1 },
    {
      id: 'tests_pass',
      description: `Test pass rate at least ${(target.min_test_pass_rate * 100).toFixed(0)}%`,
      level: 'critical',
      metric: 'test_pass_rate',
      op: '>=',
      value: target.min_test_pass_rate,
    },
    { id: 'no_fatal_errors', description: 'No fatal error', level: 'critical', metric: 'fatal_errors', op: '==', value: 0 },
    { id: 'checkpoints_valid', description: 'Every checkpoint verifies', level: 'critical', metric: 'checkpoints_valid', op: '==', value: 1 },
    { id: 'no_event_loss', description: 'The event log is complete (seq contiguous)', level: 'critical', metric: 'data_loss_events', op: '==', value: 0 },
    { id: 'coverage_target', description: `Line coverage at least ${coverage}%`, level: 'important', metric: 'test_coverage', op: '>=', value: coverage },
    { id: 'loc_target', description: locDescription, level: 'important', metric: 'lines_of_code', op: '>=', value: loc },
    { id: 'tasks_completed', description: 'At least 90% of the backlog completed', level: 'important', metric: 'tasks_completed_ratio', op: '>=', value: 0.9 },
    {
      id: 'doc_coverage',
      description: `Documented public items at least ${target.min_doc_coverage}%`,
      level: 'nice_to_have',
      metric: 'doc_coverage',
      op: '>=',
      value: target.min_doc_coverage,
    },
  ];
}
