// config.json: what the orchestrator needs to run (or resume) a session,
// and what the report needs to judge it, without the original flags.

import { readFileSync } from 'node:fs';
import type { MegatestConfig, ProjectTemplate } from '../config/types.js';
import { runPaths } from './runFolder.js';

export interface RunInfo {
  session_id: string;
  created_at: string;
  megatest_version: string;
  agent_kind: string;
  agent_version: string;
  simulated: boolean;
  config: MegatestConfig;
  /** The project template, with the commands actually used to measure project/. */
  template: ProjectTemplate;
}

export function readRunInfo(runDir: string): RunInfo {
  const file = runPaths(runDir).config;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)}); is ${runDir} a megatest run folder?`);
  }
  try {
    return JSON.parse(text) as RunInfo;
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
}
