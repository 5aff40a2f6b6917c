// `megatest import` through the built CLI (npm run build first): an imported
// folder replays (--frame, exit 0) and reports; bad input exits 2 with one
// line and leaves no folder, not even a half-made one.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, SHARED_FIXTURES_DIR } from '../../src/paths.js';
import { BUILT, readReport, runCli } from '../helpers/cli.js';
import { claudeCounts, protocolCounts } from '../importer/streamCounts.js';
import { IMPORT_KINDS, type ImportKind } from '../../src/importer/kinds.js';
import { KIND_LOOKS } from '../../src/importer/recognise.js';

const OWN = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'importer');
const UTF8 = { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
const SELFWARE_LOG = path.join(SHARED_FIXTURES_DIR, 'selfware', 'testgen_ringbuf.recovering.agent.log');
const SHARED = existsSync(SELFWARE_LOG);

describe.skipIf(!BUILT)(`megatest import${BUILT ? '' : ' (skipped: run npm run build first)'}`, () => {
  const runsDir = mkdtempSync(path.join(tmpdir(), 'megatest-import-cli-'));
  afterAll(() => rmSync(runsDir, { recursive: true, force: true }));
  const folders = () => readdirSync(runsDir).sort();

  it('imports a transcript, prints where it went, and the folder replays and reports', async () => {
    const imported = await runCli(['import', '--agent', 'command', path.join(OWN, 'protocol.transcript.jsonl'), '--runs-dir', runsDir, '--session-id', 'proto']);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    const runDir = path.join(runsDir, 'proto');
    expect(imported.stdout).toContain(`into ${runDir}`);
    expect(imported.stdout).toContain('line order (not time)');
    // The summary in words and grouped figures, as `status` gives them; counted from the file, the errors from the report.
    const counts = protocolCounts(readFileSync(path.join(OWN, 'protocol.transcript.jsonl'), 'utf8'));
    const calls = Object.values(counts.tools).reduce((a, b) => a + b, 0);
    const some = (n: number, noun: string) => `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
    expect(counts.tokens).toBeGreaterThan(999);
    expect(imported.stdout.split('\n')[0]).toBe(`imported 1 command file into ${runDir}`);
    expect(imported.stdout).toContain(`\n  ${some(calls, 'tool call')}, ${some(counts.tokens!, 'token')}, ${some(readReport(runDir).reliability.errors ?? 0, 'error')}; interrupted (exit code 130): `);

    const frame = await runCli(['replay', runDir, '--frame'], { env: UTF8 });
    expect(frame.stderr).toBe('');
    expect(frame.code).toBe(0);
    expect(frame.stdout).toContain('imported');

    const report = await runCli(['report', runDir, '--format', 'json']);
    expect(report.stderr).toBe('');
    expect((JSON.parse(report.stdout) as { imported?: unknown }).imported).toBeDefined();
    expect(readReport(runDir).agent_kind).toBe('command');
  });

  it('an imported run is a recording: resume, orchestrate and the controls refuse it and leave its log alone; status offers no resume', async () => {
    const imported = await runCli(['import', '--agent', 'command', path.join(OWN, 'protocol.transcript.jsonl'), '--runs-dir', runsDir, '--session-id', 'kept']);
    expect(imported.code).toBe(0);
    const runDir = path.join(runsDir, 'kept');
    const events = readFileSync(path.join(runDir, 'events.jsonl'), 'utf8');
    const lastEvent = JSON.parse(events.trim().split('\n').at(-1)!) as { type: string; status: string };
    // Not an ended status (completed, failed, timeout): a run that could otherwise be resumed in place.
    expect(lastEvent).toMatchObject({ type: 'session_ended', status: 'interrupted' });

    const recording = `${runDir} is recorded command output (megatest import), with no project or agents to go on with; megatest replay ${runDir} and megatest report ${runDir} read it`;
    const resumed = await runCli(['resume', runDir, '--headless']);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr.trim()).toBe(`megatest resume: ${recording}`);
    const orchestrated = await runCli(['orchestrate', runDir, '--resume']);
    expect(orchestrated.code).toBe(2);
    expect(orchestrated.stderr.trim()).toBe(`megatest orchestrate: ${recording}`);
    const paused = await runCli(['pause', runDir]);
    expect(paused.code).toBe(1);
    expect(paused.stderr.trim()).toBe(`megatest pause: ${recording}; nothing to control`);
    expect(readFileSync(path.join(runDir, 'events.jsonl'), 'utf8')).toBe(events);

    const status = await runCli(['status', runDir]);
    expect(status.code).toBe(0);
    expect(status.stderr).toBe('');
    expect(status.stdout).toMatch(/^status +interrupted, exit code 130 {2}\(imported agent output, read from its files\)$/m);
    const json = JSON.parse((await runCli(['status', runDir, '--json'])).stdout) as { imported?: unknown };
    expect(json.imported).toBe(true);
  });

  it('output with no token usage: the console, status and compare say not recorded, never 0', async () => {
    const withUsage = readFileSync(path.join(OWN, 'selfware.tokens.agent.log'), 'utf8');
    const file = path.join(runsDir, 'no-usage.agent.log');
    writeFileSync(file, withUsage.split('\n').filter((line) => !line.includes('📊 Tokens:')).join('\n'));
    const imported = await runCli(['import', '--agent', 'selfware', file, '--runs-dir', runsDir, '--session-id', 'nousage']);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('tokens not recorded (no usage in the output)');
    const runDir = path.join(runsDir, 'nousage');
    const frame = await runCli(['replay', runDir, '--frame', '--width', '80', '--height', '24'], { env: UTF8 });
    expect(frame.code).toBe(0);
    expect(frame.stdout).toContain(' n/a tok ');
    expect(frame.stdout).toMatch(/^ {2}agent-1 +imported +exited +\S+ +– +\d+ /m);
    expect((await runCli(['status', runDir])).stdout).toMatch(/^tokens +n\/a {2}\(rate n\/a\)/m);
    const withTokens = await runCli(['import', '--agent', 'selfware', path.join(OWN, 'selfware.tokens.agent.log'), '--runs-dir', runsDir, '--session-id', 'usage']);
    expect(withTokens.code).toBe(0);
    const compared = await runCli(['compare', path.join(runsDir, 'usage'), runDir]);
    expect(compared.code).toBe(0);
    expect(compared.stdout).toMatch(/^\| tokens \| [\d,]+ \| — \|$/m);
  });

  it('a recording in line order has no duration in ls, compare and status; one with its own times has its span', async () => {
    const lineOrder = path.join(OWN, 'selfware.tokens.agent.log');
    const stamped = path.join(OWN, 'claude.timestamped.ndjson');
    const dir = path.join(runsDir, 'durations');
    for (const [kind, file, id] of [['selfware', lineOrder, 'in-line-order'], ['claude-code', stamped, 'stamped']] as const) {
      const imported = await runCli(['import', '--agent', kind, file, '--runs-dir', dir, '--session-id', id]);
      expect(imported.code, imported.stderr).toBe(0);
    }
    // The stamped stream's span: its first line's timestamp to its last's.
    const stamps = readFileSync(stamped, 'utf8').trim().split('\n').map((line) => Date.parse((JSON.parse(line) as { timestamp: string }).timestamp));
    const spanSeconds = (stamps.at(-1)! - stamps[0]!) / 1000;
    const clock = `00:${String(Math.floor(spanSeconds / 60)).padStart(2, '0')}:${String(spanSeconds % 60).padStart(2, '0')}`;
    const listed = await runCli(['ls', '--runs-dir', dir]);
    expect(listed.stdout).toMatch(/^in-line-order +completed +0 +no +\S+ \S+ +— +selfware /m);
    expect(listed.stdout).toMatch(new RegExp(`^stamped +completed +0 +no +\\S+ \\S+ +${Math.floor(spanSeconds / 60)}m${String(spanSeconds % 60).padStart(2, '0')}s +claude-code `, 'm'));
    const compared = await runCli(['compare', path.join(dir, 'stamped'), path.join(dir, 'in-line-order')]);
    expect(compared.stdout).toMatch(/^\| duration \(active\) \| \d+m\d\ds \| — \|$/m);
    const inLineOrder = (await runCli(['status', path.join(dir, 'in-line-order')])).stdout;
    expect(inLineOrder).toMatch(/^elapsed +n\/a {2}\(the recording's times are line order, not time\)$/m);
    expect(inLineOrder).toMatch(/^tests +none run {3}coverage n\/a {3}LOC n\/a$/m);
    expect(inLineOrder).toMatch(/^checkpoint none$/m);
    // What selfware can do when megatest runs it (real token usage among it), not what this log holds.
    expect(inLineOrder).toMatch(/^abilities  can: .*real token usage.*; cannot: .* \(when megatest runs this agent kind\)$/m);
    expect(JSON.parse((await runCli(['status', path.join(dir, 'in-line-order'), '--json'])).stdout)).toMatchObject({
      duration_seconds: null,
      metrics: { elapsed_seconds: null, estimated_remaining: null },
    });
    expect((await runCli(['status', path.join(dir, 'stamped')])).stdout).toMatch(new RegExp(`^elapsed +${clock} {2}\\(the recording's span\\)$`, 'm'));
    expect(readFileSync(path.join(dir, 'stamped', 'final_report.md'), 'utf8')).toContain(`| elapsed | ${spanSeconds} s (the recording's span) |`);
    expect(readFileSync(path.join(dir, 'in-line-order', 'final_report.md'), 'utf8')).toContain("| elapsed | not recorded (the recording's times are line order, not time) |");
  });

  it.skipIf(!SHARED)(`the summary gives the cost a Claude stream reported, and none for a stream without one${SHARED ? '' : ' (skipped: ../shared/fixtures is absent)'}`, async () => {
    const claudeFile = path.join(SHARED_FIXTURES_DIR, 'claude-code', 'basic_query.ndjson');
    const costUsd = claudeCounts(readFileSync(claudeFile, 'utf8')).costUsd;
    expect(costUsd).not.toBeNull();
    const claude = await runCli(['import', '--agent', 'claude-code', claudeFile, '--runs-dir', runsDir, '--session-id', 'claude-usd']);
    expect(claude.code, claude.stderr).toBe(0);
    expect(claude.stdout).toMatch(new RegExp(` tokens?, cost \\$${costUsd!.toFixed(4).replace('.', '\\.')}, \\d+ errors?; `));
    const selfware = await runCli(['import', '--agent', 'selfware', SELFWARE_LOG, '--runs-dir', runsDir, '--session-id', 'selfware-none']);
    expect(selfware.code, selfware.stderr).toBe(0);
    expect(selfware.stdout).not.toContain(', cost $');
  });

  it.skipIf(!SHARED)(`a recorded selfware log replays at any cursor${SHARED ? '' : ' (skipped: ../shared/fixtures is absent)'}`, async () => {
    const imported = await runCli(['import', '--agent', 'selfware', SELFWARE_LOG, '--runs-dir', runsDir, '--session-id', 'self']);
    expect(imported.code).toBe(0);
    for (const at of ['0', '5', '10s']) {
      const frame = await runCli(['replay', path.join(runsDir, 'self'), '--frame', '--at', at], { env: UTF8 });
      // In line order the whole recording spans a few ms (1 ms per line): 10 s from its start is past its end, and said.
      if (at === '10s') expect(frame.stderr).toMatch(/^megatest replay: --at 10s: past the run's last event \(0 s after its first\); showing its end\n$/);
      else expect(frame.stderr).toBe('');
      expect(frame.code).toBe(0);
    }
  });

  describe('bad input: one line, exit 2, no folder', () => {
    const transcript = path.join(OWN, 'protocol.transcript.jsonl');
    const expectRefused = async (args: string[], says: RegExp) => {
      const before = folders();
      const result = await runCli(['import', ...args, '--runs-dir', runsDir]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(says);
      // Nothing made, not even the staging folder of a half-made one.
      expect(folders()).toEqual(before);
    };

    it('a missing file', () => expectRefused(['--agent', 'command', path.join(OWN, 'no-such.jsonl'), '--session-id', 'x1'], /FILE .*no-such\.jsonl: no such file/));
    it('a folder for a file: said so, with what to give', () =>
      expectRefused(['--agent', 'command', OWN, '--session-id', 'x2'], new RegExp(`^megatest import: FILE ${OWN.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: a folder, not a file; give the recorded output itself \\(a JSONL-protocol agent's stdout \\(its output\\.log\\)\\), one file per agent\n$`)));
    it('an unknown --agent', () => expectRefused(['--agent', 'sim', transcript, '--session-id', 'x3'], /--agent "sim": must be one of "selfware", "claude-code", "codex", "command"\n$/));
    it('no --agent', () => expectRefused([transcript, '--session-id', 'x4'], /--agent is required/));
    it('no FILE', () => expectRefused(['--agent', 'codex', '--session-id', 'x5'], /expected at least one FILE/));
    it('an unknown option', () => expectRefused(['--agent', 'codex', transcript, '--format', 'md'], /megatest import: Unknown option '--format'/));
    it('a bad session id', () => expectRefused(['--agent', 'command', transcript, '--session-id', '../up'], /--session-id "\.\.\/up"/));

    it('an existing session id: the folder there is left as it was', async () => {
      const existing = path.join(runsDir, 'taken');
      mkdirSync(existing);
      writeFileSync(path.join(existing, 'keep.txt'), 'mine\n');
      await expectRefused(['--agent', 'command', transcript, '--session-id', 'taken'], /--session-id taken: .* already exists/);
      expect(readdirSync(existing)).toEqual(['keep.txt']);
      expect(readFileSync(path.join(existing, 'keep.txt'), 'utf8')).toBe('mine\n');
    });
  });

  describe('a FILE that is not the kind\'s output at all: one line naming it, the kind and what such a file is, exit 2, no folder', () => {
    const inputs = mkdtempSync(path.join(tmpdir(), 'megatest-import-not-'));
    afterAll(() => rmSync(inputs, { recursive: true, force: true }));
    // 2000 bytes of noise, the same each run (a fixed LCG): every byte value, newlines among them.
    const garbage = path.join(inputs, 'garbage.bin');
    let seed = 12345;
    writeFileSync(garbage, Buffer.from(Array.from({ length: 2000 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff)));
    const empty = path.join(inputs, 'empty.log');
    writeFileSync(empty, '');
    // A codex exec --json stream, written here: the fixtures of this folder have none.
    const codex = path.join(inputs, 'codex.jsonl');
    writeFileSync(
      codex,
      [{ type: 'thread.started', thread_id: 't-1' }, { type: 'turn.started' }, { type: 'turn.completed', usage: { input_tokens: 10, output_tokens: 2 } }]
        .map((e) => JSON.stringify(e) + '\n')
        .join(''),
    );
    // Each kind's file, to be given as every other kind.
    const KIND_FILE: Record<ImportKind, string> = {
      selfware: path.join(OWN, 'selfware.tokens.agent.log'),
      'claude-code': path.join(OWN, 'claude.cut.ndjson'),
      codex,
      command: path.join(OWN, 'protocol.transcript.jsonl'),
    };
    let ids = 0;
    const refused = async (kind: ImportKind, file: string): Promise<string> => {
      const before = folders();
      ids += 1;
      const result = await runCli(['import', '--agent', kind, file, '--runs-dir', runsDir, '--session-id', `not-${ids}`]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      // Names the file as given, and says what a file of the kind is.
      expect(lines[0]!.startsWith(`megatest import: FILE ${file}: `)).toBe(true);
      expect(lines[0]).toContain(KIND_LOOKS[kind]);
      expect(folders()).toEqual(before);
      return lines[0]!;
    };

    for (const kind of IMPORT_KINDS) {
      it(`--agent ${kind}: random bytes`, async () => {
        const line = await refused(kind, garbage);
        expect(line).toContain('is --agent right?');
      });
      it(`--agent ${kind}: an empty file`, async () => {
        expect(await refused(kind, empty)).toContain('the file is empty');
      });
      for (const other of IMPORT_KINDS.filter((k) => k !== kind)) {
        it(`--agent ${kind}: ${other} output, named as such`, async () => {
          expect(await refused(kind, KIND_FILE[other])).toMatch(new RegExp(`; it looks like ${other} output \\(--agent ${other}\\)$`));
        });
      }
    }

    it('a damaged recording imports while it has one line of its kind; the same damage alone is refused', async () => {
      // Noise lines and a torn last line, around the codex stream and then without it.
      const noise = ['not json', '{"type":"item.compl'];
      const damaged = path.join(inputs, 'damaged.jsonl');
      writeFileSync(damaged, [noise[0], ...readFileSync(codex, 'utf8').trim().split('\n'), noise[1]].join('\n'));
      const result = await runCli(['import', '--agent', 'codex', damaged, '--runs-dir', runsDir, '--session-id', 'damaged']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(folders()).toContain('damaged');
      const onlyNoise = path.join(inputs, 'noise.jsonl');
      writeFileSync(onlyNoise, noise.join('\n'));
      expect(await refused('codex', onlyNoise)).toContain('no line of it is codex output');
    });

    it('several files: the one that is not the kind\'s is named, and nothing is made', async () => {
      const before = folders();
      const result = await runCli(['import', '--agent', 'command', KIND_FILE.command, garbage, '--runs-dir', runsDir, '--session-id', 'two']);
      expect(result.code).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]!.startsWith(`megatest import: FILE ${garbage}: `)).toBe(true);
      expect(folders()).toEqual(before);
    });
  });

  it('--help prints its own usage', async () => {
    const result = await runCli(['import', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: megatest import --agent selfware\|claude-code\|codex\|command FILE\.\.\./);
  });
});
