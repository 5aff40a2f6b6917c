// A 60x15 terminal: the header's second row cut "117k tok" to "1…" and left
// the checkpoints unsaid; the agent detail's first row ended mid-word
// ("status workin") and its "can do" lost its third row without a mark.

import { describe, expect, it } from 'vitest';
import type { AgentView } from '../../../src/state/applyEvent.js';
import { lastEventMs } from '../../../src/state/runState.js';
import { UNICODE_GLYPHS } from '../../../src/ui/theme.js';
import { agentDetailModel } from '../../../src/ui/viewModels/agentDetail.js';
import { textWidth } from '../../../src/ui/viewModels/format.js';
import { headerModel } from '../../../src/ui/viewModels/header.js';
import { headerSecondRow } from '../../../src/ui/viewModels/headerLines.js';
import { fixtureState } from '../helpers.js';

const joined = (spans: readonly { text: string }[]) => spans.map((s) => s.text).join('');

describe("the header's second row on a narrow terminal", () => {
  const run = fixtureState(250);
  const model = headerModel(run, { nowMs: lastEventMs(run), runDir: 'runs/x' });
  const full = joined(headerSecondRow(model, 500));

  it('leaves out whole fields, the least needed first, and never cuts a number', () => {
    for (let width = 20; width <= 100; width++) {
      const row = joined(headerSecondRow(model, width));
      expect(textWidth(row), `${width}`).toBeLessThanOrEqual(width);
      expect(row, `${width}`).not.toContain('…');
      // Every field shown is one of the full row's, whole.
      for (const field of row.split('  ')) expect(full.split('  '), `${width}: ${field}`).toContain(field);
    }
    const at60 = joined(headerSecondRow(model, 60));
    expect(at60).toContain(model.countsFields[0]); // the errors
    expect(at60).toContain(model.countsFields[1]); // the tokens, whole
    expect(at60.startsWith(model.progressFields[0]!)).toBe(true);
  });

  it('keeps everything, in order, where there is room', () => {
    expect(full).toBe([model.progressText, model.phaseText, model.countsText].filter(Boolean).join('  '));
  });
});

describe('the agent detail at 60 columns', () => {
  const agent: AgentView = {
    ...fixtureState(250).agents[0]!,
    role: 'principal-software-architect',
    model: 'claude-sonnet-4-5-20250929-long-model-name',
    task: 'Complete the API documentation and the operator guide, then the migration notes, the changelog, the release checklist and every example in the README, each checked by hand',
    capabilities: { nativeCheckpoint: false, nativeCompress: true, nativeResume: false, tokenUsage: true, cost: false, pause: true },
  };
  const rows = agentDetailModel(agent, [], null, { width: 40, rows: 30, glyphs: UNICODE_GLYPHS }).rows.map(joined);

  it('leaves the model out of a first row too narrow for it, rather than cutting the status mid-word', () => {
    const first = agentDetailModel(agent, [], null, { width: 60, rows: 30, glyphs: UNICODE_GLYPHS }).rows.map(joined)[0]!;
    expect(first).toMatch(new RegExp(`status ${agent.status}$`));
    expect(first).not.toContain('model');
    const roomy = agentDetailModel(agent, [], null, { width: 140, rows: 30, glyphs: UNICODE_GLYPHS }).rows.map(joined)[0]!;
    expect(roomy).toContain(`model ${agent.model}`);
  });

  it('says when the task or what it can do is cut: its last row ends with the ellipsis', () => {
    const task = rows.slice(rows.findIndex((r) => r.startsWith('task')), rows.findIndex((r) => r.startsWith('can do')));
    expect(task).toHaveLength(3);
    expect(task[2]).toMatch(/…$/);
    const canDo = rows.slice(rows.findIndex((r) => r.startsWith('can do')), rows.findIndex((r) => r.startsWith('tokens')));
    expect(canDo).toHaveLength(2);
    expect(canDo[1]).toMatch(/…$/);
    for (const row of rows) expect(textWidth(row)).toBeLessThanOrEqual(40);
  });
});
