// Lines-of-code targets scale with a run shorter than the phases' nominal
// length (their duration_minutes: 60/120/120/60, 6 h), and the report says so.

import { describe, expect, it } from 'vitest';
import type { CriterionConfig, MegatestConfig, ProjectTemplate } from '../../src/config/types.js';
import { finalCriteria } from '../../src/report/finalCriteria.js';
import { locScaleFor, scaleLocCriteria } from '../../src/report/locScale.js';
import { renderMarkdown } from '../../src/report/report.js';
import { fakeReport } from './fakeReport.js';

const PHASES = [60, 120, 120, 60].map((minutes, i) => ({ name: `p${i}`, weight: minutes, objectives: [], roles: [], criteria: [] }));
const NOMINAL = (60 + 120 + 120 + 60) * 60;

function config(durationSeconds: number, minLoc = 0): MegatestConfig {
  return {
    session: { duration_seconds: durationSeconds },
    phases: PHASES,
    project: { target: { min_lines_of_code: minLoc, min_test_coverage: 0, min_test_pass_rate: 0.95, min_doc_coverage: 50 } },
  } as unknown as MegatestConfig;
}
const TEMPLATE = { target_loc: 5000, target_coverage: 80 } as ProjectTemplate;

const locCriterion = (c: MegatestConfig) => finalCriteria(c, TEMPLATE).find((x) => x.metric === 'lines_of_code')!;

describe('LOC targets scaled to the run', () => {
  it('scales the final target for a run shorter than the phases’ nominal length, and says from what', () => {
    const c = locCriterion(config(60));
    expect(c.value).toBe(Math.round((5000 * 60) / NOMINAL));
    expect(c.description).toMatch(new RegExp(`At least ${c.value} lines of code \\(the target 5000 scaled: this 60 s run is 0\\.28% of the phases' nominal 6 h\\)`));
  });

  it('keeps the target of a run as long as the phases or longer, and a configured minimum is scaled the same way', () => {
    expect(locCriterion(config(NOMINAL))).toMatchObject({ value: 5000, description: 'At least 5000 lines of code' });
    expect(locCriterion(config(24 * 3600)).value).toBe(5000);
    expect(locCriterion(config(NOMINAL / 2, 800)).value).toBe(400);
    expect(locScaleFor(NOMINAL, PHASES)).toBeNull();
  });

  it('scales a phase’s lines-of-code minimum and leaves its other criteria as they are', () => {
    const criteria: CriterionConfig[] = [
      { id: 'final.loc', description: 'The code base reaches the target size', level: 'important', metric: 'lines_of_code', op: '>=', value: 5000 },
      { id: 'final.build', description: 'The project builds', level: 'critical', metric: 'build_ok', op: '==', value: 1 },
      { id: 'final.small', description: 'Stays small', level: 'nice_to_have', metric: 'lines_of_code', op: '<=', value: 9000 },
    ];
    const scaled = scaleLocCriteria(criteria, locScaleFor(NOMINAL / 10, PHASES));
    expect(scaled[0]).toMatchObject({ value: 500, description: 'The code base reaches the target size (target 5000 scaled to 500: this 36 min run is 10.0% of the phases\' nominal 6 h)' });
    expect(scaled[1]).toEqual(criteria[1]);
    expect(scaled[2]).toEqual(criteria[2]);
    expect(scaleLocCriteria(criteria, null)).toEqual(criteria);
  });

  it('the report says the targets were scaled, and by how much', () => {
    const scaled = renderMarkdown(fakeReport('completed', [], [], { loc_target_scale: { factor: 60 / NOMINAL, nominal_seconds: NOMINAL, duration_seconds: 60 } }));
    expect(scaled).toContain("> Lines-of-code targets are scaled to the run's length: this 60 s run is 0.28% of the phases' nominal 6 h");
    const unscaled = renderMarkdown(fakeReport('completed', []));
    expect(unscaled).not.toContain('scaled');
  });
});
