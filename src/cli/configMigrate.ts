// `megatest config migrate OLD.toml`: prints OLD.toml in megatest's current
// form (src/config/migrate.ts) on stdout; what it left out and why is in the
// printed file's header comments. Writes nothing.

import { UsageError } from '../config/errors.js';
import { statSync } from 'node:fs';
import path from 'node:path';
import { isLegacyRunFolder, legacyRunner } from '../legacy/detect.js';
import { COMMENTS_NOT_KEPT, migrateConfigFile, refuseOutputOntoInput } from '../config/migrate.js';

// COMMENTS_NOT_KEPT (one sentence, also the migrated file's header line) is
// broken at its last space within the line, so the help fits 80 columns.
const HELP = `usage: megatest config migrate OLD.toml   (or --config OLD.toml)
  Prints OLD.toml in megatest's current form: the original runner's
  mega_test_config.toml (or a file of megatest's earlier form) with today's key
  names, keys megatest does not act on left out (listed with the reason in the
  header), and values in megatest's spelling.
  ${COMMENTS_NOT_KEPT.replace(/^(.{1,76}) /, '$1\n  ')}
  Writes nothing; redirect it to another file (never OLD.toml itself: the
  shell empties it first, and megatest refuses):
    megatest config migrate mega_test_config.toml > megatest.toml`;

export async function configMigrateCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  // `--config OLD.toml`, as config check and run take the file, is OLD.toml (it was "unknown option --config").
  const given = argv;
  argv = given.flatMap((arg, i) => (arg === '--config' ? [] : given[i - 1] === '--config' ? [arg] : arg.startsWith('--config=') ? [arg.slice('--config='.length)] : [arg]));
  const emptyConfig = given.some((arg, i) => arg === '--config=' || (given[i - 1] === '--config' && arg === ''));
  if (given.at(-1) === '--config' || emptyConfig) throw new UsageError('megatest config migrate: --config needs a value: the OLD.toml file');
  const options = argv.filter((arg) => arg.startsWith('-'));
  if (options.length > 0) {
    // The original runner's spellings of the config option (config check and run hint --config for them): here the file is the argument.
    const option = options[0]!.split('=')[0]!;
    const habit = option === '-c' || option === '--config-file';
    const value = habit ? (options[0]!.includes('=') ? options[0]!.slice(option.length + 1) : argv[argv.indexOf(options[0]!) + 1]) : undefined;
    throw new UsageError(
      `megatest config migrate: unknown option ${option}${habit ? `; the old config is the argument: megatest config migrate ${value && !value.startsWith('-') ? value : 'OLD.toml'}` : ''} (see megatest config migrate --help)`,
    );
  }
  if (argv.length !== 1) {
    // The Bash wrapper's users name their file in CONFIG_FILE: say the command that migrates it, rather than read it unasked.
    const named = argv.length === 0 ? process.env.CONFIG_FILE : undefined;
    throw new UsageError(
      `megatest config migrate: expected one OLD.toml${named ? ` (CONFIG_FILE is set: megatest config migrate ${named})` : ''} (see megatest config migrate --help)`,
    );
  }
  refuseLegacyRecord(argv[0]!);
  refuseOutputOntoInput(argv[0]!, 1);
  process.stdout.write(migrateConfigFile(argv[0]!).text);
  return 0;
}

/**
 * A run folder of the original runner, or the config.json run_mega_test.sh wrote into one, given as OLD.toml: a record
 * of one run, not a configuration ("malformed TOML: unexpected character {" said nothing of that). report and replay
 * read the folder as it is; the configuration to migrate is the runner's mega_test_config.toml.
 */
function refuseLegacyRecord(file: string): void {
  let folder: string | null = null;
  try {
    if (statSync(file).isDirectory()) folder = file;
    else if (path.basename(file) === 'config.json') folder = path.dirname(file);
  } catch {
    return; // no such file: fileLayer says so
  }
  if (folder === null || !isLegacyRunFolder(folder)) return;
  const runner = legacyRunner(folder) === 'python' ? 'test_runner.py' : legacyRunner(folder) === 'bash' ? 'run_mega_test.sh' : 'the original runner';
  const what = folder === file ? `${file} is a run folder of ${runner}` : `${file} is the record ${runner} kept of one run (its run folder's config.json)`;
  throw new UsageError(
    `megatest config migrate: ${what}, not a configuration: megatest report ${folder} and megatest replay ${folder} read the run as it is; config migrate takes the runner's configuration file (mega_test_config.toml)`,
  );
}
