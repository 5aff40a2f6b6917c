import { memo } from 'react';
import { Box } from 'ink';
import type { ChartModel } from '../viewModels/charts.js';
import { samePlainData } from '../viewModels/screen.js';
import { SpanLine } from './themeContext.js';

function Chart({ model, width }: { model: ChartModel; width: number }) {
  return (
    <Box flexDirection="column" width={width}>
      <SpanLine
        spans={[
          { text: model.title, role: 'title' },
          { text: ` ${model.latest}`, role: model.points === 0 ? 'muted' : 'text' },
        ]}
        width={width}
      />
      {model.lines.map((line, i) => (
        <SpanLine key={i} spans={[{ text: line, role: model.role }]} />
      ))}
    </Box>
  );
}

/** Charts in rows of `perRow`, each `width` columns wide. */
function ChartsPanel({ charts, perRow, width }: { charts: readonly ChartModel[]; perRow: number; width: number }) {
  const rows: ChartModel[][] = [];
  for (let i = 0; i < charts.length; i += perRow) rows.push(charts.slice(i, i + perRow));
  return (
    <Box flexDirection="column">
      {rows.map((row, r) => (
        <Box key={r} flexDirection="row" gap={1}>
          {row.map((chart) => (
            <Chart key={chart.title} model={chart} width={width} />
          ))}
        </Box>
      ))}
    </Box>
  );
}

export const Charts = memo(ChartsPanel, samePlainData);
