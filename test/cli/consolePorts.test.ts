import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTheme } from '../../src/cli/consolePorts.js';
import { THEME_NAMES, THEME_ROLES } from '../../src/ui/theme.js';

describe('loadTheme', () => {
  it.each(THEME_NAMES)('themes/%s.json is complete and valid', (name) => {
    const theme = loadTheme(name);
    expect(Object.keys(theme.roles).sort()).toEqual([...THEME_ROLES].sort());
  });

  it('mono uses no colour at all', () => {
    const mono = loadTheme('mono');
    for (const style of Object.values(mono.roles)) {
      expect(style.color).toBeUndefined();
      expect(style.backgroundColor).toBeUndefined();
    }
  });

  it('reports an unknown name and a broken file clearly', () => {
    expect(() => loadTheme('neon')).toThrow(/theme "neon": unknown; choose one of dark, light, high-contrast, mono/);
    const dir = mkdtempSync(path.join(tmpdir(), 'megatest-themes-'));
    try {
      writeFileSync(path.join(dir, 'dark.json'), '{ nope');
      expect(() => loadTheme('dark', dir)).toThrow(/dark\.json: not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
