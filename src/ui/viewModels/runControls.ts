// When the run controls (c, z, r, p, Q and the dialogs they open) go
// unanswered, and what the console says instead. One reading for the key
// line, which hides them, and for the App, which refuses them: with the
// orchestrator killed, the key line hid `Q` and `r` but the keys still
// opened dialogs whose confirm key was refused.

import { assertNever } from '../../contract/assertNever.js';
import { isTerminalStatus, type ConsoleState } from '../../state/applyEvent.js';
import type { Overlay } from '../../state/uiState.js';
import type { ActionId } from '../keymap.js';
import { ORCHESTRATOR_STOPPED_HINT, orchestratorDeadMessage } from './header.js';

export type RunControlsOff = 'ended' | 'dead' | 'stopped';

/** Why nothing answers a run control now: the run has ended, or its orchestrator is gone or stopped (Ctrl-Z, SIGSTOP); null when it answers. */
export function runControlsOff(run: ConsoleState): RunControlsOff | null {
  if (run.ended !== null || isTerminalStatus(run.status)) return 'ended';
  if (run.orchestrator === 'dead') return 'dead';
  if (run.orchestrator === 'stopped') return 'stopped';
  return null;
}

/** What a run control would have done, for the toast that refuses it. */
export function controlVerb(action: ActionId, overlay: Overlay): string {
  if (action === 'pauseResume') return 'pause';
  if (action === 'pickerChoose') return 'restore';
  if (action === 'confirmYes') return overlay.kind === 'confirm' ? overlay.request.kind : 'confirm';
  return action;
}

/** The toast that refuses a run control, and says why (for a dead orchestrator, as `c` says it: with the resume command). */
export function refusedControlText(off: RunControlsOff, verb: string, run: ConsoleState, runDir: string): string {
  switch (off) {
    case 'ended':
      return `the run has ended (${run.ended?.status ?? run.status}); nothing to ${verb}`;
    case 'dead':
      return `nothing to ${verb}: ${orchestratorDeadMessage(runDir)}`;
    case 'stopped':
      return `nothing to ${verb}: ${ORCHESTRATOR_STOPPED_HINT}`;
    default:
      return assertNever(off, 'run controls off');
  }
}
