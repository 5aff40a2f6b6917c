// Helpers for the agreement tests (test/e2e/agreement.test.ts,
// test/e2e/console.restore.tmux.test.ts): read the figures the console shows
// off a screen (tmux capture-pane or an Ink frame, without styling), run
// `megatest status --json`, and fold events.jsonl the way every view does.

import type { SessionMetrics } from '../../src/contract/metrics.js';
import { foldAll } from '../../src/state/fold.js';
import type { RunState } from '../../src/state/runState.js';
import { readEvents, runCli } from './cli.js';

/** What `megatest status DIR --json` prints (src/cli/controlCommands.ts StatusView). */
export interface StatusJson {
  session_id: string;
  running: boolean;
  status: string;
  phase: string | null;
  metrics: SessionMetrics | null;
}

export async function statusJson(runDir: string): Promise<StatusJson> {
  const result = await runCli(['status', runDir, '--json'], { timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`megatest status ${runDir} --json exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as StatusJson;
}

/** The one fold over the run folder's events.jsonl. */
export function foldRun(runDir: string): RunState {
  return foldAll(readEvents(runDir));
}

/** The header's second line (src/ui/components/Header.tsx), read off a screen. */
export interface HeaderFigures {
  /** "1m02s" as drawn (formatDuration). */
  elapsed: string;
  /** "1m30s" */
  total: string;
  /** "phase 2/4 development" → 2, 4, development; null when the header shows no phase. */
  phaseNumber: number | null;
  phaseCount: number | null;
  phase: string | null;
  /** "1.23M" as drawn (formatCount of the total tokens). */
  tokens: string | null;
  checkpoints: number | null;
  errors: number | null;
  line: string;
}

// "plan 11%" once a restore puts the plan well behind the clock (header.ts)
const PROGRESS = /^(\S+) \/ (\S+)\s+(?:plan )?\d+%/;

export function headerFigures(screen: string): HeaderFigures | null {
  const line = screen.split('\n').find((l) => PROGRESS.test(l.trimStart()));
  if (line === undefined) return null;
  const progress = PROGRESS.exec(line.trimStart())!;
  const phase = /\bphase (\d+)\/(\d+) (\S+)/.exec(line);
  const counts = /(\d+) err\s+(\S+) tok\s+(\d+) ckpt/.exec(line);
  return {
    elapsed: progress[1]!,
    total: progress[2]!,
    phaseNumber: phase ? Number(phase[1]) : null,
    phaseCount: phase ? Number(phase[2]) : null,
    phase: phase ? phase[3]! : null,
    tokens: counts ? counts[2]! : null,
    checkpoints: counts ? Number(counts[3]) : null,
    errors: counts ? Number(counts[1]) : null,
    line,
  };
}

/** The "lines of code" chart's latest figure as drawn ("412", "1.23k"); null when the chart is not on screen. */
export function locChartFigure(screen: string): string | null {
  const match = /lines of code (\S+)/.exec(screen);
  if (!match || match[1] === 'not') return null;
  return match[1]!;
}

/**
 * The agent grid's "tools" cells, by agent name, read off a screen whose
 * grid header line names the columns (src/ui/viewModels/agentTable.ts).
 * Cells are located by the header's column positions; right-aligned
 * columns end where their title ends.
 */
export function agentToolCells(screen: string): Map<string, string> | null {
  const lines = screen.split('\n');
  const headerIndex = lines.findIndex((l) => /\bagent\b/.test(l) && /\btools\b/.test(l) && /\btokens\b/.test(l));
  if (headerIndex < 0) return null;
  const header = lines[headerIndex]!;
  const toolsEnd = header.indexOf('tools') + 'tools'.length;
  const tokensEnd = header.indexOf('tokens') + 'tokens'.length;
  const cells = new Map<string, string>();
  for (const line of lines.slice(headerIndex + 1)) {
    const name = /\b(agent-\d+)\b/.exec(line);
    if (!name) break;
    cells.set(name[1]!, line.slice(tokensEnd, toolsEnd).trim());
  }
  return cells;
}
