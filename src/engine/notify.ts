// Webhook notifications: a POST per configured event type, JSON with a
// Slack-compatible `text`. A slow or failing webhook never holds up the run:
// events wait in a bounded queue, at most a few POSTs are in flight, each has
// a deadline, and failures are logged with their cause. A 5xx answer or a
// network error is tried again after a short wait, twice at most, and so is
// a 429 (after its Retry-After, when longer). A webhook that keeps failing
// the same way is said once, then counted: a dead webhook in an eight-hour
// run wrote a WARN (and two retry lines) per event. A redirect is not
// followed: fetch turned the POST of a 301/302 into a GET without its body,
// took the 200 that answered it for a delivery, and followed a redirect loop
// twenty times per try. When the queue is full the oldest event that may be
// dropped is (counted, and said at the 1st, 10th, 100th… drop and at the
// end: a line per drop flooded the log of a run that sent its tool calls to
// a slow webhook); `session_ended` and alerts never are, and they go ahead
// of the rest: they are what a person watching the channel waits for. At the
// end the session waits a few seconds for what is left, not one timeout per
// event, and says what it leaves unsent. The URL may be given as `env:NAME`:
// read from that environment variable when the orchestrator starts (and
// again at a resume), so a secret such as a Slack webhook stays out of
// config.json, which a CI job may upload for anyone to download.
// `user:password@` in the URL goes as Basic authorization (fetch refuses
// such a URL), and no error repeats the URL into the log.

import type { LogLevel, MegatestEvent } from '../contract/events.js';
import type { MegatestConfig } from '../config/types.js';
import { eventSentence } from '../state/eventSentence.js';

/** How the notifier paces itself; tests shorten the waits. */
export interface NotifierPacing {
  maxInFlight: number;
  /** Events waiting for a POST slot, beyond which the oldest that may be dropped is. */
  maxQueued: number;
  /** The waits before each retry of a 5xx or a network error: its length is the number of retries. */
  retryDelaysMs: number[];
  /** How long the session's end waits for what is left (timeout_ms may be 10 minutes: a CI job would wait that long). */
  exitWaitMs: number;
}

export const DEFAULT_PACING: NotifierPacing = { maxInFlight: 4, maxQueued: 200, retryDelaysMs: [1_000, 4_000], exitWaitMs: 5_000 };

/** What a person watching the channel waits for: never dropped from a full queue. */
function mustSend(event: MegatestEvent): boolean {
  return event.type === 'session_ended' || event.type === 'alert';
}

/** A network error with what caused it: fetch says only "fetch failed", its cause says "connect ECONNREFUSED 127.0.0.1:9". */
function failureOf(error: Error, timeoutMs: number): string {
  if (error.name === 'TimeoutError') return `no answer in ${timeoutMs} ms`;
  const cause = (error as { cause?: unknown }).cause;
  const said = cause instanceof Error ? cause.message || (cause as NodeJS.ErrnoException).code : typeof cause === 'string' ? cause : undefined;
  return said && said !== error.message ? `${error.message} (${said})` : error.message;
}

/** A 3xx answer: where it leads, by origin only (a webhook's path and query are its secret). */
function redirectFailure(status: number, location: string | null, url: string): string {
  let to = '';
  try {
    if (location !== null) to = ` to ${new URL(location, url).origin}`;
  } catch {
    // an unreadable Location: the status says enough
  }
  return `answered ${status}, a redirect${to}; megatest does not follow one (the POST would arrive as a GET without its body): set webhook_url to the URL it leads to`;
}

/** A Retry-After of seconds, at most a minute (a longer one would outlast the session's end); 0 for none or a date. */
function retryAfterMs(header: string | null): number {
  const seconds = header === null ? NaN : Number(header.trim());
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 60) * 1000 : 0;
}

interface Pending {
  event: MegatestEvent;
  body: string;
  /** POSTs made of it so far. */
  tries: number;
}

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
  if (!/^https?:\/\/\S+$/.test(value) || !URL.canParse(value)) return { url: null, problem: `notifications off: webhook_url = "${setting}", and ${name} is not an http(s) URL` };
  return { url: value, problem: null };
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  /** What the log may say of the URL: its origin; its user, password, path and query may be secrets. */
  shown: string;
}

/**
 * The POST's URL and headers. `user:password@` in the URL goes as Basic
 * authorization, as curl sends it: fetch refuses a URL with credentials, and
 * its error repeated the whole URL, password and token too, into session.log.
 */
export function webhookRequest(target: string): WebhookRequest {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  let parsed: URL;
  try {
    parsed = new URL(target);
  } catch {
    return { url: target, headers, shown: 'the webhook' };
  }
  const shown = `${parsed.origin}/…`;
  if (parsed.username === '' && parsed.password === '') return { url: target, headers, shown };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.href, headers: { ...headers, authorization: `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}` }, shown };
}

export class Notifier {
  private readonly queue: Pending[] = [];
  private readonly sending = new Set<Pending>();
  /** Waiting for a retry, with its timer. */
  private readonly retrying = new Map<Pending, NodeJS.Timeout>();
  private dropped = 0;
  /** The drops the log has counted so far. */
  private droppedSaid = 0;
  private readonly target: string | null;
  private readonly request: WebhookRequest | null;
  /** Why an `env:` webhook sends nothing: said once, at the first event it would have sent. */
  private problem: string | null;
  /** Aborts the POSTs in flight once the session's end has waited long enough. */
  private readonly stopped = new AbortController();
  private idleWaiters: Array<() => void> = [];
  /** The failure the webhook keeps giving, logged once; `unsaid` counts the notifications that failed the same way since. */
  private streak: { failure: string; unsaid: number } | null = null;

  constructor(
    private readonly settings: MegatestConfig['notifications'],
    private readonly sessionId: string,
    private readonly log: (level: LogLevel, message: string) => void,
    env: NodeJS.ProcessEnv = process.env,
    private readonly pacing: NotifierPacing = DEFAULT_PACING,
  ) {
    ({ url: this.target, problem: this.problem } = webhookTarget(settings.webhook_url, env));
    this.request = this.target === null ? null : webhookRequest(this.target);
  }

  onEvent(event: MegatestEvent): void {
    if (!this.settings.events.includes(event.type)) return;
    if (this.problem !== null) {
      this.log('WARN', this.problem);
      this.problem = null;
    }
    if (this.request === null || this.stopped.signal.aborted) return;
    this.enqueue({ event, body: JSON.stringify({ text: notificationText(this.sessionId, event), session_id: this.sessionId, event }), tries: 0 });
    this.pump();
  }

  private enqueue(item: Pending): void {
    if (this.queue.length >= this.pacing.maxQueued) {
      const oldest = this.queue.findIndex((queued) => !mustSend(queued.event));
      // A full queue of events that must be sent grows: they are few (alerts, one session_ended).
      const victim = oldest >= 0 ? this.queue.splice(oldest, 1)[0]! : mustSend(item.event) ? null : item;
      if (victim !== null) {
        this.dropped += 1;
        if (Number.isInteger(Math.log10(this.dropped))) {
          this.droppedSaid = this.dropped;
          this.log('WARN', `webhook behind (${this.pacing.maxQueued} notifications waiting): ${victim.event.type} notification dropped (${this.dropped} so far; said again at ${this.dropped * 10})`);
        }
        if (victim === item) return;
      }
    }
    // What a person waits for goes ahead of the rest: a slow webhook's last seconds went on the checkpoints
    // and phases queued before session_ended, which the end then left unsent.
    const firstOther = mustSend(item.event) ? this.queue.findIndex((queued) => !mustSend(queued.event)) : -1;
    if (firstOther >= 0) this.queue.splice(firstOther, 0, item);
    else this.queue.push(item);
  }

  private pump(): void {
    while (this.sending.size < this.pacing.maxInFlight && this.queue.length > 0) {
      const item = this.queue.shift()!;
      this.sending.add(item);
      void this.post(item).finally(() => {
        this.sending.delete(item);
        this.pump();
        this.settle();
      });
    }
  }

  private async post(item: Pending): Promise<void> {
    item.tries += 1;
    let failure: string;
    let retryable: boolean;
    /** What a 429 asked to wait, when longer than the retry's own wait. */
    let askedWaitMs = 0;
    try {
      const response = await fetch(this.request!.url, {
        method: 'POST',
        headers: this.request!.headers,
        body: item.body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.settings.timeout_ms), this.stopped.signal]),
      });
      // Nothing in the answer is read: cancelled, not buffered (an endless one filled memory until timeout_ms, up to 10 minutes).
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) {
        this.answeredAgain();
        return;
      }
      const redirect = response.status >= 300 && response.status < 400;
      failure = redirect ? redirectFailure(response.status, response.headers.get('location'), this.request!.url) : `answered ${response.status}`;
      // 429: Slack's answer to more than a message a second (a phase end's burst); it says when to come back.
      retryable = response.status >= 500 || response.status === 429;
      if (response.status === 429) askedWaitMs = retryAfterMs(response.headers.get('retry-after'));
    } catch (error) {
      if (this.stopped.signal.aborted) return; // the end's wait is over: it has said what was left
      failure = this.withoutSecrets(failureOf(error as Error, this.settings.timeout_ms));
      // A receiver that never answers is not asked again: each try would cost another timeout_ms.
      retryable = (error as Error).name !== 'TimeoutError';
    }
    const paced = retryable ? this.pacing.retryDelaysMs[item.tries - 1] : undefined;
    const delay = paced === undefined ? undefined : Math.max(paced, askedWaitMs);
    if (delay === undefined) {
      this.failed(item, failure);
      return;
    }
    if (this.streak?.failure !== failure) this.log('INFO', `webhook ${failure} for ${item.event.type}: trying again in ${delay} ms`);
    const timer = setTimeout(() => {
      this.retrying.delete(item);
      this.enqueue(item);
      this.pump();
      this.settle();
    }, delay);
    timer.unref();
    this.retrying.set(item, timer);
  }

  /** An error that repeats the URL (an invalid one, say) says its origin only. */
  private withoutSecrets(text: string): string {
    for (const url of [this.target!, this.request!.url]) text = text.split(url).join(this.request!.shown);
    return text;
  }

  /** A notification given up: logged unless it failed as the last one logged did. */
  private failed(item: Pending, failure: string): void {
    if (this.streak?.failure === failure) {
      this.streak.unsaid += 1;
      return;
    }
    this.sayUnsaid();
    this.streak = { failure, unsaid: 0 };
    this.log('WARN', `webhook failed for ${item.event.type}: ${failure}${item.tries > 1 ? ` (${item.tries} tries)` : ''}`);
  }

  private answeredAgain(): void {
    if (this.streak === null) return;
    const { unsaid } = this.streak;
    this.streak = null;
    this.log('INFO', `webhook answering again${unsaid > 0 ? ` (${unsaid} more notification${unsaid === 1 ? '' : 's'} had failed the same way meanwhile)` : ''}`);
  }

  /** The failures counted and not logged, said when the streak ends another way than by an answer. */
  private sayUnsaid(): void {
    if (this.streak === null || this.streak.unsaid === 0) return;
    const { failure, unsaid } = this.streak;
    this.streak.unsaid = 0;
    this.log('WARN', `webhook: ${unsaid} more notification${unsaid === 1 ? '' : 's'} failed the same way (${failure})`);
  }

  private get left(): Pending[] {
    return [...this.sending, ...this.retrying.keys(), ...this.queue];
  }

  private settle(): void {
    if (this.left.length > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /**
   * The session's end: waits for what is queued, in flight or waiting for a
   * retry, at most pacing.exitWaitMs; then gives the rest up, saying which.
   * Nothing is sent after it.
   */
  async drain(): Promise<void> {
    if (this.left.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
      const waited = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.pacing.exitWaitMs)));
      const settled = await Promise.race([idle, waited]);
      clearTimeout(timer);
      if (!settled) {
        const left = this.left;
        const types = [...new Set(left.map((item) => item.event.type))].join(', ');
        this.sayUnsaid();
        this.log('WARN', `webhook: ${left.length} notification${left.length === 1 ? '' : 's'} left unsent (${types}): the session's end waits at most ${this.pacing.exitWaitMs / 1000} s for the webhook`);
      }
    }
    this.sayUnsaid();
    if (this.dropped > this.droppedSaid) this.log('WARN', `webhook: ${this.dropped} notifications dropped in all while it was behind`);
    this.stopped.abort();
    for (const timer of this.retrying.values()) clearTimeout(timer);
    this.retrying.clear();
    this.queue.length = 0;
  }
}
