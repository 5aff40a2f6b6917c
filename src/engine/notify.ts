// Webhook notifications: a POST per configured event type, JSON with a
// Slack-compatible `text`. A slow or failing webhook never holds up the run:
// each POST has a deadline, failures are logged, and at most a few are in
// flight (more are dropped and counted).

import type { LogLevel, MegatestEvent } from '../contract/events.js';
import type { MegatestConfig } from '../config/types.js';

const MAX_IN_FLIGHT = 4;

export function notificationText(sessionId: string, event: MegatestEvent): string {
  const { seq: _seq, ts: _ts, type, ...rest } = event;
  const details = Object.entries(rest)
    .filter(([key]) => key !== 'metrics')
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
