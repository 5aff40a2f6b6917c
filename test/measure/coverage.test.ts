import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CoverageNotMeasured, parseCobertura, parseCoverage, parseIstanbulSummary, parseLcov, type CoverageFormat } from '../../src/measure/coverage.js';
import { descendants, parseXml } from '../helpers/xmlTree.js';
import { runCommand } from '../../src/measure/runCommand.js';
import { PACKAGE_ROOT, SHARED_FIXTURES_DIR } from '../../src/paths.js';

const FIXTURES = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'measure');
const read = (relative: string): string => readFileSync(path.join(FIXTURES, relative), 'utf8');

const temporaryDirs: string[] = [];
afterAll(() => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

describe('parseLcov', () => {
  it('reads node --experimental-test-coverage lcov (node-test.lcov.info)', () => {
    const text = read('node-test.lcov.info');
    // Counted from the file: checks/math.check.mjs LF:27 LH:27 FNF:8 FNH:7
    // BRF:8 BRH:8; lib/math.js LF:21 LH:16 (DA:17-21 are 0) FNF:3 FNH:2 BRF:4 BRH:4.
    const lineTotals = [...text.matchAll(/^LF:(\d+)$/gm)].map((match) => Number(match[1]));
    expect(lineTotals).toEqual([27, 21]);
    const summary = parseLcov(text);
    expect(summary).toMatchObject({ linesCovered: 43, linesTotal: 48 });
    expect(summary.linesPct).toBeCloseTo((43 / 48) * 100, 10);
    expect(summary.functionsPct).toBeCloseTo((9 / 11) * 100, 10);
    expect(summary.branchesPct).toBe(100);
  });

  it('merges a file reported twice (two test processes) line by line', () => {
    const text = ['SF:a.js', 'DA:1,1', 'DA:2,0', 'DA:3,0', 'end_of_record', 'SF:a.js', 'DA:1,0', 'DA:2,4', 'DA:3,0', 'end_of_record', ''].join('\n');
    expect(parseLcov(text)).toEqual({ linesPct: (2 / 3) * 100, linesCovered: 2, linesTotal: 3, branchesPct: null, functionsPct: null });
  });

  it('gives no figure for a tracefile that lists no lines (LF:0), not 0%', () => {
    expect(() => parseLcov('TN:\nSF:empty.js\nLF:0\nLH:0\nend_of_record\n')).toThrow(CoverageNotMeasured);
    expect(() => parseLcov('SF:empty.js\nend_of_record\n')).toThrow(/parseLcov: the tracefile lists no lines \(no DA: line, LF:0\): nothing was measured/);
  });

  it('leaves out the records of the files leaveOut names', () => {
    const text = ['SF:/p/src/a.js', 'DA:1,1', 'DA:2,0', 'FNDA:1,f', 'end_of_record', 'SF:/p/tests/a.js', 'DA:1,1', 'DA:2,1', 'FNDA:0,g', 'end_of_record', ''].join('\n');
    expect(parseLcov(text, { leaveOut: (file) => file.startsWith('/p/tests/') })).toEqual({ linesPct: 50, linesCovered: 1, linesTotal: 2, branchesPct: null, functionsPct: 100 });
  });

  it('uses LF/LH when a writer gives totals without DA lines', () => {
    expect(parseLcov('TN:\nSF:b.rs\nLF:10\nLH:7\nend_of_record\n')).toMatchObject({ linesPct: 70, linesCovered: 7, linesTotal: 10 });
  });

  it('reads CRLF line ends and DA checksums as plain DA lines, and names the line of a malformed one', () => {
    const lf = ['TN:', 'SF:a.js', 'DA:1,3,Zm9v', 'DA:2,0,YmFy', 'DA:3,7', 'end_of_record', ''].join('\n');
    expect(parseLcov(lf)).toEqual({ linesPct: (2 / 3) * 100, linesCovered: 2, linesTotal: 3, branchesPct: null, functionsPct: null });
    expect(parseLcov(lf.replaceAll('\n', '\r\n'))).toEqual(parseLcov(lf));
    expect(parseLcov(lf.trimEnd())).toEqual(parseLcov(lf));
    expect(() => parseLcov('TN:\r\nSF:a.js\r\nDA:5\r\nend_of_record\r\n')).toThrow('parseLcov: line 3: malformed DA "5"');
  });

  it('rejects text that is not lcov, naming the format', () => {
    expect(() => parseLcov('{"total": {}}')).toThrow(/lcov tracefile/);
    expect(() => parseLcov('')).toThrow(/no SF: record.*lcov/);
  });

  it('reads the lcov a live node --test run writes', async () => {
    const project = mkdtempSync(path.join(os.tmpdir(), 'megatest-lcov-'));
    temporaryDirs.push(project);
    cpSync(path.join(FIXTURES, 'node-project'), project, { recursive: true });
    const result = await runCommand(
      'node --test --experimental-test-coverage --test-reporter=lcov --test-reporter-destination=lcov.info checks/math.check.mjs',
      { cwd: project, timeoutMs: 60_000 },
    );
    expect(result.timedOut).toBe(false);
    const summary = parseLcov(readFileSync(path.join(project, 'lcov.info'), 'utf8'));
    // Same code, same coverage as the committed fixture.
    expect(summary).toEqual(parseLcov(read('node-test.lcov.info')));
  });
});

describe('parseCobertura', () => {
  const shared = path.join(SHARED_FIXTURES_DIR, 'coverage', 'selfware.cobertura.xml');
  describe.skipIf(!existsSync(shared))(`shared selfware.cobertura.xml${existsSync(shared) ? '' : ' (skipped: ../shared/fixtures is absent)'}`, () => {
    it('counts the same lines one by one when the root gives only its rates', () => {
      const xml = readFileSync(shared, 'utf8');
      const withoutCounts = xml.replace(/ lines-covered="\d+"/, '').replace(/ lines-valid="\d+"/, '');
      expect(withoutCounts).not.toMatch(/lines-(covered|valid)=/);
      // Counted here from the file: each <class filename=…> block's <line number hits> elements, once per file and line.
      const hitsByLine = new Map<string, number>();
      for (const block of xml.matchAll(/<class\b[^>]*\bfilename="([^"]*)"[^>]*>([\s\S]*?)<\/class>/g)) {
        for (const line of (block[2] as string).matchAll(/<line\b[^>]*\bnumber="(\d+)"[^>]*\bhits="(\d+)"/g)) {
          const key = `${block[1]}:${line[1]}`;
          hitsByLine.set(key, Math.max(Number(line[2]), hitsByLine.get(key) ?? 0));
        }
      }
      const covered = [...hitsByLine.values()].filter((hits) => hits > 0).length;
      expect(hitsByLine.size).toBeGreaterThan(1000);
      expect(parseCobertura(withoutCounts)).toMatchObject({ linesCovered: covered, linesTotal: hitsByLine.size });
      // And they agree with the tool's own counts at the root.
      expect(parseCobertura(xml)).toMatchObject({ linesCovered: covered, linesTotal: hitsByLine.size });
    });

    it('reads the lines from the root: its line-rate, lines-covered and lines-valid', () => {
      const xml = readFileSync(shared, 'utf8');
      // Counted here from the file: the root <coverage> element's own attributes, and its <method> elements.
      const root = /<coverage\b[^>]*>/.exec(xml)![0];
      const attribute = (name: string): string => {
        const value = new RegExp(`\\s${name}="([^"]*)"`).exec(root)?.[1];
        if (value === undefined) throw new Error(`the fixture's <coverage> has no ${name}: ${root}`);
        return value;
      };
      const lineRate = Number(attribute('line-rate'));
      const linesCovered = Number(attribute('lines-covered'));
      const linesValid = Number(attribute('lines-valid'));
      // A real report of some size, whose rate is the quotient of its counts.
      expect(linesValid).toBeGreaterThan(1000);
      expect(lineRate).toBeCloseTo(linesCovered / linesValid, 10);
      // No branches measured (branches-valid="0"), no <method> anywhere (every <methods> empty): neither figure is given.
      expect(attribute('branches-valid')).toBe('0');
      expect(xml.match(/<method\b/g)).toBeNull();
      const summary = parseCobertura(xml);
      expect(summary.linesPct).toBeCloseTo(lineRate * 100, 10);
      expect(summary).toMatchObject({ linesCovered, linesTotal: linesValid, branchesPct: null, functionsPct: null });
    });
  });

  it('counts lines, branches and methods of a small report, attributes in any order', () => {
    const xml = `<?xml version="1.0" ?>
<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">
<coverage branch-rate="0.5" line-rate="0.75" version="7.4" branches-valid="4" branches-covered="2" lines-valid="4" lines-covered="3">
  <packages><package name="app"><classes>
    <class filename="app/x.py" name="x.py" line-rate="0.75">
      <methods>
        <method name="used" signature="()" line-rate="1"><lines><line hits="2" number="1"/></lines></method>
        <method name="unused" signature="()" line-rate="0"><lines><line number="3" hits="0"/></lines></method>
      </methods>
      <lines><line number="1" hits="2"/><line number="2" hits="1"/><line number="3" hits="0"/><line number="4" hits="5"/></lines>
    </class>
  </classes></package></packages>
</coverage>`;
    expect(parseCobertura(xml)).toEqual({ linesPct: 75, linesCovered: 3, linesTotal: 4, branchesPct: 50, functionsPct: 50 });
  });

  it('gives no figure for a report of no lines, whatever its line-rate (coverage.py writes 1)', () => {
    // coverage.py's XML report of a run that measured no file: line-rate is 1 when there is nothing to count.
    const coveragePy = '<?xml version="1.0" ?>\n<coverage version="7.4.0" timestamp="1" lines-valid="0" lines-covered="0" line-rate="1" branches-covered="0" branches-valid="0" branch-rate="0" complexity="0"><sources><source>/p</source></sources><packages/></coverage>';
    expect(() => parseCobertura(coveragePy)).toThrow(CoverageNotMeasured);
    expect(() => parseCobertura(coveragePy)).toThrow(/the report counts no lines \(lines-valid="0", line-rate="1"\): nothing was measured/);
    expect(() => parseCobertura('<coverage lines-valid="0" lines-covered="0" line-rate="0"/>')).toThrow(/lines-valid="0", line-rate="0"\): nothing was measured/);
    expect(() => parseCobertura('<coverage line-rate="1"><packages/></coverage>')).toThrow(/no <line> element, line-rate="1"\): nothing was measured/);
    expect(() => parseCobertura('<coverage><packages/></coverage>')).toThrow(/\(no <line> element\): nothing was measured/);
  });

  it('counts <line> elements when the root has only rates', () => {
    const xml = '<coverage line-rate="0.5"><packages><package><classes><class filename="a.rs"><lines><line number="1" hits="1"/><line number="2" hits="0"/></lines></class></classes></package></packages></coverage>';
    expect(parseCobertura(xml)).toMatchObject({ linesPct: 50, linesCovered: 1, linesTotal: 2 });
  });

  it('counts a line inside nested classes or methods for each of them, and a method without lines by its line-rate', () => {
    const xml = `<coverage line-rate="0.5"><packages><package><classes>
      <class filename="outer.rs"><methods>
        <method name="a" line-rate="0"><lines><line number="1" hits="3"/></lines></method>
        <method name="b" line-rate="1"/>
        <method name="c" line-rate="1"><lines><line number="2" hits="0"/></lines></method>
        <method name="d" line-rate="0.5"></method>
      </methods><lines><line number="1" hits="3"/><line number="2" hits="0"/></lines>
        <class filename="inner.rs"><lines><line number="9" hits="1"/></lines></class>
      </class></classes></package></packages></coverage>`;
    // Lines: outer.rs 1 (hit), 2, and 9 (hit, inside the nested class); inner.rs 9 (hit). Methods: a (a hit line), b and d (line-rate > 0) covered; c (no hit line) not.
    expect(parseCobertura(xml)).toEqual({ linesPct: 50, linesCovered: 3, linesTotal: 4, branchesPct: null, functionsPct: 75 });
  });

  it('leaves out the classes of test files, counting the figures from the lines of the others', () => {
    // coverage.py's shape with --cov=. (the tests measured too): root figures of all 6 lines.
    const xml = `<coverage lines-valid="6" lines-covered="5" line-rate="0.8333" branches-valid="2" branches-covered="1" branch-rate="0.5"><sources><source>/p</source></sources><packages>
      <package name="app"><classes><class filename="app/x.py" name="x.py"><methods><method name="f" line-rate="1"><lines><line number="1" hits="1"/></lines></method></methods>
        <lines><line number="1" hits="1"/><line number="2" hits="0"/><line number="3" hits="1"/></lines></class></classes></package>
      <package name="tests"><classes><class filename="tests/test_x.py" name="test_x.py"><methods><method name="test_f" line-rate="1"><lines><line number="1" hits="1"/></lines></method></methods>
        <lines><line number="1" hits="1"/><line number="2" hits="1"/><line number="3" hits="1"/></lines></class></classes></package>
    </packages></coverage>`;
    const leaveOut = (file: string): boolean => file.startsWith('tests/');
    // Counted from the report: app/x.py 3 lines, 2 hit; 1 method, covered. Branches: the root's are of all files.
    expect(parseCobertura(xml, { leaveOut })).toEqual({ linesPct: (2 / 3) * 100, linesCovered: 2, linesTotal: 3, branchesPct: null, functionsPct: 100 });
    // Nothing left out: the root's own figures, as before.
    expect(parseCobertura(xml, { leaveOut: () => false })).toMatchObject({ linesPct: 83.33, linesCovered: 5, linesTotal: 6, branchesPct: 50, functionsPct: 100 });
    expect(() => parseCobertura(xml, { leaveOut: () => true })).toThrow(/no <line> element outside the test files, line-rate="0.8333"\): nothing was measured/);
  });

  it('gives what a tree of the report gives, for any shape of report', () => {
    fc.assert(
      fc.property(coberturaDocument, (xml) => {
        let expected: unknown;
        try {
          expected = coberturaFromTree(xml);
        } catch (error) {
          expected = (error as Error).message;
        }
        let actual: unknown;
        try {
          actual = parseCobertura(xml);
        } catch (error) {
          actual = (error as Error).message;
        }
        expect(actual).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects input that is not cobertura, naming the format', () => {
    expect(() => parseCobertura('<testsuites></testsuites>')).toThrow(/cobertura XML/);
    expect(() => parseCobertura('TN:\nSF:a.js\n')).toThrow(/cobertura XML/);
    expect(() => parseCobertura('<coverage line-rate="high"></coverage>')).toThrow(/line-rate="high" is not a number/);
  });
});

describe('parseIstanbulSummary', () => {
  it('reads the total of a coverage-summary.json (node-test.istanbul-summary.json)', () => {
    expect(parseIstanbulSummary(read('node-test.istanbul-summary.json'))).toEqual({
      linesPct: 89.58,
      linesCovered: 43,
      linesTotal: 48,
      branchesPct: 100,
      functionsPct: 81.81,
    });
  });

  it('gives no figure when nothing was measured (total 0, "Unknown"), and null branches/functions of none', () => {
    const empty = { total: { lines: { total: 0, covered: 0, skipped: 0, pct: 'Unknown' }, branches: { total: 0, covered: 0, skipped: 0, pct: 'Unknown' }, functions: { total: 0, covered: 0, skipped: 0, pct: 100 } } };
    expect(() => parseIstanbulSummary(JSON.stringify(empty))).toThrow(CoverageNotMeasured);
    expect(() => parseIstanbulSummary(JSON.stringify(empty))).toThrow(/"total.lines" counts no lines \(total 0, pct "Unknown"\): nothing was measured/);
    const noBranches = { total: { ...empty.total, lines: { total: 4, covered: 3, skipped: 0, pct: 75 } } };
    expect(parseIstanbulSummary(JSON.stringify(noBranches))).toEqual({ linesPct: 75, linesCovered: 3, linesTotal: 4, branchesPct: null, functionsPct: null });
  });

  it('adds up the files that are not test files when one is left out', () => {
    const summary = {
      total: { lines: { total: 10, covered: 8, skipped: 0, pct: 80 }, branches: { total: 4, covered: 4, skipped: 0, pct: 100 }, functions: { total: 3, covered: 2, skipped: 0, pct: 66.66 } },
      '/p/src/a.js': { lines: { total: 6, covered: 4, skipped: 0, pct: 66.66 }, branches: { total: 2, covered: 2, skipped: 0, pct: 100 }, functions: { total: 2, covered: 1, skipped: 0, pct: 50 } },
      '/p/src/a.test.js': { lines: { total: 4, covered: 4, skipped: 0, pct: 100 }, branches: { total: 2, covered: 2, skipped: 0, pct: 100 }, functions: { total: 1, covered: 1, skipped: 0, pct: 100 } },
    };
    const leaveOut = (file: string): boolean => file.endsWith('.test.js');
    expect(parseIstanbulSummary(JSON.stringify(summary), { leaveOut })).toEqual({ linesPct: (4 / 6) * 100, linesCovered: 4, linesTotal: 6, branchesPct: 100, functionsPct: 50 });
    expect(parseIstanbulSummary(JSON.stringify(summary), { leaveOut: () => false })).toMatchObject({ linesPct: 80, linesTotal: 10 });
    expect(() => parseIstanbulSummary(JSON.stringify(summary), { leaveOut: () => true })).toThrow(/the files outside the test files count no lines \(2 of 2 left out\): nothing was measured/);
  });

  it('rejects input that is not an Istanbul summary, naming the format', () => {
    expect(() => parseIstanbulSummary('<coverage/>')).toThrow(/Istanbul coverage-summary.json.*not JSON/);
    expect(() => parseIstanbulSummary('{"files": []}')).toThrow(/Istanbul.*no "total"/);
    expect(() => parseIstanbulSummary('{"total": {"lines": {"pct": 5}}}')).toThrow(/total.lines/);
  });
});

describe('parseCoverage', () => {
  it('dispatches on the format and rejects an unknown one, listing the allowed', () => {
    expect(parseCoverage('lcov', read('node-test.lcov.info')).linesTotal).toBe(48);
    expect(parseCoverage('istanbul-summary', read('node-test.istanbul-summary.json')).linesTotal).toBe(48);
    expect(() => parseCoverage('clover' as CoverageFormat, '')).toThrow(/lcov, cobertura, istanbul-summary/);
  });
});

// ------------------------------------------------ cobertura read as a tree

/** The reading parseCobertura replaced (it built the whole tree): the reference the property above compares with. */
function coberturaFromTree(xml: string): unknown {
  const formatName = 'parseCobertura (expected cobertura XML with a <coverage line-rate=…> root)';
  if (!/<\s*coverage\b/.test(xml)) throw new Error(`${formatName}: no <coverage> element found`);
  const root = parseXml(xml, formatName);
  if (root.name !== 'coverage') throw new Error(`${formatName}: root element is <${root.name}>`);
  const number = (value: string | undefined, attribute: string): number | undefined => {
    if (value === undefined || value.trim() === '') return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) throw new Error(`${formatName}: root attribute ${attribute}="${value}" is not a number`);
    return parsed;
  };
  const lineRate = number(root.attributes['line-rate'], 'line-rate');
  let linesCovered = number(root.attributes['lines-covered'], 'lines-covered');
  let linesTotal = number(root.attributes['lines-valid'], 'lines-valid');
  if (linesCovered === undefined || linesTotal === undefined) {
    const hitsByLine = new Map<string, number>();
    for (const cls of descendants(root, 'class')) {
      for (const line of descendants(cls, 'line')) {
        const key = `${cls.attributes.filename ?? cls.attributes.name ?? ''}:${line.attributes.number ?? ''}`;
        hitsByLine.set(key, Math.max(Number(line.attributes.hits ?? 0) || 0, hitsByLine.get(key) ?? 0));
      }
    }
    linesTotal = hitsByLine.size;
    linesCovered = [...hitsByLine.values()].filter((hits) => hits > 0).length;
  }
  if (linesTotal === 0) {
    const counted = root.attributes['lines-covered']?.trim() && root.attributes['lines-valid']?.trim();
    throw new Error(`${formatName}: the report counts no lines (${counted ? 'lines-valid="0"' : 'no <line> element'}${lineRate !== undefined ? `, line-rate="${root.attributes['line-rate']?.trim()}"` : ''}): nothing was measured`);
  }
  const branchesValid = number(root.attributes['branches-valid'], 'branches-valid');
  const branchRate = number(root.attributes['branch-rate'], 'branch-rate');
  const methods = descendants(root, 'method');
  const methodsCovered = methods.filter((method) => {
    const lines = descendants(method, 'line');
    return lines.length > 0 ? lines.some((line) => Number(line.attributes.hits ?? 0) > 0) : Number(method.attributes['line-rate'] ?? 0) > 0;
  }).length;
  return {
    linesPct: lineRate !== undefined ? lineRate * 100 : (linesCovered / linesTotal) * 100,
    linesCovered,
    linesTotal,
    branchesPct: branchesValid === undefined || branchesValid === 0 || branchRate === undefined ? null : branchRate * 100,
    functionsPct: methods.length === 0 ? null : (methodsCovered / methods.length) * 100,
  };
}

/** Random reports: classes and methods nested any way, lines with odd numbers and hits, attributes in any order and quoting, some roots without counts. */
const coberturaDocument: fc.Arbitrary<string> = (() => {
  const quoted = (name: string, value: string, quote: string): string => ` ${name}=${quote}${value}${quote}`;
  /** Some of the pairs (all of them when `every`) in any order, in one kind of quotes. */
  const attributes = (pairs: [string, string | undefined][], every = false) => {
    const present = pairs.filter((pair) => pair[1] !== undefined);
    return fc.tuple(fc.shuffledSubarray(present, { minLength: every ? present.length : 0 }), fc.constantFrom('"', "'")).map(([chosen, quote]) =>
      chosen.map(([name, value]) => quoted(name, value as string, quote)).join(''),
    );
  };
  const numberText = fc.constantFrom('1', '2', '3', '07', '7', '', 'x');
  const hitsText = fc.constantFrom('0', '1', '5', '', 'NaN', '-1', '2.5');
  const line = fc.tuple(numberText, hitsText).chain(([number, hits]) => attributes([['number', number], ['hits', hits], ['branch', 'false']]).map((text) => `<line${text}/>`));
  const lines = fc.array(line, { maxLength: 4 }).map((items) => `<lines>${items.join('')}</lines>`);
  const { element } = fc.letrec<{ element: string }>((tie) => ({
    element: fc.oneof(
      { depthSize: 'small' },
      lines,
      fc.tuple(fc.constantFrom('a.rs', 'b.rs', 'a&amp;b.rs'), fc.array(tie('element'), { maxLength: 3 })).chain(([file, children]) =>
        attributes([['filename', file], ['name', 'n']]).map((text) => `<class${text}>${children.join('')}</class>`),
      ),
      fc.tuple(fc.constantFrom('0', '0.5', '1', ''), fc.array(tie('element'), { maxLength: 3 }), fc.boolean()).chain(([rate, children, selfClosing]) =>
        attributes([['line-rate', rate], ['name', 'm']]).map((text) => (selfClosing ? `<method${text}/>` : `<method${text}>${children.join('')}</method>`)),
      ),
    ),
  }));
  const root = fc.tuple(
    fc.constantFrom<[string, string] | undefined>(['3', '4'], ['0', '0'], undefined, ['2', '']),
    fc.constantFrom('0.75', '0.5', '1', '', undefined, 'high'),
    fc.constantFrom<[string, string] | undefined>(['4', '0.5'], ['0', '0'], undefined),
  );
  return fc
    .tuple(root, fc.array(element, { maxLength: 4 }), fc.constantFrom('', '\n', '<?xml version="1.0"?>\n'))
    .chain(([[counts, rate, branches], children, prologue]) =>
      attributes([
        ['lines-covered', counts?.[0]],
        ['lines-valid', counts?.[1]],
        ['line-rate', rate],
        ['branches-valid', branches?.[0]],
        ['branch-rate', branches?.[1]],
      ], true).map((text) => `${prologue}<coverage${text}><packages><package><classes>${children.join('\n')}</classes></package></packages></coverage>`),
    )
    // One in ten cut short somewhere, as a killed coverage tool leaves it.
    .chain((xml) => fc.oneof({ weight: 9, arbitrary: fc.constant(xml) }, { weight: 1, arbitrary: fc.nat(xml.length - 1).map((end) => xml.slice(0, end)) }));
})();
