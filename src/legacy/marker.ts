// How a converted legacy run is told apart in the fold: its session_started
// names no megatest version but `legacy-<runner>`. Readers that must not
// take an unrecorded figure for a zero (tool calls, input/output tokens) ask
// isLegacySession.

import type { RunState } from '../state/runState.js';
import type { LegacyRunner } from './detect.js';

const PREFIX = 'legacy-';

export function legacyMarkerVersion(runner: LegacyRunner): string {
  return `${PREFIX}${runner}`;
}

export function isLegacySession(state: Pick<RunState, 'session'>): boolean {
  return state.session?.megatestVersion.startsWith(PREFIX) ?? false;
}

/** python | bash | unknown for a converted run; null for a megatest run. */
export function legacyRunnerOf(state: Pick<RunState, 'session'>): string | null {
  return isLegacySession(state) ? state.session!.megatestVersion.slice(PREFIX.length) : null;
}
