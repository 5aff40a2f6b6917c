// The trigger rule of a [[sim.faults]] table, shared by the config schema and
// the sim agent's own options check, so both refuse the same tables with the
// same words. A fault has exactly one trigger: a time (at_seconds), a count
// of the agent's tool calls (after_tool_calls) or a phase (in_phase, which
// may add after_tool_calls to count calls within that phase).

/** The keys a [[sim.faults]] table accepts, in the order the docs list them. */
export const SIM_FAULT_KEYS = ['at_seconds', 'after_tool_calls', 'in_phase', 'kind', 'agent'] as const;

const TRIGGERS_TEXT =
  'at_seconds = N (seconds from session start), after_tool_calls = N (after the agent\'s Nth tool call), ' +
  'or in_phase = "<phase>" (when the agent is given that phase; add after_tool_calls = N for its Nth tool call in that phase)';

interface TriggerKeys {
  at_seconds?: unknown;
  after_tool_calls?: unknown;
  in_phase?: unknown;
}

/**
 * Why a fault table's trigger keys are not a valid trigger, or undefined when
 * they are. Worded to follow "must be " in a config error.
 */
export function simFaultTriggerProblem(fault: TriggerKeys): string | undefined {
  const present = (['at_seconds', 'after_tool_calls', 'in_phase'] as const).filter((key) => fault[key] !== undefined);
  const valid = present.length === 1 || (present.length === 2 && !present.includes('at_seconds'));
  if (valid) return undefined;
  const has = present.length === 0 ? 'it has none' : `it has ${present.slice(0, -1).join(', ')} and ${present.at(-1)}`;
  return (
    `a [[sim.faults]] table with exactly one trigger: ${TRIGGERS_TEXT}; ${has} ` +
    `(keys allowed in [[sim.faults]]: ${SIM_FAULT_KEYS.join(', ')})`
  );
}
