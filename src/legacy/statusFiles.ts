// The small files run_mega_test.sh leaves: `status` (one word, left at
// `running` when the wrapper is killed), `.monitor_pid` (its monitor loop)
// and `interrupted.json` {timestamp, reason} (written by its SIGINT/SIGTERM
// trap).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ReplayDamage } from '../replay/types.js';
import { readLegacyJson, text } from './jsonFile.js';

export const LEGACY_STATUS_WORDS = ['running', 'completed', 'timeout', 'interrupted', 'failed'] as const;
export type LegacyStatusWord = (typeof LEGACY_STATUS_WORDS)[number];

export interface LegacyStatusFiles {
  /** The status file's word; null when missing or not one of the runner's words. */
  status: LegacyStatusWord | null;
  statusExists: boolean;
  monitorPid: number | null;
  interrupted: { timestamp: string | null; reason: string | null } | null;
}

function readSmall(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

export function isLegacyStatusWord(word: unknown): word is LegacyStatusWord {
  return typeof word === 'string' && (LEGACY_STATUS_WORDS as readonly string[]).includes(word);
}

export function readStatusWord(runDir: string, damage: ReplayDamage[] | null): { status: LegacyStatusWord | null; exists: boolean } {
  const raw = readSmall(path.join(runDir, 'status'));
  if (raw === null) return { status: null, exists: false };
  const word = raw.trim();
  if (isLegacyStatusWord(word)) return { status: word, exists: true };
  damage?.push({ file: 'status', problem: word === '' ? 'empty' : `says ${JSON.stringify(word.slice(0, 40))}; expected one of ${LEGACY_STATUS_WORDS.join(', ')}` });
  return { status: null, exists: true };
}

export function readMonitorPid(runDir: string, damage: ReplayDamage[] | null): number | null {
  const raw = readSmall(path.join(runDir, '.monitor_pid'));
  if (raw === null) return null;
  const word = raw.trim();
  if (/^\d{1,10}$/.test(word) && Number(word) > 0 && Number(word) < 2 ** 31) return Number(word);
  damage?.push({ file: '.monitor_pid', problem: word === '' ? 'empty' : `says ${JSON.stringify(word.slice(0, 40))}; expected a process id` });
  return null;
}

export function readLegacyStatusFiles(runDir: string, damage: ReplayDamage[]): LegacyStatusFiles {
  const { status, exists } = readStatusWord(runDir, damage);
  const interrupted = readLegacyJson(runDir, path.join(runDir, 'interrupted.json'), damage);
  return {
    status,
    statusExists: exists,
    monitorPid: readMonitorPid(runDir, damage),
    interrupted: interrupted.exists ? { timestamp: text(interrupted.value, 'timestamp'), reason: text(interrupted.value, 'reason') } : null,
  };
}
