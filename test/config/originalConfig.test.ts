// The original runner's mega_test_config.toml, unchanged, read by megatest
// (issue 12 §1): each key mapped onto megatest's, each key megatest does not
// act on named once in a warning, unknown keys answered with the right key
// and section, roles in any case, config migrate, and the Bash wrapper's
// environment.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import TOML from '@iarna/toml';
import { afterAll, describe, expect, it } from 'vitest';
import { wrapperAgentEnvironment } from '../../src/config/environment.js';
import { ConfigError, UsageError } from '../../src/config/errors.js';
import { loadConfig, type ConfigNotice, type LoadOptions } from '../../src/config/load.js';
import { migrateConfigFile } from '../../src/config/migrate.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

const ORIGINAL = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'config', 'original_mega_test_config.toml');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'megatest-original-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function writeScratch(name: string, text: string): string {
  const file = path.join(scratch, name);
  writeFileSync(file, text);
  return file;
}

function load(options: LoadOptions): { config: ReturnType<typeof loadConfig>; notices: ConfigNotice[] } {
  const notices: ConfigNotice[] = [];
  const config = loadConfig({ ...options, onNotice: (notice) => notices.push(notice) });
  return { config, notices };
}

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, none was thrown');
}

/** The original's keys megatest accepts but does not act on, as "[table] key" (issue 12's list). */
const NOT_ACTED_ON = [
  '[agent] min_trust_score',
  '[agent] max_trust_score',
  '[agent] dynamic_spawning',
  '[agent] max_total_agents',
  '[consensus] enabled',
  '[consensus] min_votes',
  '[consensus] vote_timeout_secs',
  '[consensus] strategy',
  '[consensus] threshold',
  '[monitoring] enabled',
  '[monitoring] metrics_export_interval',
  '[monitoring] dashboard_update_interval',
  '[monitoring] agent_activity_logging',
  '[monitoring] export_metrics',
  '[monitoring] metrics_format',
  '[error_handling] classification',
  '[project.target] max_bugs_critical',
  '[project.target] max_bugs_high',
  '[project.target] max_bugs_medium',
  '[project.performance] build_time_secs',
  '[project.performance] test_execution_time_secs',
  '[project.performance] memory_usage_mb',
  '[project.performance] binary_size_mb',
  '[[phases]] success_criteria',
  '[notifications.email] smtp_server',
  '[notifications.email] smtp_port',
  '[notifications.email] username',
  '[notifications.email] password',
  '[notifications.email] from_address',
  '[notifications.email] to_addresses',
];

/** "[agent] min_trust_score, max_trust_score in FILE: …" -> ["[agent] min_trust_score", "[agent] max_trust_score"]. */
function namedKeys(warning: string): string[] {
  const match = /^(\[\[?[a-z_.]+\]\]?) ([a-z_, ]+?) in /.exec(warning);
  if (!match) return [];
  return match[2]!.split(', ').map((key) => `${match[1]} ${key}`);
}

describe('the original mega_test_config.toml, unchanged', () => {
  const { config, notices } = load({ configFile: ORIGINAL });
  const source = TOML.parse(readFileSync(ORIGINAL, 'utf8')) as Record<string, any>;

  it('names each key megatest does not act on once, with a reason, and no other key', () => {
    const warnings = notices.filter((notice) => notice.level === 'warning').map((notice) => notice.message);
    const named = warnings.flatMap(namedKeys);
    // [agent] max_iterations is selfware's step limit: with the default (sim) agents it is not acted on either
    expect([...named].sort()).toEqual([...NOT_ACTED_ON, '[agent] max_iterations'].sort());
    for (const warning of warnings) expect(warning).toMatch(/: accepted, not acted on: \S.{20,}/);
  });

  it('[agent] max_iterations: named with every agent kind but selfware, whose selfware.toml it goes into', () => {
    expect(source.agent.max_iterations).toBeGreaterThan(0);
    const said = (agentKind?: string) =>
      load({ configFile: ORIGINAL, ...(agentKind ? { flags: { agentKind } } : {}) })
        .notices.map((notice) => notice.message)
        .filter((message) => message.startsWith('[agent] max_iterations in '));
    for (const kind of [undefined, 'sim', 'claude-code', 'codex']) {
      expect(said(kind), kind).toEqual([expect.stringMatching(/^\[agent\] max_iterations in .*: accepted, not acted on: only a selfware agent has a step limit/)]);
    }
    expect(said('selfware')).toEqual([]);
  });

  it('maps its session, checkpoint and recovery keys onto megatest', () => {
    expect(config.session).toMatchObject({
      session_id: '', // "auto"
      duration_seconds: source.session.duration_hours * 3600,
      agents: source.session.agent_count,
      project: source.session.project_type,
    });
    expect(config.checkpoint).toMatchObject({
      enabled: source.checkpoint.enabled,
      interval_minutes: source.checkpoint.interval_minutes,
      tool_call_threshold: source.checkpoint.tool_call_threshold,
      token_threshold: source.checkpoint.token_threshold,
    });
    expect(config.error_handling).toMatchObject({
      max_recovery_attempts: source.checkpoint.max_recovery_attempts,
      backoff_strategy: source.checkpoint.backoff_strategy,
      backoff_initial_seconds: source.checkpoint.backoff_initial_seconds,
      backoff_max_seconds: source.checkpoint.backoff_max_seconds,
      max_consecutive_errors: source.error_handling.max_consecutive_errors,
      rules: source.error_handling.rules,
    });
  });

  it('maps its agent, limits and monitoring keys', () => {
    expect(config.agent.step_timeout_secs).toBe(source.agent.step_timeout_secs);
    expect(config.agent.roles).toEqual(source.agent.roles.map((role: string) => role.toLowerCase()));
    expect(config.agent.max_context_size).toBe(source.limits.max_context_size);
    expect(config.limits).toMatchObject({
      max_parallel_agents: source.agent.concurrent_agents,
      total_token_budget: source.limits.total_token_budget,
      tokens_per_hour_per_agent: source.limits.tokens_per_agent_per_hour,
      tool_calls_per_hour_per_agent: source.limits.tool_calls_per_agent_per_hour,
      disk_space_limit_gb: source.limits.disk_space_limit_gb,
      max_test_runtime_min: source.limits.max_test_runtime_min,
    });
    expect(config.monitoring).toMatchObject({ health_check_interval: source.monitoring.health_check_interval, log_level: 'INFO' });
    expect(config.consensus).toMatchObject({ quorum: source.consensus.min_votes, voting_timeout_secs: source.consensus.vote_timeout_secs });
  });

  it('reads the coverage targets as fractions and keeps the phases with their nominal minutes and megatest criteria', () => {
    expect(config.project.target).toMatchObject({
      min_lines_of_code: source.project.target.lines_of_code,
      min_test_coverage: source.project.target.test_coverage * 100,
      min_doc_coverage: source.project.target.documentation_coverage * 100,
    });
    expect(config.phases.map((phase) => [phase.name, phase.weight])).toEqual(
      source.phases.map((phase: { name: string; duration_minutes: number }) => [phase.name, phase.duration_minutes]),
    );
    // No criteria of its own: each phase is judged by the criteria of megatest's phase of the same name.
    const defaults = loadConfig({});
    for (const phase of config.phases) {
      const own = defaults.phases.find((candidate) => candidate.name === phase.name)!;
      expect(phase.criteria.map((criterion) => criterion.id)).toEqual(own.criteria.map((criterion) => criterion.id));
    }
    const finalization = config.phases.find((phase) => phase.name === 'finalization')!;
    expect(finalization.criteria.find((criterion) => criterion.metric === 'test_coverage')?.value).toBe(80);
  });

  it('sends no notification when enabled = false, and reads its event names as event types', () => {
    expect(source.notifications.enabled).toBe(false);
    expect(source.notifications.webhook_url).not.toBe('');
    expect(config.notifications.webhook_url).toBe('');
    expect(config.notifications.events).toEqual(['phase_ended', 'error', 'session_ended']);
    const enabled = writeScratch('notify.toml', '[notifications]\nenabled = true\nwebhook_url = "http://127.0.0.1:9/hook"\nevents = ["checkpoint"]\n');
    expect(load({ configFile: enabled }).config.notifications).toMatchObject({ webhook_url: 'http://127.0.0.1:9/hook', events: ['checkpoint_created'] });
  });
});

describe('keys that act as they say', () => {
  it('auto_recovery = false: no recovery attempt, every error pauses for a person', () => {
    const file = writeScratch('manual.toml', '[checkpoint]\nauto_recovery = false\nmax_recovery_attempts = 5\n');
    expect(load({ configFile: file }).config.error_handling.max_recovery_attempts).toBe(0);
  });

  it('log_level in any case; trace is written as debug, with a warning', () => {
    expect(load({ configFile: writeScratch('warn.toml', '[monitoring]\nlog_level = "Warn"\n') }).config.monitoring.log_level).toBe('WARN');
    const trace = load({ configFile: writeScratch('trace.toml', '[monitoring]\nlog_level = "trace"\n') });
    expect(trace.config.monitoring.log_level).toBe('DEBUG');
    expect(trace.notices.map((notice) => notice.message)).toEqual([expect.stringMatching(/^\[monitoring\] log_level = "trace" in .*: written as debug/)]);
  });

  it('duration_hours takes hours (a fraction too) or a duration string', () => {
    expect(load({ configFile: writeScratch('h.toml', '[session]\nduration_hours = 0.5\n') }).config.session.duration_seconds).toBe(1800);
    expect(load({ configFile: writeScratch('s.toml', '[session]\nduration_hours = "45s"\n') }).config.session.duration_seconds).toBe(45);
  });
});

describe('roles are case-insensitive', () => {
  it('"Architect" is the role architect, in [agent] and in a phase', () => {
    const file = writeScratch(
      'roles.toml',
      '[agent]\nroles = ["Architect", "DEVELOPER", "tester"]\n\n[[phases]]\nname = "bootstrap"\nduration_minutes = 60\nobjectives = ["x"]\nroles = ["architect", "Tester"]\n',
    );
    const { config } = load({ configFile: file });
    expect(config.agent.roles).toEqual(['architect', 'developer', 'tester']);
    expect(config.phases[0]!.roles).toEqual(['architect', 'tester']);
  });
});

describe('an unknown key says what to write instead, with its section', () => {
  it.each([
    ['a key of another table', '[agent]\nagent_count = 4\n', '[agent].agent_count', 'it belongs in [session]: [session] agent_count'],
    ['a key at the top level', 'agent_count = 4\n', 'agent_count', 'it belongs in [session]: [session] agent_count'],
    ['a key in the wrong table', '[limits]\nmax_recovery_attempts = 3\n', '[limits].max_recovery_attempts', 'it belongs in [checkpoint]: [checkpoint] max_recovery_attempts'],
    ['a near miss', '[checkpoint]\ninterval_minute = 5\n', '[checkpoint].interval_minute', 'did you mean [checkpoint] interval_minutes?'],
    ['a near miss of a new name', '[session]\nduration_hour = 2\n', '[session].duration_hour', 'did you mean [session] duration_hours?'],
    ['megatest\'s earlier name', '[session]\nagents = 3\n', '[session].agents', 'megatest names it [session] agent_count now'],
    ['megatest\'s earlier name in a phase', '[[phases]]\nname = "bootstrap"\nweight = 1\nobjectives = ["x"]\n', '[phases #1].weight', 'megatest names it [[phases]] duration_minutes now'],
  ])('%s', (_name, text, key, hint) => {
    const file = writeScratch('unknown.toml', text);
    const error = thrown(() => loadConfig({ configFile: file }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(new RegExp(`^unknown key ${escape(key)} in ${escape(file)} \\(line \\d+\\); ${escape(hint)}`));
  });
});

describe('a selfware settings file where a megatest config goes (what the wrapper\'s CONFIG_FILE named)', () => {
  const message = (label: string, line: number) =>
    `${label} (line ${line}) is a selfware settings file (endpoint at its top), not a megatest config: the original wrapper read its endpoint and model lines; in a megatest config they are [agents] endpoint and [agent] model (see docs/config-mapping.md)`;

  it('one endpoint line, or a whole selfware.toml (its [agent] token_budget is not the error): named as such, at its endpoint line', () => {
    const line = writeScratch('endpoint.toml', '# selfware\nendpoint = "http://127.0.0.1:8000/v1"\n');
    expect(thrown(() => loadConfig({ configFile: line })).message).toBe(message(line, 2));
    const whole = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'legacy', 'bash-complete', 'selfware.toml');
    const endpointLine = readFileSync(whole, 'utf8').split('\n').findIndex((text) => text.startsWith('endpoint =')) + 1;
    expect(endpointLine).toBeGreaterThan(0);
    expect(thrown(() => loadConfig({ configFile: whole })).message).toBe(message(whole, endpointLine));
    expect(thrown(() => loadConfig({ env: { CONFIG_FILE: whole } })).message).toBe(message(`${whole} (CONFIG_FILE)`, endpointLine));
    // config migrate names it too, at the same line of the file it was given.
    expect(thrown(() => migrateConfigFile(whole)).message).toBe(message(whole, endpointLine));
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('config migrate', () => {
  it('prints the original file in the current form: checked, without its unused keys, resolving to the same config', () => {
    const migration = migrateConfigFile(ORIGINAL);
    const migrated = writeScratch('migrated.toml', migration.text);
    const { config, notices } = load({ configFile: migrated });
    expect(config).toEqual(loadConfig({ configFile: ORIGINAL }));
    // Only the keys MegatestConfig still records stay, and are still named.
    expect(notices.flatMap((notice) => namedKeys(notice.message)).sort()).toEqual(['[agent] max_iterations', '[consensus] enabled', '[consensus] min_votes', '[consensus] vote_timeout_secs']);
    for (const key of NOT_ACTED_ON.filter((name) => !name.startsWith('[consensus] ') || /strategy|threshold/.test(name))) {
      expect(migration.text).toContain(`#   ${key} = `);
    }
    expect(migration.text).toMatch(/^roles = \[\s*"architect",\s*"coder"/m);
  });

  it('turns a file of megatest\'s earlier form into today\'s names', () => {
    const old = writeScratch(
      'old.toml',
      [
        '[session]',
        'agents = 3',
        'duration_seconds = 5400',
        'project = "database"',
        '[limits]',
        'tokens_per_hour_per_agent = 1000',
        'max_parallel_agents = 3',
        '[error_handling]',
        'backoff_initial_seconds = 2',
        '[project.target]',
        'min_test_coverage = 70',
        '[[phases]]',
        'name = "bootstrap"',
        'weight = 1',
        'objectives = ["x"]',
        'roles = []',
        'criteria = [{ id = "b.cov", description = "coverage", level = "important", metric = "test_coverage", op = ">=", value = "target.min_test_coverage" }]',
        '',
      ].join('\n'),
    );
    const migration = migrateConfigFile(old);
    expect(migration.renamed).toContain('[session] agents -> [session] agent_count');
    const config = loadConfig({ configFile: writeScratch('old-migrated.toml', migration.text) });
    expect(config.session).toMatchObject({ agents: 3, duration_seconds: 5400, project: 'database' });
    expect(config.limits).toMatchObject({ tokens_per_hour_per_agent: 1000, max_parallel_agents: 3 });
    expect(config.error_handling.backoff_initial_seconds).toBe(2);
    expect(config.project.target.min_test_coverage).toBe(70);
    expect(config.phases).toEqual([expect.objectContaining({ name: 'bootstrap', weight: 60, criteria: [expect.objectContaining({ value: 70 })] })]);
  });
});

describe('the Bash wrapper\'s environment', () => {
  it('CHECKPOINT_INTERVAL sets the minutes between checkpoints: over the config file, under the flag', () => {
    const file = writeScratch('interval.toml', '[checkpoint]\ninterval_minutes = 20\n');
    expect(load({ configFile: file, env: { CHECKPOINT_INTERVAL: '7' } }).config.checkpoint.interval_minutes).toBe(7);
    expect(load({ configFile: file, env: { CHECKPOINT_INTERVAL: '7' }, flags: { checkpointInterval: 3 } }).config.checkpoint.interval_minutes).toBe(3);
    expect(load({ configFile: file, env: { CHECKPOINT_INTERVAL: '' } }).config.checkpoint.interval_minutes).toBe(20);
    const error = thrown(() => loadConfig({ env: { CHECKPOINT_INTERVAL: 'often' } }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/^CHECKPOINT_INTERVAL=often \(environment\): must be minutes/);
  });

  it('CONFIG_FILE is the config file when --config is not given', () => {
    const fromEnv = load({ env: { CONFIG_FILE: ORIGINAL } });
    expect(fromEnv.config.limits.tokens_per_hour_per_agent).toBe(200_000);
    expect(fromEnv.notices[0]).toEqual({ level: 'note', message: expect.stringContaining(`CONFIG_FILE=${ORIGINAL}`) });
    const other = writeScratch('other.toml', '[limits]\ntokens_per_agent_per_hour = 1234\n');
    expect(load({ configFile: other, env: { CONFIG_FILE: ORIGINAL } }).config.limits.tokens_per_hour_per_agent).toBe(1234);
  });

  it('exports the SELFWARE_* variables run_mega_test.sh gave its agent', () => {
    const config = loadConfig({ configFile: ORIGINAL });
    expect(wrapperAgentEnvironment(config, { id: 'mega-1', dir: 'test_runs/mega-1' })).toEqual({
      SELFWARE_SESSION_ID: 'mega-1',
      SELFWARE_SESSION_DIR: path.resolve('test_runs/mega-1'),
      SELFWARE_CHECKPOINT_INTERVAL: '10',
      SELFWARE_AUTO_RECOVERY: 'true',
    });
    const manual = loadConfig({ configFile: writeScratch('off.toml', '[checkpoint]\nauto_recovery = false\n') });
    expect(wrapperAgentEnvironment(manual, { id: 'x', dir: '/runs/x' }).SELFWARE_AUTO_RECOVERY).toBe('false');
  });
});

describe('config migrate refuses a bad value where config check does: in the file, at its line', () => {
  it.each([
    ['an unknown key', '[session]\nagent_count = 4\nfoo = 1\n', 'unknown key [session].foo in %f (line 3); valid keys:'],
    ['a wrong type', '# old\n[session]\nagent_count = "six"\n', '[session].agent_count = "six" in %f (line 3): must be an integer 1..16'],
    ['a $HOME path', '[session]\nruns_dir = "$HOME/runs"\n', '[session].runs_dir = "$HOME/runs" in %f (line 2): must be a directory path written out'],
  ])('%s: the message config check gives, never "(as migrated)"', (_name, text, expected) => {
    const file = writeScratch('bad-migrate.toml', text);
    const migrated = thrown(() => migrateConfigFile(file));
    expect(migrated).toBeInstanceOf(ConfigError);
    expect(migrated.message.startsWith(expected.replace('%f', file))).toBe(true);
    expect(migrated.message).not.toContain('as migrated');
    expect(migrated.message).toBe(thrown(() => loadConfig({ configFile: file })).message);
  });

  it("a value under megatest's earlier name: refused under today's name, saying how and where the file wrote it", () => {
    const file = writeScratch('renamed-bad.toml', '[metadata]\nname = "x"\n[session]\nagents = 40\n');
    expect(thrown(() => migrateConfigFile(file)).message).toBe(`[session].agent_count = 40 in ${file}: must be an integer 1..16 (${file} writes it as [session] agents, line 4)`);
  });
});
