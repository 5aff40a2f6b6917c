// Metric snapshots of the original runners:
// - test_runner.py: metrics/metrics_<unix>.json {timestamp, metrics: {
//   elapsed_seconds (since the CURRENT PHASE began), total_tokens,
//   tokens_per_minute, tasks_completed, tasks_remaining, test_pass_rate,
//   lines_of_code, test_coverage, checkpoint_count, errors_encountered,
//   phase, status}}, one every 30 s;
// - run_mega_test.sh: metrics_current.json {timestamp, elapsed_seconds (since
//   the session began), checkpoints, phase ("unknown")}, replaced each minute.

import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { ReplayDamage } from '../replay/types.js';
import { METRICS_FILE } from './detect.js';
import { figure, readLegacyJson, text, type JsonObject } from './jsonFile.js';

/** The figures one snapshot gives; null where the file does not give it. */
export interface SnapshotFigures {
  totalTokens: number | null;
  tokensPerMinute: number | null;
  tasksCompleted: number | null;
  tasksRemaining: number | null;
  /** 0..1 as written (a figure above 1 is taken as a percentage and divided by 100). */
  testPassRate: number | null;
  linesOfCode: number | null;
  /** Percent 0..100 (the python runner's own targets are fractions, so a figure <= 1 is a fraction). */
  testCoverage: number | null;
  checkpointCount: number | null;
  errorsEncountered: number | null;
}

export interface LegacySnapshot extends SnapshotFigures {
  file: string;
  source: 'python' | 'bash';
  /** Seconds in the file's name (UTC), python only. */
  unix: number | null;
  timestamp: string | null;
  phase: string | null;
  /** The runner's status word, python only. */
  status: string | null;
  /** Python: since the current phase began. Bash: since the session began. */
  elapsedSeconds: number | null;
}

export function passRate(value: number | null): number | null {
  if (value === null) return null;
  return value > 1 ? Math.min(1, value / 100) : value;
}

export function coveragePercent(value: number | null): number | null {
  if (value === null) return null;
  return value <= 1 ? value * 100 : Math.min(100, value);
}

/** The SessionMetrics-like figures of a python metrics object (a snapshot's, a checkpoint's). */
export function pythonFigures(value: JsonObject | null, file: string, damage: ReplayDamage[]): SnapshotFigures {
  const get = (key: string) => figure(value, key, damage, file, 'metrics');
  return {
    totalTokens: get('total_tokens'),
    tokensPerMinute: get('tokens_per_minute'),
    tasksCompleted: get('tasks_completed'),
    tasksRemaining: get('tasks_remaining'),
    testPassRate: passRate(get('test_pass_rate')),
    linesOfCode: get('lines_of_code'),
    testCoverage: coveragePercent(get('test_coverage')),
    checkpointCount: get('checkpoint_count'),
    errorsEncountered: get('errors_encountered'),
  };
}

/** Files of dir named by the pattern's number (Unix seconds), oldest first. */
export function listNumbered(dir: string, pattern: RegExp): { name: string; unix: number }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, match: pattern.exec(name) }))
    .filter((entry): entry is { name: string; match: RegExpExecArray } => entry.match !== null)
    .map(({ name, match }) => ({ name, unix: Number(match[1]) }))
    .sort((a, b) => a.unix - b.unix || a.name.localeCompare(b.name));
}

export function readPythonSnapshots(runDir: string, damage: ReplayDamage[]): LegacySnapshot[] {
  const dir = path.join(runDir, 'metrics');
  const snapshots: LegacySnapshot[] = [];
  for (const { name, unix } of listNumbered(dir, METRICS_FILE)) {
    const file = `metrics/${name}`;
    const { value } = readLegacyJson(runDir, path.join(dir, name), damage);
    if (value === null) continue;
    snapshots.push({
      file,
      source: 'python',
      unix,
      timestamp: text(value, 'timestamp'),
      phase: text(value, 'phase', 'metrics'),
      status: text(value, 'status', 'metrics'),
      elapsedSeconds: figure(value, 'elapsed_seconds', damage, file, 'metrics'),
      ...pythonFigures(value, file, damage),
    });
  }
  return snapshots;
}

export function readBashSnapshot(runDir: string, damage: ReplayDamage[]): LegacySnapshot | null {
  const file = 'metrics_current.json';
  const { value } = readLegacyJson(runDir, path.join(runDir, file), damage);
  if (value === null) return null;
  const phase = text(value, 'phase');
  return {
    file,
    source: 'bash',
    unix: null,
    timestamp: text(value, 'timestamp'),
    phase: phase === 'unknown' ? null : phase,
    status: null,
    elapsedSeconds: figure(value, 'elapsed_seconds', damage, file),
    totalTokens: null,
    tokensPerMinute: null,
    tasksCompleted: null,
    tasksRemaining: null,
    testPassRate: null,
    linesOfCode: null,
    testCoverage: null,
    checkpointCount: figure(value, 'checkpoints', damage, file),
    errorsEncountered: null,
  };
}
