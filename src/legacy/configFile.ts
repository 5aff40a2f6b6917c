// config.json of run_mega_test.sh: {session_id, project_type, duration_hours,
// agent_count, checkpoint_interval_min, started_at, selfware_version,
// rust_version}, written by a heredoc (so possibly torn).

import path from 'node:path';
import type { ReplayDamage } from '../replay/types.js';
import { figure, readLegacyJson, text } from './jsonFile.js';

export interface LegacyConfig {
  exists: boolean;
  sessionId: string | null;
  projectType: string | null;
  durationHours: number | null;
  agentCount: number | null;
  checkpointIntervalMin: number | null;
  startedAt: string | null;
  selfwareVersion: string | null;
}

export function readLegacyConfig(runDir: string, damage: ReplayDamage[]): LegacyConfig {
  const file = path.join(runDir, 'config.json');
  const { value, exists } = readLegacyJson(runDir, file, damage);
  const version = text(value, 'selfware_version');
  return {
    exists,
    sessionId: text(value, 'session_id'),
    projectType: text(value, 'project_type'),
    durationHours: figure(value, 'duration_hours', damage, 'config.json'),
    agentCount: figure(value, 'agent_count', damage, 'config.json'),
    checkpointIntervalMin: figure(value, 'checkpoint_interval_min', damage, 'config.json'),
    startedAt: text(value, 'started_at'),
    selfwareVersion: version === 'unknown' ? null : version,
  };
}
