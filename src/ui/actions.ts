// What the console asks of the run. The CLI adapts the control API client
// to this; the UI never talks HTTP or touches the run folder itself.

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

/** Replay's transport, for when the console plays a recorded run (mode 'replay'). */
export interface ReplayControls {
  playPause(): void;
  step(): void;
  faster(): void;
  slower(): void;
  nextCheckpoint(): void;
  nextError(): void;
  /** "playing ×10", "paused at seq 1234" — shown in the header. */
  describe(): string;
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
