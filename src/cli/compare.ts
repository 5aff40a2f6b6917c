// `megatest compare A B [C…] [--format md|json] [--runs-dir D]`: runs side by
// side, megatest's or the original runner's, each read through the one fold
// and its report (nothing is written into any run folder).

import { UsageError } from '../config/errors.js';
import { RunFileReadError } from '../io/readError.js';
import { renderCompareMarkdown } from '../compare/render.js';
import { compareRuns, type CompareRunInput } from '../compare/viewModel.js';
import { existsSync } from 'node:fs';
import { foldRunFolder, missingLog } from '../io/foldLog.js';
import { runPaths } from '../io/runFolder.js';
import { isLegacyRunFolder } from '../legacy/detect.js';
import { countOf } from '../state/groupDigits.js';
import { buildReport } from '../report/build.js';
import { parseCommandArgs, runFolderArg } from './commandArgs.js';
import { runsDirFor } from './runsDir.js';

export const COMPARE_HELP = `usage: megatest compare RUN RUN [RUN…] [--format md|json] [--runs-dir DIR]
  Shows runs side by side: duration, tokens, tokens/LOC, tool calls/task, pass
  rate, coverage, lines of code, errors, recoveries, checkpoints, cost where
  recorded, and each success criterion, with each run's delta against the
  first and whether it is better. Tokens/LOC, tool calls/task and coverage are
  rated by the seed's bands (acceptable, good, excellent; below under the
  first). RUN is a run folder (megatest's, or a legacy folder of
  test_runner.py / run_mega_test.sh) or a session id under DIR (default
  test_runs). A note line says when a run built another project than the base,
  was planned for another length, or is the same run given twice.`;

export async function compareCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('compare', argv, {
    format: { type: 'string' },
    'runs-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(COMPARE_HELP + '\n');
    return 0;
  }
  const format = values.format ?? 'md';
  if (format !== 'md' && format !== 'json') throw new UsageError(`megatest compare: --format ${JSON.stringify(format)}: use md or json`);
  if (positionals.length < 2) throw new UsageError('megatest compare: expected at least two runs (see megatest compare --help)');
  const runsDir = await runsDirFor('compare', values['runs-dir']);
  const dirs = positionals.map((arg) => runFolderArg('compare', arg, runsDir));
  const inputs: CompareRunInput[] = [];
  for (const [index, dir] of dirs.entries()) {
    const name = positionals[index]!;
    const events = runPaths(dir).events;
    const legacy = isLegacyRunFolder(dir);
    // A megatest folder with no event log, or none with a session in it, has no figures: compared, it showed as
    // "starting" with every count 0 and exit 0, read as a run that did nothing. Refused as `report` refuses it.
    if (!legacy && !existsSync(events)) throw missingLog(events, `megatest compare: ${name}`, 'nothing to compare');
    try {
      const folded = await foldRunFolder(dir);
      if (folded.legacy === null && folded.state.session === null) {
        const unreadable = folded.unreadable > 0 ? `${countOf(folded.unreadable, 'unreadable line')}, ` : '';
        throw new UsageError(`${events}: ${unreadable}no session_started event: nothing to compare`);
      }
      inputs.push({ name, state: folded.state, report: await buildReport(dir, folded) });
    } catch (error) {
      // A file the disk would not give back (a FIFO events.jsonl, EIO): exit 1, as status and report say it, not bad input.
      if (error instanceof RunFileReadError) throw new RunFileReadError(`megatest compare: ${name}: ${error.message}`, error.file, error.code);
      // a megatest folder whose config.json cannot be read, or with no session in its log: bad input, named
      throw new UsageError(`megatest compare: ${name}: ${(error as Error).message}`);
    }
  }
  const view = compareRuns(inputs);
  process.stdout.write(format === 'json' ? JSON.stringify(view, null, 2) + '\n' : renderCompareMarkdown(view));
  return 0;
}
