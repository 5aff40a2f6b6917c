// Each agent's private folder in the run folder: agents/<name>/ holds its raw
// output (output.log) and a home of its own (agents/<name>/home), so agents
// that keep state under $HOME (selfware's checkpoints) never share it; and
// the variables that tell an agent process where it is and who it is.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { AgentLaunch } from './types.js';

export function agentHomeDir(agentDir: string): string {
  return path.join(agentDir, 'home');
}

/** Creates agents/<name>/ and its home; returns the home. */
export function ensureAgentHome(agentDir: string): string {
  const home = agentHomeDir(agentDir);
  mkdirSync(home, { recursive: true });
  return home;
}

/**
 * The MEGATEST_* variables every agent process gets, over the launch's own
 * (docs/agent-protocol.md, docs/agents.md): where it works, who it is, the
 * phase and model as they are now, its home. Not HOME: a program may need
 * the user's own (credentials, config).
 */
export function megatestVariables(launch: AgentLaunch, now: { phase: string; model: string }): Record<string, string> {
  return {
    ...launch.env,
    MEGATEST_SESSION_DIR: launch.sessionDir,
    MEGATEST_PROJECT_DIR: launch.projectDir,
    MEGATEST_AGENT_NAME: launch.name,
    MEGATEST_AGENT_ROLE: launch.role,
    MEGATEST_PHASE: now.phase,
    MEGATEST_MODEL: now.model,
    MEGATEST_AGENT_HOME: agentHomeDir(launch.agentDir),
  };
}
