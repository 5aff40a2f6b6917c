// `megatest replay` as a person uses it: inside tmux at 80x24 and 120x40,
// keys sent with send-keys, the screen read with capture-pane. Condition
// waits only. Needs the build (npm run build) and tmux.

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT } from '../helpers/cli.js';
import { HAS_TMUX, TmuxServer } from '../helpers/tmux.js';

const BIN = path.join(PACKAGE_ROOT, 'bin', 'megatest.js');
const EVENTS = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'events');

const server = new TmuxServer('replay-e2e');
const tmux = (...args: string[]): string => server.run(...args);
const waitForScreen = (session: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> => server.waitForScreen(session, pattern, timeoutMs, 100);

/** Seqs of the recorded events of the given types, read with a pattern of the test's own. */
function seqsOf(lines: string[], types: string[]): number[] {
  return lines.filter((l) => types.some((t) => l.includes(`"type":"${t}"`))).map((l) => Number(/^\{"seq":(\d+),/.exec(l)![1]));
}

const VARIANTS = [
  { width: 80, height: 24 },
  { width: 120, height: 40 },
];

describe.skipIf(!HAS_TMUX || !BUILT)(`replay end to end in tmux${HAS_TMUX && BUILT ? '' : ' (skipped: needs tmux and npm run build)'}`, () => {
  beforeAll(() => {
    server.start();
  });
  const root = mkdtempSync(path.join(tmpdir(), 'megatest-replay-tmux-'));
  const runDir = path.join(root, 'sim');
  mkdirSync(runDir);
  copyFileSync(path.join(EVENTS, 'sim_session.jsonl'), path.join(runDir, 'events.jsonl'));
  copyFileSync(path.join(EVENTS, 'sim_session.log'), path.join(runDir, 'session.log'));
  const lines = readFileSync(path.join(runDir, 'events.jsonl'), 'utf8').split('\n').filter((l) => l.startsWith('{'));
  const lastSeq = Number(/^\{"seq":(\d+),/.exec(lines[lines.length - 1]!)![1]);
  const firstCheckpoint = seqsOf(lines, ['checkpoint_created', 'checkpoint_restored'])[0]!;
  const firstError = seqsOf(lines, ['error', 'recovery'])[0]!;
  afterAll(() => {
    server.kill();
    rmSync(root, { recursive: true, force: true });
  });

  for (const [index, { width, height }] of VARIANTS.entries()) {
    it(`opens, jumps to the end and to the marks, and quits at ${width}x${height}`, async () => {
      const session = `replay-${index}`;
      const command = `cd ${PACKAGE_ROOT} && env -u CI LANG=C.UTF-8 TERM=xterm-256color node ${BIN} replay ${runDir}; echo REPLAY-EXIT=$?; sleep 600`;
      tmux('new-session', '-d', '-s', session, '-x', String(width), '-y', String(height), command);

      // It opens at the start and plays, timeline under the phase bar.
      await waitForScreen(session, /playing 1x/);
      await waitForScreen(session, /planning/);

      // G: the end; the cursor sits at the timeline's right end, and a finished run stops playing.
      tmux('send-keys', '-t', session, 'G');
      await waitForScreen(session, new RegExp(`paused 1x .* seq ${lastSeq} .*end`));
      // Once paused the screen holds still; a capture can still land while its frame is being
      // written top to bottom, so the lower panes are waited for, not read from that capture.
      const end = await waitForScreen(session, /session completed/);
      expect(end).toMatch(new RegExp(`paused 1x .* seq ${lastSeq} .*end`));
      expect(end).toMatch(/^[━▼↺✗✚!]+┃$/m);

      // Another program writes over the still screen (as `wall` does); Ctrl-L draws it whole again.
      const tty = tmux('display-message', '-p', '-t', session, '#{pane_tty}').trim();
      writeFileSync(tty, '\u001B7\u001B[1;1HWRITTEN-OVER-THE-CONSOLE\u001B8');
      await waitForScreen(session, /^WRITTEN-OVER-THE-CONSOLE/);
      tmux('send-keys', '-t', session, 'C-l');
      const redrawn = await waitForScreen(session, /^megatest [\s\S]*session completed[\s\S]*\? help/);
      expect(redrawn).not.toContain('WRITTEN-OVER-THE-CONSOLE');
      expect(redrawn).toMatch(new RegExp(`paused 1x .* seq ${lastSeq} .*end`));

      // n at the end: nothing later; g, then n and e go to the first checkpoint and the first error.
      tmux('send-keys', '-t', session, 'n');
      await waitForScreen(session, /no later checkpoint or restore/);
      tmux('send-keys', '-t', session, 'g');
      await waitForScreen(session, /\+0s \//);
      tmux('send-keys', '-t', session, 'n');
      await waitForScreen(session, new RegExp(`seq ${firstCheckpoint} `));
      tmux('send-keys', '-t', session, 'e');
      const atError = await waitForScreen(session, new RegExp(`seq ${firstError} `));
      // The timeline shows the played part, the marks and the cursor.
      expect(atError).toMatch(/^━+[━▼↺✗✚!]*┃[─▼↺✗✚!]+$/m);

      // q: the replay ends with exit 0.
      tmux('send-keys', '-t', session, 'q');
      await waitForScreen(session, /REPLAY-EXIT=0/);
      tmux('kill-session', '-t', session);
    }, 120_000);
  }
});
