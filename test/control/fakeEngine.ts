// A stand-in for the orchestrator's EngineControl: serializes its actions
// with a promise-chain mutex (as the engine does) and records every call.

import { ControlError, type EngineControl, type StatusSnapshot } from '../../src/contract/control.js';
import type { CommandSource, MegatestEvent } from '../../src/contract/events.js';
import type { AgentMetrics, SessionMetrics } from '../../src/contract/metrics.js';

export function sampleAgent(name: string, overrides: Partial<AgentMetrics> = {}): AgentMetrics {
  return {
    name,
    role: 'developer',
    status: 'working',
    task: 'write the queue',
    model: 'sim-1',
    tokens: 1234,
    tool_calls: 56,
    utilization: 0.75,
    trust_score: 0.96,
    idle_seconds: 3,
    context_tokens: 20_000,
    max_context_tokens: 200_000,
    ...overrides,
  };
}

export function sampleMetrics(overrides: Partial<SessionMetrics> = {}): SessionMetrics {
  return {
    session_id: 'fake-session',
    timestamp: '2025-01-02T03:04:05.000Z',
    elapsed_seconds: 754,
    estimated_remaining: 20_846,
    phase: 'development',
    status: 'running',
    total_tokens: 98_765,
    tokens_per_minute: 4321.5,
    tasks_completed: 12,
    tasks_remaining: 8,
    test_pass_rate: 0.975,
    tests_passed: 117,
    tests_failed: 3,
    lines_of_code: 3456,
    test_coverage: 81.25,
    doc_coverage: null,
    files_modified: 42,
    tool_calls: 789,
    checkpoint_count: 6,
    errors_encountered: 2,
    recoveries: 1,
    consensus_votes_cast: 4,
    memory_usage_mb: 256.5,
    disk_usage_bytes: 1_048_576,
    agents: [sampleAgent('agent-1'), sampleAgent('agent "2"\\x', { role: 'tester', status: 'idle', model: null, tokens: 10, trust_score: 1 })],
    ...overrides,
  };
}

export interface Call {
  action: string;
  source: CommandSource;
  arg?: string;
}

export class FakeEngine implements EngineControl {
  calls: Call[] = [];
  stopped = false;
  paused = false;
  checkpoints = 0;
  seq = 0;
  metricsValue: SessionMetrics | null = sampleMetrics();
  /** What the agents said the work cost (status's cost_usd): none by default, as the sim reports none. */
  costUsd: number | null = null;
  /** Makes the next status() throw a plain Error (a bug in the engine). */
  failStatus = false;
  private chain: Promise<unknown> = Promise.resolve();

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const result = this.chain.then(work);
    this.chain = result.catch(() => undefined);
    return result;
  }

  private event(body: Record<string, unknown>): MegatestEvent {
    this.seq += 1;
    return { seq: this.seq, ts: new Date().toISOString(), ...body } as unknown as MegatestEvent;
  }

  status(): StatusSnapshot {
    if (this.failStatus) throw new Error('status exploded');
    return {
      session_id: 'fake-session',
      project: 'task_queue',
      agent_kind: 'sim',
      simulated: true,
      status: this.stopped ? 'interrupted' : this.paused ? 'paused' : 'running',
      phase: 'development',
      started_at: '2025-01-02T02:51:31.000Z',
      duration_seconds: 21_600,
      metrics: this.metricsValue,
      last_checkpoint:
        this.checkpoints === 0
          ? null
          : {
              id: `checkpoint_${String(this.checkpoints).padStart(3, '0')}`,
              timestamp: '2025-01-02T03:00:00.000Z',
              phase: 'development',
              trigger: 'forced',
              files: 10,
              bytes: 2048,
              lines_of_code: 3456,
              test_pass_rate: 0.975,
              valid: true,
            },
      pid: process.pid,
      cost_usd: this.costUsd,
    };
  }

  metrics(): SessionMetrics | null {
    return this.metricsValue;
  }

  checkpoint(source: CommandSource): Promise<MegatestEvent> {
    return this.serialize(async () => {
      // a yield inside the critical section: without the mutex two callers
      // would read the same counter
      const next = this.checkpoints + 1;
      await new Promise((resolve) => setImmediate(resolve));
      this.checkpoints = next;
      this.calls.push({ action: 'checkpoint', source });
      const id = `checkpoint_${String(next).padStart(3, '0')}`;
      return this.event({ type: 'checkpoint_created', id, trigger: 'forced', files: 10, bytes: 2048, ms: 5, phase: 'development' });
    });
  }

  compress(agent: string | undefined, source: CommandSource): Promise<MegatestEvent[]> {
    return this.serialize(async () => {
      this.calls.push({ action: 'compress', source, arg: agent });
      const names = ['agent-1', 'agent-2'];
      if (agent !== undefined && !names.includes(agent)) throw new ControlError(`unknown agent ${JSON.stringify(agent)}`, 404);
      return (agent === undefined ? names : [agent]).map((name) => this.event({ type: 'compress', agent: name, tokens_before: 20_000, tokens_after: 2_000 }));
    });
  }

  restore(checkpointId: string, source: CommandSource): Promise<MegatestEvent> {
    return this.serialize(async () => {
      this.calls.push({ action: 'restore', source, arg: checkpointId });
      if (this.stopped) throw new ControlError('cannot restore: the session is stopping', 409);
      if (checkpointId === 'checkpoint_999') throw new ControlError('no such checkpoint checkpoint_999', 404);
      return this.event({ type: 'checkpoint_restored', id: checkpointId, rolled_back_after_seq: 10, ms: 12 });
    });
  }

  pause(source: CommandSource): Promise<MegatestEvent> {
    return this.serialize(async () => {
      this.calls.push({ action: 'pause', source });
      if (this.paused) throw new ControlError('the session is already paused', 409);
      this.paused = true;
      return this.event({ type: 'command', name: 'pause', source });
    });
  }

  resume(source: CommandSource): Promise<MegatestEvent> {
    return this.serialize(async () => {
      this.calls.push({ action: 'resume', source });
      if (!this.paused) throw new ControlError('the session is running, not paused', 409);
      this.paused = false;
      return this.event({ type: 'command', name: 'continue', source });
    });
  }

  stop(source: CommandSource): Promise<MegatestEvent> {
    return this.serialize(async () => {
      this.calls.push({ action: 'stop', source });
      if (this.stopped) throw new ControlError('cannot stop: the session is stopping', 409);
      this.stopped = true;
      return this.event({ type: 'command', name: 'stop', source });
    });
  }
}
