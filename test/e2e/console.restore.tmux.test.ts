// Restore from the console, as a person does it: `megatest run` in tmux, a
// forced checkpoint taken with `c` during bootstrap, then, once development
// has started, `r`, the checkpoint picked in the picker by reading the
// screen, Enter and `y`. The header must come back to bootstrap after the
// checkpoint_restored event (nothing else puts it there: no phase_started
// follows a restore) and, once it has, never draw a later phase again while
// the run has not started one; and `megatest status --json` must agree with
// what the console shows (phase, LOC) and with the fold of events.jsonl
// (tasks: the console does not draw a task count at any size).
//
// Every wait keys on an event in events.jsonl or on what the screen shows;
// their time limits are deadlines for a stuck test, not expectations (how
// soon the header came back is printed).

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { isPidAlive, readControlFile } from '../../src/io/sessions.js';
import { foldAll } from '../../src/state/fold.js';
import { tasksCompleted, tasksRemaining } from '../../src/state/runState.js';
import { formatCount } from '../../src/ui/viewModels/format.js';
import { eventsOf, readEvents, agentPidsOf, readStatusWord, waitFor as waitUntil, waitForEvent } from '../helpers/cli.js';
import { foldRun, headerFigures, locChartFigure, statusJson, type HeaderFigures, type StatusJson } from '../helpers/agreement.js';
import { HAS_TMUX, TmuxServer } from '../helpers/tmux.js';

const BIN = path.join(PACKAGE_ROOT, 'bin', 'megatest.js');
const FAST = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'fast.toml');

const server = new TmuxServer('restore');
const tmux = (...args: string[]): string => server.run(...args);
const waitForScreen = (session: string, pattern: RegExp, timeoutMs = 30_000, everyMs = 100): Promise<string> => server.waitForScreen(session, pattern, timeoutMs, everyMs);

function tryScreen(session: string): string {
  try {
    return server.screen(session);
  } catch {
    return '(no screen)';
  }
}

/** The checkpoint id the picker's marker (▶, or > in ASCII) is on. */
function pickerSelection(shown: string): string | null {
  return /(?:▶|>) (checkpoint_\d+)/.exec(shown)?.[1] ?? null;
}

const HEADER_PAUSED = /^megatest.*\bpaused\b/m;

const VARIANTS = [
  // 120x40 draws the five charts, "lines of code" among them.
  { name: '120x40', width: 120, height: 40, port: 18600, showsLoc: true },
  // 80x24 draws two charts (tokens/min, test pass rate): LOC is not on screen there.
  { name: '80x24', width: 80, height: 24, port: 18610, showsLoc: false },
];

describe.skipIf(!HAS_TMUX)('restore from the console in tmux (skipped: tmux is not installed)', () => {
  beforeAll(() => {
    server.start();
  });
  const runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-restore-'));
  const runDirs: string[] = [];
  const orchestratorPids: number[] = [];
  /** The screen sampler a failed test may have left going. */
  let sampler: NodeJS.Timeout | undefined;

  afterAll(() => {
    clearInterval(sampler);
    server.kill();
    // Whatever a failed test left running: only the processes this file started.
    for (const pid of orchestratorPids) if (isPidAlive(pid)) process.kill(pid, 'SIGKILL');
    for (const dir of runDirs) for (const pid of agentPidsOf(dir)) process.kill(pid, 'SIGKILL');
    rmSync(runsDir, { recursive: true, force: true });
  });

  for (const [index, variant] of VARIANTS.entries()) {
    it(`puts the console back to bootstrap after the restore, no later phase after, and agrees with status at ${variant.name}`, async () => {
      const sessionId = `restore-${index}`;
      const runDir = path.join(runsDir, sessionId);
      runDirs.push(runDir);
      const session = `restore-${index}`;
      const command = `cd ${PACKAGE_ROOT} && env -u CI LANG=C.UTF-8 TERM=xterm-256color node ${BIN} run task_queue --duration 180s --agents 3 --seed 5 --runs-dir ${runsDir} --session-id ${sessionId} --config ${FAST} --port ${variant.port}; sleep 600`;
      tmux('new-session', '-d', '-s', session, '-x', String(variant.width), '-y', String(variant.height), command);

      // The console is up and the orchestrator answers.
      await waitForScreen(session, /SIMULATED/, 60_000);
      const control = await waitUntil(() => readControlFile(runDir) ?? undefined, 'control.json', 60_000);
      orchestratorPids.push(control.pid);
      await waitForEvent(runDir, 'phase_started', (e) => e.phase === 'bootstrap', 60_000);
      // Keys reach the dashboard once it is drawn with its phase.
      await waitForScreen(session, /phase 1\/4 bootstrap/, 60_000);

      // c during bootstrap, once its first task is done and measured, so the
      // checkpoint holds figures (tasks, LOC) that development then changes.
      await waitForEvent(runDir, 'metrics', (e) => e.metrics.phase === 'bootstrap' && (e.metrics.lines_of_code ?? 0) > 0 && (e.metrics.tasks_completed ?? 0) > 0, 120_000);
      tmux('send-keys', '-t', session, 'c');
      const forced = await waitForEvent(runDir, 'checkpoint_created', (e) => e.trigger === 'forced', 60_000);
      expect(forced.phase).toBe('bootstrap');
      expect(forced.lines_of_code ?? 0).toBeGreaterThan(0);
      await waitForScreen(session, new RegExp(`checkpoint ${forced.id} created`));

      // Development starts; the header follows.
      await waitForEvent(runDir, 'phase_started', (e) => e.phase === 'development', 120_000);
      await waitForScreen(session, /phase 2\/4 development/, 60_000);
      const atForced = foldAll(readEvents(runDir).filter((e) => e.seq <= forced.seq));
      const tasksAtForced = tasksCompleted(atForced);
      const tasksAtDevelopment = tasksCompleted(foldRun(runDir));
      expect(tasksAtForced).toBeGreaterThan(0);
      expect(tasksAtDevelopment).toBeGreaterThan(tasksAtForced);

      // r: the picker, newest first; walk down to the forced checkpoint by reading the screen.
      tmux('send-keys', '-t', session, 'r');
      let shown = await waitForScreen(session, /Restore a checkpoint/);
      expect(shown).toContain(forced.id);
      for (let step = 0; pickerSelection(shown) !== forced.id; step++) {
        if (step > 50) throw new Error(`could not select ${forced.id} in the picker\n--- screen ---\n${shown}`);
        const before = pickerSelection(shown);
        tmux('send-keys', '-t', session, 'Down');
        shown = await waitUntil(
          () => {
            const now = tryScreen(session);
            const selected = pickerSelection(now);
            return selected !== null && selected !== before ? now : undefined;
          },
          `the picker's selection to move off ${before}`,
          30_000,
        );
      }
      tmux('send-keys', '-t', session, 'Enter');
      await waitForScreen(session, new RegExp(`Restore ${forced.id}`));
      tmux('send-keys', '-t', session, 'y');

      // The header comes back to bootstrap. Every frame from the event on is kept, until the pause
      // below is drawn, to check that none after the first on bootstrap shows a later phase.
      const restored = await waitForEvent(runDir, 'checkpoint_restored', (e) => e.id === forced.id, 60_000);
      const seenAt = Date.now();
      const frames: { at: number; header: HeaderFigures | null; screen: string }[] = [];
      const sample = (): string => {
        const now = tryScreen(session);
        frames.push({ at: Date.now(), header: headerFigures(now), screen: now });
        return now;
      };
      sampler = setInterval(sample, 50);
      let last = '';
      const onBootstrap = await waitUntil(
        () => {
          last = sample();
          const header = headerFigures(last);
          return header?.phaseNumber === 1 && header.phaseCount === 4 && header.phase === 'bootstrap' ? last : undefined;
        },
        'the header to show phase 1/4 bootstrap',
        60_000,
        50,
      ).catch((error: Error) => {
        clearInterval(sampler);
        throw new Error(`${error.message} (checkpoint_restored seq ${restored.seq} at ${restored.ts}, seen ${seenAt - Date.parse(restored.ts)} ms later)\n--- screen ---\n${last}`);
      });
      console.log(`${variant.name}: the header was back on bootstrap ${Date.now() - Date.parse(restored.ts)} ms after checkpoint_restored was written`);
      expect(onBootstrap).toMatch(/phase 1\/4 bootstrap/);
      // The fold puts the tasks back to the checkpoint's.
      expect(tasksCompleted(foldAll(readEvents(runDir).filter((e) => e.seq <= restored.seq)))).toBe(tasksAtForced);

      // Pause, so the figures hold still, then compare status, the screen and the fold.
      tmux('send-keys', '-t', session, 'p');
      await waitUntil(() => readStatusWord(runDir) === 'paused', 'status paused', 60_000);
      await waitForScreen(session, HEADER_PAUSED, 60_000).finally(() => clearInterval(sampler));
      sample();
      // After the first frame on bootstrap, no frame shows a later phase, but one the run itself started again since the restore.
      const startedSince = new Set(eventsOf(readEvents(runDir), 'phase_started').filter((e) => e.seq > restored.seq).map((e) => e.phase));
      const firstOnBootstrap = frames.findIndex((f) => f.header?.phase === 'bootstrap');
      expect(firstOnBootstrap, 'a sampled frame on bootstrap').toBeGreaterThanOrEqual(0);
      const later = frames.slice(firstOnBootstrap).filter((f) => f.header?.phase != null && f.header.phase !== 'bootstrap' && !startedSince.has(f.header.phase));
      expect(later.map((f) => `${f.at - Date.parse(restored.ts)} ms: ${f.header!.line.trim()}`), later[0]?.screen).toEqual([]);

      interface Reading {
        status: StatusJson;
        header: HeaderFigures | null;
        loc: string | null;
        foldTasks: { completed: number; remaining: number };
        foldLoc: number | null;
        foldPhase: string | null;
        screen: string;
      }
      const read = async (): Promise<Reading> => {
        const status = await statusJson(runDir);
        const shownNow = tryScreen(session);
        const state = foldRun(runDir);
        const phase = state.currentPhaseIndex >= 0 ? (state.phases[state.currentPhaseIndex]?.name ?? null) : null;
        return {
          status,
          header: headerFigures(shownNow),
          loc: locChartFigure(shownNow),
          foldTasks: { completed: tasksCompleted(state), remaining: tasksRemaining(state) },
          foldLoc: state.measured.linesOfCode,
          foldPhase: phase,
          screen: shownNow,
        };
      };
      const disagreements = (r: Reading): string[] => {
        const out: string[] = [];
        const m = r.status.metrics;
        if (!m) return ['status has no metrics'];
        if (r.status.phase !== r.header?.phase) out.push(`phase: status ${r.status.phase}, header ${r.header?.phase}`);
        if (m.phase !== r.header?.phase) out.push(`metrics.phase: status ${m.phase}, header ${r.header?.phase}`);
        if (r.status.phase !== r.foldPhase) out.push(`phase: status ${r.status.phase}, fold ${r.foldPhase}`);
        if (m.tasks_completed !== r.foldTasks.completed) out.push(`tasks_completed: status ${m.tasks_completed}, fold ${r.foldTasks.completed}`);
        if (m.tasks_remaining !== r.foldTasks.remaining) out.push(`tasks_remaining: status ${m.tasks_remaining}, fold ${r.foldTasks.remaining}`);
        if (variant.showsLoc) {
          if (m.lines_of_code === null || formatCount(m.lines_of_code) !== r.loc) out.push(`lines_of_code: status ${m.lines_of_code} (${m.lines_of_code === null ? 'n/a' : formatCount(m.lines_of_code)}), console chart ${r.loc}`);
        } else if (m.lines_of_code !== r.foldLoc) {
          out.push(`lines_of_code: status ${m.lines_of_code}, fold ${r.foldLoc}`);
        }
        return out;
      };
      // The console redraws from the tail and status asks the orchestrator: both settle within a snapshot or two.
      let reading = await read();
      const settleBy = Date.now() + 30_000;
      while (disagreements(reading).length > 0 && Date.now() < settleBy) reading = await read();
      expect(disagreements(reading), `--- screen ---\n${reading.screen}\n--- status ---\n${JSON.stringify(reading.status.metrics && { phase: reading.status.phase, tasks_completed: reading.status.metrics.tasks_completed, tasks_remaining: reading.status.metrics.tasks_remaining, lines_of_code: reading.status.metrics.lines_of_code })}`).toEqual([]);
      expect(reading.status.running).toBe(true);
      expect(reading.status.status).toBe('paused');
      expect(reading.status.metrics!.lines_of_code).toBeGreaterThan(0);
      if (variant.showsLoc) expect(reading.loc).not.toBeNull();
      else expect(reading.loc).toBeNull();

      // Q, y: the run stops with its report, and nothing it started is left running.
      tmux('send-keys', '-t', session, 'Q');
      await waitForScreen(session, /Stop the run\?/);
      tmux('send-keys', '-t', session, 'y');
      await waitUntil(() => readStatusWord(runDir) === 'interrupted', 'status interrupted', 90_000);
      await waitUntil(() => existsSync(path.join(runDir, 'final_report.json')), 'the final report', 90_000);
      await waitUntil(() => !isPidAlive(control.pid), `orchestrator ${control.pid} to exit`, 60_000);
      await waitUntil(() => agentPidsOf(runDir).length === 0, 'no agent process left', 60_000);
      expect(existsSync(path.join(runDir, 'control.json'))).toBe(false);
      tmux('kill-session', '-t', session);
    }, 420_000);
  }
});
