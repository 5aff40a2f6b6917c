// A run folder deleted under its running orchestrator (a person's `rm -rf`
// after closing the console) ends the session: the agents are stopped, the
// orchestrator says why on stderr and exits 1, and writes nothing more by
// path. Before, it went on with its agents in a project/ they made again,
// and a new run at the same path got its files. Waits key on the run's
// events and on the process's end, never on a guessed delay.

import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT, agentPidsOf, eventsOf, killRunsIn, readEvents, removeDir, runHeadless, tempRunsDir, waitForEventWhileRunning } from '../helpers/cli.js';
import { isRunning } from '../helpers/processes.js';

describe.skipIf(!BUILT)(`a run folder deleted while its session runs${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const runsDir = tempRunsDir('megatest-folder-gone-');
  afterAll(() => {
    killRunsIn(runsDir);
    removeDir(runsDir);
  });

  it('stops the agents and ends the orchestrator, exit 1, with one line saying why; nothing more is written there', async () => {
    const config = path.join(runsDir, 'gone.toml');
    writeFileSync(config, ['[monitoring]', 'health_check_interval = 1', 'control_port = 18491', ''].join('\n'));
    const runDir = path.join(runsDir, 'gone');
    const args = ['run', 'task_queue', '--headless', '--agents', '2', '--duration', '10m', '--config', config, '--runs-dir', runsDir, '--session-id', 'gone'];
    const run = runHeadless(args, { timeoutMs: 180_000 });
    await waitForEventWhileRunning(run, runDir, 'tool_call', () => true, 120_000);
    const agents = eventsOf(readEvents(runDir), 'agent_started').map((e) => e.pid!);
    expect(agents).toHaveLength(2);
    rmSync(runDir, { recursive: true, force: true });
    const result = await run.done;
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^megatest: ${runDir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/events\\.jsonl is gone \\(the run folder was deleted or moved\\): the agents are stopped, and this orchestrator ended without writing anything more there$`, 'm'));
    expect(result.stdout).not.toContain('report:');
    for (const pid of agents) expect(isRunning(pid), `agent pid ${pid}`).toBe(false);
    expect(agentPidsOf(runDir)).toEqual([]);
    // What the agents may have made again before they were stopped is theirs; megatest's own files are not written there.
    for (const file of ['final_report.md', 'final_report.json', 'events.jsonl', 'status']) expect(existsSync(path.join(runDir, file)), file).toBe(false);
  }, 200_000);
});
