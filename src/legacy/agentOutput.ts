// run_mega_test.sh ran selfware with its output tee'd into session.log,
// among the build's: selfware's own lines (its steps, tool blocks, token
// usage with --show-tokens, how its task ended) read through the parser a
// live run of selfware uses, and mapped as `megatest import` maps them
// (src/importer/eventMapper.ts), give the run's tool calls, errors, tokens
// and its task's end: counts the runner never recorded anywhere else.
//
// The file carries no times. What its lines say is known to have happened by
// the run's end, and that is where it is put; the agent starts with the run.
// A session.log in which the parser finds nothing of selfware's (no step, no
// tool call, no outcome) adds nothing: the run's figures stay "not recorded"
// rather than a count of 0 read from output that is not selfware's.

import { createSelfwareParser } from '../agents/selfware/outputParser.js';
import { SELFWARE_CAPABILITIES } from '../agents/selfware/spec.js';
import type { AgentMessage } from '../agents/types.js';
import { AgentEventMapper, type Emission } from '../importer/eventMapper.js';
import type { TimedInput } from './logEvents.js';

/** The agent the events name: the one selfware process whose output session.log holds. */
export const LEGACY_AGENT = 'selfware';
const LEGACY_ROLE = 'legacy';
/** The one task the runner gave selfware (the project's prompt), by the file it is read from, as an import names a file's task. */
export const LEGACY_TASK = 'session.log';

/** Bounds what one session.log may add to memory: a night's log with a runaway loop stays readable. */
export const MAX_AGENT_MESSAGES = 500_000;

export class LegacyAgentOutput {
  private readonly parser = createSelfwareParser();
  /**
   * Each message as its JSON text: a message's strings are slices of the
   * chunk of the file their line came from, and 60,000 of them kept an 87 MB
   * log in memory (a peak of 416 MB against 103 MB as text).
   */
  private readonly messages: string[] = [];
  private seen = false;
  /** Messages past MAX_AGENT_MESSAGES, not kept (convert.ts lists their count as damage). */
  dropped = 0;

  /** One raw line of session.log (escapes and `\r` redraws as the file has them: the parser reads them as live). */
  line(raw: string): void {
    this.keep(this.parser.line(raw));
  }

  /** The file ended: what the parser still held (an open tool block, a pending completion). */
  end(): void {
    this.keep(this.parser.end());
  }

  /** Whether any line was selfware's own (anything but plain output). */
  get found(): boolean {
    return this.seen;
  }

  /**
   * The agent's events: it starts at startMs, with the run; all it did is at
   * endMs. `ended`: the run is over (the agent exited with it); a run still
   * going leaves it working.
   */
  events(span: { startMs: number; endMs: number; phase: string; ended: boolean }): TimedInput[] {
    if (!this.found) return [];
    const mapper = new AgentEventMapper(
      { name: LEGACY_AGENT, role: LEGACY_ROLE, task: LEGACY_TASK, phase: span.phase, capabilities: SELFWARE_CAPABILITIES },
      new Set<string>(),
    );
    const out: TimedInput[] = [];
    const add = (emissions: Emission[]) => {
      // The log's lines are the raw ones already (session.log is the log): only the events are added.
      for (const emission of emissions) if ('event' in emission) out.push({ ms: emission.ms, input: emission.event });
    };
    add(mapper.start(span.startMs));
    add(mapper.take(this.messages.map((text) => JSON.parse(text) as AgentMessage), span.endMs));
    if (span.ended) {
      const verdict = mapper.verdict;
      add(mapper.end(span.endMs, verdict === 'no_outcome' ? 'session.log ends without selfware saying how its task ended' : `session.log: selfware's task ${verdict === 'max_turns' ? 'stopped at its turn limit' : verdict}`));
    }
    return out;
  }

  private keep(messages: AgentMessage[]): void {
    for (const message of messages) {
      if (message.type !== 'output') this.seen = true;
      // A step is a sign of life at its time; with no times, thousands of them at the run's end would say nothing.
      if (message.type === 'output' || message.type === 'step') continue;
      if (this.messages.length >= MAX_AGENT_MESSAGES) this.dropped += 1;
      else this.messages.push(JSON.stringify(message));
    }
  }
}
