// selfware.toml as `megatest run --agent selfware` writes it into the run
// folder: the session config's [agent] max_iterations and step_timeout_secs,
// and its context window ([limits] max_context_size) as selfware's
// token_budget, reach selfware's own [agent] table.

import TOML from '@iarna/toml';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeRun } from '../../../src/cli/runSession.js';
import { loadConfig, type ConfigNotice } from '../../../src/config/load.js';
import { PACKAGE_ROOT } from '../../../src/paths.js';
import { removeTempDirs, tempDir } from '../helpers.js';

const FAKE = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'fake-selfware.mjs');

function selfwareToml(agentTable: string): { toml: Record<string, unknown>; notices: ConfigNotice[] } {
  const file = path.join(tempDir('megatest-selfware-toml-'), 'megatest.toml');
  writeFileSync(
    file,
    [
      '[agent]',
      agentTable,
      '[limits]',
      'max_context_size = 64000',
      '[checkpoint]',
      'tool_call_threshold = 25',
      '[agents]',
      'kind = "selfware"',
      `binary = ${JSON.stringify(FAKE)}`,
      'endpoint = "http://127.0.0.1:8000/v1"',
      'models = ["qwen3-coder"]',
      '',
    ].join('\n'),
  );
  const notices: ConfigNotice[] = [];
  const config = loadConfig({ configFile: file, env: {}, onNotice: (notice) => notices.push(notice) });
  return { toml: TOML.parse(describeRun(config, 'toml-test').files['selfware.toml']!) as Record<string, unknown>, notices };
}

afterAll(removeTempDirs);

describe('selfware.toml from the session config', () => {
  it('carries [agent] max_iterations, step_timeout_secs and the context window as token_budget', () => {
    const { toml, notices } = selfwareToml('max_iterations = 250\nstep_timeout_secs = 90');
    expect(toml).toMatchObject({
      endpoint: 'http://127.0.0.1:8000/v1',
      model: 'qwen3-coder',
      agent: { max_iterations: 250, step_timeout_secs: 90, token_budget: 64000, native_function_calling: false },
      continuous_work: { enabled: true, checkpoint_interval_tools: 25 },
    });
    // Acted on, so not named as a key megatest ignores.
    expect(notices.filter((n) => n.message.includes('max_iterations'))).toEqual([]);
  });

  it('leaves max_iterations to selfware when the session sets none', () => {
    const { toml } = selfwareToml('step_timeout_secs = 120');
    expect(toml.agent).toEqual({ step_timeout_secs: 120, token_budget: 64000, native_function_calling: false });
  });
});
