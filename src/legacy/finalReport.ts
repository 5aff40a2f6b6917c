// final_report.json of the original runners, in either shape:
// - test_runner.py: {duration_seconds (the LAST PHASE's elapsed, not the
//   run's), total_tokens, final_coverage, final_loc, checkpoints (counts its
//   metric snapshots, not checkpoints), errors, status (can say running for a
//   finished run)}, or {} when it took no snapshot;
// - run_mega_test.sh: {session_id, status, started_at, completed_at,
//   duration_seconds, duration_formatted, project_type, agent_count,
//   checkpoints_created, metrics_snapshots, exit_code}, a heredoc whose counts
//   can come out as two lines.

import path from 'node:path';
import type { ReplayDamage } from '../replay/types.js';
import { figure, readLegacyJson, text } from './jsonFile.js';
import { coveragePercent } from './metricsFiles.js';

export interface PythonFinalReport {
  shape: 'python';
  totalTokens: number | null;
  finalCoverage: number | null;
  finalLoc: number | null;
  snapshots: number | null;
  errors: number | null;
  status: string | null;
}

export interface BashFinalReport {
  shape: 'bash';
  sessionId: string | null;
  status: string | null;
  startedAt: string | null;
  completedAt: string | null;
  durationSeconds: number | null;
  projectType: string | null;
  agentCount: number | null;
  checkpointsCreated: number | null;
  metricsSnapshots: number | null;
  exitCode: number | null;
}

export type LegacyFinalReport = PythonFinalReport | BashFinalReport | { shape: 'unreadable' };

const FILE = 'final_report.json';

export function readLegacyFinalReport(runDir: string, damage: ReplayDamage[]): LegacyFinalReport | null {
  const { value, exists } = readLegacyJson(runDir, path.join(runDir, FILE), damage);
  if (!exists) return null;
  if (value === null) return { shape: 'unreadable' };
  const isBash = ['completed_at', 'checkpoints_created', 'metrics_snapshots', 'exit_code', 'session_id'].some((key) => key in value);
  if (isBash) {
    const exit = value.exit_code;
    return {
      shape: 'bash',
      sessionId: text(value, 'session_id'),
      status: text(value, 'status'),
      startedAt: text(value, 'started_at'),
      completedAt: text(value, 'completed_at'),
      durationSeconds: figure(value, 'duration_seconds', damage, FILE),
      projectType: text(value, 'project_type'),
      agentCount: figure(value, 'agent_count', damage, FILE),
      checkpointsCreated: figure(value, 'checkpoints_created', damage, FILE),
      metricsSnapshots: figure(value, 'metrics_snapshots', damage, FILE),
      exitCode: typeof exit === 'number' && Number.isInteger(exit) && exit >= 0 && exit <= 255 ? exit : null,
    };
  }
  return {
    shape: 'python',
    totalTokens: figure(value, 'total_tokens', damage, FILE),
    finalCoverage: coveragePercent(figure(value, 'final_coverage', damage, FILE)),
    finalLoc: figure(value, 'final_loc', damage, FILE),
    snapshots: figure(value, 'checkpoints', damage, FILE),
    errors: figure(value, 'errors', damage, FILE),
    status: text(value, 'status'),
  };
}
