// What an agent kind can do when megatest asks (DESIGN §9): announced on
// `agent_started`, kept by the fold, shown by the console's agent detail,
// `megatest status` and the report. Pure data and one wording helper.

/** What an agent kind can do when megatest asks; each flag is the adapter's own truthful claim. */
export interface AgentCapabilities {
  /** Keeps its own checkpoints megatest can resume from. */
  nativeCheckpoint: boolean;
  /** Compresses its own context on request; otherwise the harness restarts it on a summary. */
  nativeCompress: boolean;
  /** Resumes a task's session natively (claude --resume, codex exec resume, selfware resume). */
  nativeResume: boolean;
  /** Reports real token usage (not an estimate, not a simulation). */
  tokenUsage: boolean;
  /** Reports cost in USD. */
  cost: boolean;
  /** Can be paused in place (SIGSTOP/SIGCONT of its process group counts). */
  pause: boolean;
}

export const CAPABILITY_LABELS: Readonly<Record<keyof AgentCapabilities, string>> = {
  nativeCheckpoint: 'own checkpoints',
  nativeCompress: 'own compression',
  nativeResume: 'native resume',
  tokenUsage: 'real token usage',
  cost: 'cost',
  pause: 'pause',
};

const CAPABILITY_KEYS = Object.keys(CAPABILITY_LABELS) as (keyof AgentCapabilities)[];

/** One line: "can: pause, real token usage; cannot: own checkpoints, …" (plain words, fine in ASCII mode). */
export function describeCapabilities(capabilities: AgentCapabilities): string {
  const can = CAPABILITY_KEYS.filter((key) => capabilities[key]).map((key) => CAPABILITY_LABELS[key]);
  const cannot = CAPABILITY_KEYS.filter((key) => !capabilities[key]).map((key) => CAPABILITY_LABELS[key]);
  return [can.length > 0 ? `can: ${can.join(', ')}` : '', cannot.length > 0 ? `cannot: ${cannot.join(', ')}` : ''].filter(Boolean).join('; ');
}

/** The capabilities in a value read back from a file or an event, or null when it is not a whole set. */
export function capabilitiesOf(value: unknown): AgentCapabilities | null {
  if (value === null || typeof value !== 'object') return null;
  const record = value as Record<string, unknown>;
  if (!CAPABILITY_KEYS.every((key) => typeof record[key] === 'boolean')) return null;
  return Object.fromEntries(CAPABILITY_KEYS.map((key) => [key, record[key]])) as unknown as AgentCapabilities;
}
