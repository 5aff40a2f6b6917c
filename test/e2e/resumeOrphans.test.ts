// A megatest killed with SIGKILL while its test command ran leaves that
// command running: a test run of minutes would go on writing into the
// project the resume restores. `megatest resume` kills it before anything
// else (src/engine/leftovers.ts), and says so in session.log. Every wait
// keys on a file or the process's state, never on a guessed delay.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT, removeDir, runCli, runHeadless, tempRunsDir, waitFor } from '../helpers/cli.js';
import { isRunning } from '../helpers/processes.js';

// A command agent (not the built-in sim, which reports its own test runs): the project's commands run at the phase ends.
const SIM_AGENT = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'e2e', 'sim-agent.mjs');

describe.skipIf(!BUILT)('resume after a kill -9 during the test command (needs npm run build)', () => {
  const runsDir = tempRunsDir('megatest-orphans-');
  const runDir = path.join(runsDir, 'orphans');
  const pidFile = path.join(runsDir, 'test-command.pid');
  let orphan = 0;
  afterAll(() => {
    if (orphan > 0 && isRunning(orphan)) process.kill(orphan, 'SIGKILL');
    removeDir(runsDir);
  });

  it('kills the test command the killed orchestrator left running, before it resumes', async () => {
    // The first test run (at the first phase's end) stands in for a long test run and never ends by itself; the later ones pass at once.
    const config = path.join(runsDir, 'orphans.toml');
    const once = path.join(runsDir, 'started-once');
    writeFileSync(
      config,
      [
        '[projects.task_queue]',
        'build_command = "node scripts/build.mjs"',
        // With a coverage command, that is the one run (its run gives the test results too).
        'test_command = "true"',
        `coverage_command = "if [ -e '${once}' ]; then exit 0; fi; touch '${once}'; echo $$ > '${pidFile}.tmp' && mv '${pidFile}.tmp' '${pidFile}'; exec sleep 600"`,
        'test_format = "node-tap"',
        'test_report = ""',
        'coverage_report = "coverage/lcov.info"',
        'coverage_format = "lcov"',
        '[monitoring]',
        'health_check_interval = 1',
        'control_port = 18480',
        '',
      ].join('\n'),
    );
    const args = ['run', 'task_queue', '--duration', '60s', '--agents', '2', '--headless', '--config', config, '--runs-dir', runsDir, '--session-id', 'orphans'];
    args.push('--agent', 'command', '--agent-cmd', `${JSON.stringify(process.execPath)} ${JSON.stringify(SIM_AGENT)}`);
    const crashed = runHeadless(args, { timeoutMs: 120_000 });
    try {
      orphan = await waitFor(() => {
        if (crashed.child.exitCode !== null) throw new Error(`the run ended before its test command started:\n${crashed.output.stderr}`);
        return existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
      }, 'the test command to start', 100_000);
    } finally {
      crashed.child.kill('SIGKILL');
    }
    await crashed.done;
    // Left running by the kill: nothing of the dead orchestrator ends it.
    expect(isRunning(orphan)).toBe(true);

    const resumed = runHeadless(['resume', runDir, '--headless'], { timeoutMs: 120_000 });
    try {
      await waitFor(() => {
        if (resumed.child.exitCode !== null) throw new Error(`the resume ended early:\n${resumed.output.stderr}`);
        return !isRunning(orphan) || undefined;
      }, 'the orphaned test command to be killed', 60_000);
      await waitFor(() => /killed 1 process of a build or test command a killed megatest left running/.test(readFileSync(path.join(runDir, 'session.log'), 'utf8')) || undefined, 'the resume to say so', 30_000);
    } finally {
      const stopped = await runCli(['stop', runDir]);
      if (stopped.code !== 0) resumed.child.kill('SIGKILL');
      await resumed.done;
    }
  }, 300_000);
});
