// Picks the adapter for the configured agent kind (DESIGN §9).

import type { AgentKind } from '../config/types.js';
import { assertNever } from '../contract/assertNever.js';
import { claudeCodeSpec } from './claudeCode/spec.js';
import type { CliAgentSpec } from './cliSpec.js';
import { CliTaskAdapter } from './cliTaskAdapter.js';
import { codexSpec } from './codex/spec.js';
import { CommandAdapter } from './command.js';
import { selfwareSpec } from './selfware/spec.js';
import { createSimAdapter, type SimOptions } from './sim/index.js';
import type { AgentAdapter, AgentLaunch } from './types.js';

export { CommandAdapter, COMMAND_CAPABILITIES, LineSplitter } from './command.js';
export { CliTaskAdapter, type CliTaskAdapterOptions } from './cliTaskAdapter.js';
export { resolveAgentBinary } from './binary.js';
export { checkAgentCommand } from './commandLine.js';
export { encodeCommand, parseAgentCommand, parseAgentLine, phaseCommand, type AgentCommand } from './jsonl.js';
export { createSimAdapter, SIM_CAPABILITIES, SIM_PROJECT_COMMANDS, type SimOptions } from './sim/index.js';

export interface AdapterContext {
  /** The `command` agent's shell command ([agents].command / --agent-cmd). */
  command: string;
  /** The CLI agent's program ([agents].binary as prepareRun resolved it; "" = the kind's default name). */
  binary: string;
  sim: SimOptions;
}

export type CliAgentKind = CliAgentSpec['kind'];

/** The spec of a real CLI agent kind; null for sim and command. */
export function cliSpecFor(kind: AgentKind): CliAgentSpec | null {
  switch (kind) {
    case 'sim':
    case 'command':
      return null;
    case 'selfware':
      return selfwareSpec;
    case 'claude-code':
      return claudeCodeSpec;
    case 'codex':
      return codexSpec;
    default:
      return assertNever(kind, 'agent kind');
  }
}

export function createAdapter(kind: AgentKind, launch: AgentLaunch, ctx: AdapterContext): AgentAdapter {
  switch (kind) {
    case 'sim':
      return createSimAdapter(launch, ctx.sim);
    case 'command':
      return new CommandAdapter(launch, { command: ctx.command, kind: 'command' });
    case 'selfware':
    case 'claude-code':
    case 'codex': {
      const spec = cliSpecFor(kind)!;
      return new CliTaskAdapter(launch, { spec, binary: ctx.binary.trim() || spec.defaultBinary });
    }
    default:
      return assertNever(kind, 'agent kind');
  }
}
