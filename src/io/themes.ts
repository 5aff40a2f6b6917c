// Reads a theme from themes/<name>.json (the UI never touches files itself).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { THEMES_DIR } from '../paths.js';
import { jsonProblem } from './jsonProblem.js';
import { parseTheme, THEME_NAMES, type Theme } from '../ui/theme.js';

export function loadTheme(name: string, themesDir: string = THEMES_DIR): Theme {
  if (!(THEME_NAMES as readonly string[]).includes(name)) {
    throw new Error(`theme ${JSON.stringify(name)}: unknown; choose one of ${THEME_NAMES.join(', ')} (--theme or [ui] theme)`);
  }
  const file = path.join(themesDir, `${name}.json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${file}: cannot read theme (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${jsonProblem(error)})`);
  }
  return parseTheme(json, file);
}
