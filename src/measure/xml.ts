// A small XML reader for the flat report formats megatest reads (JUnit,
// cobertura). It builds an element tree from tags, text, CDATA and comments;
// it does not validate, resolve DTDs or handle namespaces beyond keeping the
// prefixed name. Attribute values may hold `>` (node's JUnit reporter writes
// them unescaped), attributes come in any order, entities are decoded.

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Text and CDATA directly inside this element, entities decoded. */
  text: string;
  /** Comments directly inside this element, trimmed. */
  comments: string[];
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeEntities(value: string): string {
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

/**
 * Parses `xml` into its root element. `formatName` names the expected format
 * in errors ("JUnit XML"), so a caller's user learns what was wrong.
 */
export function parseXml(xml: string, formatName: string): XmlElement {
  const document: XmlElement = { name: '#document', attributes: {}, children: [], text: '', comments: [] };
  const stack: XmlElement[] = [document];
  let last = 0;
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(xml); match; match = TOKEN.exec(xml)) {
    const current = stack[stack.length - 1] as XmlElement;
    if (match.index > last) current.text += decodeEntities(xml.slice(last, match.index));
    last = TOKEN.lastIndex;
    const [, comment, cdata, closing, opening, attributeText, selfClosing] = match;
    if (comment !== undefined) current.comments.push(comment.trim());
    else if (cdata !== undefined) current.text += cdata;
    else if (closing !== undefined) {
      if (current.name !== closing) {
        throw new Error(`${formatName}: closing tag </${closing}> does not match open <${current.name}> at offset ${match.index}`);
      }
      stack.pop();
    } else if (opening !== undefined) {
      const element: XmlElement = { name: opening, attributes: parseAttributes(attributeText ?? ''), children: [], text: '', comments: [] };
      current.children.push(element);
      if (selfClosing !== '/') stack.push(element);
    }
  }
  if (stack.length > 1) {
    throw new Error(`${formatName}: document ends inside <${(stack[stack.length - 1] as XmlElement).name}> (truncated?)`);
  }
  const root = document.children[0];
  if (!root || document.children.length > 1) {
    throw new Error(`${formatName}: expected one root element, found ${document.children.length}`);
  }
  if (document.text.trim() !== '') {
    throw new Error(`${formatName}: text outside the root element; this does not look like XML`);
  }
  return root;
}

function parseAttributes(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  ATTRIBUTE.lastIndex = 0;
  for (let match = ATTRIBUTE.exec(text); match; match = ATTRIBUTE.exec(text)) {
    attributes[match[1] as string] = decodeEntities(match[2] ?? match[3] ?? '');
  }
  return attributes;
}

/** Every descendant element named `name`, in document order. */
export function descendants(element: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const visit = (node: XmlElement): void => {
    for (const child of node.children) {
      if (child.name === name) found.push(child);
      visit(child);
    }
  };
  visit(element);
  return found;
}

/** All text inside an element and its descendants. */
export function allText(element: XmlElement): string {
  return element.text + element.children.map(allText).join('');
}
