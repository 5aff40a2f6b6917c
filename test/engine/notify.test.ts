// A webhook notification's text: the event as one sentence a person reads in
// a channel, the same as the headless log's line after its time.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import type { MegatestEvent } from '../../src/contract/events.js';
import { headlessLine } from '../../src/cli/headless.js';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_PACING, Notifier, notificationText, webhookTarget } from '../../src/engine/notify.js';
import { loadEvents } from '../state/foldOracle.js';

/** Conditions waited on: long enough for a loaded machine (vi.waitFor's own second was not always). */
const WAIT = { timeout: 10_000 };
const recorded = loadEvents('restore_session.jsonl');
const first = <T extends MegatestEvent['type']>(type: T) => recorded.find((e): e is Extract<MegatestEvent, { type: T }> => e.type === type)!;

describe('notificationText', () => {
  it('a phase end: the result and the criteria counted, not their JSON', () => {
    const ended = first('phase_ended');
    const text = notificationText('s1', ended);
    const passed = ended.criteria.filter((c) => c.passed).length;
    expect(text).toMatch(new RegExp(`^megatest s1: phase ${ended.index + 1} ${ended.phase} ended: (PASS|FAIL) \\(${passed}/${ended.criteria.length} criteria\\)`));
    expect(text).not.toContain('{');
  });

  it('each event the headless log tells: the same sentence, after the session', () => {
    for (const type of ['session_started', 'checkpoint_created', 'checkpoint_restored', 'session_ended', 'error', 'alert'] as const) {
      const event = recorded.find((e) => e.type === type);
      if (!event) continue;
      expect(notificationText('s1', event), type).toBe(`megatest s1: ${headlessLine(event)!.slice('00:00:00 '.length)}`);
    }
    expect(notificationText('s1', first('session_ended'))).toMatch(/^megatest s1: session ended: \w+, exit code \d+/);
  });

  it('an event told by no sentence: its fields', () => {
    const call = first('tool_call');
    expect(notificationText('s1', call)).toBe(`megatest s1: tool_call agent=${call.agent} tool=${call.tool} ok=${call.ok} duration_ms=${call.duration_ms}`);
  });
});

describe('webhook_url = "env:NAME": the URL from the environment, never in config.json', () => {
  it('reads the variable; an unset or non-URL one sends nothing and says why without the value', () => {
    expect(webhookTarget('https://hooks.example/x', {})).toEqual({ url: 'https://hooks.example/x', problem: null });
    expect(webhookTarget('', {})).toEqual({ url: null, problem: null });
    expect(webhookTarget('env:HOOK', { HOOK: 'https://hooks.example/secret' })).toEqual({ url: 'https://hooks.example/secret', problem: null });
    expect(webhookTarget('env:HOOK', {})).toEqual({ url: null, problem: 'notifications off: webhook_url = "env:HOOK", and HOOK is not set in the orchestrator\'s environment' });
    for (const value of ['hooks.example/secret', 'http://127.0.0.1:99999/secret']) {
      const notUrl = webhookTarget('env:HOOK', { HOOK: value });
      expect(notUrl.url, value).toBeNull();
      expect(notUrl.problem).toBe('notifications off: webhook_url = "env:HOOK", and HOOK is not an http(s) URL');
    }
  });

  it('a config file may say env:NAME, and config.json then holds the name, not the URL', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'megatest-notify-'));
    try {
      const file = path.join(dir, 'hook.toml');
      writeFileSync(file, '[notifications]\nwebhook_url = "env:SLACK_HOOK"\n');
      expect(loadConfig({ configFile: file, env: {} }).notifications.webhook_url).toBe('env:SLACK_HOOK');
      for (const bad of ['env:', 'env:1HOOK', 'env:HOOK URL', 'hooks.example/x', 'http://127.0.0.1:99999/x', 'https://exa mple.com/x', 'http://[::1/x']) {
        writeFileSync(file, `[notifications]\nwebhook_url = "${bad}"\n`);
        expect(() => loadConfig({ configFile: file, env: {} }), bad).toThrow(/webhook_url .*must be an http\(s\) URL, "env:NAME"/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('posts to the URL the variable holds; unset, it warns once and posts nothing', async () => {
    const hook = await receiver(() => 200);
    const { bodies } = hook;
    try {
      const settings = { webhook_url: 'env:MEGATEST_TEST_HOOK', events: ['session_ended'], timeout_ms: 10_000 } as const;
      const ended = first('session_ended');
      const logs: string[] = [];
      const sending = new Notifier({ ...settings, events: [...settings.events] }, 's1', (level, message) => logs.push(`${level} ${message}`), { MEGATEST_TEST_HOOK: hook.url });
      sending.onEvent(first('tool_call'));
      sending.onEvent(ended);
      await sending.drain();
      expect(bodies).toHaveLength(1);
      expect(JSON.parse(bodies[0]!)).toMatchObject({ session_id: 's1', event: { type: 'session_ended' } });
      expect(logs).toEqual([]);

      const silent = new Notifier({ ...settings, events: [...settings.events] }, 's1', (level, message) => logs.push(`${level} ${message}`), {});
      silent.onEvent(first('tool_call'));
      silent.onEvent(ended);
      silent.onEvent(ended);
      await silent.drain();
      expect(bodies).toHaveLength(1);
      expect(logs).toEqual(['WARN notifications off: webhook_url = "env:MEGATEST_TEST_HOOK", and MEGATEST_TEST_HOOK is not set in the orchestrator\'s environment']);
    } finally {
      await hook.close();
    }
  });
});

/** A server on 127.0.0.1 (a free port) answering with `answer` (null: reads the request and never answers), its URL, and the requests it saw. */
async function receiver(answer: (n: number) => number | null) {
  const held: ServerResponse[] = [];
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      bodies.push(body);
      const status = answer(bodies.length);
      if (status === null) held.push(res);
      else res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const close = async () => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { bodies, close, url };
}

const typeOf = (body: string) => (JSON.parse(body) as { event: { type: string } }).event.type;

describe('Notifier and a webhook that never answers', () => {
  it('queues what the four POSTs in flight leave, drops the oldest tool calls of a full queue but never session_ended or an alert, and waits at most a few seconds at the end', async () => {
    // Seen: with 4 POSTs in flight every later event was dropped, session_ended too, and the end waited timeout_ms (up to 10 minutes).
    const hook = await receiver(() => null);
    try {
      const logs: string[] = [];
      const settings = { webhook_url: hook.url, events: ['tool_call', 'alert', 'session_ended'], timeout_ms: 600_000 };
      const notifier = new Notifier(settings, 's1', (level, message) => logs.push(`${level} ${message}`), {}, { maxInFlight: 4, maxQueued: 3, retryDelaysMs: [], exitWaitMs: 300 });
      const call = first('tool_call');
      for (let i = 0; i < 7; i++) notifier.onEvent(call);
      notifier.onEvent(first('session_ended'));
      notifier.onEvent({ ...call, seq: 999_999, type: 'alert', level: 'critical', message: 'x' } as unknown as MegatestEvent);
      // Four in flight, three queued; the fifth and sixth tool calls went to make room for the session's end and the alert.
      expect(logs).toEqual(['WARN webhook behind (3 notifications waiting): tool_call notification dropped (1 so far; said again at 10)']);
      // The four in flight have reached the webhook before the end's wait (0.3 s on a loaded machine was not always enough).
      await vi.waitFor(() => expect(hook.bodies).toHaveLength(4), WAIT);
      await notifier.drain();
      expect(logs.slice(1)).toEqual([
        'WARN webhook: 7 notifications left unsent (tool_call, session_ended, alert): the session\'s end waits at most 0.3 s for the webhook',
        'WARN webhook: 2 notifications dropped in all while it was behind',
      ]);
      expect(hook.bodies.map(typeOf)).toEqual(['tool_call', 'tool_call', 'tool_call', 'tool_call']);
    } finally {
      await hook.close();
    }
  });

  it('gives a POST up after timeout_ms without asking again (each try would cost another timeout)', async () => {
    const hook = await receiver(() => null);
    try {
      const logs: string[] = [];
      const notifier = new Notifier({ webhook_url: hook.url, events: ['session_ended'], timeout_ms: 200 }, 's1', (level, message) => logs.push(`${level} ${message}`), {}, { ...DEFAULT_PACING, retryDelaysMs: [1, 1] });
      notifier.onEvent(first('session_ended'));
      await notifier.drain();
      expect(logs).toEqual(['WARN webhook failed for session_ended: no answer in 200 ms']);
      expect(hook.bodies).toHaveLength(1);
    } finally {
      await hook.close();
    }
  });
});

describe('Notifier and a failing webhook', () => {
  it('tries a 5xx again after a short wait', async () => {
    const hook = await receiver((n) => (n === 1 ? 503 : 200));
    try {
      const logs: string[] = [];
      const notifier = new Notifier({ webhook_url: hook.url, events: ['session_ended'], timeout_ms: 10_000 }, 's1', (level, message) => logs.push(`${level} ${message}`), {}, { ...DEFAULT_PACING, retryDelaysMs: [5, 5] });
      notifier.onEvent(first('session_ended'));
      await notifier.drain();
      expect(hook.bodies.map(typeOf)).toEqual(['session_ended', 'session_ended']);
      expect(logs).toEqual(['INFO webhook answered 503 for session_ended: trying again in 5 ms']);
    } finally {
      await hook.close();
    }
  });

  it('a 4xx is not tried again', async () => {
    const hook = await receiver(() => 404);
    try {
      const logs: string[] = [];
      const notifier = new Notifier({ webhook_url: hook.url, events: ['session_ended'], timeout_ms: 10_000 }, 's1', (level, message) => logs.push(`${level} ${message}`), {}, { ...DEFAULT_PACING, retryDelaysMs: [5, 5] });
      notifier.onEvent(first('session_ended'));
      await notifier.drain();
      expect(hook.bodies).toHaveLength(1);
      expect(logs).toEqual(['WARN webhook failed for session_ended: answered 404']);
    } finally {
      await hook.close();
    }
  });

  it('a refused connection: tried twice more, then logged with its cause, not just "fetch failed"', async () => {
    // Nothing listens on 18984.
    const logs: string[] = [];
    const notifier = new Notifier({ webhook_url: 'http://127.0.0.1:18984/hook', events: ['session_ended'], timeout_ms: 10_000 }, 's1', (level, message) => logs.push(`${level} ${message}`), {}, { ...DEFAULT_PACING, retryDelaysMs: [5, 5] });
    notifier.onEvent(first('session_ended'));
    await notifier.drain();
    expect(logs).toHaveLength(3);
    expect(logs[0]).toMatch(/^INFO webhook fetch failed \(.*ECONNREFUSED.*\) for session_ended: trying again in 5 ms$/);
    expect(logs[2]).toMatch(/^WARN webhook failed for session_ended: fetch failed \(.*ECONNREFUSED 127\.0\.0\.1:18984\) \(3 tries\)$/);
  });
});
