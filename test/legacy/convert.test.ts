// Legacy run folders of the original runner, converted into megatest events:
// every shape converts without throwing into valid events, the one fold of
// them gives the figures the files say (counted here from the files), and
// every broken file is listed as damage.

import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEventLine, type MegatestEvent } from '../../src/contract/events.js';
import { convertLegacyRun, isLegacyRunFolder } from '../../src/legacy/convert.js';
import { runFigures } from '../../src/report/figures.js';
import { foldAll } from '../../src/state/fold.js';
import { checkpointFiles, copyLegacyFixtures, LEGACY_NAMES, localMs, metricsFiles, readJson, recordedRunFolder, zoneOffsetMinutes } from './legacyFixtures.js';

let runs: string;
beforeAll(() => {
  runs = copyLegacyFixtures();
});
afterAll(() => rmSync(runs, { recursive: true, force: true }));

const dirOf = (name: string) => path.join(runs, name);

function expectValidLog(events: MegatestEvent[]): void {
  expect(events.length).toBeGreaterThan(0);
  events.forEach((event, index) => {
    expect(event.seq).toBe(index + 1);
    expect(parseEventLine(JSON.stringify(event))).toEqual(event);
    expect(new Date(Date.parse(event.ts)).toISOString()).toBe(event.ts);
    if (index > 0) expect(Date.parse(event.ts)).toBeGreaterThanOrEqual(Date.parse(events[index - 1]!.ts));
  });
  expect(events[0]!.type).toBe('session_started');
  expect(events[0]).toMatchObject({ simulated: false });
  const ended = events.findIndex((e) => e.type === 'session_ended');
  if (ended >= 0) expect(ended).toBe(events.length - 1);
}

/** This session's lines of the test_session.log beside the runs, by its start line. */
function runnerLogLines(sessionId: string): string[] {
  const lines = readFileSync(path.join(runs, 'test_session.log'), 'utf8').split('\n');
  const start = lines.findIndex((l) => l.endsWith(`Starting mega test session: ${sessionId}`));
  const next = lines.findIndex((l, i) => i > start && l.includes('Starting mega test session:'));
  return lines.slice(start, next < 0 ? undefined : next);
}

describe('isLegacyRunFolder', () => {
  it('knows each legacy shape, and not a megatest run folder or another folder', () => {
    for (const name of LEGACY_NAMES) expect(isLegacyRunFolder(dirOf(name)), name).toBe(true);
    expect(isLegacyRunFolder(recordedRunFolder(runs, '.megatest-run'))).toBe(false);
    expect(isLegacyRunFolder(path.join(runs, 'python-complete', 'metrics'))).toBe(false);
    expect(isLegacyRunFolder(path.join(runs, 'nowhere'))).toBe(false);
  });
});

describe('convertLegacyRun', () => {
  it('converts every shape without throwing into a valid, time-ordered event log', async () => {
    for (const name of LEGACY_NAMES) {
      const { events } = await convertLegacyRun(dirOf(name));
      expectValidLog(events);
    }
  });

  it('python-complete: the fold gives the last snapshot, the final report, the checkpoints and the log', async () => {
    const dir = dirOf('python-complete');
    const { events, damage, sessionLog } = await convertLegacyRun(dir);
    const state = foldAll(events);
    const snapshots = metricsFiles(dir).map((f) => readJson(f.file));
    const last = snapshots.at(-1)!.metrics;
    const report = readJson(path.join(dir, 'final_report.json'));
    const figures = runFigures(state);
    expect(damage).toEqual([]);
    expect(figures.legacy).toBe(true);
    expect(figures.totalTokens).toBe(last.total_tokens);
    expect(figures.totalTokens).toBe(report.total_tokens);
    expect(figures.linesOfCode).toBe(report.final_loc);
    expect(figures.tasksCompleted).toBe(last.tasks_completed);
    expect(figures.testPassRate).toBe(last.test_pass_rate);
    expect(figures.testCoverage).toBeCloseTo(report.final_coverage * 100, 9);
    expect(figures.toolCalls).toBeNull();
    expect(state.counters.errors).toBe(report.errors);
    expect(state.counters.checkpoints).toBe(checkpointFiles(dir).length);
    expect(state.checkpoints.at(-1)!.trigger).toBe('final');
    expect(state.phases.map((p) => p.name)).toEqual([...new Set(snapshots.map((s) => s.metrics.phase))]);
    expect(state.phases.every((p) => p.status === 'passed')).toBe(true);
    expect(state.ended).toMatchObject({ status: report.status, exitCode: 0 });
    expect(state.series.tokensPerMinute).toHaveLength(snapshots.length);

    const log = runnerLogLines('python-complete');
    const zone = zoneOffsetMinutes(dir);
    expect(state.counters.recoveriesSucceeded).toBe(log.filter((l) => l.includes('Successfully resumed task')).length);
    expect(state.counters.recoveriesStarted).toBe(log.filter((l) => l.includes('Attempting recovery...')).length);
    expect(state.session!.startedAtMs).toBe(localMs(log[0]!.slice(0, 23), zone));
    expect(state.session!.projectName).toBe(/Project: (\S+)/.exec(log.join('\n'))![1]);
    const phaseStarts = log.filter((l) => l.includes('Starting phase:')).map((l) => new Date(localMs(l.slice(0, 23), zone)).toISOString());
    expect(state.phases.map((p) => p.startedAt)).toEqual(phaseStarts);
    // the runner's own lines, in session.log's format, and only this session's
    expect(sessionLog).toHaveLength(log.filter((l) => l.trim() !== '').length);
    expect(sessionLog.every((l) => /^\d{4}-\d\d-\d\dT\S+Z (INFO|WARN|ERROR|DEBUG) \[mega_test\] /.test(l))).toBe(true);
  });

  it('python-killed: a 0-byte checkpoint is damage, status left at running ends it as killed, phases start at ts - elapsed', async () => {
    const dir = dirOf('python-killed');
    expect(readFileSync(path.join(dir, 'status'), 'utf8').trim()).toBe('running');
    const { events, damage } = await convertLegacyRun(dir);
    const state = foldAll(events);
    const empty = checkpointFiles(dir).filter((c) => c.size === 0).map((c) => `checkpoints/${c.name}`);
    expect(empty.length).toBeGreaterThan(0);
    expect(damage.map((d) => d.file)).toEqual(empty);
    expect(damage.every((d) => d.atIndex !== undefined && d.atIndex <= events.length)).toBe(true);
    expect(state.counters.checkpoints).toBe(checkpointFiles(dir).length);
    expect(state.ended!.status).toBe('interrupted');
    expect(state.ended!.reason).toMatch(/running.*killed/);

    const zone = zoneOffsetMinutes(dir);
    const snapshots = metricsFiles(dir).map((f) => readJson(f.file));
    const last = snapshots.at(-1)!.metrics;
    expect(runFigures(state).totalTokens).toBe(last.total_tokens);
    expect(state.counters.errors).toBe(last.errors_encountered);
    // a phase began at its first snapshot's time less that snapshot's elapsed_seconds (counted from the phase's start)
    const phases = [...new Set(snapshots.map((s) => s.metrics.phase))];
    const firstOf = (phase: string) => snapshots.find((s) => s.metrics.phase === phase)!;
    expect(state.phases.map((p) => p.name)).toEqual(phases);
    expect(state.phases.map((p) => Date.parse(p.startedAt!))).toEqual(
      phases.map((phase) => localMs(firstOf(phase).timestamp, zone) - firstOf(phase).metrics.elapsed_seconds * 1000),
    );
    expect(state.phases.map((p) => p.status)).toEqual([...phases.slice(0, -1).map(() => 'passed'), 'running']);
  });

  it('bash-complete: config, final report, prompt and the raw session.log', async () => {
    const dir = dirOf('bash-complete');
    const { events, damage, sessionLog } = await convertLegacyRun(dir);
    const state = foldAll(events);
    const config = readJson(path.join(dir, 'config.json'));
    const report = readJson(path.join(dir, 'final_report.json'));
    expect(damage).toEqual([]);
    expect(state.session).toMatchObject({
      sessionId: config.session_id,
      project: config.project_type,
      projectName: /named '([^']+)'/.exec(readFileSync(path.join(dir, 'project_prompt.txt'), 'utf8'))![1],
      agentKind: 'selfware',
      agentCount: config.agent_count,
      durationSeconds: config.duration_hours * 3600,
      startedAtMs: Date.parse(config.started_at),
    });
    expect(state.ended).toMatchObject({ status: report.status, exitCode: report.exit_code, ts: new Date(Date.parse(report.completed_at)).toISOString() });
    expect(runFigures(state).totalTokens).toBeNull();
    const rawLines = readFileSync(path.join(dir, 'session.log'), 'utf8').split('\n').filter((l) => l.trim() !== '');
    expect(sessionLog).toHaveLength(rawLines.length);
    expect(sessionLog.some((l) => l.includes('\u001b'))).toBe(false);
    expect(sessionLog).toContain('progress 100%');
  });

  it('bash-interrupted: interrupted.json ends the run though status says running', async () => {
    const dir = dirOf('bash-interrupted');
    expect(readFileSync(path.join(dir, 'status'), 'utf8').trim()).toBe('running');
    const interrupted = readJson(path.join(dir, 'interrupted.json'));
    const { events, damage } = await convertLegacyRun(dir);
    const state = foldAll(events);
    expect(damage).toEqual([]);
    expect(state.ended).toMatchObject({ status: 'interrupted', exitCode: 130, ts: new Date(Date.parse(interrupted.timestamp)).toISOString() });
    expect(state.ended!.reason).toContain(interrupted.reason);
  });

  it('torn-garbage: every broken file is listed, and what could be read is read', async () => {
    const dir = dirOf('torn-garbage');
    const { events, damage } = await convertLegacyRun(dir);
    const state = foldAll(events);
    // the broken files, found here by trying to read each the simple way
    const broken: string[] = [];
    const walk = (sub: string) => {
      for (const name of readdirSync(path.join(dir, sub))) {
        const rel = sub ? `${sub}/${name}` : name;
        if (statSync(path.join(dir, rel)).isDirectory()) {
          walk(rel);
          continue;
        }
        const text = readFileSync(path.join(dir, rel), 'utf8');
        if (name.endsWith('.json')) {
          try {
            const value = JSON.parse(text);
            if (JSON.stringify(value).includes('"lots"')) broken.push(rel); // a figure of the wrong type
          } catch {
            broken.push(rel);
          }
        } else if (name === 'status' && !/^(running|completed|timeout|interrupted|failed)\n?$/.test(text)) broken.push(rel);
        else if (name === '.monitor_pid' && !/^\d+\n?$/.test(text)) broken.push(rel);
      }
    };
    walk('');
    expect(broken.length).toBeGreaterThanOrEqual(10);
    const damaged = new Set(damage.map((d) => d.file));
    for (const file of broken) expect(damaged, file).toContain(file);
    // What is wrong is named, never the files' raw bytes (a NUL, binary): the Markdown report prints these lines.
    for (const d of damage) expect(d.problem, d.file).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/);
    const reportText = readFileSync(path.join(dir, 'final_report.json'), 'utf8');
    expect(reportText).toMatch(/: 0\n0,/);
    expect(damage.find((d) => d.file === 'final_report.json')!.problem).toMatch(/two lines/);
    expect(state.ended).toMatchObject({
      status: /"status": "(\w+)"/.exec(reportText)![1],
      exitCode: Number(/"exit_code": (\d+)/.exec(reportText)![1]),
    });
    // the torn config.json still gives its session id and start
    const configText = readFileSync(path.join(dir, 'config.json'), 'utf8');
    expect(state.session!.sessionId).toBe(/"session_id": "([^"]+)"/.exec(configText)![1]);
    expect(state.session!.startedAtMs).toBe(Date.parse(/"started_at": "([^"]+)"/.exec(configText)![1]!));
  });

  it('mixed-times: local with microseconds, with an offset, without fraction, logging style, and Z all land on their instant', async () => {
    const dir = dirOf('mixed-times');
    const { events, damage } = await convertLegacyRun(dir);
    expect(damage).toEqual([]);
    const config = readJson(path.join(dir, 'config.json'));
    const zone = /([+-])(\d\d):(\d\d)$/.exec(config.started_at)!;
    const offset = (zone[1] === '-' ? -1 : 1) * (Number(zone[2]) * 60 + Number(zone[3]));
    const expected = metricsFiles(dir).map((f) => {
      const text: string = readJson(f.file).timestamp;
      return /([+-]\d\d:\d\d|Z)$/.test(text) ? Date.parse(text) : localMs(text, offset);
    });
    const metricsTimes = events.filter((e) => e.type === 'metrics').map((e) => Date.parse(e.ts));
    expect(metricsTimes).toEqual(expected);
    const checkpoint = readJson(path.join(dir, 'checkpoints', checkpointFiles(dir)[0]!.name));
    expect(events.find((e) => e.type === 'checkpoint_created')!.ts).toBe(new Date(Date.parse(checkpoint.timestamp)).toISOString());
    expect(events[0]!.ts).toBe(new Date(Date.parse(config.started_at)).toISOString());
    // the log inside the folder: a multi-line message keeps its lines
    const state = foldAll(events);
    expect(state.phases.map((p) => p.status)).toEqual(['passed']);
  });

  it('never throws on a folder that is not legacy or on unreadable files; says what it could not read', async () => {
    const notLegacy = await convertLegacyRun(path.join(runs, 'nowhere'));
    expect(notLegacy.events).toEqual([]);
    expect(notLegacy.damage).toHaveLength(1);
    const dir = dirOf('bash-interrupted');
    writeFileSync(path.join(dir, 'metrics_current.json'), '{"timestamp": "yesterday", "elapsed_seconds": "x"}');
    const { events, damage } = await convertLegacyRun(dir);
    expectValidLog(events);
    expect(damage.map((d) => d.file)).toEqual(['metrics_current.json', 'metrics_current.json', 'metrics_current.json']);
  });
});
