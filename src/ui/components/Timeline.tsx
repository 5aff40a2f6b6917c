import { memo } from 'react';
import { Box } from 'ink';
import type { Span } from '../viewModels/format.js';
import { samePlainData } from '../viewModels/screen.js';
import { SpanLine } from './themeContext.js';

/** Replay's timeline bar and status line, under the phase bar. */
function TimelinePanel({ bar, status, width }: { bar: readonly Span[]; status: readonly Span[]; width: number }) {
  return (
    <Box flexDirection="column">
      <SpanLine spans={bar} width={width} />
      <SpanLine spans={status} width={width} />
    </Box>
  );
}

export const Timeline = memo(TimelinePanel, samePlainData);
