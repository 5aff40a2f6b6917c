import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_GAUGES, SESSION_GAUGES, renderPrometheus } from '../../src/control/prometheus.js';
import { startControlServer } from '../../src/control/server.js';
import { SESSION_STATUSES } from '../../src/contract/events.js';
import { FakeEngine, sampleAgent, sampleMetrics } from './fakeEngine.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A small parser of the Prometheus text exposition format (0.0.4). */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string>; help: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (meta?.[1] === 'TYPE') types.set(meta[2]!, meta[3]!);
      else if (meta?.[1] === 'HELP') help.set(meta[2]!, meta[3]!);
      continue;
    }
    const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (!head) throw new Error(`bad sample line: ${line}`);
    const name = head[1]!;
    let i = name.length;
    const labels: Record<string, string> = {};
    if (line[i] === '{') {
      i += 1;
      while (line[i] !== '}') {
        const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
        if (!labelName) throw new Error(`bad label at ${i} in ${line}`);
        i += labelName[0].length;
        if (line[i] !== '=' || line[i + 1] !== '"') throw new Error(`expected =" at ${i} in ${line}`);
        i += 2;
        let value = '';
        while (line[i] !== '"') {
          if (i >= line.length) throw new Error(`unterminated label value in ${line}`);
          if (line[i] === '\\') {
            const next = line[i + 1];
            value += next === 'n' ? '\n' : next === '\\' ? '\\' : next === '"' ? '"' : `\\${next}`;
            i += 2;
          } else {
            value += line[i];
            i += 1;
          }
        }
        i += 1;
        labels[labelName[0]] = value;
        if (line[i] === ',') i += 1;
      }
      i += 1;
    }
    const rest = line.slice(i).trim().split(/\s+/);
    const raw = rest[0]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : raw === 'NaN' ? NaN : Number(raw);
    if (raw === '' || (Number.isNaN(value) && raw !== 'NaN')) throw new Error(`bad value in ${line}`);
    samples.push({ name, labels, value });
  }
  return { samples, types, help };
}

function only(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

describe('renderPrometheus', () => {
  it('exposes every SessionMetrics figure, labelled session_id, and parses back to the same numbers', async () => {
    const metrics = sampleMetrics();
    const { samples, types, help } = parseExposition(await renderPrometheus(metrics, 'sess-1'));
    expect(samples.every((s) => s.labels.session_id === 'sess-1')).toBe(true);
    for (const [field, name] of SESSION_GAUGES) {
      const found = only(samples, name);
      const expected = metrics[field];
      expect(types.get(name), name).toBe('gauge');
      expect(help.get(name), name).toBeTruthy();
      if (expected === null) expect(found, `${name} is not measured yet`).toHaveLength(0);
      else expect(found.map((s) => s.value), name).toEqual([expected]);
    }
    expect(only(samples, 'megatest_metrics_timestamp_seconds')[0]!.value).toBe(Date.parse(metrics.timestamp) / 1000);
    expect(only(samples, 'megatest_phase')).toEqual([{ name: 'megatest_phase', labels: { session_id: 'sess-1', phase: 'development' }, value: 1 }]);
    const statuses = only(samples, 'megatest_status');
    expect(statuses.map((s) => s.labels.status).sort()).toEqual([...SESSION_STATUSES].sort());
    expect(statuses.filter((s) => s.value === 1).map((s) => s.labels.status)).toEqual(['running']);
  });

  it('exposes every per-agent figure labelled agent, escaping odd names', async () => {
    const metrics = sampleMetrics();
    const { samples } = parseExposition(await renderPrometheus(metrics, 'sess-1'));
    for (const agent of metrics.agents) {
      for (const [field, name] of AGENT_GAUGES) {
        expect(only(samples, name, { agent: agent.name }).map((s) => s.value), `${name} ${agent.name}`).toEqual([agent[field]]);
      }
      expect(only(samples, 'megatest_agent_info', { agent: agent.name })[0]!.labels).toEqual({
        session_id: 'sess-1',
        agent: agent.name,
        role: agent.role,
        status: agent.status,
        model: agent.model ?? '',
      });
    }
  });

  it('an agent that never reported its context (selfware, codex) has no context sample, never a 0', async () => {
    const metrics = sampleMetrics({ agents: [sampleAgent('reports', { context_tokens: 1200 }), sampleAgent('silent', { context_tokens: null })] });
    const { samples } = parseExposition(await renderPrometheus(metrics, 's'));
    expect(only(samples, 'megatest_agent_context_tokens').map((s) => [s.labels.agent, s.value])).toEqual([['reports', 1200]]);
    expect(only(samples, 'megatest_agent_max_context_tokens')).toHaveLength(2);
  });

  it('starts from a clean registry on every scrape: an agent gone is gone', async () => {
    const before = parseExposition(await renderPrometheus(sampleMetrics({ agents: [sampleAgent('a'), sampleAgent('b')] }), 's'));
    expect(only(before.samples, 'megatest_agent_tokens')).toHaveLength(2);
    const after = parseExposition(await renderPrometheus(sampleMetrics({ agents: [sampleAgent('a', { tokens: 7 })], status: 'paused' }), 's'));
    expect(only(after.samples, 'megatest_agent_tokens').map((s) => [s.labels.agent, s.value])).toEqual([['a', 7]]);
    expect(only(after.samples, 'megatest_status').filter((s) => s.value === 1).map((s) => s.labels.status)).toEqual(['paused']);
  });

  it('is what GET /metrics serves, with the Prometheus content type', async () => {
    const runDir = mkdtempSync(path.join(tmpdir(), 'megatest-prom-'));
    const engine = new FakeEngine();
    const server = await startControlServer({ engine, runDir, port: 0, onWarning: () => undefined });
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { authorization: `Bearer ${server.token}` } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const { samples } = parseExposition(await response.text());
      expect(only(samples, 'megatest_lines_of_code', { session_id: 'fake-session' })[0]!.value).toBe(3456);
      // No agent reported a cost: no sample, never a 0.
      expect(only(samples, 'megatest_reported_cost_usd')).toEqual([]);
      engine.costUsd = 0.3827;
      const costed = await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { authorization: `Bearer ${server.token}` } });
      expect(only(parseExposition(await costed.text()).samples, 'megatest_reported_cost_usd')).toEqual([
        { name: 'megatest_reported_cost_usd', labels: { session_id: 'fake-session' }, value: 0.3827 },
      ]);

      engine.metricsValue = null;
      const empty = await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { authorization: `Bearer ${server.token}` } });
      expect(empty.status).toBe(200);
      expect(parseExposition(await empty.text()).samples).toEqual([]);
    } finally {
      await server.close();
      rmSync(runDir, { recursive: true, force: true });
    }
  });
});
