import { memo } from 'react';
import { Box } from 'ink';
import { samePlainData, type DrawnLogPane } from '../viewModels/screen.js';
import { SectionTitle, SpanLine } from './themeContext.js';

function LogPanePanel({ model, width, rows, filter, hiddenAlerts }: { model: DrawnLogPane; width: number; rows: number; filter: string; hiddenAlerts: number }) {
  const parts = [model.position];
  if (filter) parts.push(`filter "${filter}" ${model.shown}/${model.total}`);
  if (hiddenAlerts > 0) parts.push(`${hiddenAlerts} ${hiddenAlerts === 1 ? 'alert' : 'alerts'}: Tab shows`);
  const padding = Math.max(0, rows - model.rows.length);
  return (
    <Box flexDirection="column" width={width}>
      <SectionTitle title="Log" detail={parts.join(' · ')} width={width} />
      {model.rows.map((row) => (
        <SpanLine key={row.key} spans={row.spans} />
      ))}
      {Array.from({ length: padding }, (_, i) => (
        <SpanLine key={`pad-${i}`} spans={[]} />
      ))}
    </Box>
  );
}

export const LogPane = memo(LogPanePanel, samePlainData);
