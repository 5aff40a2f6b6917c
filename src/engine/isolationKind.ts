// Which agents work in a git worktree of their own and which share project/
// ([agents] isolation; DESIGN §9: real CLI agents in a swarm each get one).

import type { MegatestConfig } from '../config/types.js';
import { assertNever } from '../contract/assertNever.js';

export type Isolation = 'shared' | 'worktree';

/** `auto`: the real CLI agents each get a worktree; the sim and `command` agents share project/. */
export function isolationOf(agents: Pick<MegatestConfig['agents'], 'kind' | 'isolation'>): Isolation {
  if (agents.isolation !== 'auto') return agents.isolation;
  switch (agents.kind) {
    case 'selfware':
    case 'claude-code':
    case 'codex':
      return 'worktree';
    case 'sim':
    case 'command':
      return 'shared';
    default:
      return assertNever(agents.kind, 'agent kind');
  }
}
