// The commands that read one run take it as their argument; --session-id
// (what run and import take, for the folder they make) and --session, typed
// to them out of habit, get the command to type (oldHabits.ts). Apart from
// oldHabits.test.ts: each captureCli adds a listener, and more than ten in one
// file print a MaxListenersExceededWarning into the stderr these compare.

import { describe, expect, it } from 'vitest';
import { captureCli } from './captureCli.js';

const runs = '/nonexistent-runs';

async function refusal(argv: string[]): Promise<string> {
  const result = await captureCli(argv);
  expect(result.code, argv.join(' ')).toBe(2);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, argv.join(' ')).toHaveLength(1);
  return lines[0]!;
}

describe('a session given as an option', () => {
  it('--session-id / --session to a command that reads a run, resume --resume: the session is the argument', async () => {
    expect(await refusal(['status', '--session-id', 'python-complete', '--runs-dir', runs])).toBe(
      "megatest status: Unknown option '--session-id'; the session is the argument: megatest status python-complete (see megatest status --help)",
    );
    expect(await refusal(['report', '--session=python-complete'])).toBe(
      "megatest report: Unknown option '--session'; the session is the argument: megatest report DIR|ID (see megatest report --help)".replace('DIR|ID', 'python-complete'),
    );
    expect(await refusal(['stop', '--session-id'])).toBe("megatest stop: Unknown option '--session-id'; the session is the argument: megatest stop SESSION (see megatest stop --help)");
    expect(await refusal(['resume', '--resume', 'test_runs/x'])).toBe(
      "megatest resume: Unknown option '--resume'; a run goes on with megatest resume test_runs/x (see megatest resume --help)",
    );
    // ls and compare take no one run: no hint
    expect(await refusal(['ls', '--session-id', 'x'])).toBe("megatest ls: Unknown option '--session-id' (see megatest ls --help)");
  });

});
