import { memo } from 'react';
import { Box } from 'ink';
import { headerFirstRow, headerSecondRow } from '../viewModels/headerLines.js';
import { samePlainData, type DrawnHeader } from '../viewModels/screen.js';
import { SpanLine } from './themeContext.js';

/** `replayState`: a word shown beside the status when the console replays a recording. */
export const Header = memo(HeaderPanel, samePlainData);

function HeaderPanel({ model, width, replayState }: { model: DrawnHeader; width: number; replayState?: string | undefined }) {
  const first = headerFirstRow(model, replayState);
  const second = headerSecondRow(model, width);
  return (
    <Box flexDirection="column">
      <SpanLine spans={first} width={width} />
      <SpanLine spans={second} width={width} />
    </Box>
  );
}
