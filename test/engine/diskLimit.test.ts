// The disk limits after a person's continue: the run goes on over them with
// checkpoints suspended, and that is said (each checkpoint not taken is
// counted; the first and every phase-end one are an alert), and said again
// (pause and alert) when the run folder grows by a tenth of its limit or the
// free-space limit fails too. Before, one continue meant silence: a run
// ended at 2.5x its limit with no checkpoint and no word but in session.log.

import { describe, expect, it } from 'vitest';
import type { EventInput } from '../../src/contract/events.js';
import { CheckpointSuspension } from '../../src/engine/checkpointSuspension.js';
import type { CheckpointKeeper } from '../../src/engine/checkpointKeeper.js';
import type { EngineContext } from '../../src/engine/context.js';
import { Limits } from '../../src/engine/limits.js';
import type { Measurer } from '../../src/engine/measurer.js';

const MB = 1024 ** 2;

function setUp(limits: { disk_space_limit_gb: number; min_free_disk_gb: number }) {
  const events: EventInput[] = [];
  const pauses: string[] = [];
  const logged: string[] = [];
  const ctx = {
    config: { limits },
    paths: { root: process.cwd() },
    emit: (event: EventInput) => void events.push(event),
    log: { info: (_: string, line: string) => void logged.push(line), warn: (_: string, line: string) => void logged.push(line), error: () => undefined },
  } as unknown as EngineContext;
  const suspension = new CheckpointSuspension(ctx);
  const measurer = { diskUsageBytes: 0 };
  const limitsPart = new Limits(ctx, {} as never, { suspension } as unknown as CheckpointKeeper, measurer as unknown as Measurer, async (why) => void pauses.push(why));
  return { events, pauses, logged, suspension, measurer, limits: limitsPart };
}

describe('the run folder over disk_space_limit_gb', () => {
  it('pauses once, stays quiet while it stays about as far over, and says it again at each tenth of the limit it grows', async () => {
    const { events, pauses, suspension, measurer, limits } = setUp({ disk_space_limit_gb: 10 / 1024, min_free_disk_gb: 0 });
    measurer.diskUsageBytes = 10.4 * MB;
    await limits.checkDisk();
    expect(pauses).toEqual(['disk limit: run folder uses 10.4 MB > 10.0 MB (limits.disk_space_limit_gb = 0.009765625)']);
    expect(suspension.active).toBe(true);
    // A person continues; the folder grows by less than a tenth of the limit: nothing more.
    measurer.diskUsageBytes = 11.3 * MB;
    await limits.checkDisk();
    expect(pauses).toHaveLength(1);
    // A tenth of the limit (1 MB) past the last alert: paused and said again, with how far it grew.
    measurer.diskUsageBytes = 11.5 * MB;
    await limits.checkDisk();
    expect(pauses).toHaveLength(2);
    expect(pauses[1]).toBe('disk limit: run folder uses 11.5 MB > 10.0 MB (limits.disk_space_limit_gb = 0.009765625), up from 10.4 MB at the last alert');
    expect(events.filter((event) => event.type === 'limit')).toHaveLength(2);
    // Back within the limit: checkpoints resume, and the next time over is a first alert again.
    measurer.diskUsageBytes = 9 * MB;
    await limits.checkDisk();
    expect(suspension.active).toBe(false);
    measurer.diskUsageBytes = 10.5 * MB;
    await limits.checkDisk();
    expect(pauses).toHaveLength(3);
    expect(pauses[2]).not.toContain('up from');
  });

  it('says the free-space limit when it fails while the folder limit has checkpoints suspended already', async () => {
    const config = { disk_space_limit_gb: 10 / 1024, min_free_disk_gb: 0 };
    const { pauses, measurer, limits } = setUp(config);
    measurer.diskUsageBytes = 11 * MB;
    await limits.checkDisk();
    expect(pauses).toHaveLength(1);
    // The disk fills meanwhile (here: a free-space limit past what any disk has free): said, though checkpoints are suspended already.
    config.min_free_disk_gb = 1024 ** 2;
    await limits.checkDisk();
    expect(pauses).toHaveLength(2);
    expect(pauses[1]).toMatch(/^disk limit: run folder uses 11\.0 MB > 10\.0 MB .*; free disk .* < .* \(limits\.min_free_disk_gb = 1048576\)$/);
  });
});

describe('checkpoints due while suspended', () => {
  it('are counted; the first of a suspension and every phase-end one are a warning alert', () => {
    const { events, logged, suspension } = setUp({ disk_space_limit_gb: 1, min_free_disk_gb: 0 });
    suspension.suspend('run folder uses 2.00 GB > 1.00 GB');
    suspension.skip('time');
    suspension.skip('tool_calls');
    suspension.skip('phase');
    expect(events).toEqual([
      { type: 'alert', level: 'warning', message: 'time checkpoint not taken (1 so far): checkpoints are suspended until the run folder is back within the disk limits (run folder uses 2.00 GB > 1.00 GB)' },
      { type: 'alert', level: 'warning', message: 'phase checkpoint not taken (3 so far): checkpoints are suspended until the run folder is back within the disk limits (run folder uses 2.00 GB > 1.00 GB)' },
    ]);
    suspension.lift();
    expect(logged.at(-1)).toBe('checkpoints resume: back within the disk limits; 3 were skipped while over them');
    // A new suspension counts afresh.
    suspension.suspend('again');
    suspension.skip('time');
    expect(events.at(-1)).toMatchObject({ message: expect.stringMatching(/^time checkpoint not taken \(1 so far\)/) });
  });
});
