// A resume folds events.jsonl (EventIndexKeeper.foldExisting). A line in it
// that is not an event (bytes a disk or an editor damaged) is skipped: the
// event it held is lost. The resume says so, in session.log and as an alert
// after its own event, naming the lines where it read them; with an index
// kept beside the log, the count the index and the rest of the log give.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventInput } from '../../src/contract/events.js';
import type { EngineContext } from '../../src/engine/context.js';
import { EventIndexKeeper } from '../../src/engine/eventIndex.js';
import { LogIndexUpkeep } from '../../src/io/logIndexUpkeep.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

const SIM = readFileSync(path.join(PACKAGE_ROOT, 'test', 'fixtures', 'events', 'sim_session.jsonl'), 'utf8').split('\n').filter((line) => line !== '');
const scratch = mkdtempSync(path.join(tmpdir(), 'megatest-eventindex-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let folders = 0;
/** A run folder whose events.jsonl is `lines`. */
function runFolder(lines: string[]): string {
  const root = path.join(scratch, `run-${(folders += 1)}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root);
  writeFileSync(path.join(root, 'events.jsonl'), `${lines.join('\n')}\n`);
  writeFileSync(path.join(root, 'session.log'), '');
  return root;
}

function contextOf(root: string) {
  const warnings: string[] = [];
  const emitted: EventInput[] = [];
  const ctx = {
    paths: { root, events: path.join(root, 'events.jsonl'), sessionLog: path.join(root, 'session.log') },
    state: null,
    log: { warn: (_source: string, message: string) => warnings.push(message), info: () => undefined, error: () => undefined },
    emit: (event: EventInput) => emitted.push(event),
  } as unknown as EngineContext;
  return { ctx, warnings, emitted };
}

/** 1-based line numbers of `lines` that are not JSON. */
const notJson = (lines: string[]) =>
  lines.flatMap((line, index) => {
    try {
      JSON.parse(line);
      return [];
    } catch {
      return [index + 1];
    }
  });

describe('a resume fold that skips lines of events.jsonl', () => {
  it('with no index: says how many and which lines, in session.log and once as an alert', async () => {
    const lines = [...SIM.slice(0, 50), `${SIM[50]!.slice(0, 30)}\u0000damaged`, ...SIM.slice(51, 200), 'not json either', ...SIM.slice(200)];
    const { ctx, warnings, emitted } = contextOf(runFolder(lines));
    const keeper = new EventIndexKeeper(ctx);
    const folded = await keeper.foldExisting();
    const bad = notJson(lines);
    expect(bad).toHaveLength(2);
    expect(folded.eventsRead).toBe(lines.length - bad.length);
    const said = `events.jsonl: 2 lines are not an event (lines ${bad.join(', ')}), skipped by the resume; the report lists them as damage, and an event they held as lost (a gap in seq)`;
    expect(warnings).toEqual([said]);
    expect(emitted).toEqual([]);
    keeper.alertSkippedLines();
    keeper.alertSkippedLines();
    expect(emitted).toEqual([{ type: 'alert', level: 'warning', message: said }]);
    await keeper.close();
  });

  it('from an index kept beside the log: the count of what the index and the rest of the log skipped', async () => {
    const lines = [...SIM.slice(0, 100), 'garbage before the index', ...SIM.slice(100, 300)];
    const root = runFolder(lines);
    const upkeep = await LogIndexUpkeep.open({ root, events: path.join(root, 'events.jsonl'), sessionLog: path.join(root, 'session.log') }, () => undefined);
    await upkeep.close();
    writeFileSync(path.join(root, 'events.jsonl'), `${[...SIM.slice(300), '{"seq": "garbage after it"'].join('\n')}\n`, { flag: 'a' });
    const { ctx, warnings } = contextOf(root);
    const keeper = new EventIndexKeeper(ctx);
    const folded = await keeper.foldExisting();
    expect(folded.how).toBe('from events.idx');
    expect(warnings).toEqual(['events.jsonl: 2 lines are not an event, skipped by the resume; the report lists them as damage, and an event they held as lost (a gap in seq)']);
    await keeper.close();
  });

  it('a whole log says nothing', async () => {
    const { ctx, warnings, emitted } = contextOf(runFolder(SIM));
    const keeper = new EventIndexKeeper(ctx);
    expect((await keeper.foldExisting()).eventsRead).toBe(SIM.length);
    keeper.alertSkippedLines();
    expect(warnings).toEqual([]);
    expect(emitted).toEqual([]);
    await keeper.close();
  });
});
