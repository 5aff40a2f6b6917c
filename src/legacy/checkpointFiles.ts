// checkpoints/checkpoint_<unix>.json of test_runner.py: {id, timestamp,
// phase, metrics, git_commit}. The newest can be 0 bytes (the runner was
// killed while writing it): it is still a checkpoint the runner made, listed
// and marked damaged, never a restorable one.

import path from 'node:path';
import type { ReplayDamage } from '../replay/types.js';
import { CHECKPOINT_FILE } from './detect.js';
import { figure, readLegacyJson, text } from './jsonFile.js';
import { listNumbered, pythonFigures } from './metricsFiles.js';

export interface LegacyCheckpoint {
  file: string;
  id: string;
  unix: number;
  bytes: number;
  /** Readable: it parsed whole (a torn or empty file is not). */
  valid: boolean;
  timestamp: string | null;
  phase: string | null;
  /** The metrics' elapsed_seconds: since the checkpoint's phase began. */
  elapsedSeconds: number | null;
  linesOfCode: number | null;
  testPassRate: number | null;
  gitCommit: string | null;
}

export function readLegacyCheckpoints(runDir: string, damage: ReplayDamage[]): LegacyCheckpoint[] {
  const dir = path.join(runDir, 'checkpoints');
  const checkpoints: LegacyCheckpoint[] = [];
  for (const { name, unix } of listNumbered(dir, CHECKPOINT_FILE)) {
    const file = `checkpoints/${name}`;
    const { value, bytes, whole } = readLegacyJson(runDir, path.join(dir, name), damage);
    const figures = pythonFigures(value, file, damage);
    checkpoints.push({
      file,
      id: text(value, 'id') ?? name.replace(/\.json$/, ''),
      unix,
      bytes,
      valid: whole,
      timestamp: text(value, 'timestamp'),
      phase: text(value, 'phase') ?? text(value, 'phase', 'metrics'),
      elapsedSeconds: figure(value, 'elapsed_seconds', damage, file, 'metrics'),
      linesOfCode: figures.linesOfCode,
      testPassRate: figures.testPassRate,
      gitCommit: text(value, 'git_commit'),
    });
  }
  return checkpoints;
}
