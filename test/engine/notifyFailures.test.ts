// A webhook that keeps failing, or redirects: the run's log says so once and
// counts the rest, and a redirect is never taken for a delivery.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import type { MegatestEvent } from '../../src/contract/events.js';
import { DEFAULT_PACING, Notifier } from '../../src/engine/notify.js';
import { loadEvents } from '../state/foldOracle.js';

/** Conditions waited on: long enough for a loaded machine (vi.waitFor's own second was not always). */
const WAIT = { timeout: 10_000 };
const recorded = loadEvents('restore_session.jsonl');
const ended = recorded.find((e): e is Extract<MegatestEvent, { type: 'session_ended' }> => e.type === 'session_ended')!;
const toolCall = recorded.find((e) => e.type === 'tool_call')!;
const settings = (url: string) => ({ webhook_url: url, events: ['session_ended'], timeout_ms: 10_000 });

/** A server on 127.0.0.1 (a free port) that answers each request with `answer`; the requests it saw, as "METHOD path body". */
async function receiver(answer: (request: IncomingMessage, response: ServerResponse, n: number) => void) {
  const seen: string[] = [];
  const authorizations: Array<string | undefined> = [];
  /** The event type of each notification that came. */
  const types: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push(`${request.method} ${request.url} ${body === '' ? '(no body)' : 'json'}`);
      authorizations.push(request.headers.authorization);
      if (body !== '') types.push((JSON.parse(body) as { event: { type: string } }).event.type);
      answer(request, response, seen.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { seen, authorizations, types, close, origin };
}

describe('Notifier and a webhook that redirects', () => {
  it('a 301 is a failure said with the target origin only, not a GET that answered 200 taken for a delivery', async () => {
    // Seen: fetch followed the 301 with a GET without the body, the GET's 200 counted as sent, and nothing was logged.
    const hook = await receiver((request, response) => {
      if (request.url!.startsWith('/hook')) response.writeHead(301, { location: '/moved/SECRET-PATH?token=SECRET' }).end();
      else response.writeHead(200).end();
    });
    try {
      const logs: string[] = [];
      const notifier = new Notifier(settings(`${hook.origin}/hook?token=SECRET`), 's1', (level, message) => logs.push(`${level} ${message}`), {}, { ...DEFAULT_PACING, retryDelaysMs: [1, 1] });
      notifier.onEvent(ended);
      await notifier.drain();
      expect(hook.seen).toEqual(['POST /hook?token=SECRET json']);
      expect(logs).toEqual([
        `WARN webhook failed for session_ended: answered 301, a redirect to ${hook.origin}; megatest does not follow one (the POST would arrive as a GET without its body): set webhook_url to the URL it leads to`,
      ]);
      expect(logs.join('\n')).not.toContain('SECRET');
    } finally {
      await hook.close();
    }
  });

  it('a redirect loop costs one request per notification, not twenty per try', async () => {
    const hook = await receiver((request, response) => response.writeHead(307, { location: request.url! }).end());
    try {
      const notifier = new Notifier(settings(`${hook.origin}/hook`), 's1', () => undefined, {}, { ...DEFAULT_PACING, retryDelaysMs: [1, 1] });
      const notifications = 3;
      for (let i = 0; i < notifications; i++) notifier.onEvent(ended);
      await notifier.drain();
      expect(hook.seen).toHaveLength(notifications);
    } finally {
      await hook.close();
    }
  });
});

describe('Notifier and a webhook URL with user:password@', () => {
  it('sends them as Basic authorization to the URL without them, and the log never holds them', async () => {
    // Seen: fetch refused the URL, and its error, URL and password and all, went into session.log three times.
    const hook = await receiver((_request, response) => response.writeHead(200).end());
    try {
      const user = 'hookuser';
      const password = 'p@ss:SECRET';
      const logs: string[] = [];
      const notifier = new Notifier(settings(`http://${user}:${encodeURIComponent(password)}@${hook.origin.slice('http://'.length)}/hook?token=SECRET`), 's1', (level, message) => logs.push(`${level} ${message}`), {}, { ...DEFAULT_PACING, retryDelaysMs: [1, 1] });
      notifier.onEvent(ended);
      await notifier.drain();
      expect(hook.seen).toEqual(['POST /hook?token=SECRET json']);
      expect(hook.authorizations).toEqual([`Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`]);
      expect(logs).toEqual([]);
    } finally {
      await hook.close();
    }
  });

  it('a URL fetch cannot read is not repeated into the log (from env:NAME it is refused at the start, the value unsaid)', async () => {
    // fetch says "Failed to parse URL from <the URL>": the token with it. config check refuses such a URL in a file;
    // one given to the notifier all the same (a config.json written before that check) reaches fetch.
    const logs: string[] = [];
    const notifier = new Notifier({ ...settings('http://127.0.0.1:99999/hook?token=SECRET') }, 's1', (level, message) => logs.push(`${level} ${message}`), {}, { ...DEFAULT_PACING, retryDelaysMs: [] });
    notifier.onEvent(ended);
    await notifier.drain();
    expect(logs).toEqual(['WARN webhook failed for session_ended: Failed to parse URL from the webhook (Invalid URL)']);
    const fromEnv: string[] = [];
    const refused = new Notifier({ ...settings('env:HOOK') }, 's1', (level, message) => fromEnv.push(`${level} ${message}`), { HOOK: 'http://127.0.0.1:99999/hook?token=SECRET' }, { ...DEFAULT_PACING, retryDelaysMs: [] });
    refused.onEvent(ended);
    await refused.drain();
    expect(fromEnv).toEqual(['WARN notifications off: webhook_url = "env:HOOK", and HOOK is not an http(s) URL']);
  });
});

describe('Notifier and a webhook that limits its rate', () => {
  it('a 429 is tried again, after its Retry-After when that is longer than the retry wait', async () => {
    // Seen: Slack answered 429 to a burst of notifications, and they were lost as a 4xx is.
    const retryAfterSeconds = 1;
    const hook = await receiver((_request, response, n) => (n === 1 ? response.writeHead(429, { 'retry-after': String(retryAfterSeconds) }).end() : response.writeHead(200).end()));
    try {
      const logs: string[] = [];
      const notifier = new Notifier(settings(`${hook.origin}/hook`), 's1', (level, message) => logs.push(`${level} ${message}`), {}, { ...DEFAULT_PACING, retryDelaysMs: [5, 5] });
      notifier.onEvent(ended);
      await notifier.drain();
      expect(hook.seen).toEqual(['POST /hook json', 'POST /hook json']);
      expect(logs).toEqual([`INFO webhook answered 429 for session_ended: trying again in ${retryAfterSeconds * 1000} ms`]);
    } finally {
      await hook.close();
    }
  });
});

describe('Notifier and a webhook whose answer never ends', () => {
  it('takes the 200 for a delivery at once and reads none of the body', async () => {
    // Seen: the body was read to its end, in memory, until timeout_ms (up to 10 minutes) cut it.
    const streams: NodeJS.Timeout[] = [];
    const hook = await receiver((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      streams.push(setInterval(() => response.write(Buffer.alloc(64 * 1024)), 1));
    });
    try {
      const logs: string[] = [];
      const notifier = new Notifier({ ...settings(`${hook.origin}/hook`), timeout_ms: 600_000 }, 's1', (level, message) => logs.push(`${level} ${message}`), {}, { ...DEFAULT_PACING, exitWaitMs: 10_000 });
      notifier.onEvent(ended);
      await notifier.drain();
      expect(hook.seen).toHaveLength(1);
      // Had it waited for the body, the end would have given it up as unsent.
      expect(logs).toEqual([]);
    } finally {
      for (const stream of streams) clearInterval(stream);
      await hook.close();
    }
  });
});

describe('Notifier and a slow webhook', () => {
  it('sends session_ended and alerts ahead of what was queued before them', async () => {
    // Seen: with a slow webhook the end's few seconds went on the checkpoints and phases queued first, and session_ended was left unsent.
    const held: ServerResponse[] = [];
    const hook = await receiver((_request, response, n) => (n === 1 ? held.push(response) : response.writeHead(200).end()));
    try {
      const byType = (type: string) => recorded.find((e) => e.type === type)!;
      const alert = { ...toolCall, type: 'alert', level: 'critical', message: 'x' } as unknown as MegatestEvent;
      const queuedFirst = ['phase_ended', 'checkpoint_created', 'phase_started'];
      const notifier = new Notifier({ ...settings(`${hook.origin}/hook`), events: [...queuedFirst, 'session_ended', 'alert'] }, 's1', () => undefined, {}, { ...DEFAULT_PACING, maxInFlight: 1 });
      for (const type of queuedFirst) notifier.onEvent(byType(type));
      notifier.onEvent(alert);
      notifier.onEvent(ended);
      await vi.waitFor(() => expect(held).toHaveLength(1), WAIT);
      held[0]!.writeHead(200).end();
      await notifier.drain();
      const [inFlight, ...waiting] = queuedFirst;
      expect(hook.seen).toHaveLength(1 + waiting.length + 2);
      expect(hook.types).toEqual([inFlight, 'alert', 'session_ended', ...waiting]);
    } finally {
      await hook.close();
    }
  });
});

describe('Notifier and a webhook that falls behind', () => {
  it('says the 1st, 10th, 100th… drop and the total at the end, not a line per drop', async () => {
    // Seen: tool calls sent to a webhook that never answered wrote a WARN line per dropped notification.
    const hook = await receiver(() => undefined);
    try {
      const logs: string[] = [];
      const pacing = { ...DEFAULT_PACING, maxInFlight: 1, maxQueued: 1, retryDelaysMs: [], exitWaitMs: 50 };
      // Tool calls: session_ended and alerts are never dropped.
      const notifier = new Notifier({ ...settings(`${hook.origin}/hook`), events: ['tool_call'] }, 's1', (level, message) => logs.push(`${level} ${message}`), {}, pacing);
      const sent = 25;
      for (let i = 0; i < sent; i++) notifier.onEvent(toolCall);
      const dropped = sent - pacing.maxInFlight - pacing.maxQueued;
      await notifier.drain();
      expect(logs.filter((line) => line.includes('dropped'))).toEqual([
        'WARN webhook behind (1 notifications waiting): tool_call notification dropped (1 so far; said again at 10)',
        'WARN webhook behind (1 notifications waiting): tool_call notification dropped (10 so far; said again at 100)',
        `WARN webhook: ${dropped} notifications dropped in all while it was behind`,
      ]);
    } finally {
      await hook.close();
    }
  });
});

describe('Notifier and a webhook that keeps failing', () => {
  it('logs the first failure, counts the ones like it (their retries too) and says the count at the end', async () => {
    // Seen: a webhook answering 500 wrote three lines per notification (two retries, one failure) for the whole run.
    const hook = await receiver((_request, response) => response.writeHead(500).end());
    try {
      const logs: string[] = [];
      const retries = [1, 1];
      const notifier = new Notifier(settings(`${hook.origin}/hook`), 's1', (level, message) => logs.push(`${level} ${message}`), {}, { ...DEFAULT_PACING, maxInFlight: 1, retryDelaysMs: retries });
      notifier.onEvent(ended);
      await vi.waitFor(() => expect(logs.some((line) => line.startsWith('WARN'))).toBe(true), WAIT);
      const later = 5;
      for (let i = 0; i < later; i++) notifier.onEvent(ended);
      await notifier.drain();
      expect(hook.seen).toHaveLength((1 + later) * (1 + retries.length));
      expect(logs).toEqual([
        ...retries.map(() => 'INFO webhook answered 500 for session_ended: trying again in 1 ms'),
        `WARN webhook failed for session_ended: answered 500 (${1 + retries.length} tries)`,
        `WARN webhook: ${later} more notifications failed the same way (answered 500)`,
      ]);
    } finally {
      await hook.close();
    }
  });

  it('says when the webhook answers again, with how many failed meanwhile; a new failure is logged again', async () => {
    let answer = 503;
    const hook = await receiver((_request, response) => response.writeHead(answer).end());
    try {
      const logs: string[] = [];
      const notifier = new Notifier(settings(`${hook.origin}/hook`), 's1', (level, message) => logs.push(`${level} ${message}`), {}, { ...DEFAULT_PACING, maxInFlight: 1, retryDelaysMs: [] });
      const failing = 4;
      for (let i = 0; i < failing; i++) notifier.onEvent(ended);
      await vi.waitFor(() => expect(hook.seen).toHaveLength(failing), WAIT);
      answer = 200;
      notifier.onEvent(ended);
      await vi.waitFor(() => expect(logs).toHaveLength(2), WAIT);
      answer = 404;
      notifier.onEvent(ended);
      await notifier.drain();
      expect(logs).toEqual([
        'WARN webhook failed for session_ended: answered 503',
        `INFO webhook answering again (${failing - 1} more notifications had failed the same way meanwhile)`,
        'WARN webhook failed for session_ended: answered 404',
      ]);
    } finally {
      await hook.close();
    }
  });
});
