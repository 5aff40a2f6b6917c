// What the console asks of the run. The CLI adapts the control API client
// to this; the UI never talks HTTP or touches the run folder itself.

import type { StoreApi } from 'zustand/vanilla';
import type { ReplayPosition } from './viewModels/timeline.js';

export interface ActionResult {
  ok: boolean;
  message: string;
}

export interface ConsoleActions {
  checkpoint(): Promise<ActionResult>;
  /** One agent's context, or every agent's when `agent` is undefined. */
  compress(agent?: string): Promise<ActionResult>;
  restore(id: string): Promise<ActionResult>;
  pause(): Promise<ActionResult>;
  resume(): Promise<ActionResult>;
  /**
   * Pause or continue, decided by the orchestrator's own status at the time
   * of asking: the console's view can lag a moment behind it (right after a
   * restore, say), and a toggle guessed from a stale view would do the
   * opposite of what the person meant.
   */
  togglePause?(): Promise<ActionResult>;
  stop(): Promise<ActionResult>;
}

/**
 * Replay's transport, for when the console plays a recorded run (mode
 * 'replay'): what replay's keys ask for, and where the cursor stands. The
 * controller behind it (src/ui/replay/controller.ts) reads the recording.
 */
export interface ReplayControls {
  position: StoreApi<ReplayPosition>;
  playPause(): void;
  stepForward(): void;
  stepBack(): void;
  minuteForward(): void;
  minuteBack(): void;
  faster(): void;
  slower(): void;
  toStart(): void;
  toEnd(): void;
  nextCheckpoint(): void;
  previousCheckpoint(): void;
  nextError(): void;
  previousError(): void;
}

export type ConsoleOutcome = 'detached' | 'stopped' | 'ended';

/** Runs an action and turns a thrown error (e.g. the orchestrator is gone) into a result. */
export async function settleAction(run: () => Promise<ActionResult>): Promise<ActionResult> {
  try {
    return await run();
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}
