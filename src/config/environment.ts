// The original Bash wrapper's environment (run_mega_test.sh), honoured:
// CONFIG_FILE names the configuration file (as --config does) and
// CHECKPOINT_INTERVAL the minutes between time checkpoints, both unset when
// empty, as the wrapper's ${VAR:-default} reads them. And the variables the
// wrapper exported to its agent, which every agent process megatest starts
// gets too.

import path from 'node:path';
import { UsageError } from './errors.js';
import type { FlagOrigin, Layer, Table } from './layers.js';
import type { MegatestConfig } from './types.js';

export type Environment = Readonly<Record<string, string | undefined>>;

const MIN_INTERVAL = 0.5;
const MAX_INTERVAL = 1440;

/** The config file to read: --config, else CONFIG_FILE; fromEnvironment says which. */
export function configFileFrom(flag: string | undefined, env: Environment | undefined): { file?: string; fromEnvironment: boolean } {
  if (flag !== undefined) return { file: flag, fromEnvironment: false };
  const named = env?.CONFIG_FILE;
  return named ? { file: named, fromEnvironment: true } : { fromEnvironment: false };
}

/** CHECKPOINT_INTERVAL as a layer between the --config file and the flags; undefined when unset. */
export function environmentLayer(env: Environment | undefined): Layer | undefined {
  const raw = env?.CHECKPOINT_INTERVAL;
  if (raw === undefined || raw.trim() === '') return undefined;
  const minutes = Number(raw.trim());
  if (!Number.isFinite(minutes) || minutes < MIN_INTERVAL || minutes > MAX_INTERVAL) {
    throw new UsageError(`CHECKPOINT_INTERVAL=${raw} (environment): must be minutes between checkpoints, ${MIN_INTERVAL}..${MAX_INTERVAL}`);
  }
  const data: Table = { checkpoint: { interval_minutes: minutes } };
  const flags = new Map<string, FlagOrigin>([['checkpoint.interval_minutes', { flag: 'CHECKPOINT_INTERVAL', value: raw }]]);
  return { label: 'the environment (CHECKPOINT_INTERVAL)', prefix: [], data, flags };
}

/**
 * What run_mega_test.sh exported to the agent: the session's id and folder,
 * the checkpoint interval in minutes, and whether recovery is automatic
 * ([checkpoint] auto_recovery; off means every error pauses for a person).
 */
export function wrapperAgentEnvironment(
  config: Pick<MegatestConfig, 'checkpoint' | 'error_handling'>,
  session: { id: string; dir: string },
): Record<string, string> {
  return {
    SELFWARE_SESSION_ID: session.id,
    SELFWARE_SESSION_DIR: path.resolve(session.dir),
    SELFWARE_CHECKPOINT_INTERVAL: String(config.checkpoint.interval_minutes),
    SELFWARE_AUTO_RECOVERY: String(config.error_handling.max_recovery_attempts > 0),
  };
}
