// The generic CLI agent adapter over a test spec that runs a small node
// script (test/fixtures/agents/cliTask/taskAgent.mjs) whose behaviour is
// picked by the task's name: for the adapter's tests and the engine's tests
// of how it treats a CLI agent.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach } from 'vitest';
import type { AgentCapabilities, CliAgentSpec } from '../../src/agents/cliSpec.js';
import { CliTaskAdapter } from '../../src/agents/cliTaskAdapter.js';
import type { AgentLaunch, AgentMessage, AgentStreamParser, PhaseAssignment } from '../../src/agents/types.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { makeLaunch, Recorder, removeTempDirs } from './helpers.js';

const FAKE = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'cliTask', 'taskAgent.mjs');

export const CAPABILITIES: AgentCapabilities = { nativeCheckpoint: false, nativeCompress: false, nativeResume: true, tokenUsage: true, cost: true, pause: true };

/** Passes each JSON line on as the message it is; other `{` lines are parse failures, the rest output. */
function jsonParser(): AgentStreamParser {
  return {
    line(text) {
      if (!text.trimStart().startsWith('{')) return [{ type: 'output', line: text }];
      try {
        const value = JSON.parse(text) as AgentMessage;
        if (typeof value.type === 'string') return [value];
        return [{ type: 'parse_failure', line: text.slice(0, 100), reason: 'no type' }];
      } catch {
        return [{ type: 'parse_failure', line: text.slice(0, 100), reason: 'not JSON' }];
      }
    },
    end: () => [],
  };
}

export function testSpec(capabilities: AgentCapabilities = CAPABILITIES, messagesOnStderr = false): CliAgentSpec {
  return {
    kind: 'claude-code',
    messagesOnStderr,
    defaultBinary: process.execPath,
    capabilities,
    taskCommand(input) {
      return {
        file: input.binary,
        args: [FAKE, ...(input.resumeId ? ['--resume', input.resumeId] : [])],
        env: { FAKE_RECORD: path.join(input.agentDir, 'runs.jsonl'), FAKE_MODEL: input.model },
        cwd: input.workDir,
        stdin: input.prompt,
      };
    },
    createParser: () => jsonParser(),
    outcomeOfExit(code, signal) {
      if (signal !== null) return { outcome: 'interrupted', detail: `killed by ${signal}` };
      return code === 0 ? { outcome: 'succeeded', detail: 'exit 0' } : { outcome: 'failed', detail: `exit code ${code}` };
    },
  };
}

export interface Run {
  task: string;
  pid: number;
  model: string;
  resume: string | null;
  prompt: string;
  megatest: Record<string, string>;
}

export function runsOf(launch: AgentLaunch): Run[] {
  const file = path.join(launch.agentDir, 'runs.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Run);
}

const adapters: CliTaskAdapter[] = [];
afterEach(async () => {
  for (const adapter of adapters.splice(0)) await adapter.stop(200);
});
afterAll(removeTempDirs);

export async function started(
  options: {
    launch?: Partial<AgentLaunch>;
    capabilities?: AgentCapabilities;
    binary?: string;
    graceMs?: number;
    messagesOnStderr?: boolean;
    /** Hears each message as it is said, after the recorder: what the engine does at once, in the adapter's own call. */
    onMessage?: (message: AgentMessage, adapter: CliTaskAdapter) => void;
  } = {},
): Promise<{ adapter: CliTaskAdapter; recorder: Recorder; launch: AgentLaunch }> {
  const launch = makeLaunch(options.launch);
  mkdirSync(launch.projectDir, { recursive: true });
  const adapter = new CliTaskAdapter(launch, {
    spec: testSpec(options.capabilities, options.messagesOnStderr),
    binary: options.binary ?? process.execPath,
    outcomeExitGraceMs: options.graceMs,
  });
  adapters.push(adapter);
  const recorder = new Recorder();
  const onMessage = options.onMessage;
  await adapter.start(onMessage ? (message) => (recorder.onMessage(message), onMessage(message, adapter)) : recorder.onMessage, recorder.onExit);
  return { adapter, recorder, launch };
}

export const phase = (objectives: string[], note?: string): PhaseAssignment => ({ phase: 'development', objectives, duration_seconds: 600, note });
export const doneTasks = (recorder: Recorder) => recorder.of('task_done').map((m) => m.task);
