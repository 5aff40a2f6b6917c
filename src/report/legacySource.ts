// What the report needs of a run converted from the original runner, which
// wrote no megatest config: the session as its session_started event says,
// judged against megatest's default targets for its project type (the
// original runner had no success criteria of its own), and its checkpoints as
// the fold saw them, the damaged ones marked.

import { loadConfig, resolveTemplate } from '../config/load.js';
import type { MegatestConfig, ProjectTemplate } from '../config/types.js';
import type { ReplayDamage } from '../replay/types.js';
import type { RunState } from '../state/runState.js';

export interface ReportRunInfo {
  session_id: string;
  megatest_version: string;
  agent_kind: string;
  simulated: boolean;
  config: MegatestConfig;
  template: ProjectTemplate;
}

function defaultConfigFor(project: string): { config: MegatestConfig; template: ProjectTemplate } {
  try {
    const config = loadConfig({ flags: { project } });
    return { config, template: resolveTemplate(config) };
  } catch {
    // a project type megatest does not know: the default project's targets
    const config = loadConfig({});
    return { config, template: resolveTemplate(config) };
  }
}

export function legacyReportInfo(state: RunState): ReportRunInfo {
  const session = state.session;
  const { config, template } = defaultConfigFor(session?.project ?? '');
  return {
    session_id: session?.sessionId ?? '',
    megatest_version: session?.megatestVersion ?? 'legacy-unknown',
    agent_kind: session?.agentKind ?? 'legacy',
    simulated: false,
    // 0 where no file records the planned length: no lines-of-code target is scaled to one (build.ts says it is not recorded)
    config: { ...config, session: { ...config.session, duration_seconds: session?.durationSeconds ?? 0 } },
    template: {
      ...template,
      type: session?.project ?? template.type,
      name: session?.projectName ?? template.name,
    },
  };
}

/** The checkpoints the fold saw; a checkpoint whose file is damaged is not usable. */
export function legacyCheckpoints(state: RunState, damage: readonly ReplayDamage[]): { id: string; valid: boolean; reason?: string }[] {
  return state.checkpoints.map((checkpoint) => {
    const problem = damage.find((d) => d.recovered !== true && (d.file === `checkpoints/${checkpoint.id}.json` || d.file.endsWith(`/${checkpoint.id}.json`)));
    return problem ? { id: checkpoint.id, valid: false, reason: problem.problem } : { id: checkpoint.id, valid: true };
  });
}
