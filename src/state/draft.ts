// The state one fold call is building (foldEvent, foldEvents). The fold is
// pure from every caller's point of view: the state it is given, and every
// object that state shares with others, is never changed. But copying the
// whole state (and the agent row, the counters, the token window …) once per
// event is most of what folding a long log costs, so within one call the
// fold copies an object the first time it changes it and from then on
// changes that copy in place ("copy on write", per call).
//
// Only objects a Draft made itself are changed in place, and only these
// kinds, which nothing but the state refers to: the state object, the
// counters (with byModel and its entries, errorsByClass, recoveriesByAction
// and its entries), the agents array and its rows, the token window and the
// alerts array. Rollback points keep the phases, the tasks done and the
// measured figures, so those are always replaced, never changed in place; so
// are the checkpoints, the clock, the series and everything the events bring
// in. When the call returns its Draft is dropped: no caller can observe a
// change in place, and the state it gets is never changed again (a snapshot
// encoder may keep its objects by identity), as if each event had made a new
// state. test/state/foldPurity.test.ts folds onto deep-frozen states.

import { blankAgent } from './foldParts.js';
import { compareAgentNames } from './agentNames.js';
import { initialRunState, type AgentView, type Counters, type RunState } from './runState.js';

export class Draft {
  /** The state so far: the caller's own until the first change, then this draft's copy. */
  state: RunState;
  /** The hot parts this draft made (null until it makes them): checked by identity, the cheapest test. */
  private ownState: RunState | null = null;
  private ownCounters: Counters | null = null;
  private ownAgents: AgentView[] | null = null;
  private ownWindow: RunState['tokenWindow'] | null = null;
  private ownAlerts: RunState['alerts'] | null = null;
  /** Other objects this draft made (agent rows, the counters' records and their entries). */
  private readonly owned = new Set<object>();

  constructor(state: RunState) {
    this.state = state;
  }

  /** The state, made this draft's own (copied on its first change). */
  mut(): RunState {
    if (this.state !== this.ownState) this.state = this.ownState = { ...this.state };
    return this.state;
  }

  /** Starts over from the empty state (a different session in the same file). */
  reset(): void {
    this.owned.clear();
    this.ownCounters = this.ownAgents = this.ownWindow = this.ownAlerts = null;
    this.state = this.ownState = initialRunState();
  }

  counters(): Counters {
    const s = this.mut();
    if (s.counters !== this.ownCounters) s.counters = this.ownCounters = { ...s.counters };
    return s.counters;
  }

  /** A record of the counters keyed by event data (byModel, errorsByClass …), made this draft's own. */
  countersMap<K extends 'byModel' | 'errorsByClass' | 'recoveriesByAction' | 'limitsByKind'>(key: K): Counters[K] {
    const c = this.counters();
    return (c[key] = this.own(c[key]));
  }

  /** The value at `key` of a record this draft owns, made its own (`fresh()` when absent). */
  entry<T extends object>(map: Record<string, T>, key: string, fresh: () => T): T {
    const value = Object.hasOwn(map, key) ? this.own(map[key]!) : this.adopt(fresh());
    setKey(map, key, value);
    return value;
  }

  agents(): AgentView[] {
    const s = this.mut();
    if (s.agents !== this.ownAgents) s.agents = this.ownAgents = s.agents.slice();
    return s.agents;
  }

  /**
   * The agent's row, made this draft's own; a new row (starting at ms) for an
   * agent not seen yet goes in name order (agent-2 before agent-10), so the
   * status, the report and metrics_current.json list agents as the console
   * does, not in the order their processes happened to start.
   */
  agent(name: string, ms: number): AgentView {
    const list = this.agents();
    for (let i = 0; i < list.length; i++) {
      if (list[i]!.name === name) return (list[i] = this.own(list[i]!));
    }
    const row = this.adopt(blankAgent(name, ms));
    let at = list.length;
    while (at > 0 && compareAgentNames(list[at - 1]!.name, name) > 0) at -= 1;
    list.splice(at, 0, row);
    return row;
  }

  /** The row at index i of the agents array, made this draft's own. */
  agentAt(i: number): AgentView {
    const list = this.agents();
    return (list[i] = this.own(list[i]!));
  }

  tokenWindow(): RunState['tokenWindow'] {
    const s = this.mut();
    if (s.tokenWindow !== this.ownWindow) s.tokenWindow = this.ownWindow = s.tokenWindow.slice();
    return s.tokenWindow;
  }

  /**
   * Appends to the alerts, bounded: beyond max the oldest routine one drops
   * out (info: a compression, a context limit met), else the oldest. Plain
   * oldest-first, a long run's compressions (two alerts each) pushed its
   * errors and recoveries out of the pane within hours.
   */
  pushAlert(alert: RunState['alerts'][number], max: number): void {
    const s = this.mut();
    if (s.alerts !== this.ownAlerts) s.alerts = this.ownAlerts = s.alerts.slice();
    s.alerts.push(alert);
    while (s.alerts.length > max) {
      // Never the one just pushed: it is the news.
      const routine = s.alerts.findIndex((a) => a.tone === 'info');
      s.alerts.splice(routine >= 0 && routine < s.alerts.length - 1 ? routine : 0, 1);
    }
  }

  /** `value` if this draft made it, else a shallow copy it now owns. */
  private own<T extends object>(value: T): T {
    if (this.owned.has(value)) return value;
    return this.adopt((Array.isArray(value) ? value.slice() : { ...value }) as T);
  }

  private adopt<T extends object>(value: T): T {
    this.owned.add(value);
    return value;
  }
}

/**
 * map[key] = value, also for the key "__proto__" (which an assignment would
 * take as the prototype): the same own property a spread `{ ...map, [key]: value }` makes.
 */
export function setKey<T>(map: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
  else map[key] = value;
}
