import { describe, expect, it } from 'vitest';
import { detectDisplay, parseTheme, THEME_NAMES, THEME_ROLES } from '../../src/ui/theme.js';

const utf8 = { LANG: 'en_US.UTF-8', TERM: 'xterm-256color' };

describe('detectDisplay', () => {
  it('keeps the asked theme and Unicode on a UTF-8 terminal', () => {
    expect(detectDisplay(utf8, { theme: 'light' })).toEqual({ theme: 'light', ascii: false, reasons: [] });
    expect(detectDisplay(utf8).theme).toBe('dark');
  });

  it('NO_COLOR (non-empty) forces mono', () => {
    expect(detectDisplay({ ...utf8, NO_COLOR: '1' }, { theme: 'high-contrast' }).theme).toBe('mono');
    expect(detectDisplay({ ...utf8, NO_COLOR: '' }).theme).toBe('dark');
  });

  it('a non-UTF-8 locale, TERM=linux, or --ascii give ASCII glyphs', () => {
    expect(detectDisplay({ LANG: 'C', TERM: 'xterm' }).ascii).toBe(true);
    expect(detectDisplay({ TERM: 'xterm' }).ascii).toBe(true);
    expect(detectDisplay({ LC_ALL: 'en_US.ISO-8859-1', LANG: 'en_US.UTF-8', TERM: 'xterm' }).ascii).toBe(true);
    expect(detectDisplay({ LC_ALL: 'C.utf8', TERM: 'xterm' }).ascii).toBe(false);
    expect(detectDisplay({ ...utf8, TERM: 'linux' }).ascii).toBe(true);
    expect(detectDisplay(utf8, { ascii: true }).ascii).toBe(true);
    expect(detectDisplay({ ...utf8, TERM: 'dumb' })).toMatchObject({ theme: 'mono', ascii: true });
  });

  it('names the allowed themes for an unknown one', () => {
    expect(() => detectDisplay(utf8, { theme: 'solarized' })).toThrow(/--theme "solarized".*dark, light, high-contrast, mono/);
  });
});

describe('parseTheme', () => {
  const complete = Object.fromEntries(THEME_ROLES.map((r) => [r, {}]));
  it('accepts a theme with every role', () => {
    expect(parseTheme({ name: 'x', roles: complete }, 'x.json').roles.warning).toEqual({});
  });
  it('names the file, key and what is allowed', () => {
    expect(() => parseTheme({ name: 'x', roles: { ...complete, warning: { color: 'orangeish' } } }, 't.json')).toThrow(/t\.json: roles\.warning\.color: "orangeish" is not a colour/);
    expect(() => parseTheme({ name: 'x', roles: { ...complete, shiny: {} } }, 't.json')).toThrow(/roles\.shiny is not a role/);
    const { warning: _dropped, ...missing } = complete;
    expect(() => parseTheme({ name: 'x', roles: missing }, 't.json')).toThrow(/roles warning missing/);
    expect(() => parseTheme({ name: 'x', roles: { ...complete, good: { blink: true } } }, 't.json')).toThrow(/roles\.good\.blink: unknown key/);
  });
  it('lists four themes', () => {
    expect(THEME_NAMES).toEqual(['dark', 'light', 'high-contrast', 'mono']);
  });
});
