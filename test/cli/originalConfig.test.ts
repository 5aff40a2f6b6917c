// The original runner's mega_test_config.toml through the built CLI (issue 12
// §1): `config check` passes it and names each key megatest does not act on
// once on stderr; `config migrate` prints a file that passes check and
// resolves to the same config; `run --config` drives a short sim session
// with it; and the Bash wrapper's environment (CONFIG_FILE,
// CHECKPOINT_INTERVAL, the SELFWARE_* exports) is honoured.

import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT, readEvents, runCli, runHeadless } from '../helpers/cli.js';

const FIXTURES = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'config');
const ORIGINAL = path.join(FIXTURES, 'original_mega_test_config.toml');
const ENV_AGENT = path.join(FIXTURES, 'env-agent.mjs');

/** Keys megatest does not act on but still records (config.json), so `config migrate` keeps them. */
const KEPT_BY_MIGRATE = ['[consensus] enabled', '[consensus] min_votes', '[consensus] vote_timeout_secs'];

/** "[table] key" for every key a warning line names: "megatest: warning: [agent] a, b in FILE: accepted, …". */
function warnedKeys(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((line) => /^megatest: warning: (\[\[?[a-z_.]+\]\]?) ([a-z_, ]+?) in .*: accepted, not acted on: /.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .flatMap((match) => match[2]!.split(', ').map((key) => `${match[1]} ${key}`));
}

/** The keys of the fixture that megatest does not act on, read from the fixture by its section headers. */
function notActedOnInFixture(): string[] {
  const unused: Record<string, string[]> = {
    agent: ['min_trust_score', 'max_trust_score', 'dynamic_spawning', 'max_total_agents'],
    consensus: ['enabled', 'min_votes', 'vote_timeout_secs', 'strategy', 'threshold'],
    monitoring: ['enabled', 'metrics_export_interval', 'dashboard_update_interval', 'agent_activity_logging', 'export_metrics', 'metrics_format'],
    error_handling: ['classification'],
    'project.target': ['max_bugs_critical', 'max_bugs_high', 'max_bugs_medium'],
    'project.performance': ['build_time_secs', 'test_execution_time_secs', 'memory_usage_mb', 'binary_size_mb'],
    phases: ['success_criteria'],
    'notifications.email': ['smtp_server', 'smtp_port', 'username', 'password', 'from_address', 'to_addresses'],
  };
  const found = new Set<string>();
  let table = '';
  for (const line of readFileSync(ORIGINAL, 'utf8').split('\n')) {
    const header = /^\[(\[?)([a-z_.]+)\]\]?/.exec(line);
    if (header) {
      table = header[2]!;
      continue;
    }
    const key = /^([a-z_]+)\s*=/.exec(line)?.[1];
    if (key && unused[table]?.includes(key)) found.add(table === 'phases' ? `[[phases]] ${key}` : `[${table}] ${key}`);
  }
  return [...found].sort();
}

describe.skipIf(!BUILT)(`the original mega_test_config.toml through the CLI${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'megatest-original-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('config check passes it (exit 0) and names each key megatest does not act on once on stderr', async () => {
    const result = await runCli(['config', 'check', ORIGINAL]);
    expect(result.stderr).not.toMatch(/unknown key/);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${ORIGINAL}: ok\n`);
    const expected = notActedOnInFixture();
    expect(expected.length).toBeGreaterThanOrEqual(30);
    // and [agent] max_iterations, selfware's step limit, which the default (sim) agents do not have
    expect(warnedKeys(result.stderr).sort()).toEqual([...expected, '[agent] max_iterations'].sort());
    // And once how to be rid of them: the keys migrate leaves out (all but the [consensus] ones megatest records).
    const dropped = expected.filter((key) => !KEPT_BY_MIGRATE.includes(key)).length;
    const hint = `megatest: note: ${ORIGINAL} sets ${dropped} keys of the original runner that megatest does not act on: \`megatest config migrate ${ORIGINAL}\` prints it in today's form without them`;
    expect(result.stderr.split('\n').filter((line) => line === hint)).toHaveLength(1);
  }, 60_000);

  it('config migrate prints a file that passes check and resolves to the same config', async () => {
    const migrated = await runCli(['config', 'migrate', ORIGINAL]);
    expect(migrated.code).toBe(0);
    // The left-out e-mail password is named, never copied into a file people keep and commit.
    const password = /^password = "(.+)"$/m.exec(readFileSync(ORIGINAL, 'utf8'))![1]!;
    expect(migrated.stdout).toContain('#   [notifications.email] password = (not copied: a credential)');
    expect(migrated.stdout).not.toContain(password);
    const file = path.join(dir, 'migrated.toml');
    writeFileSync(file, migrated.stdout);
    const check = await runCli(['config', 'check', file]);
    expect(check.code).toBe(0);
    // The left-out keys are gone; only those MegatestConfig records are still named.
    expect(warnedKeys(check.stderr).sort()).toEqual(['[agent] max_iterations', ...KEPT_BY_MIGRATE].sort());
    expect(check.stderr).not.toContain('config migrate');
    const [fromOriginal, fromMigrated] = await Promise.all([
      runCli(['config', 'print', '--config', ORIGINAL]),
      runCli(['config', 'print', '--config', file]),
    ]);
    expect(fromOriginal.code).toBe(0);
    expect(fromMigrated.stdout).toBe(fromOriginal.stdout);
  }, 60_000);

  it('CONFIG_FILE and CHECKPOINT_INTERVAL from the environment are honoured', async () => {
    const printed = await runCli(['config', 'print'], { env: { CONFIG_FILE: ORIGINAL, CHECKPOINT_INTERVAL: '7' } });
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^interval_minutes = 7$/m);
    expect(printed.stdout).toMatch(/^tokens_per_agent_per_hour = 200_000$/m); // the fixture's, not the default 2_000_000
    expect(printed.stderr).toContain(`megatest: note: reading CONFIG_FILE=${ORIGINAL}`);
    const flagWins = await runCli(['config', 'print', '--checkpoint-interval', '3'], { env: { CHECKPOINT_INTERVAL: '7' } });
    expect(flagWins.stdout).toMatch(/^interval_minutes = 3$/m);
    const bad = await runCli(['config', 'print'], { env: { CHECKPOINT_INTERVAL: 'often' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^megatest: CHECKPOINT_INTERVAL=often \(environment\): must be minutes/m);
  }, 60_000);

  it('run --config drives a short sim session with it, which starts and ends by itself', async () => {
    const runsDir = path.join(dir, 'runs');
    const result = await runHeadless(
      ['run', '--config', ORIGINAL, '--duration', '20s', '--agents', '2', '--headless', '--runs-dir', runsDir, '--session-id', 'original', '--seed', '3'],
      { timeoutMs: 150_000 },
    ).done;
    expect(result.signal).toBeNull();
    expect([0, 1, 124]).toContain(result.code);
    // Each key it does not act on is named once, by the run as by config check.
    expect(warnedKeys(result.stderr).sort()).toEqual([...notActedOnInFixture(), '[agent] max_iterations'].sort());
    const runDir = path.join(runsDir, 'original');
    const events = readEvents(runDir);
    const started = events.find((event) => event.type === 'session_started');
    expect(started).toBeDefined();
    expect(events[events.length - 1]?.type).toBe('session_ended');
    const info = JSON.parse(readFileSync(path.join(runDir, 'config.json'), 'utf8'));
    expect(info.config.session).toMatchObject({ agents: 2, duration_seconds: 20, project: 'task_queue' });
    expect(info.config.checkpoint.interval_minutes).toBe(10);
    expect(info.config.agent).toMatchObject({ roles: ['architect', 'coder', 'tester', 'reviewer', 'security', 'devops'], max_context_size: 128_000 });
    expect(info.config.limits).toMatchObject({ tokens_per_hour_per_agent: 200_000, max_parallel_agents: 6 });
    expect(readdirSync(path.join(runDir, 'agents')).sort()).toEqual(['agent-1', 'agent-2']);
  }, 180_000);

  it('every agent process gets the SELFWARE_* variables run_mega_test.sh exported', async () => {
    const runsDir = path.join(dir, 'env-runs');
    const result = await runHeadless(
      ['run', '--duration', '10s', '--agents', '2', '--headless', '--agent', 'command', '--agent-cmd', `node ${ENV_AGENT}`, '--runs-dir', runsDir, '--session-id', 'env-check'],
      { timeoutMs: 120_000, env: { CONFIG_FILE: ORIGINAL, CHECKPOINT_INTERVAL: '7' } },
    ).done;
    expect(result.signal).toBeNull();
    const runDir = path.join(runsDir, 'env-check');
    for (const agent of ['agent-1', 'agent-2']) {
      const log = path.join(runDir, 'agents', agent, 'output.log');
      expect(existsSync(log), log).toBe(true);
      const seen = Object.fromEntries([...readFileSync(log, 'utf8').matchAll(/^env (SELFWARE_[A-Z_]+)=(.*)$/gm)].map((match) => [match[1], match[2]]));
      expect(seen).toEqual({
        SELFWARE_SESSION_ID: 'env-check',
        SELFWARE_SESSION_DIR: path.resolve(runDir),
        SELFWARE_CHECKPOINT_INTERVAL: '7',
        SELFWARE_AUTO_RECOVERY: 'true',
      });
    }
  }, 150_000);
});
