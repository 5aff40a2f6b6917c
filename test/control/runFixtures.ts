// Run folders made up on the fly for the session and control tests.

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SessionMetrics } from '../../src/contract/metrics.js';

/** The pid of a process that has exited. */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid;
}

export function makeRun(
  runsDir: string,
  id: string,
  options: {
    createdAt?: string;
    status?: string;
    control?: { pid: number; port?: number; host?: string };
    metrics?: SessionMetrics;
    checkpoints?: Record<string, unknown>;
  } = {},
): string {
  const dir = path.join(runsDir, id);
  mkdirSync(path.join(dir, 'checkpoints'), { recursive: true });
  writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      session_id: id,
      created_at: options.createdAt ?? '2025-01-01T00:00:00.000Z',
      agent_kind: 'sim',
      simulated: true,
      config: { session: { duration_seconds: 3600 } },
      template: { type: 'task_queue' },
    }),
  );
  writeFileSync(path.join(dir, 'status'), `${options.status ?? 'running'}\n`);
  writeFileSync(path.join(dir, 'events.jsonl'), '');
  if (options.control) {
    writeFileSync(
      path.join(dir, 'control.json'),
      JSON.stringify({ pid: options.control.pid, host: options.control.host ?? '127.0.0.1', port: options.control.port ?? 1, started_at: new Date().toISOString() }),
    );
    writeFileSync(path.join(dir, 'control.token'), 'f'.repeat(64) + '\n', { mode: 0o600 });
  }
  if (options.metrics) writeFileSync(path.join(dir, 'metrics_current.json'), JSON.stringify(options.metrics));
  for (const [name, content] of Object.entries(options.checkpoints ?? {})) {
    writeFileSync(path.join(dir, 'checkpoints', name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}
