// A webhook notification's text: the event as one sentence a person reads in
// a channel, the same as the headless log's line after its time.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { MegatestEvent } from '../../src/contract/events.js';
import { headlessLine } from '../../src/cli/headless.js';
import { loadConfig } from '../../src/config/load.js';
import { Notifier, notificationText, webhookTarget } from '../../src/engine/notify.js';
import { loadEvents } from '../state/foldOracle.js';

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
    const notUrl = webhookTarget('env:HOOK', { HOOK: 'hooks.example/secret' });
    expect(notUrl.url).toBeNull();
    expect(notUrl.problem).toBe('notifications off: webhook_url = "env:HOOK", and HOOK is not an http(s) URL');
  });

  it('a config file may say env:NAME, and config.json then holds the name, not the URL', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'megatest-notify-'));
    try {
      const file = path.join(dir, 'hook.toml');
      writeFileSync(file, '[notifications]\nwebhook_url = "env:SLACK_HOOK"\n');
      expect(loadConfig({ configFile: file, env: {} }).notifications.webhook_url).toBe('env:SLACK_HOOK');
      for (const bad of ['env:', 'env:1HOOK', 'env:HOOK URL', 'hooks.example/x']) {
        writeFileSync(file, `[notifications]\nwebhook_url = "${bad}"\n`);
        expect(() => loadConfig({ configFile: file, env: {} }), bad).toThrow(/webhook_url .*must be an http\(s\) URL, "env:NAME"/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('posts to the URL the variable holds; unset, it warns once and posts nothing', async () => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const { port } = server.address() as AddressInfo;
      const settings = { webhook_url: 'env:MEGATEST_TEST_HOOK', events: ['session_ended'], timeout_ms: 10_000 } as const;
      const ended = first('session_ended');
      const logs: string[] = [];
      const sending = new Notifier({ ...settings, events: [...settings.events] }, 's1', (level, message) => logs.push(`${level} ${message}`), { MEGATEST_TEST_HOOK: `http://127.0.0.1:${port}/hook` });
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
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('Notifier and a webhook that never answers', () => {
  it('keeps at most four POSTs in flight, drops and counts the rest, and gives each up after timeout_ms, saying so', async () => {
    const held: ServerResponse[] = [];
    // Reads each request and never answers it.
    const server = createServer((req, res) => {
      req.resume();
      held.push(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const { port } = server.address() as AddressInfo;
      const logs: string[] = [];
      const notifier = new Notifier({ webhook_url: `http://127.0.0.1:${port}/hook`, events: ['session_ended'], timeout_ms: 200 }, 's1', (level, message) => logs.push(`${level} ${message}`));
      const ended = first('session_ended');
      for (let i = 0; i < 6; i++) notifier.onEvent(ended);
      // Dropped when given: the four in flight are all it keeps.
      expect(logs).toEqual(['WARN webhook busy: session_ended notification dropped (1 so far)', 'WARN webhook busy: session_ended notification dropped (2 so far)']);
      // Resolves only once each POST has given up (nothing ever answers): its deadline, not an answer, ends it.
      await notifier.drain();
      expect(logs.slice(2)).toEqual(Array.from({ length: 4 }, () => 'WARN webhook failed for session_ended: no answer in 200 ms'));
    } finally {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
