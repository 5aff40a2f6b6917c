// Turning one raw line of selfware's stdout+stderr into the pieces the parser
// reads: escapes removed, carriage returns and glued markers split apart,
// lengths bounded. Pure string work, no state.

import { GLUED_MARKERS, SHUTDOWN_FORCED, SHUTDOWN_RECEIVED } from './patterns.js';

/** An `output` message never carries more than this; the raw log keeps the whole line. */
export const OUTPUT_CAP_CHARS = 64 * 1024;
/** An error message or outcome detail never carries more than this. */
export const MESSAGE_CAP_CHARS = 4 * 1024;
/** A single line longer than this inside a tool block is counted as a parse failure. */
export const LINE_CAP_CHARS = 1024 * 1024;
/** What a parse_failure quotes of the text it is about. */
export const EXCERPT_CHARS = 240;

// CSI (colours, `\x1b[2K` clear-line), OSC (titles, links) and two-byte escapes.
const ANSI = /\x1B(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1B]*(?:\x07|\x1B\\)?|[@-Z\\-_])/g;
// Control characters left after the escapes are gone, and the replacement
// character a decoder puts where bytes were not UTF-8: binary garbage.
const GARBAGE = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F\uFFFD]/;
const GARBAGE_ALL = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]/g;

/**
 * The visible lines inside one raw line: escapes stripped, then split at
 * `\n` (a caller may hand over several) and `\r` (selfware redraws a line
 * with `\r\x1b[2K`; what was drawn before it was still printed). A trailing
 * `\r` (CRLF) adds nothing.
 */
export function visibleLines(raw: string): string[] {
  const text = raw.includes('\x1B') ? raw.replace(ANSI, '') : raw;
  if (!text.includes('\n') && !text.includes('\r')) return [text];
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    const pieces = line.split('\r');
    if (pieces.length === 1) {
      lines.push(line);
      continue;
    }
    const kept = pieces.filter((piece) => piece.length > 0);
    lines.push(...(kept.length > 0 ? kept : ['']));
  }
  return lines;
}

/**
 * Splits a line where a selfware marker begins after other text (a step
 * marker or an error printed right after cut-off streamed text). The shutdown
 * lines come from stderr and are split off only at the end of a line, where a
 * glued one lands; in the middle of a line they are someone's text.
 */
export function splitGlued(line: string): string[] {
  const cuts: number[] = [];
  for (const match of line.matchAll(GLUED_MARKERS)) {
    if (match.index > 0) cuts.push(match.index);
  }
  for (const tail of [SHUTDOWN_FORCED, SHUTDOWN_RECEIVED]) {
    if (line.length > tail.length && line.endsWith(tail)) cuts.push(line.length - tail.length);
  }
  if (cuts.length === 0) return [line];
  cuts.sort((a, b) => a - b);
  const segments: string[] = [];
  let start = 0;
  for (const cut of cuts) {
    if (cut > start) segments.push(line.slice(start, cut));
    start = Math.max(start, cut);
  }
  segments.push(line.slice(start));
  return segments;
}

export function hasGarbage(text: string): boolean {
  return GARBAGE.test(text);
}

/** Control characters shown as U+FFFD, so a log line stays printable. */
export function printable(text: string): string {
  return text.replace(GARBAGE_ALL, '\uFFFD');
}

/** At most `cap` characters, printable, saying how many more there were (cut before cleaning: the text may be huge). */
export function printableCapped(text: string, cap: number): string {
  if (text.length <= cap) return printable(text);
  return `${printable(text.slice(0, cap))} … [${text.length - cap} more characters cut]`;
}

/** The start of a text, for a parse_failure to quote. */
export function excerpt(text: string): string {
  return printableCapped(text, EXCERPT_CHARS);
}
