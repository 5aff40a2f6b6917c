// The role column: at a fixed 9 columns the default role "documenter" was
// always cut ("documen…"), whatever room the task column had.

import { describe, expect, it } from 'vitest';
import { blankAgent } from '../../../src/state/foldParts.js';
import { UNICODE_GLYPHS } from '../../../src/ui/theme.js';
import { agentTableModel } from '../../../src/ui/viewModels/agentTable.js';

const T = Date.parse('2026-03-01T12:00:00.000Z');
const agents = ['architect', 'developer', 'documenter', 'principal-software-architect'].map((role, i) => ({ ...blankAgent(`agent-${i + 1}`, T), role, task: 'Write the queue statistics module with its tests' }));
const roleCells = (width: number, shown = agents) => {
  const model = agentTableModel(shown, { width, rows: 10, selected: null, glyphs: UNICODE_GLYPHS });
  const at = model.columns.findIndex((c) => c.key === 'role');
  return { cells: model.rows.map((r) => r.cells[at]!.text.trimEnd()), columns: model.columns };
};

describe('the role column', () => {
  it('is as wide as the longest role, up to 16 columns, taken from the task column', () => {
    expect(roleCells(80, agents.slice(0, 3)).cells).toEqual(['architect', 'developer', 'documenter']);
    const wide = roleCells(120);
    expect(wide.cells[2]).toBe('documenter');
    expect(wide.columns.find((c) => c.key === 'role')!.width).toBe(16);
    expect(wide.cells[3]).toBe('principal-softw…');
  });

  it('leaves the task its room on a narrow terminal, and the table its width', () => {
    for (const width of [60, 80, 100, 160]) {
      const { columns } = roleCells(width);
      const task = columns.find((c) => c.key === 'task')!;
      expect(task.width, `${width}`).toBeGreaterThanOrEqual(10);
      expect(columns.reduce((sum, c) => sum + c.width, 0) + columns.length - 1, `${width}`).toBeLessThanOrEqual(width);
    }
  });
});
