// The `sim` adapter: a CommandAdapter running the built sim agent
// (dist/agents/sim/simAgent.js) as a real child process, so the sim goes
// through exactly the path a real agent does.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { DIST_DIR } from '../../paths.js';
import { CommandAdapter } from '../command.js';
import type { AgentCapabilities } from '../../contract/capabilities.js';
import type { AgentAdapter, AgentExit, AgentLaunch, AgentMessage } from '../types.js';
import { SIM_OPTIONS_ENV, SIM_RESUME_ENV, type SimOptions } from './options.js';
import { SIM_TEST_ENTRY } from './scaffoldFiles.js';
import { countOf } from '../../state/groupDigits.js';

export type { SimOptions } from './options.js';
export { parseSimOptions, SIM_OPTIONS_ENV, SIM_RESUME_ENV, DEFAULT_BALLAST_BYTES } from './options.js';
export { describeFaultTrigger, faultDueForOrchestrator, faultTrigger, isTimeFault } from './faultTrigger.js';
export type { FaultTrigger, OrchestratorFaultContext } from './faultTrigger.js';
export { SIM_TEMPLATES, simProjectFor, phaseKind, planTask, writeWork, simBacklog } from './project.js';

export const SIM_AGENT_ENTRY = path.join(DIST_DIR, 'agents', 'sim', 'simAgent.js');

/**
 * How the orchestrator builds, tests and measures the project the sim
 * writes (instead of the template's own commands, e.g. cargo). Run with
 * project/ as the working directory under /bin/sh. The tests run in one
 * process (test/index.mjs imports every test/*.test.js): a gate costs one
 * Node start, not one per file. Node 20's lcov output also lists the test
 * files; a reader wanting source coverage keeps the SF:src/ records.
 */
export const SIM_PROJECT_COMMANDS = {
  build_command: 'node scripts/build.mjs',
  test_command: `node --test --test-reporter=tap ${SIM_TEST_ENTRY}`,
  // Node 20's runner, told of a test file that is not there yet, exits without removing its coverage folder from the temp dir: the sim's project has none until its scaffold is written.
  coverage_command: `test -f ${SIM_TEST_ENTRY} || { echo 'not written yet: ${SIM_TEST_ENTRY}' >&2; exit 1; }; mkdir -p coverage && node --test --experimental-test-coverage --test-reporter=tap --test-reporter-destination=stdout --test-reporter=lcov --test-reporter-destination=coverage/lcov.info ${SIM_TEST_ENTRY}`,
  test_format: 'node-tap',
  coverage_report: 'coverage/lcov.info',
  coverage_format: 'lcov',
} as const;

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

class SimAdapter extends CommandAdapter {
  async start(onMessage: (message: AgentMessage) => void, onExit: (exit: AgentExit) => void): Promise<void> {
    if (!existsSync(SIM_AGENT_ENTRY)) {
      throw new Error(`sim agent is not built: ${SIM_AGENT_ENTRY} is missing; run \`npm run build\``);
    }
    return super.start(onMessage, onExit);
  }
}

/**
 * What the sim does when asked: it compresses its own context (and reports the
 * new size) and pauses on the protocol's commands; it keeps no checkpoints or
 * sessions of its own (it resumes from megatest's state); its token counts are
 * simulated, not usage, and it has no cost.
 */
export const SIM_CAPABILITIES: AgentCapabilities = {
  nativeCheckpoint: false,
  nativeCompress: true,
  nativeResume: false,
  tokenUsage: false,
  cost: false,
  pause: true,
};

/** In the agent's folder, which outlives its process, checkpoint restores and `megatest resume`. */
export const SIM_FIRED_FAULTS_FILE = 'sim-faults-fired.json';

export function createSimAdapter(launch: AgentLaunch, options: SimOptions): AgentAdapter {
  const withRecord: SimOptions = {
    ...options,
    firedFaultsFile: options.firedFaultsFile ?? path.join(launch.agentDir, SIM_FIRED_FAULTS_FILE),
  };
  const env: Record<string, string> = { [SIM_OPTIONS_ENV]: JSON.stringify(withRecord) };
  if (launch.resume) env[SIM_RESUME_ENV] = JSON.stringify(launch.resume);
  return new SimAdapter(launch, {
    kind: 'sim',
    // exec: the shell becomes node, so signals and the pid are the agent's own.
    command: `exec ${shellQuote(process.execPath)} ${shellQuote(SIM_AGENT_ENTRY)}`,
    env,
    capabilities: SIM_CAPABILITIES,
    resumed: launch.resume
      ? {
          ok: true,
          detail: `from megatest's state: ${countOf(launch.resume.completed.length, 'task')} done, context ${launch.resume.context_tokens} tokens`,
        }
      : undefined,
  });
}
