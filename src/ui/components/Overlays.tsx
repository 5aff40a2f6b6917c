// Dialogs drawn in place of the agent grid and log: help, an agent's
// detail, the restore picker and the confirm question.

import { memo } from 'react';
import { Box } from 'ink';
import type { AgentDetailModel } from '../viewModels/agentDetail.js';
import type { HelpModel } from '../viewModels/help.js';
import type { PickerModel } from '../viewModels/picker.js';
import { toAscii } from '../viewModels/format.js';
import { samePlainData } from '../viewModels/screen.js';
import { SectionTitle, SpanLine, Styled, useLook } from './themeContext.js';
import { Table } from './Table.js';

function HelpOverlayPanel({ model, width }: { model: HelpModel; width: number }) {
  const { glyphs } = useLook();
  const up = glyphs.ascii ? '^' : '↑';
  const down = glyphs.ascii ? 'v' : '↓';
  const more = [model.above > 0 ? `${up} ${model.above} more` : '', model.below > 0 ? `${down} ${model.below} more` : ''].filter(Boolean);
  const detail = [...more, more.length > 0 ? `${up}${down} PgUp/PgDn scroll` : '', '? or Esc closes'].filter(Boolean).join(' · ');
  if (model.columns.length > 1) {
    const columnWidth = Math.floor((width - 2) / 2);
    return (
      <Box flexDirection="column">
        <SectionTitle title="Help" detail={detail} width={width} />
        <Box flexDirection="row" gap={2}>
          {model.columns.map((rows, c) => (
            <Box key={c} flexDirection="column" width={columnWidth}>
              {rows.map((spans, i) => (
                <SpanLine key={i} spans={spans} width={columnWidth} />
              ))}
            </Box>
          ))}
        </Box>
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      <SectionTitle title="Help" detail={detail} width={width} />
      {model.columns[0]!.map((spans, i) => (
        <SpanLine key={i} spans={spans} width={width} />
      ))}
    </Box>
  );
}

/** One agent's detail in place of the dashboard's body; `model` null: the agent is no longer in the run. */
function AgentDetailOverlayPanel({ name, model, width }: { name: string; model: AgentDetailModel | null; width: number }) {
  return (
    <Box flexDirection="column">
      <SectionTitle title={model?.title ?? `Agent ${name}`} detail="Esc goes back" width={width} />
      {model === null ? (
        <SpanLine spans={[{ text: `${name} is not in this run (any more).`, role: 'muted' }]} />
      ) : (
        model.rows.map((spans, i) => <SpanLine key={i} spans={spans} width={width} />)
      )}
    </Box>
  );
}

function RestorePickerPanel({ model, width }: { model: PickerModel; width: number }) {
  const more = [model.hiddenAbove > 0 ? `${model.hiddenAbove} newer` : '', model.hiddenBelow > 0 ? `${model.hiddenBelow} older` : ''].filter(Boolean).join(', ');
  return (
    <Box flexDirection="column">
      <SectionTitle title="Restore a checkpoint" detail={more || undefined} width={width} />
      {model.empty ? (
        <SpanLine spans={[{ text: 'No checkpoints yet: press c to take one.', role: 'muted' }]} />
      ) : (
        <Table header={model.header} rows={model.rows.map((r) => ({ key: r.id, cells: r.cells, selected: r.selected }))} />
      )}
    </Box>
  );
}

function ConfirmDialogPanel({ prompt, width }: { prompt: string; width: number }) {
  const { glyphs } = useLook();
  return (
    <Box flexDirection="column">
      <SectionTitle title="Confirm" width={width} />
      {/* The question may be long (it names the checkpoint and its figures): wrap it, never cut it. */}
      <Box width={width}>
        <Styled role="warning">{glyphs.ascii ? toAscii(prompt) : prompt}</Styled>
      </Box>
    </Box>
  );
}

// Each panel skips its redraw when its props (plain data) read the same as last frame.
export const HelpOverlay = memo(HelpOverlayPanel, samePlainData);
export const AgentDetailOverlay = memo(AgentDetailOverlayPanel, samePlainData);
export const RestorePicker = memo(RestorePickerPanel, samePlainData);
export const ConfirmDialog = memo(ConfirmDialogPanel, samePlainData);
