// Webhook notifications: a POST per configured event type, JSON with a
// Slack-compatible `text`. A slow or failing webhook never holds up the run:
// each POST has a deadline, failures are logged, and at most a few are in
// flight (more are dropped and counted).

import type { LogLevel, MegatestEvent } from '../contract/events.js';
import type { MegatestConfig } from '../config/types.js';
import { eventSentence } from '../state/eventSentence.js';

const MAX_IN_FLIGHT = 4;

/**
 * What a person reads in the channel: the event as the headless log tells it
 * ("phase 1 bootstrap ended: PASS (3/3 criteria)"), where key=value pairs
 * put a phase's criteria there as raw JSON. An event told by no sentence
 * gets its fields; the body's `event` has them all, for programs.
 */
export function notificationText(sessionId: string, event: MegatestEvent): string {
  const sentence = eventSentence(event);
  if (sentence !== null) return `megatest ${sessionId}: ${sentence}`.slice(0, 3000);
  const { seq: _seq, ts: _ts, type, ...rest } = event;
  const details = Object.entries(rest)
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(' ');
  return `megatest ${sessionId}: ${type}${details ? ` ${details}` : ''}`.slice(0, 3000);
}

export class Notifier {
  private readonly inFlight = new Set<Promise<void>>();
  private dropped = 0;

  constructor(
    private readonly settings: MegatestConfig['notifications'],
    private readonly sessionId: string,
    private readonly log: (level: LogLevel, message: string) => void,
  ) {}

  onEvent(event: MegatestEvent): void {
    if (!this.settings.webhook_url || !this.settings.events.includes(event.type)) return;
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      this.dropped += 1;
      this.log('WARN', `webhook busy: ${event.type} notification dropped (${this.dropped} so far)`);
      return;
    }
    const body = JSON.stringify({ text: notificationText(this.sessionId, event), session_id: this.sessionId, event });
    const post = fetch(this.settings.webhook_url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(this.settings.timeout_ms),
    })
      .then(async (response) => {
        await response.arrayBuffer().catch(() => undefined);
        if (!response.ok) this.log('WARN', `webhook answered ${response.status} to ${event.type}`);
      })
      .catch((error: Error) => this.log('WARN', `webhook failed for ${event.type}: ${error.name === 'TimeoutError' ? `no answer in ${this.settings.timeout_ms} ms` : error.message}`))
      .finally(() => this.inFlight.delete(post));
    this.inFlight.add(post);
  }

  /** Waits for notifications in flight (each bounded by its timeout). */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}
