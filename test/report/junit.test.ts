// junit.xml as CI reads it: one testcase per criterion, a failed important or
// nice-to-have criterion skipped (not failed), a failed critical one failed,
// the run itself a testcase that a timeout or an interruption fails; and the
// verdict CI reads (any <failure>) always the exit code's.

import { describe, expect, it } from 'vitest';
import type { SessionStatus } from '../../src/contract/statuses.js';
import { renderJUnit, renderMarkdown, reportExitCode } from '../../src/report/report.js';
import { criterion, fakeReport } from './fakeReport.js';

const report = fakeReport;

/** Testcases as (suite, name, outcome), read from the XML by pattern. */
function cases(xml: string): { suite: string; name: string; outcome: 'failure' | 'skipped' | 'passed' }[] {
  const out: { suite: string; name: string; outcome: 'failure' | 'skipped' | 'passed' }[] = [];
  for (const suite of xml.matchAll(/<testsuite name="([^"]*)"[^>]*>([\s\S]*?)<\/testsuite>/g)) {
    for (const c of suite[2]!.matchAll(/<testcase [^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)) {
      const body = c[2]!;
      out.push({ suite: suite[1]!, name: c[1]!, outcome: body.includes('<failure') ? 'failure' : body.includes('<skipped') ? 'skipped' : 'passed' });
    }
  }
  return out;
}

const attribute = (xml: string, name: string) => Number(new RegExp(`<testsuites [^>]*${name}="(\\d+)"`).exec(xml)![1]);

describe('junit.xml', () => {
  const finalCriteria = [criterion('build_passes', 'critical', true), criterion('loc_target', 'important', false), criterion('doc_coverage', 'nice_to_have', false)];
  const bootstrap = { name: 'bootstrap', started_at: null, ended_at: null, passed: false, criteria: [criterion('bootstrap.build_ok', 'critical', false), criterion('bootstrap.tests_exist', 'important', true)] };

  it('has each criterion once: the final ones in one suite, each phase’s in a suite of its own, and the run', () => {
    const xml = renderJUnit(report('completed', finalCriteria, [bootstrap]));
    const all = cases(xml);
    expect(all.map((c) => c.suite)).toEqual(['s1 run', 's1 final criteria', 's1 final criteria', 's1 final criteria', 's1 phase bootstrap', 's1 phase bootstrap']);
    expect(new Set(all.map((c) => `${c.suite}/${c.name}`)).size).toBe(all.length);
    expect(attribute(xml, 'tests')).toBe(all.length);
    // Each phase's criteria have a classname of their own, so a CI view never folds them into the final ones.
    expect(xml).toContain('classname="megatest.phase.bootstrap.critical"');
    expect(xml).toContain('classname="megatest.final.critical"');
  });

  it('skips a failed important or nice-to-have criterion with its evidence, and fails a failed critical one', () => {
    const xml = renderJUnit(report('completed', [...finalCriteria, criterion('tests_pass', 'critical', false)]));
    const byName = Object.fromEntries(cases(xml).map((c) => [c.name.split(':')[0], c.outcome]));
    expect(byName).toMatchObject({ build_passes: 'passed', loc_target: 'skipped', doc_coverage: 'skipped', tests_pass: 'failure' });
    expect(xml).toMatch(/<skipped message="not met \(important, does not fail the run\): loc_target not met"\/>/);
    expect(attribute(xml, 'failures')).toBe(1);
    expect(attribute(xml, 'skipped')).toBe(2);
  });

  it('never fails on a phase gate: the run is judged on its final criteria', () => {
    const xml = renderJUnit(report('completed', finalCriteria, [bootstrap]));
    expect(cases(xml).find((c) => c.name.startsWith('bootstrap.build_ok'))!.outcome).toBe('skipped');
    expect(attribute(xml, 'failures')).toBe(0);
  });

  it('fails the run itself on a timeout and on an interruption', () => {
    for (const [status, type] of [
      ['timeout', 'timeout'],
      ['interrupted', 'interrupted'],
      ['failed', 'failed'],
    ] as const) {
      const xml = renderJUnit(report(status, [criterion('build_passes', 'critical', true)]));
      const run = cases(xml).find((c) => c.suite === 's1 run')!;
      expect(run.outcome, status).toBe('failure');
      expect(xml).toMatch(new RegExp(`<failure message="session ${status} \\(exit code \\d+\\)[^"]*" type="${type}">`));
    }
    expect(cases(renderJUnit(report('completed', finalCriteria))).find((c) => c.suite === 's1 run')!.outcome).toBe('passed');
  });

  it('agrees with the exit code: failures in junit.xml exactly when the exit code is not 0', () => {
    const statuses: SessionStatus[] = ['completed', 'timeout', 'interrupted', 'failed', 'running'];
    const criteriaSets = [finalCriteria, [...finalCriteria, criterion('tests_pass', 'critical', false)], [criterion('loc_target', 'important', false)]];
    for (const status of statuses) {
      for (const criteria of criteriaSets) {
        const r = report(status, criteria, [bootstrap]);
        const failures = attribute(renderJUnit(r), 'failures');
        expect(failures > 0, `${status} with ${criteria.map((c) => `${c.id}:${c.passed}`).join(',')}`).toBe(reportExitCode(r) !== 0);
      }
    }
  });
});

describe('junit.xml and final_report.md with what agents printed', () => {
  // XML 1.0's Char: tab, newline, carriage return, and U+0020 up, no lone surrogate, no U+FFFE or U+FFFF.
  const XML_CHARS = /^(?:[\t\n\r\u0020-\uD7FF\uE000-\uFFFD]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;
  const printed = 'fatal: \u001b[31mboom\u001b[0m ring\u0007 in\ttask\rX \uD800 half';
  const r = fakeReport('failed', [criterion('build_passes', 'critical', false)], [], {
    reason: printed,
    models: [{ model: `model\u001b[1m-x\u0000`, tasks: [`task\u0008 two\u001b[2J`], input_tokens: 1, output_tokens: 1, total_tokens: 2, cost_usd: null }],
  });

  it('junit.xml holds only characters XML allows: an escape or a bell in the end reason made it unreadable to CI', () => {
    const xml = renderJUnit(r);
    expect(XML_CHARS.test(xml)).toBe(true);
    expect(xml).toContain('fatal: boom ring^G in task X \uFFFD half');
  });

  it('final_report.md has no escape sequence or control character of theirs', () => {
    const md = renderMarkdown(r);
    // eslint-disable-next-line no-control-regex
    expect(md).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(md).toContain('task^H two');
  });
});

describe('junit.xml and the Markdown with what a test runner printed in the evidence', () => {
  // A runner's message as it reaches the evidence: ANSI colours (ESC), a NUL, a line break, markup, a table bar.
  const printed = 'tests_total was not measured: the last test run gave no results: \u001b[31merror\u001b[0m: <b>&"x"</b> | a\u0000b\nsecond line';
  const failed = { id: 'tests_pass', description: 'Pass | rate', level: 'critical' as const, passed: false, evidence: printed };

  it('writes XML that a strict parser reads, line breaks in attributes kept', async () => {
    const xml = renderJUnit(report('completed', [failed]));
    expect(xml).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
    // Read back by a parser other than ours: Python's expat.
    const { execFileSync } = await import('node:child_process');
    const read = execFileSync(
      'python3',
      ['-c', 'import sys, xml.etree.ElementTree as E; r = E.fromstring(sys.stdin.buffer.read()); f = r.find(".//failure"); print(f.get("message"))'],
      { input: xml, encoding: 'utf8' },
    );
    // The colours gone, the NUL shown as ^@ (contract/printable.ts), the line break kept.
    expect(read).toBe('tests_total was not measured: the last test run gave no results: error: <b>&"x"</b> | a^@b\nsecond line\n');
  });

  it('keeps a criterion one row of the Markdown table', async () => {
    const { renderMarkdown } = await import('../../src/report/report.js');
    const row = renderMarkdown(report('completed', [failed]))
      .split('\n')
      .find((line) => line.startsWith('| Pass'));
    expect(row).toBe('| Pass \\| rate | critical | FAIL | tests_total was not measured: the last test run gave no results: error: <b>&"x"</b> \\| a^@b second line |');
  });
});
