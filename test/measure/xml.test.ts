import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributeOf, decodeEntities, parseAttributes, scanXml } from '../../src/measure/xml.js';
import { parseXml } from '../helpers/xmlTree.js';

describe('scanXml', () => {
  it('reports start tags, ends, text and comments in document order with their depth', () => {
    const seen: string[] = [];
    scanXml('<?xml version="1.0"?><a x="1"><!-- note --><b/>one &amp; two<c><![CDATA[<raw>]]></c></a>', 'test XML', {
      open: (name, attributeText, selfClosing, depth) => seen.push(`open ${name}${attributeText} ${selfClosing ? 'self-closing ' : ''}at ${depth}`),
      close: (name, depth) => seen.push(`close ${name} at ${depth}`),
      text: (text, depth) => seen.push(`text "${text}" at ${depth}`),
      comment: (text, depth) => seen.push(`comment "${text}" at ${depth}`),
    });
    expect(seen).toEqual([
      'open a x="1" at 0',
      'comment "note" at 0',
      'open b self-closing at 1',
      'text "one & two" at 0',
      'open c at 1',
      'text "<raw>" at 1',
      'close c at 1',
      'close a at 0',
    ]);
  });

  it.each([
    ['<a><b></a>', /closing tag <\/a> does not match open <b> at offset 6/],
    ['<a></a></b>', /closing tag <\/b> does not match open <#document>/],
    ['<a><b>', /document ends inside <b> \(truncated\?\)/],
    ['<a/><b/>', /expected one root element, found 2/],
    ['<!-- nothing -->', /expected one root element, found 0/],
    ['words before <a/>', /text outside the root element/],
  ])('says what is wrong with %j, naming the format', (xml, message) => {
    expect(() => scanXml(xml, 'test XML', { open: () => undefined })).toThrow(message);
    expect(() => scanXml(xml, 'test XML', { open: () => undefined })).toThrow(/^test XML: /);
    expect(() => parseXml(xml, 'test XML')).toThrow(message);
  });

  it('allows whitespace, comments and declarations around the root', () => {
    expect(() => scanXml('\n<?xml version="1.0"?>\n<!-- a -->\n<root/>\n', 'test XML', { open: () => undefined })).not.toThrow();
  });
});

describe('a tree read with scanXml (test/helpers/xmlTree.ts, the reference the readers are compared with)', () => {
  it('holds every element: attributes decoded, text, CDATA and comments kept', () => {
    const root = parseXml('<r a="1 &lt; 2" b=\'x\'>t1<!-- c --><k/>t2<![CDATA[&amp;]]></r>', 'test XML');
    expect(root).toEqual({
      name: 'r',
      attributes: { a: '1 < 2', b: 'x' },
      children: [{ name: 'k', attributes: {}, children: [], text: '', comments: [] }],
      text: 't1t2&amp;',
      comments: ['c'],
    });
  });
});

describe('decodeEntities', () => {
  it('decodes named and numeric references and leaves text without one as it is', () => {
    expect(decodeEntities('a &amp; b &#60; &#x3E; &unknown; &#xFFFFFFF;')).toBe('a & b < > &unknown; &#xFFFFFFF;');
    const plain = 'no references here';
    expect(decodeEntities(plain)).toBe(plain);
  });
});

describe('attributeOf', () => {
  // The whitespace scanXml's pattern lets through between attributes and around "=" (its \s).
  const space = fc.constantFrom(' ', '  ', '\n', '\t', '\r\n ', '\u00a0', '\u2003');
  const optionalSpace = fc.oneof(fc.constant(''), space);
  const name = fc.constantFrom('hits', 'number', 'branch', 'hit', 'hitsx', 'xhits', 'condition-coverage', 'a:b');
  const value = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom('1', '0', '&amp;', 'hits="9"', "hits='9'", 'x = y', '&#49;2'),
  );
  const attribute = fc.record({ before: space, name, around: fc.tuple(optionalSpace, optionalSpace), value, quote: fc.constantFrom('"', "'") });
  const attributeText = fc
    .array(attribute, { maxLength: 6 })
    .map((attributes) =>
      attributes
        .map(({ before, name: key, around, value: text, quote }) => `${before}${key}${around[0]}=${around[1]}${quote}${text.split(quote).join('')}${quote}`)
        .join(''),
    );

  it('gives what parseAttributes gives for every name, the last of a repeated one, entities decoded', () => {
    fc.assert(
      fc.property(attributeText, (text) => {
        // Only text scanXml would hand over: a start tag's attributes as its pattern reads them.
        let passed: string | undefined;
        scanXml(`<e${text}/>`, 'test XML', { open: (_name, attributes) => (passed = attributes) });
        expect(passed).toBe(text);
        const all = parseAttributes(text);
        for (const key of ['hits', 'number', 'branch', 'hit', 'hitsx', 'xhits', 'condition-coverage', 'a:b', 'missing']) {
          expect(attributeOf(text, key)).toBe(all[key]);
        }
      }),
      { numRuns: 500 },
    );
  });
});
