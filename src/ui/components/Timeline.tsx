import { memo } from 'react';
import { Box } from 'ink';
import type { Span } from '../viewModels/format.js';
import { samePlainData } from '../viewModels/screen.js';
import { SpanLine } from './themeContext.js';

/** Replay's timeline bar (none in a pane too short for it) and status line, under the phase bar. */
function TimelinePanel({ bar, status, width }: { bar: readonly Span[] | null; status: readonly Span[]; width: number }) {
  return (
    <Box flexDirection="column">
      {bar ? <SpanLine spans={bar} width={width} /> : null}
      <SpanLine spans={status} width={width} />
    </Box>
  );
}

export const Timeline = memo(TimelinePanel, samePlainData);
