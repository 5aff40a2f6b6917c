import { memo } from 'react';
import { Box } from 'ink';
import type { AgentTableModel } from '../viewModels/agentTable.js';
import { textWidth } from '../viewModels/format.js';
import { samePlainData } from '../viewModels/screen.js';
import { SectionTitle } from './themeContext.js';
import { Table } from './Table.js';

function AgentGridPanel({ model, total, width, selected }: { model: AgentTableModel; total: number; width: number; selected: string | null }) {
  const more = [model.hiddenAbove > 0 ? `${model.hiddenAbove} above` : '', model.hiddenBelow > 0 ? `${model.hiddenBelow} below` : ''].filter(Boolean).join(', ');
  const title = model.asLastRecorded ? `Agents ${total} ${model.asLastRecorded}` : `Agents ${total}`;
  const detailOf = (hint: string) => [selected ? `selected ${selected}${hint}` : 'none selected', more].filter(Boolean).join(' · ');
  // The title's rules and spaces take 8 columns; the Enter hint gives way first.
  const detail = textWidth(title) + textWidth(detailOf(', Enter opens')) + 8 <= width ? detailOf(', Enter opens') : detailOf('');
  return (
    <Box flexDirection="column">
      <SectionTitle title={title} detail={detail} width={width} />
      <Table header={model.header} rows={model.rows.map((r) => ({ key: r.name, cells: r.cells, selected: r.selected }))} />
    </Box>
  );
}

export const AgentGrid = memo(AgentGridPanel, samePlainData);
