// Reads a theme file, themes/<name>.json, for src/cli/consolePorts.ts, which
// checks it against the UI's roles (the UI never touches files itself).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { jsonProblem } from './jsonProblem.js';

/** A name that is a file name in themesDir and nothing more (no path). */
const THEME_FILE_NAME = /^[a-z][a-z0-9-]*$/;

/** The JSON of themes/<name>.json, and the file it came from; one-line errors naming the file. */
export function readThemeFile(name: string, themesDir: string): { file: string; json: unknown } {
  if (!THEME_FILE_NAME.test(name)) throw new Error(`theme ${JSON.stringify(name)}: not a theme name`);
  const file = path.join(themesDir, `${name}.json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${file}: cannot read theme (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    return { file, json: JSON.parse(text) };
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${jsonProblem(error)})`);
  }
}
