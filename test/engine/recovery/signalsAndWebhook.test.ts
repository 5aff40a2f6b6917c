// Notifications and signals on real headless sessions: webhook POSTs (JSON
// with a Slack-compatible text) to a local server; a webhook that never
// answers does not hold up the run; SIGUSR1 writes a status block into
// session.log. (SIGTERM's final checkpoint and exit 130 are asserted in
// faults.test.ts; a POST's deadline, timeout_ms, and the cap on POSTs in
// flight in test/engine/notify.test.ts.)
//
// Nothing here races the clock: both sessions are given 30 minutes and
// stopped by the test once it has seen what it waits for. The webhook that
// never answers holds its requests open (timeout_ms is 10 minutes), and the
// run is shown not to wait on them by its own events: metrics snapshots keep
// being written, by seq, while every request the notifier may have in flight
// is held.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headlessLine } from '../../../src/cli/headless.js';
import type { MegatestEvent } from '../../../src/contract/events.js';
import { ControlClient } from '../../../src/io/controlClient.js';
import {
  BUILT,
  eventsOf,
  readEvents,
  removeDir,
  runCli,
  runHeadless,
  sessionArgs,
  tempRunsDir,
  waitFor,
  waitForEventWhileRunning,
  type CliResult,
} from '../../helpers/cli.js';

interface Received {
  contentType: string | undefined;
  body: { text: string; session_id: string; event: { type: string; seq: number } };
}

interface Held {
  res: ServerResponse;
  /** The request is still open: the notifier has neither given up on it nor been answered. */
  open: boolean;
}

/** Longer than either session lasts: the test stops both. */
const LONG = ['--duration', '30m'];
/** A deadline for a stuck session, not an expectation. */
const DEADLINE_MS = 120_000;
/** The notifier keeps at most this many POSTs in flight (MAX_IN_FLIGHT, src/engine/notify.ts); the rest are dropped. */
const IN_FLIGHT = 4;
/** Metrics snapshots (one a second) the silent session must write while its requests are held. */
const SNAPSHOTS_WHILE_HELD = 3;

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function webhookConfig(dir: string, name: string, port: number, events: string[], timeoutMs: number, controlPort: number): string {
  const file = path.join(dir, `${name}.toml`);
  writeFileSync(
    file,
    [
      '[monitoring]',
      'health_check_interval = 1',
      `control_port = ${controlPort}`,
      '[notifications]',
      `webhook_url = "http://127.0.0.1:${port}/hook"`,
      `events = ${JSON.stringify(events)}`,
      `timeout_ms = ${timeoutMs}`,
      '',
    ].join('\n'),
  );
  return file;
}

describe.skipIf(!BUILT)('webhook notifications and SIGUSR1 (needs npm run build)', () => {
  const runsDir = tempRunsDir();
  const answeredDir = path.join(runsDir, 'answered');
  const silentDir = path.join(runsDir, 'silent');
  const received: Received[] = [];
  const held: Held[] = [];
  /** Once set, the silent webhook cuts each new request at once (so the stopped session can drain and end). */
  let releasing = false;
  let answering: Server;
  let silent: Server;
  let answered: CliResult;
  let stalled: CliResult;
  let restored: CliResult;
  let checkpointId = '';
  /** The silent session's metrics snapshots written while every request in flight was held, and how many were held then. */
  let whileHeld: { seqs: number[]; heldSeq: number; stillOpen: number } = { seqs: [], heldSeq: 0, stillOpen: 0 };

  beforeAll(async () => {
    answering = await listen((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ contentType: req.headers['content-type'], body: JSON.parse(body) as Received['body'] });
        res.writeHead(200).end('ok');
      });
    });
    // Reads the request and never answers it.
    silent = await listen((req, res) => {
      req.resume();
      if (releasing) {
        res.destroy();
        return;
      }
      const entry: Held = { res, open: true };
      res.on('close', () => (entry.open = false));
      held.push(entry);
    });
    const answeringPort = (answering.address() as AddressInfo).port;
    const silentPort = (silent.address() as AddressInfo).port;
    // A deadline, not what is tested: the first POST loads Node's fetch while its clock runs.
    const answeredConfig = webhookConfig(runsDir, 'answered', answeringPort, ['session_started', 'phase_started', 'checkpoint_created', 'session_ended'], 60_000, 18370);
    // 10 minutes: the silent webhook's requests stay open for as long as the test holds them.
    const silentConfig = webhookConfig(runsDir, 'silent', silentPort, ['agent_state', 'phase_started', 'metrics', 'session_ended'], 600_000, 18380);

    const first = runHeadless(sessionArgs(runsDir, 'answered', answeredConfig, LONG), { timeoutMs: 540_000 });
    const second = runHeadless(sessionArgs(runsDir, 'silent', silentConfig, LONG), { timeoutMs: 540_000 });
    try {
      await Promise.all([
        (async () => {
          await waitForEventWhileRunning(first, answeredDir, 'phase_started', () => true, DEADLINE_MS);
          first.child.kill('SIGUSR1');
          const client = await ControlClient.fromRunDir(answeredDir, { source: 'api', timeoutMs: 60_000 });
          const taken = await client.checkpoint();
          expect(taken.event?.type).toBe('checkpoint_created');
          checkpointId = (taken.event as { id: string }).id;
          // Paused while the shell's restore starts up; a restore keeps a paused session paused.
          await client.pause();
          restored = await runCli(['restore', answeredDir, '--checkpoint', checkpointId]);
          await client.resume();
          // The status block is in session.log before the run ends (it is written in batches).
          await waitFor(() => /status block \(SIGUSR1\)/.test(readFileSync(path.join(answeredDir, 'session.log'), 'utf8')), 'the status block in session.log', DEADLINE_MS);
          await client.stop();
          answered = await first.done;
        })(),
        (async () => {
          // Every request the notifier may have in flight is held open.
          await waitFor(() => held.filter((h) => h.open).length >= IN_FLIGHT || undefined, `${IN_FLIGHT} webhook requests held open`, DEADLINE_MS);
          const heldSeq = readEvents(silentDir).at(-1)?.seq ?? 0;
          // The run goes on meanwhile: snapshots are written after the requests were held, and they stay held.
          const seqs = await waitFor(
            () => {
              const later = eventsOf(readEvents(silentDir), 'metrics').filter((e) => e.seq > heldSeq);
              return later.length >= SNAPSHOTS_WHILE_HELD ? later.map((e) => e.seq) : undefined;
            },
            `${SNAPSHOTS_WHILE_HELD} metrics snapshots while ${IN_FLIGHT} webhook requests are held`,
            DEADLINE_MS,
          );
          whileHeld = { seqs, heldSeq, stillOpen: held.slice(0, IN_FLIGHT).filter((h) => h.open).length };
          // Notifications beyond those in flight wait in the notifier's queue (notify.test.ts drops from a full one).
          const client = await ControlClient.fromRunDir(silentDir, { source: 'api', timeoutMs: 60_000 });
          await client.stop();
          // Let the stopped run drain its notifications: the held requests are cut, and any new one at once.
          releasing = true;
          for (const h of held) h.res.destroy();
          stalled = await second.done;
        })(),
      ]);
    } finally {
      first.child.kill('SIGKILL');
      second.child.kill('SIGKILL');
    }
  }, 600_000);

  afterAll(async () => {
    releasing = true;
    for (const h of held) h.res.destroy();
    await Promise.all([answering, silent].map((s) => new Promise((resolve) => s?.close(resolve))));
    removeDir(runsDir);
  });

  it('POSTs JSON with a Slack-compatible text for each configured event type, and nothing else', () => {
    expect(answered.code, answered.stderr.slice(-2000)).toBe(130);
    const events = readEvents(answeredDir);
    const wanted = events.filter((e) => ['session_started', 'phase_started', 'checkpoint_created', 'session_ended'].includes(e.type));
    expect(received.map((r) => r.body.event.seq).sort((a, b) => a - b)).toEqual(wanted.map((e) => e.seq));
    for (const r of received) {
      expect(r.contentType).toBe('application/json');
      expect(r.body.session_id).toBe('answered');
      // The event as the headless log tells it, after the time.
      expect(r.body.text).toBe(`megatest answered: ${headlessLine(r.body.event as unknown as MegatestEvent)!.slice('00:00:00 '.length)}`);
    }
    expect(received.find((r) => r.body.event.type === 'session_ended')?.body.text).toMatch(/^megatest answered: session ended: interrupted, exit code 130/);
  });

  it('SIGUSR1 writes a status block into session.log and the run goes on', () => {
    const log = readFileSync(path.join(answeredDir, 'session.log'), 'utf8');
    expect(log).toMatch(/INFO  \[status\] status block \(SIGUSR1\): session answered, status running, phase \w+ \(\d\/4\)/);
    // Sent at the first phase_started, maybe before any agent reported tokens: then not recorded, never a 0.
    expect(log).toMatch(/\[status\] elapsed \d+ s of 1800 s; tokens (\d+|not recorded); tool calls \d+; tasks \d+/);
    expect(log).toMatch(/\[status\]   agent-1 \(architect\) \w+ pid \d+ tokens \d+/);
    expect(eventsOf(readEvents(answeredDir), 'session_ended')).toHaveLength(1);
  });

  it('megatest restore DIR --checkpoint ID puts the session back to it', () => {
    expect(restored.code, restored.stderr).toBe(0);
    const events = readEvents(answeredDir);
    const command = eventsOf(events, 'command').find((c) => c.name === 'restore');
    expect(command?.detail).toBe(checkpointId);
    const event = eventsOf(events, 'checkpoint_restored')[0];
    expect(event?.id).toBe(checkpointId);
    expect(event!.seq).toBeGreaterThan(command!.seq);
    const created = eventsOf(events, 'checkpoint_created').find((c) => c.id === checkpointId)!;
    expect(event!.rolled_back_after_seq).toBeLessThan(created.seq);
    expect(received.some((r) => r.body.event.type === 'checkpoint_created')).toBe(true);
  });

  it('a webhook that never answers does not hold up the run: snapshots go on while every request in flight is held', () => {
    expect(stalled.code, stalled.stderr.slice(-2000)).toBe(130);
    // Written after the requests were held, while all of them still were: in order, by seq.
    expect(whileHeld.seqs.length).toBeGreaterThanOrEqual(SNAPSHOTS_WHILE_HELD);
    expect(whileHeld.seqs.every((seq) => seq > whileHeld.heldSeq)).toBe(true);
    expect(whileHeld.stillOpen).toBe(IN_FLIGHT);
    const log = readFileSync(path.join(silentDir, 'session.log'), 'utf8');
    // Cut by the test once the run was stopped: each a failure in the log (tried again, as a network error), or left
    // unsent when the end's few seconds were over; and the run ended.
    expect(log).toMatch(/WARN  \[notify\] (webhook failed for \w+: |webhook: \d+ notifications? left unsent)/);
    expect(eventsOf(readEvents(silentDir), 'session_ended')).toEqual([expect.objectContaining({ status: 'interrupted', exit_code: 130 })]);
  });
});
