// The command-line layer: each flag set becomes a key of the tree, and
// remembers its flag so a bad value is reported as the flag the user typed.

import { parseDuration } from './duration.js';
import { UsageError } from './errors.js';
import { AGENTS_MAX, AGENTS_MIN, HOURS_MAX, HOURS_MIN } from './allowedValues.js';
import { isTable, type FlagOrigin, type Layer, type Table } from './layers.js';

export interface ConfigFlags {
  project?: string;
  hours?: number;
  agents?: number;
  duration?: string;
  agentKind?: string;
  agentCmd?: string;
  sessionId?: string;
  runsDir?: string;
  checkpointInterval?: number;
  headless?: boolean;
  seed?: number;
  port?: number;
  theme?: string;
  ascii?: boolean;
}

/** The flags given as a layer; undefined when none sets a configuration key. Flags are range-checked here so the message names the flag. */
export function flagsLayer(flags: ConfigFlags): Layer | undefined {
  const data: Table = {};
  const origins = new Map<string, FlagOrigin>();
  const set = (keyPath: string[], value: unknown, flag: string, typed: unknown = value): void => {
    let table = data;
    for (const segment of keyPath.slice(0, -1)) {
      if (!isTable(table[segment])) table[segment] = {};
      table = table[segment] as Table;
    }
    table[keyPath[keyPath.length - 1]] = value;
    origins.set(keyPath.join('.'), { flag, value: typed });
  };

  // `megatest run PROJECT …`: a positional, as HOURS and AGENTS are (there is no --project flag).
  if (flags.project !== undefined) set(['session', 'project_type'], flags.project, 'PROJECT');
  if (flags.duration !== undefined) {
    set(['session', 'duration_hours'], `${parseDurationFlag(flags.duration)}s`, '--duration', flags.duration);
  } else if (flags.hours !== undefined) {
    const hours = flags.hours;
    if (typeof hours !== 'number' || !Number.isFinite(hours) || hours < HOURS_MIN || hours > HOURS_MAX) {
      throw new UsageError(`HOURS ${String(hours)}: must be a number of hours ${HOURS_MIN}..${HOURS_MAX}`);
    }
    set(['session', 'duration_hours'], `${Math.round(hours * 3600)}s`, 'HOURS', hours);
  }
  if (flags.agents !== undefined) {
    const agents = flags.agents;
    if (typeof agents !== 'number' || !Number.isInteger(agents) || agents < AGENTS_MIN || agents > AGENTS_MAX) {
      throw new UsageError(`--agents ${String(agents)}: must be ${AGENTS_MIN}..${AGENTS_MAX}`);
    }
    set(['session', 'agent_count'], agents, '--agents');
  }
  if (flags.agentKind !== undefined) set(['agents', 'kind'], flags.agentKind, '--agent');
  if (flags.agentCmd !== undefined) {
    if (flags.agentCmd.trim() === '') throw new UsageError('--agent-cmd "": must be a non-empty command line');
    // Only the command agent runs it: beside another kind it was taken and ignored, without a word (as resume refuses it).
    if (flags.agentKind !== undefined && flags.agentKind !== 'command') {
      throw new UsageError(`--agent-cmd is only for --agent command; --agent ${flags.agentKind} runs its own program (set [agents] binary to choose which)`);
    }
    set(['agents', 'command'], flags.agentCmd, '--agent-cmd');
  }
  if (flags.sessionId !== undefined) set(['session', 'id'], flags.sessionId, '--session-id');
  if (flags.runsDir !== undefined) set(['session', 'runs_dir'], flags.runsDir, '--runs-dir');
  if (flags.checkpointInterval !== undefined) {
    set(['checkpoint', 'interval_minutes'], flags.checkpointInterval, '--checkpoint-interval');
  }
  if (flags.headless !== undefined) set(['session', 'headless'], flags.headless, '--headless');
  if (flags.seed !== undefined) set(['session', 'seed'], flags.seed, '--seed');
  if (flags.port !== undefined) set(['monitoring', 'control_port'], flags.port, '--port');
  if (flags.theme !== undefined) set(['ui', 'theme'], flags.theme, '--theme');
  if (flags.ascii !== undefined) set(['ui', 'ascii'], flags.ascii, '--ascii');

  if (origins.size === 0) return undefined;
  return { label: 'the command line', prefix: [], data, flags: origins };
}

function parseDurationFlag(text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`--${error.message}`);
    throw error;
  }
}

/** `--agent-cmd` alone means "run this command as the agent" (with another --agent it is refused above). */
export function applyAgentCommandFlag(merged: Table, flags: ConfigFlags): void {
  if (flags.agentCmd === undefined || flags.agentKind !== undefined) return;
  const agents = merged.agents;
  if (isTable(agents) && agents.kind === 'sim') merged.agents = { ...agents, kind: 'command' };
}
