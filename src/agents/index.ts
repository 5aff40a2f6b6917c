// Picks the adapter for the configured agent kind (DESIGN §9).

import type { AgentKind } from '../config/types.js';
import { assertNever } from '../contract/assertNever.js';
import { CommandAdapter } from './command.js';
import { createSimAdapter, type SimOptions } from './sim/index.js';
import type { AgentAdapter, AgentLaunch } from './types.js';

export { CommandAdapter, LineSplitter } from './command.js';
export { encodeCommand, parseAgentCommand, parseAgentLine, phaseCommand, type AgentCommand } from './jsonl.js';
export { createSimAdapter, SIM_PROJECT_COMMANDS, type SimOptions } from './sim/index.js';

export interface AdapterContext {
  /** The `command` agent's shell command ([agents].command / --agent-cmd). */
  command: string;
  sim: SimOptions;
}

export function createAdapter(kind: AgentKind, launch: AgentLaunch, ctx: AdapterContext): AgentAdapter {
  switch (kind) {
    case 'sim':
      return createSimAdapter(launch, ctx.sim);
    case 'command':
      return new CommandAdapter(launch, { command: ctx.command, kind: 'command' });
    case 'selfware':
    case 'claude-code':
    case 'codex':
      throw new Error(
        `the ${kind} adapter is not built yet (a later issue); use --agent sim, or --agent command with --agent-cmd "<program speaking the JSONL protocol>"`,
      );
    default:
      return assertNever(kind, 'agent kind');
  }
}
