// Doc coverage of a Rust file: its `pub` items (fn, struct, enum, trait,
// type, const, static, union; methods of impl blocks too, as rustdoc's
// missing_docs lint counts them) and how many carry a doc comment: `///`
// lines, a `/** … */` block or a `#[doc = …]` attribute above them, with
// attributes (one line or several), ordinary comments and blank lines
// allowed between. Left out: `pub(crate)` and other restricted items (not
// public), modules (a module's docs are often `//!` in its own file), fields
// and enum variants. The code is matched on the text with comments and
// string contents blanked (sourceScanners.ts, whose Rust block comments
// nest as Rust's do: `/* /* */ pub fn x() {} */` is all comment), so an item
// in a string or a comment is not one, and a `/** … */` doc holding a
// nested comment documents the item below it.

import type { DocCoverageCount } from './docCoverage.js';
import type { ScannedSource } from './sourceScanners.js';

const PUB_ITEM = /^[ \t]*pub[ \t]+(?:(?:const|async|unsafe|default|extern(?:[ \t]+"[^"\n]*")?)[ \t]+)*(?:fn|struct|enum|trait|type|const|static|union)\b/gm;

export function countDocumentedRustItems(text: string, { code, blockComments }: ScannedSource): DocCoverageCount {
  const docBlockEnds = new Set(blockComments.filter(({ start, end }) => isDocBlock(text.slice(start, end))).map(({ end }) => end));
  const blockStartByEnd = new Map(blockComments.map(({ start, end }) => [end, start]));
  let documented = 0;
  let total = 0;
  PUB_ITEM.lastIndex = 0;
  for (let match = PUB_ITEM.exec(code); match; match = PUB_ITEM.exec(code)) {
    total++;
    if (hasDocAbove(text, match.index, docBlockEnds, blockStartByEnd)) documented++;
  }
  return { documented, total };
}

function isDocBlock(comment: string): boolean {
  return comment.startsWith('/**') && !comment.startsWith('/**/') && !comment.startsWith('/***');
}

/** Whether the lines above the item's line (which starts at `lineStart`) document it. */
function hasDocAbove(text: string, lineStart: number, docBlockEnds: Set<number>, blockStartByEnd: Map<number, number>): boolean {
  let end = lineStart - 1; // the newline ending the line above
  while (end > 0) {
    const start = text.lastIndexOf('\n', end - 1) + 1;
    const line = text.slice(start, end).trim();
    if (line === '') {
      end = start - 1;
      continue;
    }
    if (line.startsWith('///')) return !line.startsWith('////');
    if (line.endsWith('*/')) {
      const blockEnd = text.lastIndexOf('*/', end) + 2;
      if (docBlockEnds.has(blockEnd)) return true;
      const blockStart = blockStartByEnd.get(blockEnd);
      if (blockStart === undefined) return false;
      end = text.lastIndexOf('\n', blockStart);
      continue;
    }
    if (line.startsWith('//')) {
      end = start - 1;
      continue;
    }
    const attribute = attributeAbove(text, start, line);
    if (attribute === null) return false;
    if (attribute.doc) return true;
    end = attribute.start - 1;
  }
  return false;
}

/** The attribute ending on this line (where its `#[` line starts, and whether it is `#[doc …]`), or null when the line ends none. */
function attributeAbove(text: string, lineStart: number, line: string): { start: number; doc: boolean } | null {
  if (line.startsWith('#[') && line.endsWith(']')) return { start: lineStart, doc: line.startsWith('#[doc') };
  if (!line.endsWith(']')) return null;
  // An attribute over several lines: its `#[` line is at most a few lines up.
  let start = lineStart;
  for (let lines = 0; lines < 30 && start > 0; lines++) {
    start = text.lastIndexOf('\n', start - 2) + 1;
    const above = text.slice(start, text.indexOf('\n', start)).trim();
    if (above.startsWith('#[')) return { start, doc: above.startsWith('#[doc') };
  }
  return null;
}
