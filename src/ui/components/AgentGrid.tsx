import { memo } from 'react';
import { Box } from 'ink';
import type { AgentTableModel } from '../viewModels/agentTable.js';
import { samePlainData } from '../viewModels/screen.js';
import { SectionTitle } from './themeContext.js';
import { Table } from './Table.js';

function AgentGridPanel({ model, total, width, selected }: { model: AgentTableModel; total: number; width: number; selected: string | null }) {
  const more = [model.hiddenAbove > 0 ? `${model.hiddenAbove} above` : '', model.hiddenBelow > 0 ? `${model.hiddenBelow} below` : ''].filter(Boolean).join(', ');
  const detail = [selected ? `selected ${selected}, Enter opens` : 'none selected', more].filter(Boolean).join(' · ');
  return (
    <Box flexDirection="column">
      <SectionTitle title={`Agents ${total}`} detail={detail} width={width} />
      <Table header={model.header} rows={model.rows.map((r) => ({ key: r.name, cells: r.cells, selected: r.selected }))} />
    </Box>
  );
}

export const AgentGrid = memo(AgentGridPanel, samePlainData);
