// [[sim.faults]] triggers in a config file: at_seconds, after_tool_calls,
// in_phase (alone or with after_tool_calls), and the errors for a table with
// no trigger, two triggers, a bad count or a phase that does not exist.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';
import { simFaultTriggerProblem } from '../../src/config/simFaults.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'megatest-faults-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function faultsFile(name: string, ...tables: string[]): string {
  const file = path.join(scratch, name);
  writeFileSync(file, tables.map((body) => `[[sim.faults]]\n${body}agent = ""\n`).join('\n'));
  return file;
}

function thrown(load: () => unknown): Error {
  try {
    load();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, none was thrown');
}

const ALLOWED_KEYS = '(keys allowed in [[sim.faults]]: at_seconds, after_tool_calls, in_phase, kind, agent)';

describe('[[sim.faults]] triggers', () => {
  it('accepts each trigger and in_phase with after_tool_calls, keeping only the keys given', () => {
    const file = faultsFile(
      'triggers.toml',
      'at_seconds = 30\nkind = "network_timeout"\n',
      'after_tool_calls = 3\nkind = "agent_crash"\n',
      'in_phase = "development"\nkind = "hang"\n',
      'in_phase = "refinement"\nafter_tool_calls = 2\nkind = "corrupt_checkpoint"\n',
    );
    const { sim } = loadConfig({ configFile: file });
    expect(sim.faults).toEqual([
      { at_seconds: 30, kind: 'network_timeout', agent: '' },
      { after_tool_calls: 3, kind: 'agent_crash', agent: '' },
      { in_phase: 'development', kind: 'hang', agent: '' },
      { in_phase: 'refinement', after_tool_calls: 2, kind: 'corrupt_checkpoint', agent: '' },
    ]);
  });

  it('a table without a trigger names [[sim.faults]] and the keys it allows', () => {
    const file = faultsFile('none.toml', 'kind = "hang"\n');
    const error = thrown(() => loadConfig({ configFile: file }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `[sim].faults #1 = table {kind, agent} in ${file} (line 1): must be a [[sim.faults]] table with exactly one trigger: ` +
        'at_seconds = N (seconds from session start), after_tool_calls = N (after the agent\'s Nth tool call), ' +
        'or in_phase = "<phase>" (when the agent is given that phase; add after_tool_calls = N for its Nth tool call in that phase); ' +
        `it has none ${ALLOWED_KEYS}`,
    );
  });

  it.each([
    ['at_seconds = 5\nin_phase = "development"\n', 'at_seconds and in_phase'],
    ['at_seconds = 5\nafter_tool_calls = 2\n', 'at_seconds and after_tool_calls'],
    ['at_seconds = 5\nafter_tool_calls = 2\nin_phase = "development"\n', 'at_seconds, after_tool_calls and in_phase'],
  ])('conflicting triggers (%j) are an error naming both', (triggers, named) => {
    const file = faultsFile('both.toml', 'after_tool_calls = 1\nkind = "hang"\n', `${triggers}kind = "hang"\n`);
    const error = thrown(() => loadConfig({ configFile: file }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/^\[sim\]\.faults #2 = table \{.*\} in .* \(line 6\): must be a \[\[sim\.faults\]\] table with exactly one trigger: /);
    expect(error.message).toContain(`; it has ${named} ${ALLOWED_KEYS}`);
  });

  it('after_tool_calls must be a whole count from 1', () => {
    for (const [value, name] of [['0', 'zero'], ['1.5', 'fraction'], ['"3"', 'string']] as const) {
      const file = faultsFile(`count-${name}.toml`, `after_tool_calls = ${value}\nkind = "hang"\n`);
      expect(() => loadConfig({ configFile: file })).toThrowError(
        `[sim.faults #1].after_tool_calls = ${value} in ${file} (line 2): must be a tool call count 1..1_000_000`,
      );
    }
  });

  it('in_phase must name one of the [[phases]]', () => {
    const file = faultsFile('phase.toml', 'in_phase = "develop"\nafter_tool_calls = 2\nkind = "hang"\n');
    expect(() => loadConfig({ configFile: file })).toThrowError(
      `[sim.faults #1].in_phase = "develop" in ${file} (line 2): must name one of the [[phases]]: bootstrap, development, refinement, finalization`,
    );
  });

  it('a misspelt trigger key gets a suggestion', () => {
    const file = faultsFile('typo.toml', 'after_tool_call = 2\nkind = "hang"\n');
    expect(() => loadConfig({ configFile: file })).toThrowError(
      `unknown key [sim.faults #1].after_tool_call in ${file} (line 2); did you mean [[sim.faults]] after_tool_calls?`,
    );
  });

  it('simFaultTriggerProblem: one trigger, or in_phase with after_tool_calls', () => {
    expect(simFaultTriggerProblem({ at_seconds: 0 })).toBeUndefined();
    expect(simFaultTriggerProblem({ after_tool_calls: 1 })).toBeUndefined();
    expect(simFaultTriggerProblem({ in_phase: 'development' })).toBeUndefined();
    expect(simFaultTriggerProblem({ in_phase: 'development', after_tool_calls: 4 })).toBeUndefined();
    expect(simFaultTriggerProblem({})).toMatch(/it has none/);
    expect(simFaultTriggerProblem({ at_seconds: 1, in_phase: 'development' })).toMatch(/it has at_seconds and in_phase/);
  });
});
