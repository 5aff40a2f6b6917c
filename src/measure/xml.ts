// A small XML reader for the flat report formats megatest reads (JUnit,
// cobertura): scanXml reads tags, text, CDATA and comments in document
// order and checks the document is one well-formed root, with no tree kept
// (a big project's reports hold an element per test or per line of code).
// It does not validate, resolve DTDs or handle namespaces beyond keeping
// the prefixed name. Attribute values may hold `>` (node's JUnit reporter writes
// them unescaped), attributes come in any order, entities are decoded.

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeEntities(value: string): string {
  // Most values hold no entity: a report's hundreds of thousands of attributes are not run through the regular expression.
  if (!value.includes('&')) return value;
  return value.replace(/&(#x[0-9a-fA-F]+|#\d+|[A-Za-z]+);/g, (whole, body: string) => {
    if (body.startsWith('#x')) return safeCodePoint(parseInt(body.slice(2), 16), whole);
    if (body.startsWith('#')) return safeCodePoint(parseInt(body.slice(1), 10), whole);
    return NAMED_ENTITIES[body] ?? whole;
  });
}

function safeCodePoint(code: number, fallback: string): string {
  return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : fallback;
}

const TOKEN =
  /<!--([\s\S]*?)-->|<!\[CDATA\[([\s\S]*?)\]\]>|<\?[\s\S]*?\?>|<!DOCTYPE(?:[^>[]|\[[\s\S]*?\])*>|<\/\s*([^\s>]+)\s*>|<([A-Za-z_][\w:.-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
const ATTRIBUTE = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** What scanXml reports, in document order; `depth` is 0 for the root element. */
export interface XmlScanHandler {
  /** An element's start tag; `attributeText` is what parseAttributes reads. A self-closing one has no close. */
  open(name: string, attributeText: string, selfClosing: boolean, depth: number): void;
  close?(name: string, depth: number): void;
  /** Text (entities decoded) or CDATA directly inside the open element at `depth`. */
  text?(text: string, depth: number): void;
  /** A comment directly inside the open element at `depth`, trimmed. */
  comment?(text: string, depth: number): void;
}

/**
 * Reads `xml` tag by tag without building a tree, checking that it is one
 * well-formed root element: a coverage report of a big project (300,000
 * <line> elements, 9 MB) is counted in tens of milliseconds on the
 * orchestrator's thread where a tree of it took half a second. `formatName`
 * names the expected format in errors ("JUnit XML"), so a caller's user
 * learns what was wrong.
 */
export function scanXml(xml: string, formatName: string, handler: XmlScanHandler): void {
  const open: string[] = [];
  let roots = 0;
  let outside = '';
  let last = 0;
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(xml); match; match = TOKEN.exec(xml)) {
    const depth = open.length - 1;
    if (match.index > last) {
      if (depth < 0) outside += decodeEntities(xml.slice(last, match.index));
      else if (handler.text) handler.text(decodeEntities(xml.slice(last, match.index)), depth);
    }
    last = TOKEN.lastIndex;
    const [, comment, cdata, closing, opening, attributeText, selfClosing] = match;
    if (comment !== undefined) {
      if (depth >= 0) handler.comment?.(comment.trim(), depth);
    } else if (cdata !== undefined) {
      if (depth < 0) outside += cdata;
      else handler.text?.(cdata, depth);
    } else if (closing !== undefined) {
      const current = open[depth];
      if (current !== closing) {
        throw new Error(`${formatName}: closing tag </${closing}> does not match open <${current ?? '#document'}> at offset ${match.index}`);
      }
      open.pop();
      handler.close?.(closing, depth);
    } else if (opening !== undefined) {
      if (depth < 0) roots += 1;
      handler.open(opening, attributeText ?? '', selfClosing === '/', depth + 1);
      if (selfClosing !== '/') open.push(opening);
    }
  }
  if (open.length > 0) {
    throw new Error(`${formatName}: document ends inside <${open[open.length - 1] as string}> (truncated?)`);
  }
  if (roots !== 1) {
    throw new Error(`${formatName}: expected one root element, found ${roots}`);
  }
  if (outside.trim() !== '') {
    throw new Error(`${formatName}: text outside the root element; this does not look like XML`);
  }
}

export function parseAttributes(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  ATTRIBUTE.lastIndex = 0;
  for (let match = ATTRIBUTE.exec(text); match; match = ATTRIBUTE.exec(text)) {
    attributes[match[1] as string] = decodeEntities(match[2] ?? match[3] ?? '');
  }
  return attributes;
}

/** Whether a UTF-16 code unit is one the regular expressions' `\s` matches. */
function isSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  return code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff;
}

/**
 * One attribute of a start tag's `attributeText` (scanXml), entities decoded,
 * as parseAttributes would give it (the last of that name), without the
 * object and the regular expression's matches: a coverage report's <line>
 * elements are read this way, hundreds of thousands of them.
 */
export function attributeOf(text: string, name: string): string | undefined {
  // The text passed scanXml's pattern: (whitespace, a name, "=", a quoted value) repeated, so each "=" ends a name.
  let found: string | undefined;
  let at = 0;
  for (;;) {
    const equals = text.indexOf('=', at);
    if (equals === -1) break;
    let nameStart = at;
    while (isSpace(text.charCodeAt(nameStart))) nameStart += 1;
    let nameEnd = equals;
    while (nameEnd > nameStart && isSpace(text.charCodeAt(nameEnd - 1))) nameEnd -= 1;
    let open = equals + 1;
    while (isSpace(text.charCodeAt(open))) open += 1;
    const quote = text.charCodeAt(open);
    const close = quote === 34 /* " */ ? text.indexOf('"', open + 1) : quote === 39 /* ' */ ? text.indexOf("'", open + 1) : -1;
    if (close === -1) return parseAttributes(text)[name];
    if (nameEnd - nameStart === name.length && text.startsWith(name, nameStart)) found = text.slice(open + 1, close);
    at = close + 1;
  }
  return found === undefined ? undefined : decodeEntities(found);
}
