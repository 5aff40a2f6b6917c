// Theme and glyphs reach every component through context; <Styled role>
// is the only way a component colours text.

import React, { createContext, useContext, type ReactNode } from 'react';
import { Text } from 'ink';
import { ASCII_GLYPHS, UNICODE_GLYPHS, roleStyle, type Glyphs, type Theme, type ThemeRole } from '../theme.js';
import { printableText } from '../../contract/printable.js';
import { clipSpansWithEllipsis, textWidth, toAscii, type Span } from '../viewModels/format.js';

export interface Look {
  theme: Theme;
  glyphs: Glyphs;
}

const LookContext = createContext<Look | null>(null);

export function LookProvider({ look, children }: { look: Look; children: ReactNode }) {
  return <LookContext.Provider value={look}>{children}</LookContext.Provider>;
}

export function useLook(): Look {
  const look = useContext(LookContext);
  if (look === null) throw new Error('useLook: render inside <LookProvider>');
  return look;
}

export function glyphsFor(ascii: boolean): Glyphs {
  return ascii ? ASCII_GLYPHS : UNICODE_GLYPHS;
}

export function Styled({ role, children }: { role: ThemeRole; children: ReactNode }) {
  const { theme } = useLook();
  // What an agent printed is drawn in its printable form, as textCells measured it (no escape or control character reaches the terminal).
  return <Text {...roleStyle(theme, role)}>{typeof children === 'string' ? printableText(children) : children}</Text>;
}

/**
 * One screen line made of spans. With `width`, anything past it is cut here
 * (with the theme's ellipsis, ASCII when asked) so Ink never has to cut it.
 */
function sameSpans(a: readonly Span[], b: readonly Span[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return a.every((span, i) => span.text === b[i]!.text && span.role === b[i]!.role);
}

// View models build fresh span arrays every frame; most lines read the same
// as last frame, and skipping their re-render spares React and Ink a set of
// <Text> elements each (the look still reaches them through context).
export const SpanLine = React.memo(SpanLineUnmemoized, (before, after) => before.width === after.width && sameSpans(before.spans, after.spans));

function SpanLineUnmemoized({ spans, width }: { spans: readonly Span[]; width?: number }) {
  const { glyphs } = useLook();
  const clipped = width === undefined ? spans : clipSpansWithEllipsis(spans, width, glyphs.ellipsis);
  // A terminal that cannot draw Unicode gets none, whatever the text says.
  const shown = glyphs.ascii ? clipped.map((s) => ({ ...s, text: toAscii(s.text) })) : clipped;
  return (
    <ScreenLine>
      {shown.length === 0 ? ' ' : shown.map((span, i) => (
        <Styled key={i} role={span.role}>
          {span.text}
        </Styled>
      ))}
    </ScreenLine>
  );
}

// One screen row of text that Yoga never measures. <Text> is measured through
// Ink's measureText, which keeps every distinct string it has measured in a
// module-level Map for the life of the process: a busy log puts ~120 new
// rows a second in it, megabytes a minute never freed. Ink 6 exports neither
// the cache nor a way to clear it (Ink 8 bounds it, but needs Node 22), so
// the only way to bound it from here is not to use it: Yoga calls a text
// node's measure function only when its width or height is open, so a line
// is Ink's own text element (what <Text> renders, the name Ink's DOM gives
// it) with both set: the width of its column, one row. That lays out as
// <Text wrap="truncate"> did in these column boxes, and a line longer than
// its column is still cut by Ink when drawn.
const SCREEN_LINE_STYLE = { flexGrow: 0, flexShrink: 1, flexDirection: 'row', textWrap: 'truncate', width: '100%', height: 1 } as const;

function ScreenLine({ children }: { children: ReactNode }) {
  return React.createElement('ink-text', { style: SCREEN_LINE_STYLE }, children);
}

/** "── Title ─────────" across `width`. */
export function SectionTitle({ title, detail, width }: { title: string; detail?: string; width: number }) {
  const { glyphs } = useLook();
  const head = `${glyphs.rule}${glyphs.rule} ${title} `;
  const tail = detail ? ` ${detail} ${glyphs.rule}${glyphs.rule}` : '';
  const fill = Math.max(0, width - textWidth(head) - textWidth(tail));
  return (
    <SpanLine
      spans={[
        { text: `${glyphs.rule}${glyphs.rule} `, role: 'border' },
        { text: title, role: 'title' },
        { text: ' ' + glyphs.rule.repeat(fill), role: 'border' },
        ...(detail ? [{ text: ` ${detail} `, role: 'muted' as ThemeRole }, { text: glyphs.rule.repeat(2), role: 'border' as ThemeRole }] : []),
      ]}
    />
  );
}
