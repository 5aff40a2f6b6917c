import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCobertura, parseCoverage, parseIstanbulSummary, parseLcov, type CoverageFormat } from '../../src/measure/coverage.js';
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

  it('uses LF/LH when a writer gives totals without DA lines', () => {
    expect(parseLcov('TN:\nSF:b.rs\nLF:10\nLH:7\nend_of_record\n')).toMatchObject({ linesPct: 70, linesCovered: 7, linesTotal: 10 });
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
    it('reads 80.53% of lines from the root line-rate', () => {
      const xml = readFileSync(shared, 'utf8');
      // From the file's root: line-rate="0.805280306338383" lines-covered="23974"
      // lines-valid="29771" branches-valid="0"; every <methods> is empty.
      const summary = parseCobertura(xml);
      expect(summary.linesPct).toBeCloseTo(80.5280306338383, 10);
      expect(summary.linesPct.toFixed(2)).toBe('80.53');
      expect(summary).toMatchObject({ linesCovered: 23974, linesTotal: 29771, branchesPct: null, functionsPct: null });
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

  it('counts <line> elements when the root has only rates', () => {
    const xml = '<coverage line-rate="0.5"><packages><package><classes><class filename="a.rs"><lines><line number="1" hits="1"/><line number="2" hits="0"/></lines></class></classes></package></packages></coverage>';
    expect(parseCobertura(xml)).toMatchObject({ linesPct: 50, linesCovered: 1, linesTotal: 2 });
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

  it('gives 0% lines and null branches/functions when nothing was measured ("Unknown")', () => {
    const empty = { total: { lines: { total: 0, covered: 0, skipped: 0, pct: 'Unknown' }, branches: { total: 0, covered: 0, skipped: 0, pct: 'Unknown' }, functions: { total: 0, covered: 0, skipped: 0, pct: 100 } } };
    expect(parseIstanbulSummary(JSON.stringify(empty))).toEqual({ linesPct: 0, linesCovered: 0, linesTotal: 0, branchesPct: null, functionsPct: null });
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
