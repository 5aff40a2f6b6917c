// Webhook notifications: a POST per configured event type, JSON with a
// Slack-compatible `text`. A slow or failing webhook never holds up the run:
// each POST has a deadline, failures are logged, and at most a few are in
// flight (more are dropped and counted). The URL may be given as
// `env:NAME`: read from that environment variable when the orchestrator
// starts (and again at a resume), so a secret such as a Slack webhook stays
// out of config.json, which a CI job may upload for anyone to download.

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

const ENV_PREFIX = 'env:';

/**
 * Where to POST: the setting itself, or for `env:NAME` that variable's value;
 * null for none, with why when an `env:` setting names no usable URL (the
 * value itself is never said: it is the secret).
 */
export function webhookTarget(setting: string, env: NodeJS.ProcessEnv): { url: string | null; problem: string | null } {
  if (!setting.startsWith(ENV_PREFIX)) return { url: setting === '' ? null : setting, problem: null };
  const name = setting.slice(ENV_PREFIX.length);
  const value = env[name] ?? '';
  if (value === '') return { url: null, problem: `notifications off: webhook_url = "${setting}", and ${name} is not set in the orchestrator's environment` };
  if (!/^https?:\/\/\S+$/.test(value)) return { url: null, problem: `notifications off: webhook_url = "${setting}", and ${name} is not an http(s) URL` };
  return { url: value, problem: null };
}

export class Notifier {
  private readonly inFlight = new Set<Promise<void>>();
  private dropped = 0;
  private readonly url: string | null;
  /** Why an `env:` webhook sends nothing: said once, at the first event it would have sent. */
  private problem: string | null;

  constructor(
    private readonly settings: MegatestConfig['notifications'],
    private readonly sessionId: string,
    private readonly log: (level: LogLevel, message: string) => void,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    ({ url: this.url, problem: this.problem } = webhookTarget(settings.webhook_url, env));
  }

  onEvent(event: MegatestEvent): void {
    if (!this.settings.events.includes(event.type)) return;
    if (this.problem !== null) {
      this.log('WARN', this.problem);
      this.problem = null;
    }
    if (this.url === null) return;
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      this.dropped += 1;
      this.log('WARN', `webhook busy: ${event.type} notification dropped (${this.dropped} so far)`);
      return;
    }
    const body = JSON.stringify({ text: notificationText(this.sessionId, event), session_id: this.sessionId, event });
    const post = fetch(this.url, {
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
