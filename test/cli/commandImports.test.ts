// What a short command loads before it runs (issue 13, start-up). `megatest
// status`, `ls`, `--version` and the control commands (checkpoint, pause, …)
// are typed by people and called by scripts every few seconds; each module
// they load at start-up is paid on every call (bench/startup.mjs times them
// beside bare node). They load no console (Ink, React), and no config
// validation (zod's schemas, the TOML parser): the fold of a run folder
// reads the original runner's TOML config only for such a folder, through
// a dynamic import.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { importClosure, staticImports } from '../helpers/importGraph.js';

const src = (file: string) => path.join(PACKAGE_ROOT, 'src', file);
const HEAVY = ['ink', 'react', 'zod', '@iarna/toml', 'asciichart', 'zustand', 'prom-client', 'execa'];

/** The heavy packages a closure reaches, each with the file that imports it (relative), to say where a regression came in. */
function heavyReached(entries: string[]): Record<string, string> {
  const { packages } = importClosure(entries);
  return Object.fromEntries(HEAVY.filter((name) => packages.has(name)).map((name) => [name, path.relative(PACKAGE_ROOT, packages.get(name)!)]));
}

describe('static imports', () => {
  it('are read as the loader reads them', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "import * as c from 'node:fs';",
      "import {\n  d,\n  e,\n} from '@iarna/toml';",
      "export { f } from './f.js';",
      "export type { G } from './g.js';",
      "import './side-effect.js';",
      "const lazy = await import('./lazy.js');",
    ].join('\n');
    expect(staticImports(source)).toEqual(['./a.js', 'node:fs', '@iarna/toml', './f.js', './side-effect.js']);
  });
});

describe('what a short command loads at start-up', () => {
  it('the CLI entry (every command, --version and --help too) loads no console and no config validation', () => {
    expect(heavyReached([src('cli/main.ts')])).toEqual({});
  });

  it('the CLI entry does not load node:crypto (about 5 ms of every command; a session id takes the global Web Crypto)', () => {
    const { packages } = importClosure([src('cli/main.ts')]);
    expect(packages.get('node:crypto')).toBeUndefined();
  });

  it('status and the control commands (checkpoint, compress, pause, continue, stop, restore) load neither', () => {
    expect(heavyReached([src('cli/main.ts'), src('cli/controlCommands.ts')])).toEqual({});
  });

  it('status of a live run, answered by the control API, does not load the fold of the files (only a run nobody runs needs it)', () => {
    const { files } = importClosure([src('cli/main.ts'), src('cli/controlCommands.ts')]);
    const loaded = [...files].map((file) => path.relative(PACKAGE_ROOT, file));
    expect(loaded).not.toContain('src/io/foldLog.ts');
    expect(loaded).not.toContain('src/cli/statusFromFiles.ts');
  });

  it('ls loads neither', () => {
    expect(heavyReached([src('cli/main.ts'), src('cli/ls.ts')])).toEqual({});
  });

  it('the run-folder fold they share reaches the TOML config reader only through a dynamic import', () => {
    const { files } = importClosure([src('io/foldLog.ts')]);
    expect([...files].filter((file) => file.includes(`${path.sep}legacy${path.sep}`)).map((file) => path.relative(PACKAGE_ROOT, file))).not.toContain('src/legacy/configFile.ts');
  });
});
