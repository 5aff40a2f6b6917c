// One claude-code agent (a fake claude, fallbackClaude.mjs) whose first task
// run fails with words no error rule knows: an unknown error, logged, and the
// task set aside by the agent until megatest says to try again. Alone in its
// phase, the agent sat idle with it until the phase's time ran out, and the
// task was never done. Now, idle for limits.max_idle_minutes with nobody else
// to take it, the agent is given the task again. Keyed on the run's events.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT, eventsOf, readEvents, removeDir, runHeadless, tempRunsDir } from '../helpers/cli.js';

const FAKE_CLAUDE = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'cliTask', 'fallbackClaude.mjs');

describe.skipIf(!BUILT)(`a task whose run failed with an unknown error${BUILT ? '' : ' (skipped: dist/ is not built; npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-unknown-retry-');
  afterAll(() => removeDir(runsDir));

  it('is given to its lone agent again once it has been idle long enough, and done', async () => {
    const config = path.join(runsDir, 'odd.toml');
    const oddFile = path.join(runsDir, 'odd-failure');
    writeFileSync(
      config,
      [
        '[monitoring]',
        'health_check_interval = 1',
        'control_port = 18979',
        '',
        '[limits]',
        'max_idle_minutes = 0.5',
        '',
        '[agents]',
        'kind = "claude-code"',
        `binary = ${JSON.stringify(FAKE_CLAUDE)}`,
        'models = ["model-a"]',
        '',
        '[projects.task_queue]',
        'build_command = "true"',
        'test_command = "true"',
        'coverage_command = ""',
        '',
      ].join('\n'),
    );
    const result = await runHeadless(['run', 'task_queue', '--headless', '--agents', '1', '--duration', '20m', '--config', config, '--runs-dir', runsDir, '--session-id', 'odd'], {
      env: { FAKE_ODD_FAILURE_FILE: oddFile },
      timeoutMs: 600_000,
    }).done;
    const events = readEvents(path.join(runsDir, 'odd'));
    const failedTask = readFileSync(oddFile, 'utf8').trim();
    expect(eventsOf(events, 'session_ended')[0], result.stdout + result.stderr).toMatchObject({ status: 'completed' });
    const unknown = eventsOf(events, 'error').filter((e) => e.class === 'unknown');
    expect(unknown).toHaveLength(1);
    expect(unknown[0]!.message).toContain('The frobnicator declined politely');
    const retried = eventsOf(events, 'limit').filter((l) => l.kind === 'idle_time' && l.action === 'retry');
    expect(retried.map((l) => l.agent)).toEqual(['agent-1']);
    expect(retried[0]!.seq).toBeGreaterThan(unknown[0]!.seq);
    // The task was done, after the retry, and every planned task with it.
    const done = eventsOf(events, 'task_completed');
    expect(done.find((t) => t.task === failedTask)!.seq).toBeGreaterThan(retried[0]!.seq);
    const planned = new Set(eventsOf(events, 'phase_started').flatMap((p) => p.tasks));
    expect(new Set(done.map((t) => t.task))).toEqual(planned);
  }, 620_000);
});
