// A run folder of the original runner (test_runner.py or run_mega_test.sh),
// converted into megatest events on the fly, so the one fold — and with it
// replay, report, status, ls and compare — reads it like any run. Nothing is
// written into the folder. Any file may be missing, empty, torn or invalid:
// what there is is converted and each problem listed as ReplayDamage; a bad
// file never throws. See docs/legacy.md for what is read from which file.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { MegatestEvent } from '../contract/events.js';
import type { ReplayDamage } from '../replay/types.js';
import { LegacyAgentOutput, MAX_AGENT_MESSAGES } from './agentOutput.js';
import { assembleEvents, type LegacyReading } from './assemble.js';
import { readLegacyCheckpoints } from './checkpointFiles.js';
import { legacyClock } from './clock.js';
import { readLegacyConfig } from './configFile.js';
import { isLegacyRunFolder, legacyRunner } from './detect.js';
import { readLegacyFinalReport } from './finalReport.js';
import { legacyLiveness, SYSTEM_PIDS } from './liveness.js';
import type { TimedLogLine } from './logEvents.js';
import { readBashSnapshot, readPythonSnapshots } from './metricsFiles.js';
import { readRunnerLog } from './runnerLog.js';
import { readRawSessionLog } from './sessionLog.js';
import { readLegacyStatusFiles } from './statusFiles.js';

export { isLegacyRunFolder } from './detect.js';

export interface ConvertedLegacyRun {
  events: MegatestEvent[];
  /**
   * The log as of the run: the runner's own timed lines (test_session.log) in
   * session.log's format (`<ISO time> <LEVEL> [<source>] <message>`), then
   * the last lines of session.log, which carry no time.
   */
  sessionLog: string[];
  damage: ReplayDamage[];
}

function projectNameFromPrompt(runDir: string): string | null {
  try {
    const prompt = readFileSync(path.join(runDir, 'project_prompt.txt'), 'utf8');
    return /named '([^']{1,80})'/.exec(prompt)?.[1] ?? null;
  } catch {
    return null;
  }
}

/** Damage with a time (a file named by its Unix second) sits before the first event after it. */
function placeDamage(damage: ReplayDamage[], events: readonly MegatestEvent[]): void {
  for (const item of damage) {
    const unix = /^(?:metrics\/metrics|checkpoints\/checkpoint)_(\d+)\.json$/.exec(item.file)?.[1];
    if (unix === undefined || item.atIndex !== undefined) continue;
    const ms = Number(unix) * 1000;
    const index = events.findIndex((event) => Date.parse(event.ts) > ms);
    item.atIndex = index < 0 ? events.length : index;
  }
}

export async function convertLegacyRun(dir: string): Promise<ConvertedLegacyRun> {
  const runDir = path.resolve(dir);
  const damage: ReplayDamage[] = [];
  if (!isLegacyRunFolder(runDir)) {
    damage.push({ file: '.', problem: 'not a run folder of test_runner.py or run_mega_test.sh' });
    return { events: [], sessionLog: [], damage };
  }
  const config = readLegacyConfig(runDir, damage);
  const statusFiles = readLegacyStatusFiles(runDir, damage);
  if (config.exists && !statusFiles.statusExists) damage.push({ file: 'status', problem: 'missing' });
  const snapshots = readPythonSnapshots(runDir, damage);
  const bashSnapshot = readBashSnapshot(runDir, damage);
  const checkpoints = readLegacyCheckpoints(runDir, damage);
  const finalReport = readLegacyFinalReport(runDir, damage);
  const folderName = path.basename(runDir);
  const sessionId = config.sessionId ?? (finalReport?.shape === 'bash' ? finalReport.sessionId : null) ?? folderName;
  const runnerLog = (await readRunnerLog(runDir, folderName)) ?? (sessionId !== folderName ? await readRunnerLog(runDir, sessionId) : null);
  const clock = legacyClock(
    {
      named: [...snapshots.map((s) => ({ text: s.timestamp, unix: s.unix! })), ...checkpoints.map((c) => ({ text: c.timestamp, unix: c.unix }))],
      zoned: [config.startedAt, bashSnapshot?.timestamp ?? null, statusFiles.interrupted?.timestamp ?? null, finalReport?.shape === 'bash' ? finalReport.completedAt : null],
    },
    damage,
  );
  const timedLog: TimedLogLine[] = [];
  for (const line of runnerLog?.lines ?? []) {
    const ms = clock.timeOf(line.time, runnerLog!.file);
    if (ms !== null) timedLog.push({ ms, line });
  }
  const selfware = existsSync(path.join(runDir, 'selfware.toml')) || config.selfwareVersion !== null;
  // run_mega_test.sh tee'd selfware's output into session.log: read once, for its last lines and for what selfware said.
  const agentOutput = selfware ? new LegacyAgentOutput() : null;
  const raw = await readRawSessionLog(runDir, damage, agentOutput ? (line) => agentOutput.line(line) : undefined);
  agentOutput?.end();
  if (agentOutput !== null && agentOutput.dropped > 0) {
    damage.push({ file: 'session.log', problem: `${agentOutput.dropped} of selfware's messages past the first ${MAX_AGENT_MESSAGES.toLocaleString('en-US')} were not counted` });
  }
  const reading: LegacyReading = {
    runner: legacyRunner(runDir),
    sessionId,
    config,
    statusFiles,
    snapshots,
    bashSnapshot,
    checkpoints,
    finalReport,
    runnerLog: timedLog,
    liveness: legacyLiveness(runDir, SYSTEM_PIDS, Date.now()),
    projectName: projectNameFromPrompt(runDir),
    selfware,
    agentOutput: agentOutput?.found ? agentOutput : null,
  };
  const events = assembleEvents(reading, clock, damage);
  if (events.length === 0) damage.push({ file: '.', problem: 'no file records a time: nothing to show' });
  placeDamage(damage, events);

  const sessionLog = [
    ...timedLog.flatMap(({ ms, line }) => line.message.split('\n').map((part) => `${new Date(ms).toISOString()} ${line.level} [${line.logger}] ${part}`)),
    ...raw.lines,
  ];
  return { events, sessionLog, damage };
}
