// Replay's keys → the replay controller. The keymap names the actions; this
// is the one place that says what each does.

import { assertNever } from '../../contract/assertNever.js';
import type { ReplayControls } from '../actions.js';
import type { ReplayActionId } from '../keymap.js';

export function runReplayAction(replay: ReplayControls, action: ReplayActionId): void {
  switch (action) {
    case 'replayPlayPause':
      return replay.playPause();
    case 'replayStepForward':
      return replay.stepForward();
    case 'replayStepBack':
      return replay.stepBack();
    case 'replayMinuteForward':
      return replay.minuteForward();
    case 'replayMinuteBack':
      return replay.minuteBack();
    case 'replayFaster':
      return replay.faster();
    case 'replaySlower':
      return replay.slower();
    case 'replayStart':
      return replay.toStart();
    case 'replayEnd':
      return replay.toEnd();
    case 'replayNextCheckpoint':
      return replay.nextCheckpoint();
    case 'replayPrevCheckpoint':
      return replay.previousCheckpoint();
    case 'replayNextError':
      return replay.nextError();
    case 'replayPrevError':
      return replay.previousError();
    default:
      return assertNever(action, 'replay action');
  }
}
