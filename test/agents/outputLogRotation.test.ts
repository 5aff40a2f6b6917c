// Both adapters write output.log through the rotating stream: given a small
// cap in the launch ([monitoring] log_rotate_mb in a session), what an agent
// prints is rotated into output.log.1 … and every line of it is still kept,
// in order, across the files.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CommandAdapter } from '../../src/agents/command.js';
import { olderLogs } from '../../src/io/rotatingLog.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { doneTasks, phase, started } from './cliTaskHarness.js';
import { makeLaunch, Recorder, removeTempDirs, waitFor } from './helpers.js';

afterAll(removeTempDirs);

const FIXTURE = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'protocolAgent.mjs');
const SMALL = { maxBytes: 200, keep: 100 };

/** output.log and its older files, oldest first, joined. */
function wholeOutput(agentDir: string): { text: string; files: number } {
  const file = path.join(agentDir, 'output.log');
  const names = [...olderLogs(file).reverse(), file].filter((name) => existsSync(name));
  return { text: names.map((name) => readFileSync(name, 'utf8')).join(''), files: names.length };
}

describe('output.log is rotated past its cap', () => {
  it('by the command adapter (and the sim, which is one)', async () => {
    const adapter = new CommandAdapter(makeLaunch({ logRotation: SMALL }), { command: `FIXTURE_MODE=normal exec node '${FIXTURE}'` });
    const recorder = new Recorder();
    await adapter.start(recorder.onMessage, recorder.onExit);
    await waitFor(() => recorder.hasOutput(/^ready$/), 'the fixture to be ready');
    await adapter.stop(5000);
    const { text, files } = wholeOutput(adapter['launch'].agentDir);
    expect(files).toBeGreaterThan(1);
    expect(text).toContain('{"type":"tokens","input":1200,"output":80,"model":"fixture-model"}');
    expect(text.indexOf('ready')).toBeLessThan(text.indexOf('received {"cmd":"stop"}'));
  });

  it('by the CLI task adapter', async () => {
    const { adapter, recorder, launch } = await started({ launch: { logRotation: SMALL } });
    adapter.assign(phase(['ok-a', 'ok-b']));
    await waitFor(() => doneTasks(recorder).length === 2, 'both tasks done');
    await adapter.stop(5000);
    const { text, files } = wholeOutput(launch.agentDir);
    expect(files).toBeGreaterThan(1);
    expect(text.indexOf('[megatest] task "ok-a" started')).toBeGreaterThanOrEqual(0);
    expect(text.indexOf('[megatest] task "ok-a" started')).toBeLessThan(text.indexOf('[megatest] task "ok-b" started'));
  });
});
