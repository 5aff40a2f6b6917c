// The parts of an event's body every reader goes into (arrays it iterates,
// objects it reads fields of), checked as a line is parsed: a line whose
// body lacks them is a damaged line, counted and skipped like any other,
// not a TypeError in the fold that takes down status, report, replay and
// `ls` over one bad folder. Scalars are not checked: a missing number reads
// as a gap, never a crash.

type Body = Record<string, unknown>;

const isObject = (value: unknown): value is Body => typeof value === 'object' && value !== null && !Array.isArray(value);
const isListOfObjects = (value: unknown): boolean => Array.isArray(value) && value.every(isObject);

const STRUCTURED: Readonly<Record<string, (body: Body) => boolean>> = {
  session_started: (body) => isListOfObjects(body.phases) && (body.resumed_from === undefined || body.resumed_from === null || isObject(body.resumed_from)),
  phase_started: (body) => body.tasks === undefined || Array.isArray(body.tasks),
  phase_ended: (body) => isListOfObjects(body.criteria),
  metrics: (body) => isObject(body.metrics) && isListOfObjects(body.metrics.agents),
};

/** Whether the event's body has the structure its readers go into (the envelope is checked apart). */
export function hasReadableBody(event: Body & { type: string }): boolean {
  const check = STRUCTURED[event.type];
  return check === undefined || check(event);
}
