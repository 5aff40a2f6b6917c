// What an agent printed, as it may be drawn on a terminal row (console, session.log).

import { describe, expect, it } from 'vitest';
import { printableText } from '../../src/contract/printable.js';

describe('printableText', () => {
  it.each([
    ['plain text', 'plain text'],
    ['emoji 🚀 and 漢字 stay', 'emoji 🚀 and 漢字 stay'],
    ['\u001b[31mred\u001b[0m text', 'red text'],
    ['before\u001b[2J\u001b[Hafter', 'beforeafter'],
    ['title\u001b]0;set title\u0007 done', 'title done'],
    ['leave \u001b[?1049l screen', 'leave  screen'],
    ['compile\tfailed\rOVER', 'compile failed OVER'],
    ['progress 10%\rprogress 100%', 'progress 10% progress 100%'],
    ['bell\u0007 back\u0008\u0008X nul\u0000 del\u007f', 'bell^G back^H^HX nul^@ del^?'],
    ['c1 \u0085 next line', 'c1 <U+0085> next line'],
    ['two\nrows', 'two\nrows'],
  ])('%j is drawn as %j', (text, shown) => {
    expect(printableText(text)).toBe(shown);
  });

  it('is the same when applied twice (what is measured is what is drawn)', () => {
    const once = printableText('a\u0007b\tc\u001b[1md\re');
    expect(printableText(once)).toBe(once);
  });
});
