import { memo } from 'react';
import { Box } from 'ink';
import type { AlertRow } from '../viewModels/alerts.js';
import { samePlainData } from '../viewModels/screen.js';
import { SectionTitle, SpanLine } from './themeContext.js';

function AlertsPanePanel({ rows, detail, width, height }: { rows: readonly AlertRow[]; detail: string; width: number; height: number }) {
  return (
    <Box flexDirection="column" width={width}>
      <SectionTitle title="Alerts" detail={detail} width={width} />
      {rows.map((row) => (
        <SpanLine
          key={row.key}
          spans={[
            { text: `${row.time} `, role: 'muted' },
            { text: row.text, role: row.role },
          ]}
        />
      ))}
      {Array.from({ length: Math.max(0, height - rows.length) }, (_, i) => (
        <SpanLine key={`pad-${i}`} spans={[]} />
      ))}
    </Box>
  );
}

export const AlertsPane = memo(AlertsPanePanel, samePlainData);
