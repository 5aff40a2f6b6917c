// The command agent's command line, checked before a session starts: a
// program that is not there, or a file named relative to where megatest
// started (the agent runs in project/), or a line the shell cannot read, is
// one UsageError naming it.

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkAgentCommand, plainWords } from '../../src/agents/commandLine.js';
import { UsageError } from '../../src/config/errors.js';

describe('checkAgentCommand', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'megatest-command-line-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  mkdirSync(path.join(dir, 'tools'));
  writeFileSync(path.join(bin, 'agentd'), '#!/bin/sh\n');
  chmodSync(path.join(bin, 'agentd'), 0o755);
  writeFileSync(path.join(dir, 'agent.py'), 'print()\n');
  writeFileSync(path.join(dir, 'tools', 'run.sh'), '#!/bin/sh\n');
  chmodSync(path.join(dir, 'tools', 'run.sh'), 0o755);
  writeFileSync(path.join(dir, 'notes'), 'a file with no extension\n');
  const where = { cwd: dir, pathVariable: bin };
  const check = (command: string, key = '--agent-cmd') => () => checkAgentCommand({ command, key, ...where });

  it('passes a program on PATH, absolute paths, options, shell words and words that only look like files', () => {
    for (const command of [
      'agentd --model m',
      `agentd ${path.join(dir, 'agent.py')}`,
      `${path.join(dir, 'tools', 'run.sh')} --fast`,
      'MODEL=x LEVEL=2 agentd',
      'exec agentd',
      'agentd notes',
      'agentd --config=agent.py',
      'agentd missing.py',
    ]) {
      expect(check(command), command).not.toThrow();
    }
  });

  it('leaves a command line with shell syntax to the shell, once the shell can read it', () => {
    for (const command of ['nosuch | agentd', 'cd tools && nosuch', '$HOME/agent', 'agentd > out.log', 'nosuch "$X"']) {
      expect(check(command), command).not.toThrow();
    }
    // One it cannot read failed as a crash at every start until the recovery gave up: bad input, said before the run.
    expect(check("agentd 'unclosed")).toThrow(/^--agent-cmd "agentd 'unclosed": \/bin\/sh cannot read it \(.+\); check its quotes and shell syntax$/);
    expect(check('agentd |', '[agents] command')).toThrow(/^\[agents\] command "agentd \|": \/bin\/sh cannot read it \(.+\); check its quotes and shell syntax$/);
  });

  it('names a program that is not on PATH, or not there, or not executable', () => {
    expect(check('nosuch-agent --x')).toThrow(new UsageError('--agent-cmd "nosuch-agent --x": the program "nosuch-agent" is not on PATH; install it or give its full path'));
    expect(check('/opt/none/agent', '[agents] command')).toThrow(new UsageError('[agents] command "/opt/none/agent": /opt/none/agent no such file'));
    expect(check(path.join(dir, 'agent.py'))).toThrow(/agent\.py is not executable \(mode 0644\); chmod \+x it$/);
    expect(check('./missing.sh')).toThrow(/^--agent-cmd "\.\/missing\.sh": \.\/missing\.sh: no such program here \(.*missing\.sh\) or in the run's project\/ folder, where the agent runs; give its full path$/);
  });

  it('names a file given relative to where megatest started, and gives the command with its full path', () => {
    expect(check('agentd agent.py --fast')).toThrow(
      new UsageError(`--agent-cmd "agentd agent.py --fast": agent.py is relative, and the agent runs in the run's project/ folder, where it is not; give its full path: --agent-cmd "agentd ${path.join(dir, 'agent.py')} --fast"`),
    );
    expect(check('tools/run.sh')).toThrow(`give its full path: --agent-cmd "${path.join(dir, 'tools', 'run.sh')}"`);
    expect(check("agentd 'agent.py'")).toThrow(`give its full path (${path.join(dir, 'agent.py')})`);
  });
});

describe('plainWords', () => {
  it('splits words, joins quotes, and gives up on shell syntax', () => {
    expect(plainWords(`  a 'b c' "d"e  `)?.map((word) => [word.text, word.bare])).toEqual([
      ['a', true],
      ['b c', false],
      ['de', false],
    ]);
    expect(plainWords('a; b')).toBeNull();
    expect(plainWords('"a $b"')).toBeNull();
    expect(plainWords('a \\ b')).toBeNull();
  });
});
