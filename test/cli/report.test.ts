// `megatest report DIR`: rebuilds and writes a finished run's final report;
// a running session's is printed as of now and nothing is written (its
// orchestrator writes the final report when the run ends).

import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordedRunFolder } from '../legacy/legacyFixtures.js';
import { captureCli } from './captureCli.js';

const runs = mkdtempSync(path.join(tmpdir(), 'megatest-report-cli-'));
afterAll(() => rmSync(runs, { recursive: true, force: true }));
/** stderr's lines, less Node's own warnings (an in-process run of many commands may add listeners past its limit). */
const said = (stderr: string) => stderr.split('\n').filter((line) => line !== '' && !/^\((node:\d+|Use `node)/.test(line));
const reportFiles = (dir: string) => readdirSync(dir).filter((name) => name.startsWith('final_report') || name === 'junit.xml').sort();

describe('megatest report', () => {
  it('writes the report files of a run nobody runs', async () => {
    const dir = recordedRunFolder(runs, 'ended');
    const result = await captureCli(['report', dir]);
    expect(result.stdout).toMatch(/^# megatest report — /);
    expect(result.stderr).toBe('');
    expect(reportFiles(dir)).toEqual(['final_report.json', 'final_report.md', 'junit.xml']);
  });

  it('prints a running session\'s report as of now and writes nothing into its folder', async () => {
    const dir = recordedRunFolder(runs, 'going');
    // Its orchestrator: a process that is alive (this one).
    writeFileSync(path.join(dir, 'control.json'), JSON.stringify({ pid: process.pid, host: '127.0.0.1', port: 1, started_at: new Date().toISOString() }));
    const result = await captureCli(['report', dir, '--format', 'json']);
    expect((JSON.parse(result.stdout) as { session_id: string }).session_id).toBeTruthy();
    expect(result.stderr.trim()).toBe(`megatest report: the session in ${dir} is still running: this is the report as of now, printed only; its orchestrator writes final_report.* when the run ends`);
    expect(reportFiles(dir)).toEqual([]);
    expect(existsSync(path.join(dir, 'final_report.json'))).toBe(false);
  });

  it('a run that recorded no end and that nothing runs (killed): printed as of its last event, nothing written, its verdict "so far"', async () => {
    const dir = recordedRunFolder(runs, 'killed');
    const events = path.join(dir, 'events.jsonl');
    const lines = readFileSync(events, 'utf8').split('\n').filter(Boolean);
    writeFileSync(events, lines.filter((line) => JSON.parse(line).type !== 'session_ended').join('\n') + '\n');
    // An orchestrator that is gone: a pid no process has.
    writeFileSync(path.join(dir, 'control.json'), JSON.stringify({ pid: 2 ** 22 + 7, host: '127.0.0.1', port: 1, started_at: new Date().toISOString() }));
    const result = await captureCli(['report', dir]);
    expect(result.stderr.trim()).toBe(`megatest report: the session in ${dir} recorded no end and no orchestrator runs it (killed?): this is the report as of its last event, printed only; megatest resume ${dir} goes on with it`);
    expect(result.stdout.split('\n').find((line) => line.startsWith('| verdict |'))).toMatch(/^\| verdict \| so far \(the run has not ended\): /);
    expect(reportFiles(dir)).toEqual([]);
    expect(result.code).toBe(1);
  });

  it('an imported recording with no recorded end: a recording cut short, not a run resume goes on with', async () => {
    const recording = path.join(runs, 'codex-cut.jsonl');
    writeFileSync(recording, [{ type: 'thread.started', thread_id: 't-1' }, { type: 'turn.started' }].map((event) => JSON.stringify(event) + '\n').join(''));
    const imported = await captureCli(['import', '--agent', 'codex', recording, '--runs-dir', runs, '--session-id', 'imported-cut']);
    expect(imported.code, imported.stderr).not.toBe(2);
    const dir = path.join(runs, 'imported-cut');
    const events = path.join(dir, 'events.jsonl');
    const lines = readFileSync(events, 'utf8').split('\n').filter(Boolean);
    writeFileSync(events, lines.filter((line) => JSON.parse(line).type !== 'session_ended').join('\n') + '\n');
    const result = await captureCli(['report', dir]);
    expect(said(result.stderr)).toEqual([
      `megatest report: ${dir} is recorded codex output (megatest import) with no recorded end, a recording cut short: this is the report as of its last event, printed only; megatest resume does not go on with a recording (megatest import its files again for a whole one)`,
    ]);
    // what the note says of resume is so: it refuses the folder
    expect((await captureCli(['resume', dir])).code).toBe(2);
  });

  it('a line of junk inside the log, or a torn one after its last event, is damage but no lost event: the run still passes', async () => {
    const dir = recordedRunFolder(runs, 'torn');
    const passed = await captureCli(['report', dir, '--format', 'json']);
    const before = JSON.parse(passed.stdout) as { verdict: { critical_passed: boolean }; exit_code: number };
    const events = path.join(dir, 'events.jsonl');
    const lines = readFileSync(events, 'utf8').split('\n').filter(Boolean);
    lines.splice(5, 0, 'not json at all');
    const lastSeq = (JSON.parse(lines.at(-1)!) as { seq: number }).seq;
    writeFileSync(events, lines.join('\n') + '\n');
    appendFileSync(events, `{"seq":${lastSeq + 1},"ts":"2026-12-06T13:22:22Z","type":"tok`);
    const result = await captureCli(['report', dir, '--format', 'json']);
    const report = JSON.parse(result.stdout) as { verdict: { critical_passed: boolean }; criteria: { id: string; passed: boolean; evidence: string }[]; event_log: { unreadable_lines: number; seq_gaps: number } };
    expect(report.event_log).toMatchObject({ unreadable_lines: 2, seq_gaps: 0 });
    expect(report.criteria.find((c) => c.id === 'no_event_loss')).toMatchObject({ passed: true });
    expect(report.verdict.critical_passed).toBe(before.verdict.critical_passed);
    expect(result.code).toBe(passed.code);
    // Events whose seq repeats (two orchestrators that wrote one log): the fold skips them, and the log is not one log.
    writeFileSync(events, [...lines.filter((line) => line !== 'not json at all'), ...lines.slice(20, 23)].join('\n') + '\n');
    const twice = JSON.parse((await captureCli(['report', dir, '--format', 'json'])).stdout) as typeof report & { event_log: { seq_repeats: number } };
    expect(twice.event_log).toMatchObject({ seq_gaps: 0, seq_repeats: 1 });
    expect(twice.criteria.find((c) => c.id === 'no_event_loss')).toMatchObject({ passed: false });
    // The same from events.idx's folded end (a replay builds it): counted as the seek index counts the places.
    await captureCli(['replay', dir, '--frame']);
    expect(existsSync(path.join(dir, 'events.idx'))).toBe(true);
    const fromIndex = JSON.parse((await captureCli(['report', dir, '--format', 'json'])).stdout) as typeof twice;
    expect(fromIndex.event_log).toEqual(twice.event_log);
    // An event line that is lost leaves a gap in seq: that is the loss the criterion counts.
    writeFileSync(events, lines.filter((_, i) => i !== 10).join('\n') + '\n');
    const lost = JSON.parse((await captureCli(['report', dir, '--format', 'json'])).stdout) as typeof report;
    expect(lost.event_log.seq_gaps).toBe(1);
    expect(lost.criteria.find((c) => c.id === 'no_event_loss')).toMatchObject({ passed: false });
  });

  it('a finished run whose folder was damaged afterwards: the rebuilt report is printed, the one written at its end is left as it was, and one line says why (exit 1)', async () => {
    const dir = recordedRunFolder(runs, 'damaged-after');
    const first = await captureCli(['report', dir]);
    expect(first.code).toBe(0);
    const written = Object.fromEntries(reportFiles(dir).map((name) => [name, readFileSync(path.join(dir, name), 'utf8')]));
    // An event line lost after the run ended: a gap in seq, so the rebuilt report fails no_event_loss.
    const events = path.join(dir, 'events.jsonl');
    writeFileSync(events, readFileSync(events, 'utf8').split('\n').filter((_, i) => i !== 10).join('\n'));
    const damaged = await captureCli(['report', dir]);
    expect(damaged.code).toBe(1);
    expect(damaged.stdout.split('\n').find((line) => line.startsWith('| verdict |'))).toMatch(/FAILED/);
    expect(said(damaged.stderr)).toEqual([
      `megatest report: ${path.join(dir, 'final_report.json')} (written at the run's end) says the run passed, but the folder as it is now fails (The event log is complete (seq contiguous): data_loss_events 1 == 0: not met): it changed since (damaged?); final_report.* left as they were (remove final_report.json to write the rebuilt report)`,
    ]);
    for (const [name, text] of Object.entries(written)) expect(readFileSync(path.join(dir, name), 'utf8'), name).toBe(text);
  });

  it('a folder a newer megatest wrote: an event of a type this build does not know is skipped, no gap and no loss, and said in one line with both versions', async () => {
    const dir = recordedRunFolder(runs, 'newer');
    const passed = await captureCli(['report', dir, '--format', 'json']);
    expect(passed.stderr).toBe('');
    const events = path.join(dir, 'events.jsonl');
    const lines = readFileSync(events, 'utf8').split('\n').filter(Boolean);
    const { seq, ts } = JSON.parse(lines[10]!) as { seq: number; ts: string };
    lines[10] = JSON.stringify({ seq, ts, type: 'agent_note', agent: 'agent-1', note: 'a newer kind of event' });
    writeFileSync(events, lines.join('\n') + '\n');
    const unknown = await captureCli(['report', dir, '--format', 'json']);
    const report = JSON.parse(unknown.stdout) as { criteria: { id: string; passed: boolean }[]; event_log: { unreadable_lines: number; seq_gaps: number } };
    // In the report itself too (CI keeps the file, not the stderr of the command that rebuilt it).
    expect(report.event_log).toMatchObject({ unreadable_lines: 0, seq_gaps: 0, unknown_type_lines: 1, unknown_types: ['agent_note'] });
    const markdown = await captureCli(['report', dir]);
    expect(markdown.stdout).toContain(", 1 line of event types this megatest does not know (a newer megatest's: agent_note), skipped");
    expect(report.criteria.find((c) => c.id === 'no_event_loss')).toMatchObject({ passed: true });
    expect(unknown.code).toBe(passed.code);
    expect(said(unknown.stderr)).toEqual([`megatest report: ${events}: 1 event line of a type this megatest does not know (agent_note) skipped (unknown event types, written by a newer megatest?)`]);
    const config = path.join(dir, 'config.json');
    writeFileSync(config, readFileSync(config, 'utf8').replace(/"megatest_version":"[^"]*"/, '"megatest_version":"99.0.0"'));
    const newer = await captureCli(['report', dir, '--format', 'json']);
    expect(newer.code).toBe(passed.code);
    expect(said(newer.stderr)).toHaveLength(1);
    expect(said(newer.stderr)[0]).toMatch(new RegExp(`^megatest report: ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was written by megatest 99\\.0\\.0, this is \\d+\\.\\d+\\.\\d+: .*1 event line .*agent_note`));
  });

  it("the last phase's critical criteria are the run's own: one not met fails the run (exit 1); one only repeating a fixed criterion is not judged twice", async () => {
    const dir = recordedRunFolder(runs, 'strict');
    const configFile = path.join(dir, 'config.json');
    const info = JSON.parse(readFileSync(configFile, 'utf8')) as { config: { phases: { name: string; criteria: Record<string, unknown>[] }[] } };
    const defaults = await captureCli(['report', dir, '--format', 'json']);
    const defaultIds = (JSON.parse(defaults.stdout) as { criteria: { id: string }[] }).criteria.map((c) => c.id);
    const last = info.config.phases.at(-1)!;
    // The defaults' last-phase critical criteria all repeat fixed ones: the list is the fixed one.
    expect(defaultIds.filter((id) => id.startsWith(`${last.name}.`))).toEqual([]);
    last.criteria.push({ id: 'final.cov', description: 'Coverage at least 99.9%', level: 'critical', metric: 'test_coverage', op: '>=', value: 99.9 });
    info.config.phases[0]!.criteria.push({ id: 'early.cov', description: 'Coverage at least 99.9% early', level: 'critical', metric: 'test_coverage', op: '>=', value: 99.9 });
    writeFileSync(configFile, JSON.stringify(info));
    const result = await captureCli(['report', dir, '--format', 'json']);
    const report = JSON.parse(result.stdout) as { verdict: { critical_passed: boolean }; criteria: { id: string; level: string; passed: boolean; description: string }[] };
    expect(report.criteria.map((c) => c.id)).toEqual([...defaultIds, 'final.cov']);
    expect(report.criteria.at(-1)).toMatchObject({ level: 'critical', passed: false, description: `Coverage at least 99.9% (the ${last.name} phase's critical criterion)` });
    expect(report.verdict.critical_passed).toBe(false);
    expect(result.code).toBe(1);
  });
});
