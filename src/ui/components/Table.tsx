// A small table of our own from Box/Text (ink-table does not load under
// Ink 6): cells arrive fitted to their columns by the view-model.

import { Box } from 'ink';
import type { Cell } from '../viewModels/table.js';
import type { Span } from '../viewModels/format.js';
import { SpanLine } from './themeContext.js';

function cellsToSpans(cells: readonly Cell[], highlight: boolean): Span[] {
  const spans: Span[] = [];
  cells.forEach((cell, i) => {
    if (i > 0) spans.push({ text: ' ', role: highlight ? 'selected' : 'text' });
    spans.push({ text: cell.text, role: highlight ? 'selected' : cell.role });
  });
  return spans;
}

export function Table({ header, rows }: { header: readonly Cell[]; rows: readonly { key: string; cells: readonly Cell[]; selected?: boolean }[] }) {
  return (
    <Box flexDirection="column">
      <SpanLine spans={cellsToSpans(header, false)} />
      {rows.map((row) => (
        <SpanLine key={row.key} spans={cellsToSpans(row.cells, row.selected === true)} />
      ))}
    </Box>
  );
}
