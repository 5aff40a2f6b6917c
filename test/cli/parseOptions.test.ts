// Options every command refuses through the one parseArgs reading: a value
// that is missing, an unknown option, a value given to a
// switch. Each is one line naming the command and the option, exit 2.

import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/config/errors.js';
import { parseCommandArgs } from '../../src/cli/parseOptions.js';
import { runCli } from '../helpers/cli.js';

const OPTIONS = {
  speed: { type: 'string' },
  'runs-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function refusal(args: string[]): string {
  try {
    parseCommandArgs('demo', args, OPTIONS);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`${args.join(' ')} was accepted`);
}

describe('parseCommandArgs', () => {
  it('a value that starts with "-" is taken as the value, for the option\'s own check to judge', () => {
    // It was refused with "write --speed=-1", which the option's own check then refused: round in a circle.
    expect(parseCommandArgs('demo', ['RUN', '--speed', '-1', '--json'], OPTIONS).values.speed).toBe('-1');
    expect(parseCommandArgs('demo', ['RUN', '--speed=-1'], OPTIONS).values.speed).toBe('-1');
  });

  it('a value left out, at the end or before another option: says none was given', () => {
    const atEnd = refusal(['--speed']);
    expect(atEnd.split('\n')).toHaveLength(1);
    expect(atEnd).toMatch(/^megatest demo: --speed needs a value, and none was given; write --speed VALUE/);
    for (const next of ['--runs-dir', '--json', '-h', '--']) {
      const message = refusal(['--speed', next, 'x']);
      expect(message.split('\n'), next).toHaveLength(1);
      expect(message, next).toContain(`--speed needs a value, and none was given before ${next};`);
    }
  });

  it('an unknown option and a value given to a switch stay one line naming the option', () => {
    const unknown = refusal(['--frob']);
    expect(unknown.split('\n')).toHaveLength(1);
    expect(unknown).toMatch(/^megatest demo: Unknown option '--frob' \(see megatest demo --help\)$/);
    const switchValue = refusal(['--json=yes']);
    expect(switchValue.split('\n')).toHaveLength(1);
    expect(switchValue).toContain('--json takes no value (got --json=yes)');
  });

  it('a misspelt option names the option it was likely meant to be', () => {
    // A swapped pair, a letter left out, a dash left out: each a slip or two from one of OPTIONS.
    expect(refusal(['--spede'])).toBe("megatest demo: Unknown option '--spede'; did you mean --speed? (see megatest demo --help)");
    expect(refusal(['--jsn'])).toBe("megatest demo: Unknown option '--jsn'; did you mean --json? (see megatest demo --help)");
    expect(refusal(['--runsdir', 'x'])).toBe("megatest demo: Unknown option '--runsdir'; did you mean --runs-dir? (see megatest demo --help)");
    // Nothing near: no guess, as before.
    expect(refusal(['--colour'])).toBe("megatest demo: Unknown option '--colour' (see megatest demo --help)");
    // Too short to guess from, and short options are never guessed.
    expect(refusal(['--js'])).not.toContain('did you mean');
    expect(refusal(['-x'])).not.toContain('did you mean');
  });

  it('megatest run --agnets 4: one line, exit 2, naming --agents', async () => {
    const result = await runCli(['run', '--agnets', '4']);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual(["megatest run: Unknown option '--agnets'; did you mean --agents? (see megatest run --help)"]);
  });

  it('a negative number where a positional goes is said as one, not as an unknown option', () => {
    for (const negative of ['-1', '-3.5']) {
      expect(refusal(['x', negative])).toBe(`megatest demo: ${negative}: a negative number, and no argument of this command is negative (see megatest demo --help)`);
    }
  });
});

describe('every command: an option value missing or starting with "-" (which its own check judges)', () => {
  // [command words, the arguments after them, the option, its value ("" when none is given)]
  const cases: [string[], string[], string, string][] = [
    [['replay'], ['RUN', '--speed', '-1', '--frame'], '--speed', '-1'],
    [['replay'], ['RUN', '--at', '-5'], '--at', '-5'],
    [['compare'], ['A', 'B', '--format', '-x'], '--format', '-x'],
    [['import'], ['--agent', '-x', 'f'], '--agent', '-x'],
    [['clean'], ['--older-than', '-1d'], '--older-than', '-1d'],
    [['clean'], ['--older-than', '--runs-dir', 'runs'], '--older-than', ''],
    [['ls'], ['--runs-dir', '-x'], '--runs-dir', '-x'],
    [['run'], ['--checkpoint-interval', '--headless'], '--checkpoint-interval', ''],
    [['resume'], ['RUN', '--checkpoint', '--headless'], '--checkpoint', ''],
    [['status'], ['--checkpoint'], '--checkpoint', ''],
    [['pause'], ['--runs-dir'], '--runs-dir', ''],
    [['attach'], ['--runs-dir', '--ascii'], '--runs-dir', ''],
    [['report'], ['RUN', '--format'], '--format', ''],
    [['checkpoints', 'verify'], ['--json=x'], '--json', 'x'],
  ];
  for (const [words, args, flag, value] of cases) {
    it(`${words.join(' ')} ${args.join(' ')}`, async () => {
      const result = await runCli([...words, ...args]);
      expect(result.code).toBe(2);
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      const command = words.join(' ');
      if (value !== '' && flag !== '--json') {
        // Taken as the value, and refused by the option's own check, which says what is allowed (not "write --flag=-x").
        expect(lines[0]).toMatch(new RegExp(`^megatest( ${command})?: ${flag} "?${value}"?: `));
        expect(lines[0]).not.toContain('write ');
        return;
      }
      expect(lines[0]).toMatch(new RegExp(`^megatest ${command}: ${flag} `));
      expect(lines[0]).toContain(`(see megatest ${command} --help)`);
      if (flag === '--json') expect(lines[0]).toContain(`${flag} takes no value`);
      else expect(lines[0]).toContain(`${flag} needs a value, and none was given`);
    });
  }
});
