// The legacy fixtures (test/fixtures/legacy/, see its README) copied to a
// temporary folder, and small readers that take expected figures straight
// from the fixture files by simple patterns (never through src/legacy/).

import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { loadConfig, resolveTemplate } from '../../src/config/load.js';

export const LEGACY_FIXTURES = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'legacy');
export const RECORDED_RUN = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'events', 'restore_session.jsonl');
export const LEGACY_NAMES = ['python-complete', 'python-killed', 'bash-complete', 'bash-interrupted', 'torn-garbage', 'mixed-times'] as const;

/** A temporary runs folder holding a copy of every legacy fixture (and the test_session.log beside them). */
export function copyLegacyFixtures(prefix = 'megatest-legacy-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  cpSync(LEGACY_FIXTURES, dir, { recursive: true });
  rmSync(path.join(dir, 'README.md'), { force: true });
  return dir;
}

export function readJson(file: string): any {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** metrics/metrics_<unix>.json of a fixture, oldest first, with the number in the name. */
export function metricsFiles(runDir: string): { name: string; unix: number; file: string }[] {
  return readdirSync(path.join(runDir, 'metrics'))
    .map((name) => ({ name, match: /^metrics_(\d+)\.json$/.exec(name) }))
    .filter((e) => e.match !== null)
    .map((e) => ({ name: e.name, unix: Number(e.match![1]), file: path.join(runDir, 'metrics', e.name) }))
    .sort((a, b) => a.unix - b.unix);
}

export function checkpointFiles(runDir: string): { name: string; size: number }[] {
  return readdirSync(path.join(runDir, 'checkpoints'))
    .filter((name) => /^checkpoint_\d+\.json$/.test(name))
    .map((name) => ({ name, size: statSync(path.join(runDir, 'checkpoints', name)).size }));
}

/**
 * The run's zone offset in minutes, from a python metrics file: its local
 * time (read as if UTC) less the Unix seconds in its name, to the quarter hour.
 */
export function zoneOffsetMinutes(runDir: string): number {
  const first = metricsFiles(runDir)[0]!;
  const text: string = readJson(first.file).timestamp;
  const asUtc = Date.parse(text.slice(0, 19) + 'Z');
  return Math.round((asUtc - first.unix * 1000) / 60_000 / 15) * 15;
}

/** A local time `YYYY-MM-DD[T ]HH:MM:SS[.,fraction]` in the given zone, as ms. */
export function localMs(text: string, offsetMinutes: number): number {
  const m = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?$/.exec(text)!;
  const millis = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, millis) - offsetMinutes * 60_000;
}

/**
 * A megatest run folder made from the recorded restore_session.jsonl, with
 * a config.json of megatest's defaults for its project. `shiftToEndMsAgo`
 * moves every event's time so that the run ended that long before now.
 */
export function recordedRunFolder(runsDir: string, id: string, shiftToEndMsAgo?: number): string {
  const dir = path.join(runsDir, id);
  mkdirSync(path.join(dir, 'checkpoints'), { recursive: true });
  let lines = readFileSync(RECORDED_RUN, 'utf8').split('\n').filter((l) => l.trim() !== '');
  if (shiftToEndMsAgo !== undefined) {
    const lastMs = Date.parse(JSON.parse(lines.at(-1)!).ts);
    const shift = Date.now() - shiftToEndMsAgo - lastMs;
    lines = lines.map((line) => {
      const event = JSON.parse(line);
      event.ts = new Date(Date.parse(event.ts) + shift).toISOString();
      return JSON.stringify(event);
    });
  }
  writeFileSync(path.join(dir, 'events.jsonl'), lines.join('\n') + '\n');
  const first = JSON.parse(lines[0]!);
  const config = loadConfig({ flags: { project: first.project } });
  writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      session_id: first.session_id,
      created_at: first.ts,
      megatest_version: first.megatest_version,
      agent_kind: first.agent_kind,
      agent_version: 'sim',
      simulated: first.simulated,
      config,
      template: resolveTemplate(config),
    }),
  );
  writeFileSync(path.join(dir, 'status'), `${JSON.parse(lines.at(-1)!).status ?? 'running'}\n`);
  return dir;
}

/** The recorded run's events, parsed. */
export function recordedEvents(): any[] {
  return readFileSync(RECORDED_RUN, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

/**
 * A Bash legacy folder turned into a run still going: status running, no final report, `pid` as its monitor, the run
 * begun `startedAgoMs` before now (a minute by default: a live pid counts as its monitor only when its process started
 * within the run, src/legacy/liveness.ts) and its metrics_current.json written a minute after that.
 */
export function makeBashRunGoing(dir: string, pid: number, startedAgoMs = 60_000): string {
  rmSync(path.join(dir, 'final_report.json'), { force: true });
  writeFileSync(path.join(dir, 'status'), 'running\n');
  writeFileSync(path.join(dir, '.monitor_pid'), `${pid}\n`);
  const startedAt = Date.now() - startedAgoMs;
  const at = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
  const config = readJson(path.join(dir, 'config.json'));
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, started_at: at(startedAt) }, null, 2));
  const current = readJson(path.join(dir, 'metrics_current.json'));
  writeFileSync(path.join(dir, 'metrics_current.json'), JSON.stringify({ ...current, timestamp: at(Math.min(Date.now(), startedAt + 60_000)), elapsed_seconds: 60 }, null, 2));
  return dir;
}
