// Ctrl-Z in the replay console, as the CLI starts it: through runReplay.ts,
// which loads Ink the way the CLI does (consoleImport.ts: with CI set, Ink
// loaded otherwise draws no frame until it leaves). The stop is a fake; the
// order on the terminal is checked: the screen left, the stop, the screen
// taken again and the replay drawn where it stood.

import { describe, expect, it, vi } from 'vitest';
import { runReplayConsole } from '../../../src/ui/runReplay.js';
import { CONSOLE_PORTS } from '../../../src/cli/consolePorts.js';
import { ENTER_ALTERNATE_SCREEN, LEAVE_ALTERNATE_SCREEN } from '../../../src/ui/terminalScreen.js';
import { loadFixtureEvents, loadFixtureLog, memorySource } from '../../replay/memorySource.js';
import { fakeTerminal, plain } from '../helpers.js';

// A deadline for a stuck test, not an expectation: a loaded machine draws and reads 5-10x slower.
const WAIT = { timeout: 30_000, interval: 20 };

describe('replay console and Ctrl-Z', () => {
  it('suspends the replay to the shell and, once continued, draws it again where it stood', async () => {
    const { stdout, stdin } = fakeTerminal(100, 40);
    stdout.isTTY = true;
    const stops: number[] = [];
    const runDir = 'test_runs/rec';
    const done = runReplayConsole({
      source: memorySource(loadFixtureEvents('sim_session.jsonl'), { logLines: loadFixtureLog('sim_session.log'), runDir }),
      runDir,
      at: { kind: 'seq', seq: 100 },
      play: false,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      env: { LANG: 'C.UTF-8', TERM: 'xterm-256color', NO_COLOR: '1' },
      ports: {
        ...CONSOLE_PORTS,
        stopJob: async () => {
          stops.push(stdout.frames.length);
          return true;
        },
      },
    });
    await vi.waitFor(() => expect(plain(stdout.frames.join(''))).toContain('seq 100'), WAIT);
    stdin.write('\u001A');
    await vi.waitFor(() => expect(stops).toHaveLength(1), WAIT);
    expect(stdout.frames[stops[0]! - 1]).toBe(LEAVE_ALTERNATE_SCREEN);
    await vi.waitFor(() => {
      const after = stdout.frames.slice(stops[0]);
      expect(after[0]).toBe(ENTER_ALTERNATE_SCREEN);
      expect(plain(after.join(''))).toContain('seq 100');
    }, WAIT);
    stdin.write('q');
    await done;
    expect(stdout.frames.at(-1)).toBe(LEAVE_ALTERNATE_SCREEN);
  });
});
