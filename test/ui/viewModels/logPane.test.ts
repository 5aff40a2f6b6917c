// The log pane's view-model: what the pane shows when the filter matches
// nothing.

import { describe, expect, it } from 'vitest';
import { filterLog, logPaneModel } from '../../../src/ui/viewModels/logPane.js';
import { fixtureState } from '../helpers.js';

const done = fixtureState();
const spanText = (spans: readonly { text: string }[]) => spans.map((s) => s.text).join('');

describe('log pane: a filter that matches nothing', () => {
  it('shows one dim line saying so, and that Esc clears the filter', () => {
    const filter = 'zzz';
    expect(filterLog(done.log, filter)).toHaveLength(0);
    const model = logPaneModel(done.log, { filter, anchorId: null, height: 6, width: 80 });
    expect(model.shown).toBe(0);
    expect(model.total).toBe(done.log.length);
    expect(model.rows).toHaveLength(1);
    const [row] = model.rows;
    expect(row!.spans.every((s) => s.role === 'muted')).toBe(true);
    expect(spanText(row!.spans)).toMatch(/no line matches the filter/);
    expect(spanText(row!.spans)).toMatch(/Esc/);
  });

  it('says nothing of a filter when there is none (an empty log stays empty), nor in a pane of no rows', () => {
    expect(logPaneModel([], { filter: '', anchorId: null, height: 6, width: 80 }).rows).toEqual([]);
    expect(logPaneModel(done.log, { filter: 'zzz', anchorId: null, height: 0, width: 80 }).rows).toEqual([]);
  });
});
