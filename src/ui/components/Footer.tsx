import { memo } from 'react';
import { Box } from 'ink';
import type { KeyLineItem } from '../keymap.js';
import type { Span } from '../viewModels/format.js';
import { samePlainData } from '../viewModels/screen.js';
import { keyLineSpans } from '../viewModels/tooSmall.js';
import { SpanLine } from './themeContext.js';

/** The message rows (toast, filter prompt or standing warning) and the key line. */
function FooterPanel({ message, keys, width }: { message: readonly Span[][]; keys: readonly KeyLineItem[]; width: number }) {
  const keySpans = keyLineSpans(keys);
  return (
    <Box flexDirection="column">
      {message.map((row, i) => (
        <SpanLine key={i} spans={row} width={width} />
      ))}
      <SpanLine spans={keySpans} width={width} />
    </Box>
  );
}

export const Footer = memo(FooterPanel, samePlainData);
