// Text an agent printed is shown on a terminal: in the console (task names,
// error messages, its last output lines) and in session.log, which people
// `tail -f`. Agents print colours, tabs, carriage returns of progress bars
// and stray bytes. Drawn as they are, a carriage return sent the cursor back
// to the row's start and the rest overwrote the row (an alert read
// "OVER1:12 agent-1: …"), a tab jumped past the column laid out for it and
// shifted the row, and escape sequences coloured or moved what came after.
// Raw bytes stay in the agent's output.log and events.jsonl; what is shown
// is this: escape sequences removed, a tab or carriage return one space,
// any other control character in caret notation (^G), as `cat -v` shows it.
// A newline stays: where a row ends is the view's choice (a message wraps
// there; a one-row cell shows what comes before it; session.log writes ' | ').

import { stripVTControlCharacters } from 'node:util';

// eslint-disable-next-line no-control-regex
const ALL_PRINTABLE = /^[^\x00-\x09\x0b-\x1f\x7f-\x9f]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/g;
// An operating system command (a window title: ESC ] 0 ; text BEL), whose text
// node's stripVTControlCharacters leaves half of when it holds a space.
// eslint-disable-next-line no-control-regex
const OSC = /(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)/g;

function caret(control: string): string {
  const code = control.charCodeAt(0);
  if (code === 0x09 || code === 0x0d) return ' ';
  if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
  if (code === 0x7f) return '^?';
  // C1 controls (U+0080..U+009F): no caret form; shown as their code.
  return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
}

/** `text` as it may be drawn on one terminal row: no escape sequence, no control character (see above). */
export function printableText(text: string): string {
  if (ALL_PRINTABLE.test(text)) return text;
  return stripVTControlCharacters(text.replace(OSC, '')).replace(CONTROL, caret);
}
