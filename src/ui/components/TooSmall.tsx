import { Box } from 'ink';
import type { KeyLineItem } from '../keymap.js';
import { headerFirstRow } from '../viewModels/headerLines.js';
import type { DrawnHeader } from '../viewModels/screen.js';
import { tooSmallRows } from '../viewModels/tooSmall.js';
import { SpanLine, useLook } from './themeContext.js';

/** What a terminal too small for the dashboard shows instead (viewModels/tooSmall.ts says why). */
export function TooSmall({ columns, rows, header, replayState, keys }: { columns: number; rows: number; header: DrawnHeader; replayState: string | undefined; keys: readonly KeyLineItem[] }) {
  const { glyphs } = useLook();
  const lines = tooSmallRows(columns, rows, headerFirstRow(header, replayState), keys, glyphs.ellipsis);
  return (
    <Box flexDirection="column" width={Math.max(1, columns)} height={lines.length} overflowY="hidden">
      {lines.map((spans, i) => (
        <SpanLine key={i} spans={spans} width={columns} />
      ))}
    </Box>
  );
}
