// The consoles' ports (src/ui/consolePorts.ts) as megatest gives them: the
// run folder followed by src/io/tail.ts, themes read from themes/<name>.json,
// Ctrl-Z by src/io/jobControl.ts.

import { stopThisJob } from '../io/jobControl.js';
import { tailRunFolder } from '../io/tail.js';
import { readThemeFile } from '../io/themes.js';
import { THEMES_DIR } from '../paths.js';
import type { LiveConsolePorts } from '../ui/consolePorts.js';
import { parseTheme, THEME_NAMES, type Theme } from '../ui/theme.js';

/** A theme by name: one of THEME_NAMES, read from `themesDir` and checked role by role. */
export function loadTheme(name: string, themesDir: string = THEMES_DIR): Theme {
  if (!(THEME_NAMES as readonly string[]).includes(name)) {
    throw new Error(`theme ${JSON.stringify(name)}: unknown; choose one of ${THEME_NAMES.join(', ')} (--theme or [ui] theme)`);
  }
  const { file, json } = readThemeFile(name, themesDir);
  return parseTheme(json, file);
}

export const CONSOLE_PORTS: LiveConsolePorts = {
  follow: tailRunFolder,
  loadTheme: (name) => loadTheme(name),
  stopJob: stopThisJob,
};
