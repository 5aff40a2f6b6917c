import { Box } from 'ink';
import type { PhaseBarModel } from '../viewModels/phaseBar.js';
import { SpanLine } from './themeContext.js';

export function PhaseBar({ model }: { model: PhaseBarModel }) {
  if (model.segments.length === 0) {
    return (
      <Box flexDirection="column">
        <SpanLine spans={[{ text: 'waiting for the session plan…', role: 'muted' }]} />
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
