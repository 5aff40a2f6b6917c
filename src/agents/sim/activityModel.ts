// What one sim agent's work looks like, statistically: token counts per
// model call and tool calls with their durations and outcomes, drawn from
// its seeded random stream (so a seed replays the same session).

import { lognormalMean, Random } from './random.js';

const INPUT_MEDIAN = 3000;
const INPUT_SIGMA = 0.6;
const OUTPUT_MEDIAN = 300;
const OUTPUT_SIGMA = 0.7;
/** Token events a minute at least, so a low token rate still shows up as a trickle rather than one lump. */
const MIN_TOKEN_EVENTS_PER_MINUTE = 30;
const TOOLS: readonly (readonly [string, number])[] = [
  ['read_file', 30],
  ['edit_file', 18],
  ['search', 15],
  ['shell', 14],
  ['run_tests', 10],
  ['write_file', 13],
];
const TOOL_MEDIAN_MS: Record<string, number> = {
  read_file: 12,
  edit_file: 25,
  search: 60,
  shell: 400,
  run_tests: 2200,
  write_file: 15,
};

export interface ToolCall {
  tool: string;
  ok: boolean;
  duration_ms: number;
}

export class ActivityModel {
  private readonly random: Random;
  /** Scales token draws down so a low token rate still makes MIN_TOKEN_EVENTS_PER_MINUTE events. */
  private readonly tokenScale: number;

  constructor(seed: number, agentName: string, tokensPerMinute: number) {
    this.random = Random.from('events', seed, agentName);
    const meanEvent = lognormalMean(INPUT_MEDIAN, INPUT_SIGMA) + lognormalMean(OUTPUT_MEDIAN, OUTPUT_SIGMA);
    this.tokenScale = Math.min(1, tokensPerMinute / (MIN_TOKEN_EVENTS_PER_MINUTE * meanEvent));
  }

  /** The tokens of the next model call. */
  drawTokens(): { input: number; output: number } {
    return {
      input: Math.max(1, Math.round(this.random.lognormal(INPUT_MEDIAN, INPUT_SIGMA) * this.tokenScale)),
      output: Math.max(1, Math.round(this.random.lognormal(OUTPUT_MEDIAN, OUTPUT_SIGMA) * this.tokenScale)),
    };
  }

  toolDuration(tool: string): number {
    return Math.max(1, Math.round(this.random.lognormal(TOOL_MEDIAN_MS[tool] ?? 50, 0.8)));
  }

  /** A tool call of the agent's own choosing (not a file write of a finished task). */
  drawToolCall(): ToolCall {
    const tool = this.random.weighted(TOOLS);
    const ok = this.random.chance(tool === 'run_tests' ? 0.85 : 0.95);
    return { tool, ok, duration_ms: this.toolDuration(tool) };
  }
}
