// A report read into a tree of every element: how megatest read JUnit and
// cobertura before it read them tag by tag (src/measure/xml.ts). The tests
// compare the two readings on the same reports.

import { parseAttributes, scanXml } from '../../src/measure/xml.js';

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Text and CDATA directly inside this element, entities decoded. */
  text: string;
  /** Comments directly inside this element, trimmed. */
  comments: string[];
}

/** The root element of `xml`, with scanXml's checks and errors. */
export function parseXml(xml: string, formatName: string): XmlElement {
  const document: XmlElement = { name: '#document', attributes: {}, children: [], text: '', comments: [] };
  const stack: XmlElement[] = [document];
  const current = (): XmlElement => stack[stack.length - 1] as XmlElement;
  scanXml(xml, formatName, {
    open(name, attributeText, selfClosing) {
      const element: XmlElement = { name, attributes: parseAttributes(attributeText), children: [], text: '', comments: [] };
      current().children.push(element);
      if (!selfClosing) stack.push(element);
    },
    close() {
      stack.pop();
    },
    text(text) {
      current().text += text;
    },
    comment(text) {
      current().comments.push(text);
    },
  });
  return document.children[0] as XmlElement;
}

/** Every descendant element named `name`, in document order. */
export function descendants(element: XmlElement, name: string): XmlElement[] {
  return element.children.flatMap((child) => [...(child.name === name ? [child] : []), ...descendants(child, name)]);
}

/** All text inside an element: its own, then each child's. */
export function allText(element: XmlElement): string {
  return element.text + element.children.map(allText).join('');
}
