// Part 3 of bench/measure.mjs: the reports the orchestrator reads on its
// own thread after each run of the project's tests (coverage and JUnit),
// generated for a project of a given size, each read --rounds times.

import path from 'node:path';
import { pathToFileURL } from 'node:url';

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Coverage reports of a project of `lines` lines in files of 100: cobertura
 * (each class with 5 methods of 20 lines, as gcovr writes them), with and
 * without the root's counts, and lcov.
 */
function coverageReports(lines, random) {
  const classes = [];
  const lcov = [];
  let covered = 0;
  for (let file = 0; file < lines / 100; file += 1) {
    const hits = Array.from({ length: 100 }, () => (random() < 0.8 ? 1 + Math.floor(random() * 50) : 0));
    covered += hits.filter((count) => count > 0).length;
    const line = (index) => `<line number="${index + 1}" hits="${hits[index]}" branch="false"/>`;
    const methods = Array.from({ length: 5 }, (_, method) => `<method name="fn${method}" signature="()" line-rate="0.8" branch-rate="0"><lines>${hits.slice(method * 20, method * 20 + 20).map((_, index) => line(method * 20 + index)).join('')}</lines></method>`);
    classes.push(`<class name="m${file}" filename="src/pkg${file % 30}/m${file}.rs" line-rate="0.8" branch-rate="0" complexity="0"><methods>${methods.join('')}</methods><lines>${hits.map((_, index) => line(index)).join('')}</lines></class>`);
    lcov.push(`TN:\nSF:src/pkg${file % 30}/m${file}.rs\n${hits.map((count, index) => `DA:${index + 1},${count}`).join('\n')}\nLF:100\nLH:${hits.filter((count) => count > 0).length}\nend_of_record`);
  }
  const body = `<sources><source>/work</source></sources><packages><package name="src" line-rate="0.8" branch-rate="0" complexity="0"><classes>${classes.join('')}</classes></package></packages></coverage>`;
  const rate = (covered / lines).toString();
  return {
    counted: `<?xml version="1.0" ?>\n<coverage version="7.4" timestamp="1" lines-valid="${lines}" lines-covered="${covered}" line-rate="${rate}" branches-covered="0" branches-valid="0" branch-rate="0" complexity="0">${body}`,
    ratesOnly: `<?xml version="1.0" ?>\n<coverage version="1.9" timestamp="1" line-rate="${rate}" branch-rate="0" complexity="0">${body}`,
    lcov: `${lcov.join('\n')}\n`,
    covered,
  };
}

/** A JUnit report of `tests` test cases in suites of 50, one in a hundred failing with a stack trace, as pytest and node:test write them. */
function junitReport(tests, random) {
  const suites = [];
  for (let suite = 0; suite < tests / 50; suite += 1) {
    const cases = [];
    for (let index = 0; index < 50; index += 1) {
      const name = `test_case_${suite}_${index}`;
      const time = (random() * 0.05).toFixed(4);
      if (random() < 0.01) {
        const trace = Array.from({ length: 10 }, (_, line) => `    at check (tests/test_${suite}.py:${line + 10}:5)`).join('\n');
        cases.push(`<testcase classname="tests.test_${suite}" name="${name}" time="${time}"><failure message="AssertionError: assert 2 == 3">AssertionError: assert 2 == 3\n${trace}</failure></testcase>`);
      } else cases.push(`<testcase classname="tests.test_${suite}" name="${name}" time="${time}"/>`);
    }
    suites.push(`<testsuite name="tests.test_${suite}" tests="50">\n${cases.join('\n')}\n</testsuite>`);
  }
  return `<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="pytest tests">${suites.join('\n')}</testsuites>\n`;
}

/** Each report read `rounds` times by the build in distDir (prng: a seeded random source); a row per report. */
export async function reportBench(distDir, lines, rounds, prng) {
  const { parseCoverage } = await import(pathToFileURL(path.join(distDir, 'measure', 'coverage.js')).href);
  const xml = await import(pathToFileURL(path.join(distDir, 'measure', 'xml.js')).href);
  // The reading before: a tree of every element (a build that still has parseXml, or the same tree made here from scanXml's tags).
  const parseXml = xml.parseXml ?? ((text, formatName) => {
    const document = { children: [] };
    const stack = [document];
    xml.scanXml(text, formatName, {
      open(name, attributeText, selfClosing) {
        const element = { name, attributes: xml.parseAttributes(attributeText), children: [], text: '', comments: [] };
        stack.at(-1).children.push(element);
        if (!selfClosing) stack.push(element);
      },
      close: () => stack.pop(),
      text: (part) => (stack.at(-1).text += part),
      comment: (part) => stack.at(-1).comments.push(part),
    });
    return document.children[0];
  });
  const { parseTestOutput } = await import(pathToFileURL(path.join(distDir, 'measure', 'testResults.js')).href);
  const reports = coverageReports(lines, prng(7));
  // As many tests as a tenth of the lines: 30,000 for 300,000 lines.
  const tests = Math.round(lines / 10 / 50) * 50;
  const junit = junitReport(tests, prng(11));
  const cases = [
    ['cobertura, the root\'s counts', () => parseCoverage('cobertura', reports.counted), reports.counted],
    ['(cobertura, rates only)', () => parseCoverage('cobertura', reports.ratesOnly), reports.ratesOnly],
    ['lcov', () => parseCoverage('lcov', reports.lcov), reports.lcov],
    ['(the cobertura as a tree)', () => parseXml(reports.counted, 'cobertura'), reports.counted],
    [`JUnit, ${tests.toLocaleString('en-US')} tests`, () => parseTestOutput('junit', junit), junit],
    ['(the JUnit as a tree)', () => parseXml(junit, 'JUnit'), junit],
  ];
  const rows = [];
  for (const [name, read, text] of cases) {
    const times = [];
    let result;
    for (let round = 0; round < rounds; round += 1) {
      const started = performance.now();
      result = read();
      times.push(performance.now() - started);
    }
    if (result.linesCovered !== undefined && result.linesCovered !== reports.covered) throw new Error(`bench/measure.mjs: ${name} counted ${result.linesCovered} lines covered, the report has ${reports.covered}`);
    const failing = (junit.match(/<failure /g) ?? []).length;
    if (result.failed !== undefined && (result.failed !== failing || result.passed !== tests - failing)) throw new Error(`bench/measure.mjs: ${name} counted ${result.failed} failed and ${result.passed} passed, the report has ${failing} of ${tests} failing`);
    // In brackets, not judged: the tree is the reading before, for comparison; a report with rates only (its lines counted one by one) is what writers older than the DTD's coverage-04 leave.
    rows.push({ name, mb: text.length / 1024 / 1024, first_ms: times[0], median_ms: median(times), judged: !name.startsWith('(') });
  }
  return rows;
}

