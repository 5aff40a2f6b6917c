// Dialogs drawn in place of the agent grid and log: help, the restore
// picker and the confirm question.

import React from 'react';
import { Box } from 'ink';
import type { HelpSection } from '../keymap.js';
import type { PickerModel } from '../viewModels/picker.js';
import { fit, toAscii } from '../viewModels/format.js';
import { SectionTitle, SpanLine, Styled, useLook } from './themeContext.js';
import { Table } from './Table.js';

export function HelpOverlay({ sections, width, rows }: { sections: readonly HelpSection[]; width: number; rows: number }) {
  const keyWidth = Math.max(...sections.flatMap((s) => s.rows.map((r) => r.keys.length)), 4) + 3;
  const lines: React.ReactNode[] = [];
  for (const section of sections) {
    lines.push(<SpanLine key={`t-${section.title}`} spans={[{ text: section.title, role: 'title' }]} />);
    for (const row of section.rows) {
      lines.push(
        <SpanLine
          key={`${section.title}-${row.keys}-${row.description}`}
          spans={[
            { text: fit(`  ${row.keys}`, keyWidth), role: 'key' },
            { text: row.description, role: 'text' },
          ]}
          width={width >= 100 ? Math.floor((width - 2) / 2) : width}
        />,
      );
    }
  }
  // Two columns when the help is longer than the room and the screen is wide.
  const body = rows - 1;
  if (lines.length > body && width >= 100) {
    const half = Math.ceil(lines.length / 2);
    const columnWidth = Math.floor((width - 2) / 2);
    return (
      <Box flexDirection="column">
        <SectionTitle title="Help" detail="? or Esc closes" width={width} />
        <Box flexDirection="row" gap={2}>
          <Box flexDirection="column" width={columnWidth}>{lines.slice(0, Math.min(half, body))}</Box>
          <Box flexDirection="column" width={columnWidth}>{lines.slice(half, half + body)}</Box>
        </Box>
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      <SectionTitle title="Help" detail="? or Esc closes" width={width} />
      {lines.slice(0, body)}
    </Box>
  );
}

export function RestorePicker({ model, width }: { model: PickerModel; width: number }) {
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

export function ConfirmDialog({ prompt, width }: { prompt: string; width: number }) {
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
