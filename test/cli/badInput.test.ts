// Bad input on the command line: exit 2, one clear line, no half-made run folder.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const cli = (args: string[]) => runCli(args);

describe('megatest run: bad input', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'megatest-bad-'));
  const runsDir = path.join(dir, 'runs');
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: { name: string; args: () => string[]; message: RegExp }[] = [
    { name: 'missing config file', args: () => ['--config', path.join(dir, 'nope.toml')], message: /nope\.toml/ },
    {
      name: 'malformed TOML (line and column)',
      args: () => {
        const file = path.join(dir, 'broken.toml');
        writeFileSync(file, '[session]\nagent_count = = 3\n');
        return ['--config', file];
      },
      message: /broken\.toml.*line 2.*column/,
    },
    {
      name: 'unknown key with a suggestion',
      args: () => {
        const file = path.join(dir, 'unknown.toml');
        writeFileSync(file, '[limits]\ntokens_per_hour = 5\n');
        return ['--config', file];
      },
      message: /unknown key \[limits\]\.tokens_per_hour.*did you mean \[limits\] tokens_per_agent_per_hour/,
    },
    { name: 'unknown project type', args: () => ['redis'], message: /database, microservices, task_queue/ },
    { name: 'agents out of range', args: () => ['task_queue', '6', '40'], message: /AGENTS 40: must be from 1 to 16/ },
    { name: '--agents out of range', args: () => ['--agents', '0'], message: /--agents 0: must be from 1 to 16/ },
    { name: 'hours out of range', args: () => ['task_queue', '25'], message: /HOURS 25.*1 to 24/ },
    { name: 'unparseable duration', args: () => ['--duration', 'soon'], message: /--duration.*soon/ },
    { name: 'duration out of range', args: () => ['--duration', '5s'], message: /5s/ },
    { name: 'session id with a slash', args: () => ['--session-id', 'a/b'], message: /--session-id "?a\/b/ },
    { name: 'session id with ..', args: () => ['--session-id', '..x'], message: /--session-id/ },
    { name: 'unknown option', args: () => ['--agnets', '3'], message: /--agnets/ },
    { name: 'unknown agent kind', args: () => ['--agent', 'gpt'], message: /gpt/ },
    {
      name: 'runs-dir not writable',
      // A path through a regular file: not writable even for root.
      args: () => {
        const file = path.join(dir, 'a-file');
        writeFileSync(file, 'x');
        return ['--runs-dir', path.join(file, 'runs')];
      },
      message: /--runs-dir .*a-file.*a part of that path is a file, not a folder/,
    },
    {
      name: 'runs-dir that is a file',
      args: () => {
        const file = path.join(dir, 'runs-file');
        writeFileSync(file, 'x');
        return ['--runs-dir', file];
      },
      message: /--runs-dir .*runs-file: is a file, not a folder/,
    },
    // Node's own recursive mkdir spins for ever there (mkdir answers ENOENT under /proc, which exists): not a hang, one line.
    ...(existsSync('/proc/self')
      ? [{ name: 'runs-dir under /proc', args: () => ['--runs-dir', '/proc/megatest-no-such/runs'], message: /^megatest: --runs-dir \/proc\/megatest-no-such\/runs: cannot be made there \(ENOENT/ }]
      : []),
    // node's parseArgs takes "-4" and "-rf" for options: they are values here, and their own checks say what is allowed.
    { name: '--agents -4 (a value starting with "-")', args: () => ['--agents', '-4'], message: /^megatest: --agents -4: must be from 1 to 16$/ },
    { name: '--agents=-4', args: () => ['--agents=-4'], message: /^megatest: --agents -4: must be from 1 to 16$/ },
    { name: '--session-id -rf', args: () => ['--session-id', '-rf'], message: /^megatest: --session-id "-rf": use 1-128 letters, digits, '\.', '_' or '-', starting with a letter or digit/ },
    { name: '--seed over 2^32-1', args: () => ['--seed', '4294967296'], message: /--seed 4294967296: must be from 0 to 4294967295/ },
    { name: '--checkpoint-interval below 0.5', args: () => ['--checkpoint-interval', '0.25'], message: /--checkpoint-interval 0\.25: must be from 0\.5 to 1440/ },
    // Both once started a run: an id made up for the empty one; a run with no control API for the bad host.
    { name: 'an empty --session-id', args: () => ['--session-id', '', '--duration', '20s'], message: /^megatest: --session-id "": use 1-128 letters, digits/ },
    {
      name: 'a --control-host that is no address',
      args: () => ['--control-host', 'bad host', '--duration', '20s'],
      message: /^megatest: --control-host "bad host": use an IP address of this machine \(e\.g\. 0\.0\.0\.0 or 192\.168\.1\.5\) or its host name$/,
    },
    // A name passed the check, the server refused it, and the run went on with no control API.
    { name: 'a --control-host name that does not resolve', args: () => ['--control-host', 'no-such-host.invalid', '--duration', '20s'], message: /^megatest: --control-host "no-such-host\.invalid": host name does not resolve \(/ },
    { name: 'a --control-host address not on this machine', args: () => ['--control-host', '192.0.2.1', '--duration', '20s'], message: /^megatest: --control-host "192\.0\.2\.1": 192\.0\.2\.1 is not an address this machine can listen on/ },
    // run, resume and import said a bad --agent three ways; now all as agentKindProblem says it.
    { name: 'an unknown --agent', args: () => ['--agent', 'bogus'], message: /^megatest: --agent "bogus": must be one of "sim", "command", "selfware", "claude-code", "codex"$/ },
    { name: 'an option with no value', args: () => ['--config', '--agents', '3'], message: /^megatest run: --config needs a value, and none was given before --agents; write --config VALUE/ },
    // Each once started a run that silently left one of them unused.
    { name: 'AGENTS and --agents that disagree', args: () => ['task_queue', '6', '6', '--agents', '4'], message: /^megatest run: AGENTS 6 and --agents 4 disagree; give one of them$/ },
    { name: '--agent-cmd beside another --agent', args: () => ['--agent', 'sim', '--agent-cmd', '/bin/true'], message: /^megatest: --agent-cmd is only for --agent command; --agent sim runs its own program/ },
    { name: 'a negative HOURS', args: () => ['task_queue', '-1', '4'], message: /^megatest run: -1: a negative number, and no argument of this command is negative/ },
  ];

  for (const c of cases) {
    it(`${c.name}: exits 2 with one line and no run folder`, async () => {
      const result = await cli(['run', ...c.args(), ...(c.args().includes('--runs-dir') ? [] : ['--runs-dir', runsDir]), '--headless']);
      expect(result.code).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      // "megatest: …", or "megatest run: …" for a message that names its command.
      expect(lines[0]).toMatch(/^megatest(:| run:) /);
      expect(lines[0]).toMatch(c.message);
      if (existsSync(runsDir)) expect(readdirSync(runsDir)).toEqual([]);
    });
  }

  it('refuses a session id that is already used, leaving the old folder alone', async () => {
    mkdirSync(path.join(runsDir, 'taken'), { recursive: true });
    writeFileSync(path.join(runsDir, 'taken', 'marker'), 'x');
    const result = await cli(['run', '--session-id', 'taken', '--runs-dir', runsDir, '--headless']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/taken.*already exists/);
    expect(readdirSync(path.join(runsDir, 'taken'))).toEqual(['marker']);
    rmSync(path.join(runsDir, 'taken'), { recursive: true });
  });

  it('prints help for every command and the version', async () => {
    for (const command of ['run', 'attach', 'resume', 'report', 'config', 'ls', 'clean', 'status', 'checkpoint', 'restore']) {
      const result = await cli([command, '--help']);
      expect(result.code, command).toBe(0);
      expect(result.stdout, command).toMatch(/usage: megatest/);
    }
    expect((await cli(['--version'])).stdout).toMatch(/^megatest \d+\.\d+\.\d+/);
    // As git and npm take them: `help CMD` is the command's help, -v the version.
    for (const command of ['run', 'status', 'checkpoint']) expect((await cli(['help', command])).stdout, command).toBe((await cli([command, '--help'])).stdout);
    expect((await cli(['-v'])).stdout).toBe((await cli(['--version'])).stdout);
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
  }, 60_000);

  it('validates a config file with config check', async () => {
    const good = path.join(dir, 'good.toml');
    writeFileSync(good, '[session]\nagent_count = 4\n');
    expect((await cli(['config', 'check', good])).stdout).toMatch(/ok/);
    // --config FILE, as run and config print take it; two files are one too many.
    expect((await cli(['config', 'check', '--config', good])).stdout).toBe(`${good}: ok\n`);
    const two = await cli(['config', 'check', '--config', good, good]);
    expect([two.code, two.stderr.trim()]).toEqual([2, `megatest config check: expected one FILE (or --config FILE), got ${good} and ${good}`]);
    const bad = path.join(dir, 'bad.toml');
    writeFileSync(bad, '[session]\nagent_count = "four"\n');
    const result = await cli(['config', 'check', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\[session\]\.agent_count.*bad\.toml/);
    const printed = await cli(['config', 'print', '--agents', '5']);
    expect(printed.stdout).toMatch(/agent_count = 5/);
  });

  // Through config print, which reads the same flags as run: without the check a run would start.
  it('refuses a --port that is not digits only (" 80" was taken as 80 while 1e3 was refused)', async () => {
    for (const port of [' 80', '80 ', '\t80']) {
      const result = await cli(['config', 'print', '--port', port]);
      expect(result.code, JSON.stringify(port)).toBe(2);
      expect(result.stderr).toBe(`megatest: --port ${JSON.stringify(port)}: must be a whole number from 1 to 65535\n`);
    }
    // A decimal option too: as written, no space taken away.
    const interval = await cli(['config', 'print', '--checkpoint-interval', ' 5']);
    expect(interval.code).toBe(2);
    expect(interval.stderr).toBe('megatest: --checkpoint-interval " 5": must be a number from 0.5 to 1440\n');
  });

  it('takes --seed up to 4,294,967,295 and --checkpoint-interval 0.5, as the config does', async () => {
    const printed = await cli(['config', 'print', '--seed', '4294967295', '--checkpoint-interval', '0.5']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toMatch(/^seed = 4_?294_?967_?295$/m);
    expect(printed.stdout).toMatch(/^interval_minutes = 0\.5$/m);
  });
});
