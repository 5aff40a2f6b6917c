// The README's Commands table and the CLI's own help say the same thing:
// every command the help lists has a row in the table; every option a
// command's usage line or option list names is in that command's row; and
// every option a row names is one the command takes (its parser does not
// refuse it as unknown). A person who read one never meets a flag the other
// does not know of.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { captureCli } from './captureCli.js';

const README = readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');

/** Long options named in a text: `--runs-dir`, not `--` alone nor a part of a word. */
function flagsIn(text: string): Set<string> {
  return new Set([...text.matchAll(/(?<![\w-])--[a-z][a-z-]*[a-z]/g)].map((match) => match[0]));
}

/** The commands a `megatest a|b|c` (or `a\|b` in a Markdown table) names, each as its words: ['checkpoints', 'verify']. */
function commandsNamed(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(/megatest ((?:[a-z]+\\?\|)*[a-z]+)( verify)?/g)) {
    for (const name of match[1]!.split(/\\?\|/)) names.push(name === 'checkpoints' ? 'checkpoints verify' : name);
  }
  return names;
}

/** The rows of the README's Commands table: the command cell's commands, and the whole row's text. */
function readmeRows(): { commands: string[]; text: string }[] {
  const section = README.split('\n## Commands\n')[1]!.split('\n## ')[0]!;
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `megatest'))
    .map((line) => ({ commands: commandsNamed(line.split(' | ')[0]!), text: line }));
}

/** The commands `megatest --help` lists, as their words. */
async function helpCommands(): Promise<string[]> {
  const { stdout } = await captureCli(['--help']);
  const list = stdout.split('\ncommands:\n')[1]!.split('\n\n')[0]!;
  const names = new Set<string>();
  for (const line of list.split('\n')) {
    const first = line.trim().split(/\s+/)[0]!;
    for (const name of first.split('|')) names.add(name === 'checkpoints' ? 'checkpoints verify' : name);
  }
  return [...names];
}

/** What a command's --help says it takes: the options on the usage lines that name it, and its option list. */
function helpOptions(help: string, command: string): Set<string> {
  const named: string[] = [];
  // Whether the usage line being read (it may go on over lines that start with "[") names the command.
  let inUsage = false;
  for (const line of help.split('\n')) {
    if (/^(usage: |\s+)megatest /.test(line)) inUsage = commandsNamed(line).includes(command);
    else if (!/^\s+\[/.test(line)) inUsage = false;
    if (inUsage) named.push(line);
    // An option list's row: the option first (an example command in the prose, `claude -p --output-format`, is not one).
    else if (/^\s+--[a-z]/.test(line)) named.push(line.trim().split(/\s{2,}/)[0]!);
  }
  return flagsIn(named.join('\n'));
}

describe('the README Commands table and the help', async () => {
  const commands = await helpCommands();
  const rows = readmeRows();

  it('the help lists the commands it should (the table is read right)', () => {
    for (const command of ['run', 'attach', 'replay', 'resume', 'stop', 'restore', 'checkpoints verify', 'config', 'import']) expect(commands).toContain(command);
  });

  for (const command of commands) {
    describe(`megatest ${command}`, () => {
      const readme = () => flagsIn(rows.filter((row) => row.commands.includes(command)).map((row) => row.text).join('\n'));

      it('has a row in the README', () => {
        expect(rows.some((row) => row.commands.includes(command)), `no README row names megatest ${command}`).toBe(true);
      });

      it('every option its help names is in its README row', async () => {
        const { stdout, code } = await captureCli([...command.split(' '), '--help']);
        expect(code).toBe(0);
        const missing = [...helpOptions(stdout, command)].filter((flag) => flag !== '--help' && !readme().has(flag));
        expect(missing, `megatest ${command} --help names options its README row does not`).toEqual([]);
      });

      it('every option its README row names is one it takes', async () => {
        for (const flag of readme()) {
          // Parsed strictly before the help is printed: an option the command does not take is refused.
          const { stderr } = await captureCli([...command.split(' '), flag, 'x', '--help']);
          expect(stderr, `megatest ${command} ${flag}`).not.toMatch(/Unknown option/);
        }
      });
    });
  }
});
