// JUnit XML (node:test's junit reporter, pytest's --junitxml, and the many
// tools that write it), read tag by tag (scanXml) as the orchestrator reads
// it after each run of the project's tests, on its own thread: a suite of
// tens of thousands of tests is counted without a tree of every element.
//
// What it counts is what a tree of the report gives (the tests compare the
// two): the <testcase> elements reached through <testsuite> elements from
// the root; a case fails by its first <failure> or <error> child, is skipped
// by a <skipped> child, passes otherwise; node:test's own totals, in
// comments inside the root, stand for the counts when present. Cases of the
// same suite, classname and name are one test: pytest writes a test that
// failed and then errored in teardown as two <testcase> elements, the
// failure and the error, to follow the JUnit schema (its junitxml plugin;
// the suite's `tests` attribute counts it once). Such a test fails if any
// of its cases failed or errored (its first problem is its message), else
// is skipped if any was skipped, else passes; except that a failure
// followed by a pass is a rerun that passed (Gradle's test-retry plugin
// writes every execution as its own <testcase>, the last one the one that
// counts) and is dropped: the test passes, counted flaky. Maven surefire's reruns are elements
// inside one <testcase> (<flakyFailure>, <rerunFailure>, …): only its own
// <failure>/<error> fails it; a passing case with reruns is counted flaky.

import { assertNever } from '../contract/assertNever.js';
import type { TestFailure, TestSummary } from './testResults.js';
import { parseAttributes, scanXml } from './xml.js';

type NodeTotals = Partial<Record<'tests' | 'suites' | 'pass' | 'fail' | 'cancelled' | 'skipped' | 'todo' | 'duration_ms', number>>;

interface CaseState {
  name: string;
  classname: string;
  suitePath: string[];
  problem: ProblemState | null;
  skipped: boolean;
  /** A <flakyFailure>, <flakyError>, <rerunFailure> or <rerunError> child (Maven surefire's reruns). */
  rerunProblems: boolean;
}

interface ProblemState {
  element: string;
  message: string | undefined;
  type: string | undefined;
  /** All its text as a tree would give it: its own text, then each child's, in order. */
  text: string;
}

/** What an open element is to the count. */
type Frame =
  | { role: 'suite'; suitePath: string[] }
  | { role: 'case'; state: CaseState }
  /** The first <failure> or <error> of a case, or an element inside it: their text is kept. */
  | { role: 'problem text'; own: string; children: string; problem: ProblemState | null }
  | { role: 'other' };

const OTHER: Frame = { role: 'other' };

/** Maven surefire's reruns of a test: failures of runs other than the one that counts (its <failure>/<error>, or none when a rerun passed). */
const RERUN_PROBLEMS: ReadonlySet<string> = new Set(['flakyFailure', 'flakyError', 'rerunFailure', 'rerunError']);

export function parseJUnitXml(xml: string): TestSummary {
  const formatName = 'parseJUnitXml (expected JUnit XML: <testsuites> or <testsuite> with <testcase> elements)';
  if (!/<\s*(testsuites|testsuite)\b/.test(xml)) {
    throw new Error(`${formatName}: no <testsuites> or <testsuite> element found`);
  }
  const summary: TestSummary = { passed: 0, failed: 0, skipped: 0, durationSeconds: 0, failures: [] };
  const countTestCase = caseCounter(summary);
  let rootName = '';
  let rootTime: string | undefined;
  const rootComments: string[] = [];
  /** The time of the root's own <testsuite> and <testcase> children, for a root without one. */
  let childrenSeconds = 0;
  const frames: Frame[] = [];

  const opened = (name: string, attributeText: string, depth: number): Frame => {
    if (depth === 0) {
      rootName = name;
      const attributes = parseAttributes(attributeText);
      rootTime = attributes.time;
      return { role: 'suite', suitePath: name === 'testsuite' ? [attributes.name ?? ''] : [] };
    }
    const parent = frames[frames.length - 1] as Frame;
    if (depth === 1 && (name === 'testsuite' || name === 'testcase')) childrenSeconds += parseSeconds(parseAttributes(attributeText).time) ?? 0;
    switch (parent.role) {
      case 'suite': {
        if (name === 'testsuite') return { role: 'suite', suitePath: [...parent.suitePath, parseAttributes(attributeText).name ?? ''] };
        if (name !== 'testcase') return OTHER;
        const attributes = parseAttributes(attributeText);
        return { role: 'case', state: { name: attributes.name ?? '', classname: attributes.classname ?? '', suitePath: parent.suitePath, problem: null, skipped: false, rerunProblems: false } };
      }
      case 'case': {
        const state = parent.state;
        if (name === 'skipped') state.skipped = true;
        if (RERUN_PROBLEMS.has(name)) state.rerunProblems = true;
        if ((name !== 'failure' && name !== 'error') || state.problem !== null) return OTHER;
        const attributes = parseAttributes(attributeText);
        state.problem = { element: name, message: attributes.message, type: attributes.type, text: '' };
        return { role: 'problem text', own: '', children: '', problem: state.problem };
      }
      case 'problem text':
        return { role: 'problem text', own: '', children: '', problem: null };
      case 'other':
        return OTHER;
      default:
        return assertNever(parent, 'parseJUnitXml frame');
    }
  };

  const closed = (frame: Frame): void => {
    if (frame.role === 'case') countTestCase(frame.state);
    else if (frame.role === 'problem text') {
      const text = frame.own + frame.children;
      if (frame.problem !== null) frame.problem.text = text;
      else {
        const parent = frames[frames.length - 1];
        if (parent?.role === 'problem text') parent.children += text;
      }
    }
  };

  scanXml(xml, formatName, {
    open(name, attributeText, selfClosing, depth) {
      const frame = opened(name, attributeText, depth);
      if (selfClosing) closed(frame);
      else frames.push(frame);
    },
    close() {
      closed(frames.pop() as Frame);
    },
    text(text) {
      const frame = frames[frames.length - 1];
      if (frame?.role === 'problem text') frame.own += text;
    },
    comment(text, depth) {
      if (depth === 0) rootComments.push(text);
    },
  });
  if (rootName !== 'testsuites' && rootName !== 'testsuite') {
    throw new Error(`${formatName}: root element is <${rootName}>`);
  }

  const nodeTotals = readNodeJUnitTotals(rootComments);
  if (nodeTotals) {
    // node:test's own totals, so TAP and JUnit of one run agree (node counts
    // a test whose subtest failed as failed too).
    summary.passed = nodeTotals.pass ?? summary.passed;
    summary.failed = (nodeTotals.fail ?? 0) + (nodeTotals.cancelled ?? 0);
    summary.skipped = (nodeTotals.skipped ?? 0) + (nodeTotals.todo ?? 0);
  }
  if (nodeTotals?.duration_ms !== undefined) summary.durationSeconds = nodeTotals.duration_ms / 1000;
  // No total on the root: the outermost suites and cases added up.
  else summary.durationSeconds = parseSeconds(rootTime) ?? childrenSeconds;
  return summary;
}

type Outcome = 'failed' | 'skipped' | 'passed';

/** What the count holds of one test (suite path, classname, name) so far. */
interface TestSeen {
  /** Its first failure since its last pass (a case failed, and no later case passed), listed in summary.failures. */
  pending: TestFailure | undefined;
  skipped: boolean;
  /** A failure was followed by a pass: a rerun passed it. */
  rerunPassed: boolean;
}

function outcomeOf(test: TestSeen): Outcome {
  return test.pending ? 'failed' : test.skipped ? 'skipped' : 'passed';
}

/**
 * Counts each test once, however many <testcase> elements it has (see the
 * top of the file). A failed case followed by a passing one is a rerun that
 * passed (Gradle's test-retry plugin writes each execution as its own
 * <testcase>, in order; the build goes by the last): that failure is
 * dropped. What is left decides, as for any test of several cases: failed
 * if a case failed (pytest's failure and then teardown error; a pass and
 * then a failure), else skipped if one was skipped, else passed, counted
 * flaky when a failure was dropped.
 */
function caseCounter(summary: TestSummary): (testCase: CaseState) => void {
  /** Suite path (its depth, then its parts, joined by NUL, which XML text cannot hold), classname, name -> the test so far. */
  const seen = new Map<string, Map<string, Map<string, TestSeen>>>();
  /** Each suite's path joined, once per suite rather than once per case. */
  const suiteKeys = new WeakMap<string[], string>();
  const isFlaky = (test: TestSeen) => test.rerunPassed && outcomeOf(test) === 'passed';
  return (testCase) => {
    let suiteKey = suiteKeys.get(testCase.suitePath);
    if (suiteKey === undefined) suiteKeys.set(testCase.suitePath, (suiteKey = `${testCase.suitePath.length}\0${testCase.suitePath.join('\0')}`));
    let classes = seen.get(suiteKey);
    if (classes === undefined) seen.set(suiteKey, (classes = new Map()));
    let names = classes.get(testCase.classname);
    if (names === undefined) classes.set(testCase.classname, (names = new Map()));
    let test = names.get(testCase.name);
    if (test === undefined) names.set(testCase.name, (test = { pending: undefined, skipped: false, rerunPassed: false }));
    else {
      summary[outcomeOf(test)]--;
      if (isFlaky(test)) summary.flaky = (summary.flaky ?? 1) - 1;
    }
    if (testCase.problem) {
      if (test.pending === undefined) {
        test.pending = { name: testCaseName(testCase), message: failureMessage(testCase.problem) };
        summary.failures.push(test.pending);
      }
    } else if (testCase.skipped) test.skipped = true;
    else if (test.pending !== undefined) {
      summary.failures.splice(summary.failures.indexOf(test.pending), 1);
      test.pending = undefined;
      test.rerunPassed = true;
    }
    // Maven surefire's rerunFailingTestsCount: a test that passed on a rerun holds <flakyFailure>/<flakyError>, not <failure>.
    if (!testCase.problem && !testCase.skipped && testCase.rerunProblems) test.rerunPassed = true;
    summary[outcomeOf(test)]++;
    if (isFlaky(test)) summary.flaky = (summary.flaky ?? 0) + 1;
    if (summary.flaky === 0) delete summary.flaky;
  };
}

function testCaseName({ name, classname, suitePath }: CaseState): TestFailure['name'] {
  // node:test writes classname="test" on every case, which says nothing; its
  // nesting is in the enclosing <testsuite> names instead.
  if (classname !== '' && classname !== 'test') return `${classname}::${name}`;
  return [...suitePath.filter((part) => part !== ''), name].join(' > ');
}

function failureMessage(problem: ProblemState): string {
  if (problem.message !== undefined && problem.message.trim() !== '') return problem.message.trim();
  const firstLine = problem.text
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '');
  return firstLine ?? problem.type ?? problem.element;
}

function readNodeJUnitTotals(comments: readonly string[]): NodeTotals | undefined {
  const totals: NodeTotals = {};
  let found = false;
  for (const comment of comments) {
    const match = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/.exec(comment);
    if (!match) continue;
    totals[match[1] as keyof NodeTotals] = Number(match[2]);
    found = true;
  }
  return found && totals.pass !== undefined && totals.fail !== undefined ? totals : undefined;
}

function parseSeconds(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  // Some writers group thousands ("1,234.5").
  const seconds = Number(value.replace(/,/g, ''));
  return Number.isFinite(seconds) ? seconds : undefined;
}
