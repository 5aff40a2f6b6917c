import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentExit, AgentLaunch, AgentMessage } from '../../src/agents/types.js';

/** Polls a condition (no fixed sleeps): resolves when true, rejects with `what` after timeoutMs (a deadline for a stuck test, not an expectation: a loaded machine may be 10x slower). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const tempDirs: string[] = [];

/** A fresh folder under the OS temp dir, removed by removeTempDirs(). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function makeLaunch(overrides: Partial<AgentLaunch> = {}): AgentLaunch {
  const sessionDir = tempDir('megatest-agents-');
  return {
    name: 'agent-1',
    role: 'developer',
    index: 0,
    sessionDir,
    projectDir: path.join(sessionDir, 'project'),
    agentDir: path.join(sessionDir, 'agents', 'agent-1'),
    model: 'test-model',
    seed: 42,
    phase: 'development',
    ...overrides,
  };
}

export class Recorder {
  messages: AgentMessage[] = [];
  exits: AgentExit[] = [];
  readonly onMessage = (message: AgentMessage): void => {
    this.messages.push(message);
  };
  readonly onExit = (exit: AgentExit): void => {
    this.exits.push(exit);
  };

  of<T extends AgentMessage['type']>(type: T): Extract<AgentMessage, { type: T }>[] {
    return this.messages.filter((m): m is Extract<AgentMessage, { type: T }> => m.type === type);
  }

  outputs(): string[] {
    return this.of('output').map((m) => m.line);
  }

  hasOutput(pattern: RegExp): boolean {
    return this.outputs().some((line) => pattern.test(line));
  }
}
