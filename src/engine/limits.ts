// Limits (DESIGN §8): the total token budget (stop), tokens and tool calls
// per hour per agent (throttle), idle time (reassign the agent's tasks), and
// the disk (pause, suspend checkpoints).

import type { AgentPool, AgentSlot } from './agentPool.js';
import type { CheckpointKeeper } from './checkpointKeeper.js';
import type { EngineContext } from './context.js';
import type { Measurer } from './measurer.js';
import { freeDiskBytes } from './resources.js';
import { countOf } from '../state/groupDigits.js';

const GB = 1024 ** 3;

export class Limits {
  constructor(
    private readonly ctx: EngineContext,
    private readonly pool: AgentPool,
    private readonly keeper: CheckpointKeeper,
    private readonly measurer: Measurer,
    private readonly pauseForPerson: (why: string) => Promise<void>,
  ) {}

  /** The total token budget spent: said, and the session's stop requested; true then. */
  stopIfBudgetSpent(): boolean {
    const { ctx } = this;
    const budget = ctx.config.limits.total_token_budget;
    const spent = ctx.state.counters.totalTokens;
    if (budget <= 0 || spent < budget || ctx.stopRequest !== null) return false;
    ctx.emit({ type: 'limit', kind: 'total_token_budget', action: 'stop', detail: `${spent} tokens >= ${budget} (limits.total_token_budget)` });
    ctx.requestStop({ status: 'failed', reason: `token budget exhausted: ${spent} of ${budget} tokens`, exitCode: 1 });
    return true;
  }

  enforce(now: number): void {
    const { ctx } = this;
    const limits = ctx.config.limits;
    if (this.stopIfBudgetSpent()) return;
    // Idle time is measured on the schedule clock: it stops while the session is paused, so a person's pause of 28 s
    // is not 28 s of an agent's idleness (an agent idle 0.3 s before a pause was reassigned at the continue).
    const schedule = ctx.scheduleMs(now);
    for (const slot of this.pool.slots) {
      this.throttle(slot, now);
      const idleMs = slot.idleSinceMs === null ? null : schedule - slot.idleSinceMs;
      // With nobody to take its tasks now (every other agent throttled, say), it is tried again at the next tick.
      if (idleMs !== null && idleMs >= limits.max_idle_minutes * 60_000 && this.reassignFrom(slot, idleMs, now)) slot.idleSinceMs = null;
    }
  }

  /**
   * The hourly throttles, before the agents start: a resume refills the
   * windows from the log (hourRefill.ts), and an agent already over its
   * limit then starts paused (AgentPool.start) instead of spending until the
   * first tick.
   */
  throttleBeforeStart(now: number): void {
    for (const slot of this.pool.slots) this.throttle(slot, now);
  }

  private throttle(slot: AgentSlot, now: number): void {
    const { ctx } = this;
    const limits = ctx.config.limits;
    // Read first: reading drops what left the hour, throttled or not.
    const tokens = slot.windowTokens.total(now);
    const calls = slot.windowToolCalls.total(now);
    // An agent with no process (not started yet, or being restarted) is throttled all the same: it starts paused.
    if (slot.throttledUntilMs > now) return;
    const overTokens = limits.tokens_per_hour_per_agent > 0 && tokens >= limits.tokens_per_hour_per_agent;
    const overCalls = limits.tool_calls_per_hour_per_agent > 0 && calls >= limits.tool_calls_per_hour_per_agent;
    if (!overTokens && !overCalls) return;
    // Wait until the window is under every limit it is over: the oldest second's drop alone could leave it over.
    const dropsAt = Math.max(
      overTokens ? (slot.windowTokens.belowLimitAtMs(now, limits.tokens_per_hour_per_agent) ?? now) : now,
      overCalls ? (slot.windowToolCalls.belowLimitAtMs(now, limits.tool_calls_per_hour_per_agent) ?? now) : now,
    );
    const waitMs = Math.max(1000, dropsAt - now);
    const until = now + waitMs;
    slot.throttledUntilMs = until;
    slot.adapter?.control('pause');
    const kind = overTokens ? 'tokens_per_hour' : 'tool_calls_per_hour';
    const figures = [
      overTokens ? `${tokens} tokens in the last hour >= ${limits.tokens_per_hour_per_agent}` : null,
      overCalls ? `${calls} tool calls in the last hour >= ${limits.tool_calls_per_hour_per_agent}` : null,
    ].filter((figure) => figure !== null);
    const detail = `${figures.join(', ')}; waiting ${Math.round(waitMs / 1000)} s`;
    const pacing = this.pacing(slot.name, kind, now);
    if (pacing === null) ctx.log.debug('limits', `${kind} ${slot.name}: throttle again (${detail})`);
    else ctx.emit({ type: 'limit', kind, agent: slot.name, action: 'throttle', detail: `${detail}${pacing}` });
    // As a recovery's backoff does (recovery.ts): only the latest wait resumes the agent, and a
    // wait that is over is marked so, for a `continue` of a session paused meanwhile.
    setTimeout(() => {
      if (slot.throttledUntilMs !== until) return;
      slot.throttledUntilMs = 0;
      if (ctx.status === 'running') slot.adapter?.control('resume');
    }, waitMs).unref();
  }

  /** Per agent and limit: when its last throttle event was written, and the throttles since that were not. */
  private readonly throttlesSaid = new Map<string, { atMs: number; unsaid: number }>();

  /**
   * Whether this throttle is written as a limit event: null when one was
   * written for the agent and limit less than THROTTLE_REPORT_MS ago (it is
   * counted, and the next event says how many), else the event's addition.
   * An agent that spends faster than its hourly limit is held to it second by
   * second once its first hour is over (throttled, a few seconds' spend, over
   * again): each throttle an event, a default sim run wrote a thousand
   * warnings an hour per agent, and the alerts pane held nothing else.
   */
  private pacing(agent: string, kind: string, now: number): string | null {
    const key = `${agent} ${kind}`;
    const last = this.throttlesSaid.get(key);
    if (last && now - last.atMs < THROTTLE_REPORT_MS) {
      last.unsaid += 1;
      return null;
    }
    this.throttlesSaid.set(key, { atMs: now, unsaid: 0 });
    if (!last || last.unsaid === 0) return '';
    return `; held to the limit: ${countOf(last.unsaid, 'more throttle')} in the ${Math.round((now - last.atMs) / 60_000)} min since the last one said`;
  }

  /**
   * An agent idle too long with tasks left: hand its tasks to the least busy
   * agent that can do them now: one with a process, not waiting out a
   * throttle, a backoff or a usage limit, and of a role that works in this
   * phase (tasks once went to a throttled agent, or to the phase's idle
   * documenter). None such: the idle agent is given them again itself, if it
   * can work now: a CLI agent sets a task whose run failed with an error no
   * recovery takes up (an unknown one) aside until megatest says to try
   * again, and an agent alone in its phase sat idle with it until the phase's
   * time ran out (hours of a development phase), the task never done. Else
   * they stay. True when the agent's idleness is dealt with (no tasks left,
   * moved, or given again).
   */
  private reassignFrom(slot: AgentSlot, idleMs: number, now: number): boolean {
    const remaining = this.pool.remainingOf(slot);
    if (remaining.length === 0) return true;
    const roles = this.ctx.currentPhase.roles;
    // As the phase's plan gives out its tasks (AgentPool.planPhase): to the agents of its roles, to every agent when none is of them.
    const byRole = roles.length > 0 && this.pool.slots.some((s) => roles.includes(s.role));
    const canWorkNow = (s: AgentSlot) => s.adapter !== null && s.throttledUntilMs <= now && s.usageLimitUntilMs <= now && (!byRole || roles.includes(s.role));
    const target = this.pool.slots
      .filter((s) => s !== slot && canWorkNow(s))
      .sort((a, b) => this.pool.remainingOf(a).length - this.pool.remainingOf(b).length)[0];
    const idleFor = `after ${(idleMs / 60_000).toFixed(1)} min idle (limits.max_idle_minutes = ${this.ctx.config.limits.max_idle_minutes})`;
    if (!target) {
      if (!canWorkNow(slot)) return false;
      this.ctx.emit({
        type: 'limit',
        kind: 'idle_time',
        agent: slot.name,
        action: 'retry',
        detail: `${countOf(remaining.length, 'task')} given to ${slot.name} again, no other agent able to take ${remaining.length === 1 ? 'it' : 'them'} now, ${idleFor}`,
      });
      this.pool.assignRemaining(slot);
      return true;
    }
    const done = this.ctx.completedTasks();
    slot.objectives = slot.objectives.filter((t) => done.has(t));
    for (const task of remaining) slot.assignedTasks.delete(task);
    target.objectives = [...target.objectives, ...remaining];
    this.ctx.emit({
      type: 'limit',
      kind: 'idle_time',
      agent: slot.name,
      action: 'reassign',
      detail: `${countOf(remaining.length, 'task')} moved to ${target.name} ${idleFor}`,
    });
    this.pool.assignRemaining(target);
    // The idle agent is told its tasks are gone: a CLI agent kept them in its book, and the next `resume` (a person's
    // continue, the end of a throttle or a backoff) had it retry them, each task then worked by two agents at once.
    this.pool.assignRemaining(slot);
    return true;
  }

  /** The run folder's size and the free space are within [limits]. */
  diskWithinLimits(): boolean {
    const limits = this.ctx.config.limits;
    const free = freeDiskBytes(this.ctx.paths.root);
    return this.measurer.diskUsageBytes <= limits.disk_space_limit_gb * GB && (free === null || free >= limits.min_free_disk_gb * GB);
  }

  /** The disk state the last disk alert was about; null while the run folder is within its limits. */
  private diskAlerted: { used: number; free: number | null; over: boolean; lowFree: boolean } | null = null;

  async checkDisk(): Promise<void> {
    const { ctx, keeper } = this;
    const limits = ctx.config.limits;
    const limitBytes = limits.disk_space_limit_gb * GB;
    const minFreeBytes = limits.min_free_disk_gb * GB;
    const used = this.measurer.diskUsageBytes;
    const free = freeDiskBytes(ctx.paths.root);
    const over = used > limitBytes;
    const lowFree = free !== null && free < minFreeBytes;
    if (!over && !lowFree) {
      this.diskAlerted = null;
      keeper.suspension.lift();
      return;
    }
    // A person who continues after the alert lets the run go on over the limit, without checkpoints: that is said
    // again (pause and alert) when the other limit fails too, or the folder grew (the free space shrank) by a tenth
    // of its limit since. Before, nothing was said again: a run ended at 2.5x its limit with no checkpoint for hours.
    const last = this.diskAlerted;
    const worse =
      last === null ||
      (over && (!last.over || used - last.used >= limitBytes * DISK_REALERT_SHARE)) ||
      (lowFree && (!last.lowFree || (last.free !== null && last.free - free >= minFreeBytes * DISK_REALERT_SHARE)));
    if (!worse) return;
    this.diskAlerted = { used, free, over, lowFree };
    const reasons: string[] = [];
    if (over) {
      const grew = last?.over ? `, up from ${sizesApart(last.used, used)[0]} at the last alert` : '';
      reasons.push(`run folder uses ${sizesApart(used, limitBytes).join(' > ')} (limits.disk_space_limit_gb = ${limits.disk_space_limit_gb})${grew}`);
    }
    if (lowFree) reasons.push(`free disk ${sizesApart(free, minFreeBytes).join(' < ')} (limits.min_free_disk_gb = ${limits.min_free_disk_gb})`);
    const why = reasons.join('; ');
    keeper.suspension.suspend(why);
    ctx.emit({ type: 'limit', kind: 'disk', action: 'pause', detail: why });
    ctx.emit({ type: 'error', class: 'disk_full', severity: 'critical', message: why });
    await this.pauseForPerson(`disk limit: ${why}`);
  }
}

/** At most one throttle event per agent and limit in this time; the throttles between are counted in the next. */
export const THROTTLE_REPORT_MS = 10 * 60_000;

/** How much further past its limit the run folder (or below it, the free space) goes before it is said again: a tenth of the limit. */
const DISK_REALERT_SHARE = 0.1;

/**
 * Two sizes in one unit (GB from 1 GB up, else MB, else KB) with as many
 * decimals as it takes for unequal sizes to read unequal: never "0.01 GB >
 * 0.01 GB" for a 15 MB folder over a 10 MB limit.
 */
export function sizesApart(a: number, b: number): [string, string] {
  const larger = Math.max(a, b);
  const [unit, size] = larger >= GB ? ['GB', GB] : larger >= 1024 ** 2 ? ['MB', 1024 ** 2] : ['KB', 1024];
  for (let decimals = unit === 'GB' ? 2 : 1; decimals <= 6; decimals += 1) {
    const texts: [string, string] = [`${(a / size).toFixed(decimals)} ${unit}`, `${(b / size).toFixed(decimals)} ${unit}`];
    if (texts[0] !== texts[1] || a === b) return texts;
  }
  return [`${a} bytes`, `${b} bytes`];
}
