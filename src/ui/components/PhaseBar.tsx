import { memo } from 'react';
import { Box } from 'ink';
import type { PhaseBarModel } from '../viewModels/phaseBar.js';
import { samePlainData } from '../viewModels/screen.js';
import { SpanLine } from './themeContext.js';

function PhaseBarPanel({ model }: { model: PhaseBarModel }) {
  if (model.segments.length === 0) {
    return (
      <Box flexDirection="column">
        <SpanLine spans={[{ text: model.placeholder, role: 'muted' }]} />
        <SpanLine spans={[]} />
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      <SpanLine spans={model.labels} />
      <SpanLine spans={model.bar} />
    </Box>
  );
}

export const PhaseBar = memo(PhaseBarPanel, samePlainData);
