// Each agent's private folder in the run folder: agents/<name>/ holds its raw
// output (output.log) and a home of its own (agents/<name>/home), so agents
// that keep state under $HOME (selfware's checkpoints) never share it.

import { mkdirSync } from 'node:fs';
import path from 'node:path';

export function agentHomeDir(agentDir: string): string {
  return path.join(agentDir, 'home');
}

/** Creates agents/<name>/ and its home; returns the home. */
export function ensureAgentHome(agentDir: string): string {
  const home = agentHomeDir(agentDir);
  mkdirSync(home, { recursive: true });
  return home;
}
