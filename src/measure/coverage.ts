// Coverage read from the coverage tool's own report: lcov tracefiles (what
// node --experimental-test-coverage, c8, nyc, grcov and cargo-llvm-cov
// write), cobertura XML (cargo-tarpaulin, coverage.py, gcovr) and Istanbul's
// coverage-summary.json. When nothing was measured (no lines at all) there is
// no line coverage (CoverageNotMeasured), neither 0% nor the 100% that
// coverage.py writes (line-rate="1" when it counts no lines) or Istanbul's
// "Unknown".

import { assertNever } from '../contract/assertNever.js';
import { CoverageNotMeasured, type CoverageFormat, type CoverageOptions, type CoverageSummary } from './coverageTypes.js';
import { parseIstanbulSummary } from './istanbulSummary.js';
import { attributeOf, parseAttributes, scanXml } from './xml.js';

export { CoverageNotMeasured, type CoverageFormat, type CoverageOptions, type CoverageSummary } from './coverageTypes.js';
export { parseIstanbulSummary };

export function parseCoverage(format: CoverageFormat, text: string, options: CoverageOptions = {}): CoverageSummary {
  switch (format) {
    case 'lcov':
      return parseLcov(text, options);
    case 'cobertura':
      return parseCobertura(text, options);
    case 'istanbul-summary':
      return parseIstanbulSummary(text, options);
    default:
      return assertNever(format, 'coverage format (allowed: lcov, cobertura, istanbul-summary)');
  }
}

/** Line coverage of `total` lines; a report of none is not a figure. */
function linesPercent(covered: number, total: number, formatName: string, none: string): number {
  if (total === 0) throw new CoverageNotMeasured(`${formatName}: ${none}: nothing was measured`);
  return (covered / total) * 100;
}

function percentOrNull(covered: number, total: number): number | null {
  return total === 0 ? null : (covered / total) * 100;
}

// ---------------------------------------------------------------- lcov

interface LcovFile {
  /** line number -> highest hit count seen (a file may appear in several records). */
  lineHits: Map<number, number>;
  /** function name -> highest hit count. */
  functionHits: Map<string, number>;
  /** "line,block,branch" -> taken at least once. */
  branchTaken: Map<string, boolean>;
  /** Summary counts, for writers that give totals without the detail lines. */
  summary: { LF: number; LH: number; FNF: number; FNH: number; BRF: number; BRH: number };
}

export function parseLcov(text: string, options: CoverageOptions = {}): CoverageSummary {
  const files = new Map<string, LcovFile>();
  let current: LcovFile | undefined;
  let records = 0;
  let leftOut = 0;
  // Line by line without splitting the text into an array first: a big project's tracefile is 300,000 lines.
  for (let index = 0, start = 0; start <= text.length; index++) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end === -1 ? text.length : end).trim();
    start = end === -1 ? text.length + 1 : end + 1;
    if (line === '') continue;
    if (line === 'end_of_record') {
      current = undefined;
      continue;
    }
    const colon = line.indexOf(':');
    const tag = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1);
    if (tag === 'TN') continue;
    if (tag === 'SF') {
      records++;
      const out = options.leaveOut?.(value) === true;
      if (out) leftOut++;
      current = out ? undefined : files.get(value);
      if (!current) {
        current = {
          lineHits: new Map(),
          functionHits: new Map(),
          branchTaken: new Map(),
          summary: { LF: 0, LH: 0, FNF: 0, FNH: 0, BRF: 0, BRH: 0 },
        };
        // A left-out file's record is read (and checked) into one kept nowhere.
        if (!out) files.set(value, current);
      }
      continue;
    }
    if (!current) {
      throw new Error(`parseLcov: line ${index + 1} "${line.slice(0, 60)}" is outside an SF: record; expected an lcov tracefile (TN:/SF:/DA:/end_of_record)`);
    }
    if (tag === 'DA') {
      // DA:<line>,<hits>[,<checksum>]: most of a tracefile, read without splitting it into an array.
      const comma = value.indexOf(',');
      const after = comma === -1 ? -1 : value.indexOf(',', comma + 1);
      const lineNumber = Number(comma === -1 ? value : value.slice(0, comma));
      const hits = comma === -1 ? Number.NaN : Number(after === -1 ? value.slice(comma + 1) : value.slice(comma + 1, after));
      if (!Number.isFinite(lineNumber) || !Number.isFinite(hits)) throw new Error(`parseLcov: line ${index + 1}: malformed DA "${value}"`);
      const before = current.lineHits.get(lineNumber);
      if (before === undefined || hits > before) current.lineHits.set(lineNumber, before === undefined ? Math.max(hits, 0) : hits);
      continue;
    }
    const fields = value.split(',');
    switch (tag) {
      case 'FNDA': {
        // FNDA:hits,name — the name may itself hold commas.
        const hits = Number(fields[0]);
        const name = fields.slice(1).join(',');
        current.functionHits.set(name, Math.max(hits, current.functionHits.get(name) ?? 0));
        break;
      }
      case 'FN':
        {
          const name = fields.slice(1).join(',');
          if (!current.functionHits.has(name)) current.functionHits.set(name, 0);
        }
        break;
      case 'BRDA': {
        const key = fields.slice(0, 3).join(',');
        const taken = fields[3] !== undefined && fields[3] !== '-' && Number(fields[3]) > 0;
        current.branchTaken.set(key, taken || (current.branchTaken.get(key) ?? false));
        break;
      }
      case 'LF':
      case 'LH':
      case 'FNF':
      case 'FNH':
      case 'BRF':
      case 'BRH':
        current.summary[tag] += Number(value) || 0;
        break;
      default:
        // Other tags (VER, FNL, FNA, …) carry nothing counted here.
        if (!/^[A-Z]+$/.test(tag)) {
          throw new Error(`parseLcov: line ${index + 1} "${line.slice(0, 60)}" is not an lcov record line; expected an lcov tracefile`);
        }
    }
  }
  if (records === 0) throw new Error('parseLcov: no SF: record found; expected an lcov tracefile (TN:/SF:/DA:/end_of_record)');

  let linesTotal = 0;
  let linesCovered = 0;
  let functionsTotal = 0;
  let functionsCovered = 0;
  let branchesTotal = 0;
  let branchesCovered = 0;
  for (const file of files.values()) {
    if (file.lineHits.size > 0) {
      linesTotal += file.lineHits.size;
      for (const hits of file.lineHits.values()) if (hits > 0) linesCovered++;
    } else {
      linesTotal += file.summary.LF;
      linesCovered += file.summary.LH;
    }
    if (file.functionHits.size > 0) {
      functionsTotal += file.functionHits.size;
      for (const hits of file.functionHits.values()) if (hits > 0) functionsCovered++;
    } else {
      functionsTotal += file.summary.FNF;
      functionsCovered += file.summary.FNH;
    }
    if (file.branchTaken.size > 0) {
      branchesTotal += file.branchTaken.size;
      for (const taken of file.branchTaken.values()) if (taken) branchesCovered++;
    } else {
      branchesTotal += file.summary.BRF;
      branchesCovered += file.summary.BRH;
    }
  }
  return {
    linesPct: linesPercent(linesCovered, linesTotal, 'parseLcov', leftOut > 0 ? `the tracefile lists no lines outside the test files (${leftOut} of its ${records} records left out)` : 'the tracefile lists no lines (no DA: line, LF:0)'),
    linesCovered,
    linesTotal,
    branchesPct: percentOrNull(branchesCovered, branchesTotal),
    functionsPct: percentOrNull(functionsCovered, functionsTotal),
  };
}

// ---------------------------------------------------------------- cobertura

/**
 * Cobertura is read tag by tag (scanXml), never as a tree: a big project's
 * report holds a <line> element per line of code, and only the root's
 * figures, each class's lines (when the root has no counts) and each
 * method's are needed. It counts what a tree of the report would give (the
 * tests compare the two): a line inside nested classes or methods counts for
 * each of them.
 */
export function parseCobertura(xml: string, options: CoverageOptions = {}): CoverageSummary {
  const formatName = 'parseCobertura (expected cobertura XML with a <coverage line-rate=…> root)';
  if (!/<\s*coverage\b/.test(xml)) throw new Error(`${formatName}: no <coverage> element found`);
  const leaveOut = options.leaveOut;
  /** A class is left out: the figures are counted from the lines of the others, not taken from the root. */
  const leaving = leaveOut !== undefined && leavesOutAClass(xml, leaveOut);
  /** Open <class> elements left out (one inside a left-out class is too), and whether each open class was. */
  let classesLeftOut = 0;
  const classOut: boolean[] = [];
  let rootName = '';
  let attributes: Record<string, string> = {};
  /** The root has no line counts: count the <line> elements, once per file and line (older writers give only rates). */
  let countLines = false;
  /** File name -> line number (as written) -> highest hits. */
  const hitsByFile = new Map<string, Map<string, number>>();
  /** The lines of the open <class> elements' files, outermost first. */
  const classFiles: Map<string, number>[] = [];
  /** The open <method> elements: whether a <line> inside was seen, whether one had hits, and the method's own line-rate; a left-out class's are not counted. */
  const methodsOpen: { lines: boolean; hit: boolean; rate: string | undefined; counted: boolean }[] = [];
  let methods = 0;
  let methodsCovered = 0;
  const methodEnds = (): void => {
    const method = methodsOpen.pop();
    if (method === undefined || !method.counted) return;
    methods += 1;
    if (method.lines ? method.hit : Number(method.rate ?? 0) > 0) methodsCovered += 1;
  };
  scanXml(xml, formatName, {
    open(name, attributeText, selfClosing, depth) {
      if (depth === 0) {
        rootName = name;
        attributes = parseAttributes(attributeText);
        countLines = leaving || isBlank(attributes['lines-covered']) || isBlank(attributes['lines-valid']);
        return;
      }
      if (name === 'line') {
        if (classesLeftOut > 0) return;
        if (methodsOpen.length === 0 && !(countLines && classFiles.length > 0)) return;
        const hitsText = attributeOf(attributeText, 'hits');
        if (methodsOpen.length > 0) {
          const hit = Number(hitsText ?? 0) > 0;
          for (const method of methodsOpen) {
            method.lines = true;
            method.hit ||= hit;
          }
        }
        if (countLines) {
          const hits = Number(hitsText ?? 0) || 0;
          const number = attributeOf(attributeText, 'number') ?? '';
          for (const fileLines of classFiles) fileLines.set(number, Math.max(hits, fileLines.get(number) ?? 0));
        }
      } else if (name === 'class') {
        if (selfClosing) return;
        const cls = parseAttributes(attributeText);
        const fileName = cls.filename ?? cls.name ?? '';
        const out = leaving && (classesLeftOut > 0 || leaveOut(fileName));
        classOut.push(out);
        if (out) {
          classesLeftOut += 1;
          return;
        }
        let fileLines = hitsByFile.get(fileName);
        if (fileLines === undefined) hitsByFile.set(fileName, (fileLines = new Map()));
        classFiles.push(fileLines);
      } else if (name === 'method') {
        methodsOpen.push({ lines: false, hit: false, rate: parseAttributes(attributeText)['line-rate'], counted: classesLeftOut === 0 });
        if (selfClosing) methodEnds();
      }
    },
    close(name, depth) {
      if (depth === 0) return;
      if (name === 'class') {
        if (classOut.pop() === true) classesLeftOut -= 1;
        else classFiles.pop();
      } else if (name === 'method') methodEnds();
    },
  });
  if (rootName !== 'coverage') throw new Error(`${formatName}: root element is <${rootName}>`);

  const lineRate = optionalNumber(attributes['line-rate'], 'line-rate', formatName);
  let linesCovered = optionalNumber(attributes['lines-covered'], 'lines-covered', formatName);
  let linesTotal = optionalNumber(attributes['lines-valid'], 'lines-valid', formatName);
  if (countLines || linesCovered === undefined || linesTotal === undefined) {
    linesTotal = 0;
    linesCovered = 0;
    for (const fileLines of hitsByFile.values()) {
      linesTotal += fileLines.size;
      for (const hits of fileLines.values()) if (hits > 0) linesCovered += 1;
    }
  }
  // Whatever its line-rate: coverage.py writes 1 over no lines, others 0.
  const noLines = `the report counts no lines (${leaving ? 'no <line> element outside the test files' : countLines ? 'no <line> element' : 'lines-valid="0"'}${lineRate !== undefined ? `, line-rate="${attributes['line-rate']?.trim()}"` : ''})`;
  const computed = linesPercent(linesCovered, linesTotal, formatName, noLines);
  // The root line-rate is the tool's own figure; it is what the report says (of all its files).
  const linesPct = lineRate !== undefined && !leaving ? lineRate * 100 : computed;

  const branchesValid = optionalNumber(attributes['branches-valid'], 'branches-valid', formatName);
  const branchRate = optionalNumber(attributes['branch-rate'], 'branch-rate', formatName);
  // branches-valid="0" means no branch data was collected, not 0% of branches.
  const branchesPct = leaving || branchesValid === undefined || branchesValid === 0 || branchRate === undefined ? null : branchRate * 100;

  return {
    linesPct,
    linesCovered,
    linesTotal,
    branchesPct,
    functionsPct: percentOrNull(methodsCovered, methods),
  };
}

const CLASS_TAG = /<class((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/?>/g;

/** Whether a <class> of the report is of a file left out (its start tags only: a report holds a few per file). */
function leavesOutAClass(xml: string, leaveOut: (file: string) => boolean): boolean {
  CLASS_TAG.lastIndex = 0;
  for (let match = CLASS_TAG.exec(xml); match; match = CLASS_TAG.exec(xml)) {
    const cls = parseAttributes(match[1] ?? '');
    if (leaveOut(cls.filename ?? cls.name ?? '')) return true;
  }
  return false;
}

/** What optionalNumber reads as absent. */
function isBlank(value: string | undefined): boolean {
  return value === undefined || value.trim() === '';
}

function optionalNumber(value: string | undefined, attribute: string, formatName: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`${formatName}: root attribute ${attribute}="${value}" is not a number`);
  return parsed;
}
