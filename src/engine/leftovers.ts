// What a killed orchestrator can leave behind, cleared before a resume:
// agents still running (a hung one ignores its closed stdin), a build or
// test command still running (it would go on writing into the project the
// resume restores), a torn last line of metrics.jsonl, temp files of atomic
// writes, git's index.lock.

import { existsSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { repairEventLog } from '../io/eventLog.js';
import { isPidAlive } from '../io/processAlive.js';
import { removeDeadCommandTmps } from '../measure/runCommand.js';
import type { EngineContext } from './context.js';

export function cleanUpAfterPreviousOrchestrator(ctx: EngineContext): void {
  const { paths, log } = ctx;
  for (let i = 0; i < ctx.config.session.agents; i++) {
    const name = `agent-${i + 1}`;
    const pid = Number(readFileSafe(path.join(paths.agents, name, 'agent.pid')).trim());
    if (Number.isInteger(pid) && pid > 0 && processBelongsToRun(pid, paths.root)) {
      try {
        process.kill(-pid, 'SIGKILL');
        log.warn('orchestrator', `${name}: killed the process group ${pid} the previous orchestrator left running`);
      } catch {
        // already gone
      }
    }
  }
  const commands = removeDeadCommandTmps(paths.project);
  if (commands.processes > 0) log.warn('orchestrator', `killed ${commands.processes} process${commands.processes === 1 ? '' : 'es'} of a build or test command a killed megatest left running`);
  if (existsSync(paths.metricsHistory)) {
    const { droppedBytes } = repairEventLog(paths.metricsHistory);
    if (droppedBytes > 0) log.warn('orchestrator', `metrics/metrics.jsonl: dropped a torn last line (${droppedBytes} bytes)`);
  }
  for (const dir of [paths.root, paths.metricsDir]) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const match = /^\..*\.(\d+)\.\d+\.tmp$/.exec(name);
      if (match && Number(match[1]) !== process.pid && !isPidAlive(Number(match[1]))) rmSync(path.join(dir, name), { force: true });
    }
  }
  const lock = path.join(paths.project, '.git', 'index.lock');
  if (existsSync(lock)) {
    unlinkSync(lock);
    log.warn('git', 'removed project/.git/index.lock left by the killed orchestrator');
  }
}

export function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}


/** True when pid is an agent started for this run folder (its environment names it), so a reused pid is never killed. */
function processBelongsToRun(pid: number, runRoot: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`MEGATEST_SESSION_DIR=${runRoot}`);
  } catch {
    return false;
  }
}
