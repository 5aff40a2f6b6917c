// Is this folder a run of the original runner (test_runner.py or
// run_mega_test.sh)? It has none of megatest's own marks (events.jsonl, a
// config.json megatest wrote) and at least one file those runners wrote.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Which runner wrote the folder, judged by the files only it writes. */
export type LegacyRunner = 'python' | 'bash' | 'unknown';

export const METRICS_FILE = /^metrics_(\d+)\.json$/;
export const CHECKPOINT_FILE = /^checkpoint_(\d+)\.json$/;

const BASH_FILES = ['config.json', 'status', 'metrics_current.json', '.monitor_pid', 'interrupted.json', 'selfware.toml'];

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function names(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** config.json as megatest writes it (it names its version and holds the resolved config). */
function isMegatestConfig(file: string): boolean {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    return typeof value === 'object' && value !== null && typeof value.megatest_version === 'string';
  } catch {
    return false;
  }
}

function hasPythonFiles(dir: string): boolean {
  return names(path.join(dir, 'metrics')).some((n) => METRICS_FILE.test(n)) || names(path.join(dir, 'checkpoints')).some((n) => CHECKPOINT_FILE.test(n));
}

export function isLegacyRunFolder(dir: string): boolean {
  if (!isDirectory(dir)) return false;
  // megatest's own marks: its event log and its checkpoint blob store
  if (existsSync(path.join(dir, 'events.jsonl')) || existsSync(path.join(dir, 'checkpoints', 'objects'))) return false;
  const config = path.join(dir, 'config.json');
  if (existsSync(config) && isMegatestConfig(config)) return false;
  if (BASH_FILES.some((name) => existsSync(path.join(dir, name)))) return true;
  return hasPythonFiles(dir) || existsSync(path.join(dir, 'final_report.json'));
}

export function legacyRunner(dir: string): LegacyRunner {
  if (hasPythonFiles(dir)) return 'python';
  if (BASH_FILES.some((name) => existsSync(path.join(dir, name)))) return 'bash';
  return 'unknown';
}
