// What an agent says, turned into events: each message the adapter passes
// on is vetted (agentInput.ts), recorded as its event (tool call, tokens,
// state, task done, vote, retry), and what is not the pool's business (an
// error, progress, a context report, a crash) is handed to the pool's hooks.
// A replaced process still draining is not heard; malformed lines are
// counted, not recovered from.

import type { AgentAdapter, AgentExit, AgentMessage } from '../agents/types.js';
import { retryText } from '../agents/retryText.js';
import { assertNever } from '../contract/assertNever.js';
import { vetAgentMessage } from './agentInput.js';
import type { AgentPoolHooks, WorkDirs } from './agentPool.js';
import type { AgentSlot } from './agentSlot.js';
import type { EngineContext } from './context.js';
import type { ParseFailureReporter } from './parseFailures.js';

export class AgentMessageEvents {
  /** workDirs: the pool's worktree isolation as it is now (null: every agent works in project/). */
  constructor(
    private readonly ctx: EngineContext,
    private readonly hooks: AgentPoolHooks,
    private readonly parseFailures: ParseFailureReporter,
    private readonly workDirs: () => WorkDirs | null,
  ) {}

  onMessage(slot: AgentSlot, adapter: AgentAdapter, said: AgentMessage): void {
    if (slot.adapter !== adapter) return; // a replaced process still draining
    const now = Date.now();
    slot.lastOutputMs = now;
    slot.hungReported = false;
    slot.silentReported = false;
    const ctx = this.ctx;
    const vetted = vetAgentMessage(said, { assigned: slot.assignedTasks, isDone: (task) => ctx.completedTasks().has(task) });
    if (!vetted.ok) {
      this.parseFailures.record(slot.name, vetted.failure);
      return;
    }
    const message = vetted.message;
    switch (message.type) {
      case 'tool_call':
        ctx.emit({ type: 'tool_call', agent: slot.name, tool: message.tool, ok: message.ok, duration_ms: message.duration_ms });
        slot.windowToolCalls.add(now);
        if (message.ok) this.hooks.onProgress(slot);
        break;
      case 'tokens':
        ctx.emit({
          type: 'tokens',
          agent: slot.name,
          input: message.input,
          output: message.output,
          model: message.model,
          ...(message.cost_usd === undefined ? {} : { cost_usd: message.cost_usd }),
        });
        slot.windowTokens.add(now, message.input + message.output);
        // A model call that came back is progress as much as a tool call is; a cost-only report (0 tokens) is not.
        if (message.input + message.output > 0) this.hooks.onProgress(slot);
        break;
      case 'state':
        ctx.emit({ type: 'agent_state', agent: slot.name, status: message.status, task: message.task });
        // On the session's schedule clock, which stops while the session is paused: a pause is no idle time of the agent's.
        slot.idleSinceMs = message.status === 'idle' ? (slot.idleSinceMs ?? ctx.scheduleMs(now)) : null;
        break;
      case 'task_done':
        this.taskDone(slot, message.task);
        slot.compressionHopeless = false;
        this.hooks.onProgress(slot, 'task done');
        break;
      case 'context':
        slot.contextTokens = message.tokens;
        slot.contextReports += 1;
        this.hooks.onContext(slot, message.tokens);
        break;
      case 'error':
        this.hooks.onError(slot, message);
        break;
      case 'vote':
        ctx.emit({ type: 'vote', agent: slot.name, topic: message.topic, choice: message.choice });
        break;
      case 'retry':
        // The agent retries a model call by itself: recorded (transient), not a recovery of megatest's.
        ctx.emit({ type: 'error', class: 'llm_retry', severity: 'transient', agent: slot.name, message: retryText(message) });
        break;
      case 'parse_failure':
        this.parseFailures.record(slot.name, message);
        break;
      case 'output':
      case 'step':
      case 'session':
      case 'outcome':
        // The line is in output.log; a step is a sign of life (lastOutputMs); the adapter keeps the
        // session for resume and has already turned the outcome into task_done or error.
        break;
      default:
        assertNever(message, 'agent message');
    }
  }

  /** A task the agent finished: done now, or (worktree isolation) once its work is merged into project/. */
  private taskDone(slot: AgentSlot, task: string): void {
    const workDirs = this.workDirs();
    if (workDirs) {
      workDirs.taskDone(slot, task);
    } else if (!this.ctx.completedTasks().has(task)) {
      this.ctx.emit({ type: 'task_completed', agent: slot.name, task, phase: this.ctx.currentPhase.name });
    }
  }

  onExit(slot: AgentSlot, adapter: AgentAdapter, exit: AgentExit): void {
    if (slot.adapter !== adapter && !slot.expectingExit) return;
    const expected = slot.expectingExit || this.ctx.stopRequest !== null;
    this.ctx.emit({
      type: 'agent_exited',
      agent: slot.name,
      code: exit.code,
      signal: exit.signal,
      cause: expected ? 'stopped by megatest' : exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`,
    });
    if (expected || slot.adapter !== adapter) return;
    slot.adapter = null;
    // Its last stderr lines say why, as often as not ("/bin/sh: 1: claude-x: not found" for an exit 127).
    const said = exit.stderrClue === undefined ? '' : `; stderr: ${exit.stderrClue}`;
    this.hooks.onCrash(slot, `${exit.signal ? `agent process killed by ${exit.signal}` : `agent process exited with code ${exit.code}`}${said}`);
  }
}
