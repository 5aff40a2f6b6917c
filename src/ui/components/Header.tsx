import { memo } from 'react';
import { Box } from 'ink';
import type { Span } from '../viewModels/format.js';
import { samePlainData, type DrawnHeader } from '../viewModels/screen.js';
import { SpanLine } from './themeContext.js';

/** `replayState`: a word shown beside the status when the console replays a recording. */
export const Header = memo(HeaderPanel, samePlainData);

function HeaderPanel({ model, width, replayState }: { model: DrawnHeader; width: number; replayState?: string | undefined }) {
  // Most important first: a narrow terminal cuts from the right.
  const first: Span[] = [{ text: model.title, role: 'title' }];
  if (model.simulated) first.push({ text: ' ', role: 'text' }, { text: ' SIMULATED ', role: 'simulated' });
  first.push({ text: '  ', role: 'text' }, { text: model.status, role: model.statusRole });
  if (replayState) first.push({ text: `  ${replayState}`, role: 'info' });
  first.push({ text: '  ', role: 'text' }, { text: model.sessionId, role: 'accent' });
  if (model.project) first.push({ text: `  ${model.project}`, role: 'text' });
  if (model.agentKind) first.push({ text: `  agent ${model.agentKind}`, role: 'muted' });

  const second: Span[] = [{ text: model.progressText, role: 'text' }];
  if (model.orchestratorWarning) {
    second.push({ text: '  ', role: 'text' }, { text: model.orchestratorWarning, role: 'critical' });
  } else {
    if (model.phaseText) second.push({ text: `  ${model.phaseText}`, role: 'accent' });
    second.push({ text: `  ${model.countsText}`, role: 'muted' });
  }
  return (
    <Box flexDirection="column">
      <SpanLine spans={first} width={width} />
      <SpanLine spans={second} width={width} />
    </Box>
  );
}
