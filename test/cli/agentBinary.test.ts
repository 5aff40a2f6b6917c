// A real agent kind whose program is missing or not executable: one clear
// line before the session starts, exit 2, and no run folder (through the
// built CLI).

import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { BUILT, runCli } from '../helpers/cli.js';

const FAKE_SELFWARE = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'fake-selfware.mjs');

describe.skipIf(!BUILT)(`megatest run: the agent program${BUILT ? '' : ' (skipped: dist/ is not built; run npm run build)'}`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'megatest-binary-cli-'));
  const runsDir = path.join(dir, 'runs');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const notExecutable = path.join(dir, 'claude-copy');
  writeFileSync(notExecutable, '#!/bin/sh\nexit 0\n');
  chmodSync(notExecutable, 0o644);
  const config = (name: string, body: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, body);
    return file;
  };

  const cases: { name: string; args: string[]; env?: Record<string, string>; message: RegExp }[] = [
    {
      name: 'the default program is not on PATH',
      args: ['--agent', 'claude-code'],
      env: { PATH: path.join(dir, 'empty-path') },
      message: /^megatest: --agent claude-code: the agent program "claude" is not on PATH; install claude or set \[agents\] binary to its path$/,
    },
    {
      name: '[agents] binary names a file that is not there',
      args: ['--agent', 'codex', '--config', config('missing.toml', `[agents]\nbinary = "${path.join(dir, 'no-such-codex')}"\n`)],
      message: /^megatest: \[agents\] binary ".*no-such-codex": .*no-such-codex no such file$/,
    },
    {
      name: '[agents] binary is not executable',
      args: ['--config', config('selfware.toml', `[agents]\nkind = "selfware"\nbinary = "${notExecutable}"\n`)],
      message: /^megatest: \[agents\] binary ".*claude-copy": .*claude-copy is not executable \(mode 0644\); chmod \+x it$/,
    },
    {
      // The default models are Claude's: selfware would ask its endpoint for claude-sonnet-4-5.
      name: 'selfware with its endpoint but no model named',
      args: ['--config', config('selfware-no-model.toml', `[agents]\nkind = "selfware"\nbinary = "${FAKE_SELFWARE}"\nendpoint = "http://127.0.0.1:9/v1"\n`)],
      message: /^megatest: \[agents\] models: --agent selfware needs the name of the model its endpoint serves \(e\.g\. models = \["qwen3-coder-30b"\]; --model M for a branch\); the default models are Claude's$/,
    },
    {
      // It runs with sh -c in project/: before, sh said "not found" (exit 127) on every start, through five recoveries.
      name: 'the --agent-cmd program is not on PATH',
      args: ['--agent', 'command', '--agent-cmd', 'no-such-agent-program --fast'],
      message: /^megatest: --agent-cmd "no-such-agent-program --fast": the program "no-such-agent-program" is not on PATH; install it or give its full path$/,
    },
    {
      // Relative to where megatest started (here the package root), not to project/ where the agent runs.
      name: 'the --agent-cmd script is named by a relative path',
      args: ['--agent', 'command', '--agent-cmd', 'node test/fixtures/agents/fake-selfware.mjs'],
      message: new RegExp(
        `^megatest: --agent-cmd "node test/fixtures/agents/fake-selfware.mjs": test/fixtures/agents/fake-selfware.mjs is relative, and the agent runs in the run's project/ folder, where it is not; give its full path: --agent-cmd "node ${FAKE_SELFWARE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"$`,
      ),
    },
  ];

  for (const c of cases) {
    it(`${c.name}: exits 2 with one line and no run folder`, async () => {
      const result = await runCli(['run', ...c.args, '--runs-dir', runsDir, '--session-id', 'binary-check', '--headless'], { env: c.env });
      expect(result.code).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(c.message);
      if (existsSync(runsDir)) expect(readdirSync(runsDir)).toEqual([]);
    });
  }
});
