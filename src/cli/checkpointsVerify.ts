// `megatest checkpoints verify DIR`: every checkpoint of a run folder checked
// as a restore would check it (file, checksum, manifest) and every blob it
// names read back against its sha256, each distinct blob once. One line per
// checkpoint says whether it is usable and, if not, why.

import { existsSync } from 'node:fs';
import { UsageError } from '../config/errors.js';
import { parseCommandArgs } from './parseOptions.js';
import { folderOrSessionId, oneRunFolderRefusal, requireFolderArg } from './commandArgs.js';
import { CheckpointStore, type CheckpointVerification } from '../checkpoint/store.js';
import { runPaths } from '../io/runFolder.js';
import { refuseLegacyFolder } from './legacyRefusal.js';

export const CHECKPOINTS_HELP = `usage: megatest checkpoints verify DIR|ID [--json] [--runs-dir D]
  Checks every checkpoint of the run folder DIR (or the session ID under
  --runs-dir, default test_runs) and every blob it names (read back, sha256 of
  the content), and prints one line per checkpoint: usable, or not and why.
  Corrupt blobs are moved to checkpoints/bad-blobs/ so the next checkpoint
  writes their content again.
  exit 0 every checkpoint is usable (or there are none); 1 some are not; 2 bad
  input (a run folder of the original runner too: its checkpoints hold no
  files to verify; replay and report read it).`;

export async function checkpointsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    if (sub === undefined) throw new UsageError('megatest checkpoints: expected verify DIR (see megatest checkpoints --help)');
    process.stdout.write(CHECKPOINTS_HELP + '\n');
    return 0;
  }
  if (sub !== 'verify') throw new UsageError(`megatest checkpoints: unknown subcommand ${JSON.stringify(sub)}; expected verify DIR`);
  const parsed = parseCommandArgs('checkpoints verify', rest, { json: { type: 'boolean' }, 'runs-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (parsed.values.help) {
    process.stdout.write(CHECKPOINTS_HELP + '\n');
    return 0;
  }
  const arg = parsed.positionals[0];
  const dir = arg === undefined ? undefined : await folderOrSessionId('checkpoints verify', arg, parsed.values['runs-dir']);
  if (dir === undefined || parsed.positionals.length > 1) throw oneRunFolderRefusal('checkpoints verify', parsed.positionals);
  requireFolderArg('checkpoints verify', dir);
  // A folder of the original runner is refused as the control commands refuse it (no megatest checkpoints in it).
  refuseLegacyFolder('checkpoints verify', dir);
  const paths = runPaths(dir);
  if (!existsSync(paths.config) && !existsSync(paths.checkpoints)) {
    throw new UsageError(`megatest checkpoints verify: ${dir} is not a megatest run folder (no config.json, no checkpoints/)`);
  }

  // Corrupt blobs are set aside (checkpoints/bad-blobs/), so the next checkpoint writes their content again.
  const results = await new CheckpointStore(paths.checkpoints).verifyAll({ setAsideBad: true });
  const setAside = results.setAside ?? 0;
  const unusable = results.filter((result) => !result.usable).length;
  if (parsed.values.json) {
    const rows = results.map(({ body: _body, badBlobs, ...rest }) => ({ ...rest, bad_blobs: badBlobs }));
    process.stdout.write(JSON.stringify({ run_dir: paths.root, checkpoints: rows, usable: results.length - unusable, unusable, blobs_set_aside: setAside }, null, 2) + '\n');
  } else {
    if (results.length === 0) process.stdout.write(`no checkpoints in ${paths.checkpoints}\n`);
    for (const result of results) process.stdout.write(describe(result) + '\n');
    process.stderr.write(`${results.length - unusable} of ${results.length} ${results.length === 1 ? 'checkpoint' : 'checkpoints'} usable\n`);
    if (setAside > 0) process.stderr.write(`${setAside} corrupt ${setAside === 1 ? 'blob' : 'blobs'} moved to ${paths.checkpoints}/bad-blobs/: the next checkpoint of a running session writes them again\n`);
  }
  return unusable === 0 ? 0 : 1;
}

function describe(result: CheckpointVerification): string {
  if (!result.usable) return `${result.id}  NOT usable: ${result.reason}`;
  const phase = result.body ? `phase ${result.body.phase}, trigger ${result.body.trigger}, ` : '';
  return `${result.id}  usable (${phase}${result.files} files, ${result.blobs} blobs verified)`;
}
