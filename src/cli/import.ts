// `megatest import --agent KIND FILE...`: recorded agent output (a session
// that ran without megatest) made into a run folder that status, report,
// compare and replay read like any run's (src/importer/, docs/import.md).

import path from 'node:path';
import { agentKindProblem } from './flagValues.js';
import { UsageError } from '../config/errors.js';
import { IMPORT_KINDS, isImportKind, KIND_FILES } from '../importer/kinds.js';
import { parseCommandArgs } from './commandArgs.js';
import { countOf } from '../state/groupDigits.js';
import { isLegacyRunFolder, legacyRunner } from '../legacy/detect.js';
import { runsDirChoiceFor, runsDirNaming } from './runsDir.js';

export const IMPORT_HELP = `usage: megatest import --agent selfware|claude-code|codex|command FILE...
                       [--runs-dir D] [--session-id ID]

  Turns recorded agent output into a run folder (events.jsonl, session.log,
  metrics, agents/<name>/output.log, the report), one FILE per agent
  (agent-1, agent-2, … in the order given), read with the same parser a live
  run of that kind uses:
    selfware     ${KIND_FILES.selfware}
    claude-code  ${KIND_FILES['claude-code']}
    codex        ${KIND_FILES.codex}
    command      ${KIND_FILES.command}
  Times are the stream's own timestamps where it has them; otherwise line
  order on a synthetic clock (1 ms per line, ending at the file's modification
  time), and the report says which. Nothing of a project is built or measured:
  the report judges the recording on its errors, its tasks and its event log,
  and leaves the build, tests, coverage, lines of code and checkpoints not
  judged.

options:
  --agent KIND       the kind that wrote the files (required)
  --runs-dir D       where the run folder goes (default test_runs)
  --session-id ID    the run folder's name (default
                     import-YYYYMMDD-HHMMSS-xxxx); must not exist

Then: megatest report DIR, megatest replay DIR, megatest status DIR.`;

const OPTIONS = {
  agent: { type: 'string' },
  'runs-dir': { type: 'string' },
  'session-id': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function importCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('import', argv, OPTIONS);
  if (values.help) {
    process.stdout.write(IMPORT_HELP + '\n');
    return 0;
  }
  // A folder of the original runner is read as it is (src/legacy/): it said "--agent is required", as if to import it.
  const legacy = positionals.find((arg) => isLegacyRunFolder(arg));
  if (legacy !== undefined) {
    const runner = legacyRunner(legacy);
    const by = runner === 'bash' ? 'run_mega_test.sh' : runner === 'python' ? 'test_runner.py' : 'the original runner';
    throw new UsageError(`megatest import: ${legacy} is a run folder of ${by}, which needs no import: megatest report ${legacy} and megatest replay ${legacy} read it as it is`);
  }
  const kind = values.agent;
  if (kind === undefined) throw new UsageError(`megatest import: --agent is required: ${IMPORT_KINDS.join(', ')} (see megatest import --help)`);
  if (!isImportKind(kind)) throw new UsageError(`megatest import: ${agentKindProblem(kind, IMPORT_KINDS)}`);
  const { importRecordedRun } = await import('../importer/importRun.js');
  const runsDir = await runsDirChoiceFor('import', values['runs-dir']);
  const result = await importRecordedRun({
    kind,
    files: positionals,
    runsDir: runsDir.dir,
    runsDirNaming: runsDirNaming(runsDir),
    sessionId: values['session-id'],
  });
  const m = result.report.measurements;
  // What the stream said it cost (Claude Code's total_cost_usd), the report's figure; nothing where none said.
  const cost = m.cost_usd === null ? '' : `, cost $${m.cost_usd.toFixed(4)}`;
  const timelines = result.imported.files.map((f) => `${f.agent} ${f.timeline === 'stream' ? "stream's own times" : 'line order (not time)'}`).join(', ');
  process.stdout.write(
    [
      `imported ${countOf(result.imported.files.length, `${kind} file`)} into ${result.runDir}`,
      `  ${countOf(m.tool_calls ?? 0, 'tool call')}, ${m.total_tokens === null ? 'tokens not recorded (no usage in the output)' : countOf(m.total_tokens, 'token')}${cost}, ${countOf(result.report.reliability.errors ?? 0, 'error')}; ${result.status} (exit code ${result.exitCode}): ${result.reason}`,
      `  timeline: ${timelines}`,
      `  report: ${result.runDir}/final_report.md; replay: megatest replay ${result.runDir}`,
    ].join('\n') + '\n',
  );
  // On stderr, so stdout stays the summary; the same lines are in session.log.
  for (const warning of result.warnings) process.stderr.write(`megatest import: warning: ${warning}\n`);
  if (result.earlierImports.length > 0) {
    const earlier = result.earlierImports.map((id) => path.join(path.dirname(result.runDir), id)).join(', ');
    const what = result.imported.files.length === 1 ? 'this file, at this size, was' : 'these files, at these sizes, were';
    process.stderr.write(
      `megatest import: note: ${what} imported before, into ${earlier}: the folders hold one recording, and ls and compare show each as a run; rm -r the one not wanted\n`,
    );
  }
  return 0;
}
