import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import TOML from '@iarna/toml';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../../src/config/errors.js';
import {
  checkConfigFile,
  configToToml,
  DEFAULT_CONFIG_FILE,
  loadConfig,
  PRESETS,
  resolveTemplate,
  type ConfigFlags,
} from '../../src/config/load.js';
import { CRITERION_METRIC_NAMES } from '../../src/config/schema.js';
import type { MegatestConfig } from '../../src/config/types.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

const FIXTURES = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'config');
const fixture = (name: string): string => path.join(FIXTURES, name);
const scratch = mkdtempSync(path.join(os.tmpdir(), 'megatest-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function writeScratch(name: string, text: string): string {
  const file = path.join(scratch, name);
  writeFileSync(file, text);
  return file;
}

/** Runs `load` and returns what it threw, failing the test if it did not throw. */
function thrown(load: () => unknown): Error {
  try {
    load();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, none was thrown');
}

const PHASES = ['bootstrap', 'development', 'refinement', 'finalization'];

describe('defaults (config/mega_test_config.toml)', () => {
  const config = loadConfig({});

  it('load and validate with the documented default numbers', () => {
    expect(config.session).toEqual({
      project: 'task_queue',
      duration_seconds: 6 * 3600,
      agents: 6,
      session_id: '',
      runs_dir: 'test_runs',
      seed: 1,
      headless: false,
    });
    expect(config.checkpoint).toMatchObject({ interval_minutes: 30, tool_call_threshold: 500, token_threshold: 1_000_000 });
    expect(config.monitoring).toMatchObject({ health_check_interval: 30, control_port: 8080 });
    expect(config.error_handling).toMatchObject({
      max_recovery_attempts: 5,
      max_consecutive_errors: 10,
      backoff_strategy: 'exponential',
      backoff_initial_seconds: 1,
      backoff_max_seconds: 300,
    });
    expect(config.limits).toEqual({
      total_token_budget: 50_000_000,
      tokens_per_hour_per_agent: 2_000_000,
      tool_calls_per_hour_per_agent: 2000,
      max_idle_minutes: 10,
      max_parallel_agents: 8,
      max_test_runtime_min: 10,
      disk_space_limit_gb: 10,
      min_free_disk_gb: 1,
    });
    expect(config.agents).toEqual({
      kind: 'sim',
      command: '',
      binary: '',
      endpoint: '',
      models: ['claude-sonnet-4-5', 'claude-haiku-4-5'],
      isolation: 'auto',
    });
    expect(config.agent.roles).toEqual(['architect', 'developer', 'developer', 'tester', 'reviewer', 'documenter']);
    expect(config.sim.faults).toEqual([]);
    expect(config.ui).toEqual({ theme: 'dark', ascii: false });
  });

  it('have the four phases of 60/120/120/60 nominal minutes with objectives and criteria', () => {
    expect(config.phases.map((phase) => [phase.name, phase.weight])).toEqual([
      ['bootstrap', 60],
      ['development', 120],
      ['refinement', 120],
      ['finalization', 60],
    ]);
    for (const phase of config.phases) {
      expect(phase.objectives.length).toBeGreaterThan(0);
      expect(phase.criteria.some((criterion) => criterion.level === 'critical' && criterion.metric === 'build_ok')).toBe(true);
      for (const criterion of phase.criteria) expect(CRITERION_METRIC_NAMES).toContain(criterion.metric);
    }
  });

  it('resolve the finalization criteria against the targets of the selected template', () => {
    const finalization = config.phases.find((phase) => phase.name === 'finalization')!;
    const byId = Object.fromEntries(finalization.criteria.map((criterion) => [criterion.id, criterion]));
    expect(byId['finalization.test_pass_rate']).toMatchObject({ level: 'critical', metric: 'test_pass_rate', op: '>=', value: 0.95 });
    expect(byId['finalization.fatal_errors']).toMatchObject({ level: 'critical', op: '==', value: 0 });
    expect(byId['finalization.checkpoints_valid']).toMatchObject({ level: 'critical', op: '==', value: 1 });
    expect(byId['finalization.test_coverage']).toMatchObject({ level: 'important', value: 80 });
    expect(byId['finalization.lines_of_code']).toMatchObject({ level: 'important', value: 5000 });
    expect(byId['finalization.doc_coverage']).toMatchObject({ level: 'nice_to_have', value: 50 });
    expect(config.project.target).toEqual({
      min_lines_of_code: 5000,
      min_test_coverage: 80,
      min_test_pass_rate: 0.95,
      min_doc_coverage: 50,
    });
  });

  it('classify every built-in error class with its recovery action', () => {
    const actionOf = Object.fromEntries(config.error_handling.rules.filter((rule) => rule.class).map((rule) => [rule.class, rule.action]));
    expect(actionOf).toMatchObject({
      network_timeout: 'retry_with_backoff',
      rate_limit: 'switch_model',
      parse_failure: 'retry_with_modification',
      disk_full: 'pause_and_alert',
      consensus_deadlock: 'escalate',
      agent_crash: 'restore_checkpoint',
      data_corruption: 'stop',
    });
    const classify = (message: string): string | undefined =>
      config.error_handling.rules.find((rule) => new RegExp(rule.pattern, 'i').test(message))?.class;
    expect(classify('connect ETIMEDOUT 10.0.0.1:443')).toBe('network_timeout');
    expect(classify('429 Too Many Requests')).toBe('rate_limit');
    expect(classify('Unexpected token } in JSON at position 12')).toBe('parse_failure');
    expect(classify('ENOSPC: no space left on device')).toBe('disk_full');
    expect(classify('checkpoint_004 checksum mismatch')).toBe('data_corruption');
    expect(classify('vote timed out after 300 s')).toBe('consensus_deadlock');
    expect(classify('step timeout: no output for 600 s')).toBe('agent_hang');
    expect(classify('503 Service Unavailable: api error')).toBe('llm_error');
    expect(classify("prompt is too long: 210000 tokens > 200000 maximum")).toBe('context_overflow');
    expect(classify('test result: FAILED. 3 passed; 1 failed')).toBe('test_failure');
  });

  it('load the three shipped project templates keyed by file name', () => {
    expect(Object.keys(config.projects).sort()).toEqual(['database', 'microservices', 'task_queue']);
    expect(resolveTemplate(config).name).toBe('RedQueue');
  });

  it('document every key of every table with a comment', () => {
    const lines = readFileSync(DEFAULT_CONFIG_FILE, 'utf8').split('\n');
    const undocumented: string[] = [];
    let commentSeen = false;
    let table = '';
    for (const line of lines) {
      const trimmed = line.trim();
      if (trimmed.startsWith('#')) {
        commentSeen = true;
        continue;
      }
      const header = /^\[+([^\]]+)\]+/.exec(trimmed);
      if (header) {
        table = header[1];
        continue;
      }
      const key = /^([a-z_]+)\s*=/.exec(trimmed);
      // Entries of [[phases]], [[phases.criteria]] and [[error_handling.rules]] are documented once above the list.
      if (key && !/^(phases|error_handling\.rules)/.test(table) && !commentSeen && !trimmed.includes('#')) {
        undocumented.push(`[${table}].${key[1]}`);
      }
      if (trimmed === '') commentSeen = false;
      else if (key) commentSeen = commentSeen || trimmed.includes('#');
    }
    expect(undocumented).toEqual([]);
  });
});

describe('presets', () => {
  const expected: Record<string, { hours: number; agents: number }> = {
    mini: { hours: 1, agents: 2 },
    standard: { hours: 4, agents: 4 },
    mega: { hours: 8, agents: 8 },
    stress: { hours: 12, agents: 12 },
  };

  it('are the four documented ones', () => {
    expect([...PRESETS]).toEqual(['mini', 'standard', 'mega', 'stress']);
  });

  it.each(Object.entries(expected))('%s loads with its duration and agent count', (preset, { hours, agents }) => {
    const config = loadConfig({ preset });
    expect(config.session.duration_seconds).toBe(hours * 3600);
    expect(config.session.agents).toBe(agents);
    expect(config.consensus.quorum).toBeLessThanOrEqual(agents);
    expect(config.session.agents).toBeLessThanOrEqual(config.limits.max_parallel_agents);
  });

  it('stress schedules sim faults of every kind within its twelve hours', () => {
    const config = loadConfig({ preset: 'stress' });
    const kinds = new Set(config.sim.faults.map((fault) => fault.kind));
    expect(kinds).toEqual(
      new Set(['network_timeout', 'rate_limit', 'parse_failure', 'agent_crash', 'hang', 'disk_limit', 'consensus_deadlock', 'corrupt_checkpoint']),
    );
    for (const fault of config.sim.faults) expect(fault.at_seconds).toBeLessThan(config.session.duration_seconds);
  });

  it('an unknown preset is a usage error listing the valid ones', () => {
    expect(() => loadConfig({ preset: 'huge' })).toThrowError(
      new UsageError('--preset huge: unknown preset; valid presets: mini, standard, mega, stress'),
    );
  });
});

describe('project templates', () => {
  const cases = [
    { type: 'task_queue', name: 'RedQueue', loc: 5000, coverage: 80 },
    { type: 'database', name: 'MiniDB', loc: 8000, coverage: 75 },
    { type: 'microservices', name: 'ServiceMesh', loc: 6000, coverage: 80 },
  ];

  it.each(cases)('$type ($name) has its targets, prompt, components, backlog and cargo commands', ({ type, name, loc, coverage }) => {
    const config = loadConfig({ flags: { project: type } });
    const template = resolveTemplate(config);
    expect(template).toMatchObject({ type, name, language: 'rust', target_loc: loc, target_coverage: coverage });
    expect(template.prompt).toContain(name);
    expect(template.components.length).toBeGreaterThanOrEqual(8);
    expect(Object.keys(template.tasks)).toEqual(PHASES);
    for (const phase of PHASES) {
      expect(template.tasks[phase].length).toBeGreaterThanOrEqual(3);
      expect(template.tasks[phase].length).toBeLessThanOrEqual(6);
    }
    expect(template.build_command).toMatch(/^cargo build/);
    expect(template.test_command).toMatch(/^cargo test/);
    expect(template.test_format).toBe('cargo');
    expect(template.coverage_command).toMatch(/^cargo llvm-cov .*--cobertura --output-path target\/coverage\/cobertura\.xml$/);
    // Every test run, and the report, when some tests fail (an agent's work in progress): the counts are read from this run.
    expect(template.coverage_command).toContain(' --ignore-run-fail ');
    expect(template.test_command).toContain(' --no-fail-fast');
    expect(template).toMatchObject({ coverage_report: 'target/coverage/cobertura.xml', coverage_format: 'cobertura' });
    // The targets flow into the criteria that compare with them.
    const finalization = config.phases.find((phase) => phase.name === 'finalization')!;
    expect(finalization.criteria.find((criterion) => criterion.metric === 'lines_of_code')?.value).toBe(loc);
    expect(finalization.criteria.find((criterion) => criterion.metric === 'test_coverage')?.value).toBe(coverage);
  });

  it('a project of jest or vitest reads their JSON report (test_format "jest-json"), from stdout with no test_report', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'megatest-jest-json-'));
    try {
      const file = path.join(dir, 'vitest.toml');
      writeFileSync(file, readFileSync(fixture('custom_project.toml'), 'utf8').replace('test_format = "node-tap"', 'test_format = "jest-json"').replace('test_command = "node --test --test-reporter=tap"', 'test_command = "npx vitest run --reporter=json"'));
      expect(resolveTemplate(loadConfig({ configFile: file }))).toMatchObject({ type: 'kv_store', test_format: 'jest-json', test_report: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a --config file may add and select its own [projects.<type>]', () => {
    const config = loadConfig({ configFile: fixture('custom_project.toml') });
    expect(config.session.project).toBe('kv_store');
    expect(Object.keys(config.projects).sort()).toEqual(['database', 'kv_store', 'microservices', 'task_queue']);
    expect(resolveTemplate(config)).toMatchObject({ type: 'kv_store', name: 'KVStore', test_format: 'node-tap', target_loc: 1500 });
    expect(config.project.target.min_lines_of_code).toBe(1500);
  });

  it('resolveTemplate names the valid types for an unknown project', () => {
    const config = loadConfig({});
    const broken: MegatestConfig = { ...config, session: { ...config.session, project: 'compiler' } };
    const error = thrown(() => resolveTemplate(broken));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({
      message: 'unknown project "compiler"; valid project types: database, microservices, task_queue',
      key: 'session.project',
    });
  });
});

describe('agents that run at once ([agent] concurrent_agents)', () => {
  it('the defaults\' cap does not cut the agents asked for: --agents 16 runs 16', () => {
    expect(loadConfig({ flags: { agents: 16 } }).limits.max_parallel_agents).toBe(16);
    expect(loadConfig({ flags: { agents: 4 } }).limits.max_parallel_agents).toBe(loadConfig({}).limits.max_parallel_agents);
  });

  it('a cap a file or preset sets is kept, and caps (a copy of the default file sets none)', () => {
    const capped = path.join(scratch, 'capped.toml');
    writeFileSync(capped, '[agent]\nconcurrent_agents = 4\n');
    expect(loadConfig({ configFile: capped, flags: { agents: 10 } }).limits.max_parallel_agents).toBe(4);
    const copy = path.join(scratch, 'default-copy.toml');
    const defaultFile = readFileSync(path.join(PACKAGE_ROOT, 'config', 'mega_test_config.toml'), 'utf8');
    writeFileSync(copy, defaultFile.replace(/^agent_count = \d+$/m, 'agent_count = 12'));
    const fromCopy = loadConfig({ configFile: copy });
    expect(fromCopy.session.agents).toBe(12);
    expect(fromCopy.limits.max_parallel_agents).toBe(12);
  });
});

describe('precedence: flags > --config file > preset > defaults', () => {
  it('each layer overrides the one below it, key by key', () => {
    expect(loadConfig({}).session.agents).toBe(6);
    expect(loadConfig({ preset: 'mini' }).session.agents).toBe(2);
    const withFile = loadConfig({ preset: 'mini', configFile: fixture('partial.toml') });
    expect(withFile.session.agents).toBe(3);
    expect(withFile.session.duration_seconds).toBe(7200);
    expect(withFile.limits.total_token_budget).toBe(1_000_000);
    // Keys the file does not set keep the preset's, then the defaults'.
    expect(withFile.checkpoint.interval_minutes).toBe(10);
    expect(withFile.limits.tokens_per_hour_per_agent).toBe(2_000_000);
    const withFlags = loadConfig({ preset: 'mini', configFile: fixture('partial.toml'), flags: { agents: 5, hours: 3 } });
    expect(withFlags.session.agents).toBe(5);
    expect(withFlags.session.duration_seconds).toBe(3 * 3600);
    expect(withFlags.limits.total_token_budget).toBe(1_000_000);
  });

  it('--duration overrides HOURS', () => {
    expect(loadConfig({ flags: { hours: 2, duration: '90m' } }).session.duration_seconds).toBe(5400);
    expect(loadConfig({ flags: { hours: 1.5 } }).session.duration_seconds).toBe(5400);
  });

  it('maps every flag onto its key', () => {
    const flags: ConfigFlags = {
      project: 'database',
      agents: 4,
      duration: '45s',
      agentKind: 'command',
      agentCmd: 'node my-agent.js',
      sessionId: 'nightly-1',
      runsDir: '/tmp/runs',
      checkpointInterval: 5,
      headless: true,
      seed: 7,
      port: 9090,
      theme: 'light',
      ascii: true,
    };
    const config = loadConfig({ flags });
    expect(config.session).toEqual({
      project: 'database',
      duration_seconds: 45,
      agents: 4,
      session_id: 'nightly-1',
      runs_dir: '/tmp/runs',
      seed: 7,
      headless: true,
    });
    expect(config.agents).toMatchObject({ kind: 'command', command: 'node my-agent.js' });
    expect(config.checkpoint.interval_minutes).toBe(5);
    expect(config.monitoring.control_port).toBe(9090);
    expect(config.ui).toEqual({ theme: 'light', ascii: true });
  });

  it('--agent-cmd alone turns the sim agent into a command agent; beside another --agent it is refused, not ignored', () => {
    expect(loadConfig({ flags: { agentCmd: './agent' } }).agents.kind).toBe('command');
    expect(loadConfig({ flags: { agentCmd: './agent', agentKind: 'command' } }).agents).toMatchObject({ kind: 'command', command: './agent' });
    for (const agentKind of ['sim', 'selfware'] as const) {
      expect(() => loadConfig({ flags: { agentCmd: '/opt/selfware', agentKind } })).toThrowError(
        new UsageError(`--agent-cmd is only for --agent command; --agent ${agentKind} runs its own program (set [agents] binary to choose which)`),
      );
    }
  });

  it('the default models are Claude\'s: codex and selfware, with no model named, get "" (the program\'s own default)', () => {
    const defaults = loadConfig({}).agents.models;
    expect(defaults.length).toBeGreaterThan(0);
    expect(defaults.every((model) => model.startsWith('claude-'))).toBe(true);
    expect(loadConfig({ flags: { agentKind: 'claude-code' } }).agents.models).toEqual(defaults);
    expect(loadConfig({ flags: { agentKind: 'command', agentCmd: './a' } }).agents.models).toEqual(defaults);
    for (const kind of ['codex', 'selfware']) {
      expect(loadConfig({ flags: { agentKind: kind } }).agents.models).toEqual(['']);
      const kindFile = writeScratch(`${kind}.toml`, `[agents]\nkind = "${kind}"\n`);
      expect(loadConfig({ configFile: kindFile }).agents.models).toEqual(['']);
      // A model named anywhere above the defaults is the user's: kept.
      const models = writeScratch(`${kind}-models.toml`, `[agents]\nkind = "${kind}"\nmodels = ["gpt-5-codex", "o4-mini"]\n`);
      expect(loadConfig({ configFile: models }).agents.models).toEqual(['gpt-5-codex', 'o4-mini']);
      const model = writeScratch(`${kind}-model.toml`, '[agent]\nmodel = "qwen3-coder-30b"\n');
      expect(loadConfig({ configFile: model, flags: { agentKind: kind } }).agents.models).toEqual(['qwen3-coder-30b', ...defaults]);
    }
    // A copy of the documented default file, kind changed, names the defaults' models: no choice of a model.
    const copy = writeScratch('copy.toml', readFileSync(DEFAULT_CONFIG_FILE, 'utf8').replace(/^kind = "sim"$/m, 'kind = "codex"'));
    expect(loadConfig({ configFile: copy }).agents).toMatchObject({ kind: 'codex', models: [''] });
    // [""] is a value a file may give too (config print writes it), for any kind.
    const own = writeScratch('own-model.toml', '[agents]\nkind = "claude-code"\nmodels = [""]\n');
    expect(loadConfig({ configFile: own }).agents.models).toEqual(['']);
  });

  it('[agent] model is the model agents start on, then [agents] models in order', () => {
    const defaults = loadConfig({}).agents.models;
    // The defaults agree: the start model is the first of the list.
    expect(defaults[0]).toBe(loadConfig({}).agent.model);
    const start = writeScratch('start.toml', '[agent]\nmodel = "qwen3-coder-30b"\n');
    expect(loadConfig({ configFile: start }).agents.models).toEqual(['qwen3-coder-30b', ...defaults]);
    const both = writeScratch('both.toml', '[agent]\nmodel = "b"\n[agents]\nmodels = ["a", "b", "c"]\n');
    expect(loadConfig({ configFile: both }).agents.models).toEqual(['b', 'a', 'c']);
    const list = writeScratch('list.toml', '[agents]\nmodels = ["a", "b"]\n');
    expect(loadConfig({ configFile: list }).agents.models).toEqual(['a', 'b']);
    const full = writeScratch('full.toml', `[agent]\nmodel = "start"\n[agents]\nmodels = [${Array.from({ length: 20 }, (_, i) => `"m${i}"`).join(', ')}]\n`);
    const twenty = loadConfig({ configFile: full }).agents.models;
    expect(twenty).toHaveLength(20);
    expect(twenty[0]).toBe('start');
  });

  it('an array in a layer replaces the whole array', () => {
    const file = writeScratch('roles.toml', '[agent]\nroles = ["developer", "tester"]\n');
    expect(loadConfig({ configFile: file }).agent.roles).toEqual(['developer', 'tester']);
  });

  it('checkConfigFile validates a partial file merged over the defaults', () => {
    const config = checkConfigFile(fixture('partial.toml'));
    expect(config.session.agents).toBe(3);
    expect(config.session.project).toBe('task_queue');
    expect(() => checkConfigFile(fixture('unknown_key.toml'))).toThrow(ConfigError);
  });
});

describe('config print', () => {
  const setups: { name: string; options: Parameters<typeof loadConfig>[0] }[] = [
    { name: 'defaults', options: {} },
    { name: 'stress preset with flags', options: { preset: 'stress', flags: { project: 'microservices', agents: 16, duration: '1h30m', theme: 'mono' } } },
    { name: 'a custom project', options: { configFile: fixture('custom_project.toml'), flags: { agentCmd: 'python agent.py' } } },
  ];

  it.each(setups)('round-trips through loadConfig ($name)', ({ options }) => {
    const config = loadConfig(options);
    const printed = configToToml(config);
    expect(() => TOML.parse(printed)).not.toThrow();
    const file = writeScratch('printed.toml', printed);
    expect(loadConfig({ configFile: file })).toEqual(config);
  });

  it('what it prints, and the shipped files themselves, pass config check without a warning about keys megatest does not act on', () => {
    const notices: string[] = [];
    const onNotice = (notice: { message: string }) => void notices.push(notice.message);
    checkConfigFile(writeScratch('printed-again.toml', configToToml(loadConfig({}))), onNotice);
    for (const file of [DEFAULT_CONFIG_FILE, ...PRESETS.map((preset) => path.join(PACKAGE_ROOT, 'config', 'presets', `${preset}.toml`))]) checkConfigFile(file, onNotice);
    expect(notices).toEqual([]);
    // A file of the user's that sets them is still told.
    checkConfigFile(writeScratch('votes.toml', '[consensus]\nmin_votes = 2\n'), onNotice);
    expect(notices).toEqual([expect.stringMatching(/^\[consensus\] min_votes in .*votes\.toml: accepted, not acted on: /)]);
  });

  it('prints a TOML document that starts with an explanation', () => {
    const printed = configToToml(loadConfig({}));
    expect(printed.startsWith('# megatest configuration, resolved')).toBe(true);
    expect(printed).toContain('[projects.database]');
    expect(printed).not.toMatch(/^type = /m);
  });
});

describe('bad input', () => {
  it('a missing config file names the file', () => {
    const error = thrown(() => loadConfig({ configFile: 'no/such/file.toml' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`config file no/such/file.toml not found (looked for ${path.resolve('no/such/file.toml')})`);
    expect((error as ConfigError).file).toBe('no/such/file.toml');
  });

  it('a directory given as config file', () => {
    expect(() => loadConfig({ configFile: scratch })).toThrowError(/is a directory, expected a TOML file/);
  });

  it('a pipe or a device given as config file is refused, not read until it ends (which /dev/zero never does)', () => {
    expect(thrown(() => loadConfig({ configFile: '/dev/zero' })).message).toBe('config file /dev/zero: not a regular file (a pipe or a device), expected a TOML file');
  });

  it('a key or a table set twice is named, with how a list of tables is written; a .json or .yaml file is told it must be TOML', () => {
    const at = (name: string, text: string) => {
      const file = path.join(scratch, name);
      writeFileSync(file, text);
      return thrown(() => loadConfig({ configFile: file })).message.slice(file.length);
    };
    expect(at('dup.toml', '[session]\nagent_count = 4\nagent_count = 5\n')).toMatch(/^ line 3, column \d+: malformed TOML: .+: agent_count is set above already in this table$/);
    expect(at('phases.toml', '[[phases]]\nname = "a"\n[phases]\nname = "b"\n')).toMatch(
      /^ line 3, column \d+: malformed TOML: .+: the table \[phases\] is set above already \(a list of tables is written \[\[phases\]\], each one again\)$/,
    );
    expect(at('c.json', '{"session": {}}\n')).toMatch(/ \(config files are TOML; this one's name ends in \.json\)$/);
    expect(at('c.yaml', 'session:\n  agent_count: 3\n')).toMatch(/ \(config files are TOML; this one's name ends in \.yaml\)$/);
  });

  it('malformed TOML gives the line and column from the parser', () => {
    const file = fixture('malformed.toml');
    const error = thrown(() => loadConfig({ configFile: file })) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `${file} line 2, column 15: malformed TOML: Unexpected character, expecting string, number, datetime, boolean, inline array or inline table`,
    );
    expect(error.line).toBe(2);
  });

  it('a file saved by a Windows editor (a byte order mark, CRLF line ends) reads as what it says', () => {
    const file = path.join(scratch, 'windows.toml');
    writeFileSync(file, '\uFEFF[session]\r\nagent_count = 4\r\nduration_hours = 2\r\n');
    const config = loadConfig({ configFile: file });
    expect(config.session).toMatchObject({ agents: 4, duration_seconds: 7200 });
  });

  it.each([
    ['curly quotes pasted from a document', 'model = \u201Cclaude\u201D', 'line 2, column 9', 'found U+201C, a curly quote \u201C (TOML quotes are " and \')'],
    ['a no-break space pasted from a web page', 'agent_count\u00A0= 4', 'line 2, column 12', 'found U+00A0, a no-break space'],
    ['a byte order mark inside the file', '\uFEFFagent_count = 4', 'line 2, column 1', 'unexpected character U+FEFF, a byte order mark'],
  ])('%s: the error names the character', (_what, line, where, says) => {
    const file = path.join(scratch, 'pasted.toml');
    writeFileSync(file, `[${line.startsWith('model') ? 'agent' : 'session'}]\n${line}\n`);
    const error = thrown(() => loadConfig({ configFile: file })) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`${file} ${where}: malformed TOML:`);
    expect(error.message).toContain(says);
  });

  it('a file that is not UTF-8 text: said so, not "Unknown character 65533"', () => {
    const file = path.join(scratch, 'binary.toml');
    writeFileSync(file, Buffer.from([0x5b, 0xff, 0xfe, 0x00, 0x01, 0x5d]));
    const error = thrown(() => loadConfig({ configFile: file })) as ConfigError;
    expect(error.message).toMatch(/ line 1: bytes that are not UTF-8 text \(a TOML file is UTF-8; was it saved in another encoding\?\)$/);
    expect(error.message).not.toMatch(/65533/);
  });

  it('a value typed in another encoding: its line, not taken silently as U+FFFD', () => {
    const file = path.join(scratch, 'latin1.toml');
    // "café" in Latin-1 on line 2: é is the byte 0xE9, never a whole UTF-8 character.
    writeFileSync(file, Buffer.concat([Buffer.from('[metadata]\nname = "caf'), Buffer.from([0xe9]), Buffer.from('"\n')]));
    const error = thrown(() => loadConfig({ configFile: file })) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.line).toBe(2);
    expect(error.message).toBe(`${file} line 2: bytes that are not UTF-8 text (a TOML file is UTF-8; was it saved in another encoding?)`);
  });

  it('a real U+FFFD in a UTF-8 file is a character like any other', () => {
    const file = path.join(scratch, 'replacement.toml');
    writeFileSync(file, '[metadata]\nname = "a \uFFFD b"\n');
    expect(loadConfig({ configFile: file }).metadata.name).toBe('a \uFFFD b');
  });

  it.each([
    [0x1a, 'U+001A, a control character (is it a TOML file?)'],
    [0x01, 'U+0001, a control character (is it a TOML file?)'],
  ])('a control character (%i) is named by its code point, not its decimal value', (byte, named) => {
    const file = path.join(scratch, `control-${byte}.toml`);
    writeFileSync(file, Buffer.concat([Buffer.from('a = "x"\n'), Buffer.from([byte]), Buffer.from('\n')]));
    const error = thrown(() => loadConfig({ configFile: file })) as ConfigError;
    expect(error.message).toMatch(new RegExp(` line 2, column 1: malformed TOML: unexpected character ${named.replace(/[()?+]/g, '\\$&')}$`));
    expect(error.message).not.toContain(`"${byte}"`);
  });

  it('an unknown key suggests the nearest valid key', () => {
    const file = fixture('unknown_key.toml');
    const error = thrown(() => loadConfig({ configFile: file })) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`unknown key [limits].tokens_per_hour in ${file} (line 3); did you mean [limits] tokens_per_agent_per_hour?`);
    expect(error).toMatchObject({ file, key: 'limits.tokens_per_hour', line: 3 });
  });

  it('an unknown table suggests the nearest valid table', () => {
    const file = fixture('unknown_table.toml');
    expect(() => loadConfig({ configFile: file })).toThrowError(`unknown key sesion in ${file} (line 1); did you mean [session]?`);
  });

  it('an unknown key with no near match lists the valid keys', () => {
    const file = writeScratch('far.toml', '[ui]\ncolour_scheme_of_the_console = "x"\n');
    expect(() => loadConfig({ configFile: file })).toThrowError(
      `unknown key [ui].colour_scheme_of_the_console in ${file} (line 2); valid keys: theme, ascii`,
    );
  });

  it('a wrong type names file, key, value and what is allowed', () => {
    const file = fixture('wrong_type.toml');
    const error = thrown(() => loadConfig({ configFile: file }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({
      message: `[limits].total_token_budget = "lots" in ${file} (line 5): must be tokens 1..100_000_000_000`,
      file,
      key: 'limits.total_token_budget',
      line: 5,
    });
  });

  it('a number or a boolean in quotes is told it is text, and how to write it', () => {
    const minutes = writeScratch('quoted-number.toml', '[checkpoint]\ninterval_minutes = "5"\n');
    expect(() => loadConfig({ configFile: minutes })).toThrowError(
      `[checkpoint].interval_minutes = "5" in ${minutes} (line 2): must be minutes 0.5..1440 (a value in quotes is text: write 5 without them)`,
    );
    const enabled = writeScratch('quoted-boolean.toml', '[checkpoint]\nenabled = "true"\n');
    expect(() => loadConfig({ configFile: enabled })).toThrowError(/= "true" in .*: must be true or false \(a value in quotes is text: write true without them\)$/);
  });

  it('a name of a list in other letters is told which it is', () => {
    const file = writeScratch('capitalised.toml', '[checkpoint]\nbackoff_strategy = "Exponential"\n');
    expect(() => loadConfig({ configFile: file })).toThrowError(
      `[checkpoint].backoff_strategy = "Exponential" in ${file} (line 2): must be one of "fixed", "linear", "exponential" (write "exponential": the names are lowercase)`,
    );
  });

  it('an out-of-range value names file, key, value and range', () => {
    const file = fixture('out_of_range.toml');
    expect(() => loadConfig({ configFile: file })).toThrowError(`[session].agent_count = 40 in ${file} (line 3): must be an integer 1..16`);
  });

  it('log rotation: 64 MiB and three older files by default; a cap or a count out of range names the key and the range', () => {
    expect(loadConfig({}).monitoring).toMatchObject({ log_rotate_mb: 64, log_rotate_keep: 3 });
    const zero = writeScratch('rotate-zero.toml', '[monitoring]\nlog_rotate_mb = 0\n');
    expect(() => loadConfig({ configFile: zero })).toThrowError(`[monitoring].log_rotate_mb = 0 in ${zero} (line 2): must be a size in MiB 1..1_048_576`);
    const none = writeScratch('rotate-none.toml', '[monitoring]\nlog_rotate_keep = 0\n');
    expect(() => loadConfig({ configFile: none })).toThrowError(`[monitoring].log_rotate_keep = 0 in ${none} (line 2): must be a count of older files 1..100`);
    const small = writeScratch('rotate-small.toml', '[monitoring]\nlog_rotate_mb = 1\nlog_rotate_keep = 10\n');
    expect(loadConfig({ configFile: small }).monitoring).toMatchObject({ log_rotate_mb: 1, log_rotate_keep: 10 });
  });

  it('a value outside an enumeration lists the allowed values', () => {
    const file = fixture('bad_enum.toml');
    expect(() => loadConfig({ configFile: file })).toThrowError(
      `[ui].theme = "neon" in ${file} (line 2): must be one of "dark", "light", "high-contrast", "mono"`,
    );
  });

  it('a table given as a scalar, an array given as a string', () => {
    const scalar = writeScratch('scalar.toml', 'limits = 5\n');
    expect(() => loadConfig({ configFile: scalar })).toThrowError(`limits = 5 in ${scalar} (line 1): must be a table`);
    const roles = writeScratch('roles-string.toml', '[agent]\nroles = "architect"\n');
    expect(() => loadConfig({ configFile: roles })).toThrowError(`[agent].roles = "architect" in ${roles} (line 2): must be an array`);
  });

  it('errors inside arrays of tables count the elements from 1', () => {
    const file = writeScratch(
      'faults.toml',
      '[[sim.faults]]\nat_seconds = 10\nkind = "hang"\nagent = ""\n\n[[sim.faults]]\nat_seconds = 20\nkind = "explode"\nagent = ""\n',
    );
    expect(() => loadConfig({ configFile: file })).toThrowError(
      `[sim.faults #2].kind = "explode" in ${file} (line 8): must be one of "network_timeout", "rate_limit", "parse_failure", "agent_crash", "hang", "disk_limit", "consensus_deadlock", "corrupt_checkpoint"`,
    );
  });

  it('a duration string that does not parse', () => {
    const file = writeScratch('duration.toml', '[session]\nduration_hours = "6 hours"\n');
    expect(() => loadConfig({ configFile: file })).toThrowError(
      `[session].duration_hours = "6 hours" in ${file} (line 2): must be a number of hours (6, or 0.5 for 30 minutes; 10 s..24 h) or a duration like "6h", "90m", "45s", "1h30m"`,
    );
  });

  it('an invalid regular expression in an error rule', () => {
    const file = writeScratch('regex.toml', '[[error_handling.rules]]\npattern = "(unclosed"\nseverity = "transient"\naction = "stop"\n');
    expect(() => loadConfig({ configFile: file })).toThrowError(
      `[error_handling.rules #1].pattern = "(unclosed" in ${file} (line 2): must be a valid regular expression (JavaScript syntax, matched case-insensitively)`,
    );
  });

  it('an error rule whose pattern can take hours to fail on one line', () => {
    const file = writeScratch('slowRegex.toml', '[[error_handling.rules]]\npattern = "(\\\\w+\\\\s?)+:"\nseverity = "critical"\naction = "pause_and_alert"\n');
    expect(() => loadConfig({ configFile: file })).toThrowError(
      `[error_handling.rules #1].pattern = "(\\\\w+\\\\s?)+:" in ${file} (line 2): must be a regular expression without a repeat of variable length inside an unbounded repeat (as in (\\w+\\s?)+), which can take hours to fail on one line: repeat the group or its content, not both`,
    );
  });

  it('a template missing keys is reported against the file that added it', () => {
    const file = fixture('incomplete_project.toml');
    expect(() => loadConfig({ configFile: file })).toThrowError(
      `missing key [projects.half].language in ${file} (table at line 4): must be a non-empty string`,
    );
  });

  it('an unknown project from a file lists the valid ones', () => {
    const file = fixture('unknown_project.toml');
    const error = thrown(() => loadConfig({ configFile: file }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `[session].project_type = "compiler" in ${file} (line 2): unknown project; valid project types: database, microservices, task_queue`,
    );
  });

  it('an unknown PROJECT (run\'s first argument) is named as the argument it came from, and the valid ones listed', () => {
    const error = thrown(() => loadConfig({ flags: { project: 'compiler' } }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe('PROJECT compiler: unknown project; valid project types: database, microservices, task_queue');
  });

  it('a criterion value outside its metric range (a percentage written as a ratio)', () => {
    const file = fixture('ratio_as_percent.toml');
    expect(() => loadConfig({ configFile: file })).toThrowError(
      `[phases #1.criteria #2].value = 95 in ${file} (line 22): must be 0..1 for metric test_pass_rate (a ratio, passed / (passed + failed))`,
    );
  });

  it('a phase the selected template has no tasks for', () => {
    const file = fixture('missing_phase_tasks.toml');
    expect(() => loadConfig({ configFile: file })).toThrowError(
      `[phases #2].name = "hardening" in ${file} (line 10): project template task_queue has no tasks for this phase; its tasks cover bootstrap, development, refinement, finalization (add [projects.task_queue.tasks] hardening = [3..6 tasks])`,
    );
  });

  it('a phase role that no agent has', () => {
    const file = writeScratch('role.toml', '[[phases]]\nname = "bootstrap"\nduration_minutes = 60\nobjectives = ["x"]\nroles = ["pilot"]\ncriteria = []\n');
    expect(() => loadConfig({ configFile: file })).toThrowError(
      `[phases #1].roles #1 = "pilot" in ${file} (line 5): must be one of [agent].roles: architect, developer, tester, reviewer, documenter`,
    );
  });

  it('too few tasks in a phase of a template', () => {
    const file = writeScratch('tasks.toml', '[projects.task_queue.tasks]\nbootstrap = ["one", "two"]\n');
    expect(() => loadConfig({ configFile: file })).toThrowError(
      `[projects.task_queue.tasks].bootstrap = ["one","two"] in ${file} (line 2): must be an array of task descriptions (3..6 items)`,
    );
  });

  it('backoff that starts above its maximum', () => {
    const file = writeScratch('backoff.toml', '[checkpoint]\nbackoff_initial_seconds = 500\n');
    expect(() => loadConfig({ configFile: file })).toThrowError(
      `[checkpoint].backoff_initial_seconds = 500 in ${file} (line 2): must not exceed backoff_max_seconds (300)`,
    );
  });

  it('a bad value is reported against the layer it came from, not the preset or the defaults', () => {
    const file = writeScratch('nested.toml', '[project.target]\nmin_test_pass_rate = 1.5\n');
    expect(() => loadConfig({ preset: 'mini', configFile: file })).toThrowError(
      `[project.target].min_test_pass_rate = 1.5 in ${file} (line 2): must be a ratio 0..1`,
    );
  });
});

describe('bad flags', () => {
  it.each<[ConfigFlags, string]>([
    [{ agents: 40 }, '--agents 40: must be 1..16'],
    [{ agents: 0 }, '--agents 0: must be 1..16'],
    [{ agents: 2.5 }, '--agents 2.5: must be 1..16'],
    [{ hours: 30 }, 'HOURS 30: must be a number of hours 1..24'],
    [{ hours: 0 }, 'HOURS 0: must be a number of hours 1..24'],
    [{ duration: '5s' }, '--duration "5s": must be between 10s and 24h'],
    [{ duration: 'soon' }, '--duration "soon": expected a duration like 6h, 90m, 45s or 1h30m (hours, minutes, seconds in that order)'],
    [{ theme: 'neon' }, '--theme neon: must be one of "dark", "light", "high-contrast", "mono"'],
    [{ port: 70000 }, '--port 70000: must be a TCP port 1..65_535'],
    [{ agentKind: 'gpt' }, '--agent gpt: must be one of "sim", "command", "selfware", "claude-code", "codex"'],
    [{ seed: -1 }, '--seed -1: must be an integer 0..4_294_967_295'],
    [{ checkpointInterval: 0 }, '--checkpoint-interval 0: must be minutes 0.5..1440'],
    [{ agentCmd: '  ' }, '--agent-cmd "": must be a non-empty command line'],
  ])('%j -> %s', (flags, message) => {
    const error = thrown(() => loadConfig({ flags }));
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(message);
  });

  it('--agent command without a command line says how to give one', () => {
    const error = thrown(() => loadConfig({ flags: { agentKind: 'command' } }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      '--agent command: needs the agent\'s command line: pass --agent-cmd "…" or set [agents].command in a --config file',
    );
  });
});
