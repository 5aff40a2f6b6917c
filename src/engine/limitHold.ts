// The usage-limit hold. An agent that meets its account's usage limit waits
// until it lifts (recovery.ts). Once every agent with tasks left waits so,
// nobody works: the session pauses on its own, and the fold stops the run's
// clock at a pause, so the wait eats neither the phases' time nor the run's
// duration (a 6-hour run that waited 2 hours for a plan's five-hour limit
// still gets its 6 hours of work, instead of its phases ending with their
// tasks undone). It goes on by itself when the first of those waits ends. A
// person's `continue` ends it at once and cuts the waits short: the agents
// try again then (the account switched, or more credit bought, meanwhile). A
// person's `pause` during it makes it a pause for that person: it then stays
// paused when the limit lifts.

import type { AgentPool } from './agentPool.js';
import type { EngineContext } from './context.js';
import { utcMinute } from './limitLifts.js';
import { LIFT_MARGIN_SECONDS } from './recovery.js';

export interface LimitHoldHooks {
  /** Pauses the session on megatest's own account; the alert says why and how it goes on. */
  pause(alert: string): Promise<void>;
  /** Continues the session after the hold, keeping the recovery's counts (every return of the limit is another attempt). */
  resume(): Promise<void>;
}

export class LimitHold {
  /** Set while the session is held: the timer that ends the hold when the first wait ends. */
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ctx: EngineContext,
    private readonly pool: AgentPool,
    private readonly hooks: LimitHoldHooks,
  ) {}

  get holding(): boolean {
    return this.timer !== null;
  }

  /**
   * When the first of the waits ends, if every agent that has tasks left (and
   * a process) is waiting for a usage limit to lift; null while any of them
   * can work, or none has tasks left (the phase runner's business then).
   */
  nobodyCanWorkUntil(nowMs: number): number | null {
    let first: number | null = null;
    let withWork = 0;
    for (const slot of this.pool.slots) {
      if (slot.adapter === null || this.pool.remainingOf(slot).length === 0) continue;
      withWork += 1;
      const waiting = slot.usageLimitUntilMs > nowMs && slot.throttledUntilMs === slot.usageLimitUntilMs;
      if (!waiting) return null;
      first = first === null ? slot.usageLimitUntilMs : Math.min(first, slot.usageLimitUntilMs);
    }
    return withWork > 0 ? first : null;
  }

  /** On the orchestrator's tick while the session runs: holds it when nobody can work. True when it is held now. */
  async check(nowMs = Date.now()): Promise<boolean> {
    const { ctx } = this;
    if (this.holding || ctx.status !== 'running' || ctx.stopRequest !== null) return false;
    const until = this.nobodyCanWorkUntil(nowMs);
    if (until === null) return false;
    // The time the limit lifts, as each agent's recovery gives it: the wait ends a margin later, which may be the next minute.
    const lifts = utcMinute(until - LIFT_MARGIN_SECONDS * 1000);
    await this.hooks.pause(
      `every agent with tasks left waits for the usage limit to lift (the first at ${lifts}): the session pauses until then, and the wait does not count against its duration; \`megatest continue\` has the agents try again at once`,
    );
    if (!this.paused()) return false;
    ctx.log.info('orchestrator', `held for the usage limit, which lifts at ${lifts}`);
    this.timer = setTimeout(() => {
      this.timer = null;
      ctx.log.info('orchestrator', 'the first usage-limit wait is over: the session goes on');
      void this.hooks.resume().catch((e) => ctx.internalError(e));
    }, until - nowMs);
    this.timer.unref();
    return true;
  }

  /** Read anew after an await: the pause may have been refused (the session stopping). */
  private paused(): boolean {
    return this.ctx.status === 'paused';
  }

  /**
   * A person continued the held session: the hold ends, and so does every
   * agent's wait for a usage limit, so the continue lets them try again now.
   * False when the session was not held.
   */
  continuedByPerson(): boolean {
    if (!this.end()) return false;
    for (const slot of this.pool.slots) {
      if (slot.usageLimitUntilMs === 0) continue;
      if (slot.throttledUntilMs === slot.usageLimitUntilMs) slot.throttledUntilMs = 0;
      slot.usageLimitUntilMs = 0;
    }
    this.ctx.log.info('orchestrator', 'continued during the usage-limit hold: the waiting agents try again now');
    return true;
  }

  /** A person paused the held session: it stays paused for them when the limit lifts. False when it was not held. */
  pausedByPerson(): boolean {
    return this.end();
  }

  /** The session ends: no hold outlives it. */
  end(): boolean {
    if (this.timer === null) return false;
    clearTimeout(this.timer);
    this.timer = null;
    return true;
  }
}
