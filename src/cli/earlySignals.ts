// SIGINT and SIGTERM that arrive while a command that runs a session is
// still loading (node, the engine's modules, the config): node's default
// would end the process at once with 130/143 and leave a run folder that
// says `starting` and holds no event. Caught here from the first moment,
// they are handed to the orchestrator once it exists, which ends the
// session `interrupted` (exit 130) with its session_ended; before a run
// folder exists the command just exits 130.

let caught: NodeJS.Signals | null = null;
let installed = false;
const remember = (signal: NodeJS.Signals): void => {
  caught ??= signal;
};

/** Starts catching SIGINT and SIGTERM (idempotent). */
export function catchEarlySignals(): void {
  if (installed) return;
  installed = true;
  process.on('SIGINT', remember);
  process.on('SIGTERM', remember);
}

/** The signal caught so far, if any, without stopping the catching. */
export function earlySignal(): NodeJS.Signals | null {
  return caught;
}

/** The signal caught so far, if any; stops catching (the caller now handles signals). */
export function takeEarlySignal(): NodeJS.Signals | null {
  if (installed) {
    process.off('SIGINT', remember);
    process.off('SIGTERM', remember);
    installed = false;
  }
  const signal = caught;
  caught = null;
  return signal;
}
