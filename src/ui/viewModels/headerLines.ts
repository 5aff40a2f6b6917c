// The header's two rows as spans, fitted to the width. The second row is
// fields (elapsed / total, %, ETA, phase, counts): at 60 columns it was cut
// at the edge, "117k tok" read as "1…" and the checkpoints went unsaid. A
// field that does not fit is left out whole, the least needed first; the
// rest keep their order.

import type { HeaderModel } from './header.js';
import { textWidth, type Span } from './format.js';

type HeaderFields = Pick<HeaderModel, 'title' | 'simulated' | 'status' | 'statusRole' | 'sessionId' | 'project' | 'agentKind' | 'progressFields' | 'phaseText' | 'countsFields' | 'orchestratorWarning'>;

/** The first row: most important first, as a narrow terminal cuts it from the right (with the ellipsis, by SpanLine). */
export function headerFirstRow(model: HeaderFields, replayState?: string): Span[] {
  const first: Span[] = [{ text: model.title, role: 'title' }];
  if (model.simulated) first.push({ text: ' ', role: 'text' }, { text: ' SIMULATED ', role: 'simulated' });
  first.push({ text: '  ', role: 'text' }, { text: model.status, role: model.statusRole });
  if (replayState) first.push({ text: `  ${replayState}`, role: 'info' });
  first.push({ text: '  ', role: 'text' }, { text: model.sessionId, role: 'accent' });
  if (model.project) first.push({ text: `  ${model.project}`, role: 'text' });
  if (model.agentKind) first.push({ text: `  agent ${model.agentKind}`, role: 'muted' });
  return first;
}

interface Field {
  span: Span;
  /** Lower is kept longer. */
  need: number;
}

/** The second row within `width` columns: whole fields, two spaces apart, the least needed left out first. */
export function headerSecondRow(model: HeaderFields, width: number): Span[] {
  const fields: Field[] = model.progressFields.map((text, i) => ({ span: { text, role: 'text' }, need: i === 0 ? 0 : i === 1 ? 1 : 5 }));
  if (model.orchestratorWarning) {
    fields.push({ span: { text: model.orchestratorWarning, role: 'critical' }, need: -1 }); // what the person must know first
  } else {
    if (model.phaseText) fields.push({ span: { text: model.phaseText, role: 'accent' }, need: 4 });
    // Errors, then tokens (no chart shows them on a narrow screen), then checkpoints (the phase bar marks them), then the cost.
    model.countsFields.forEach((text, i) => fields.push({ span: { text, role: 'muted' }, need: [2, 3, 6][i] ?? 7 }));
  }
  const rowWidth = (kept: readonly Field[]) => kept.reduce((sum, f) => sum + textWidth(f.span.text), 0) + 2 * Math.max(0, kept.length - 1);
  let kept = fields;
  while (kept.length > 1 && rowWidth(kept) > width) {
    const least = kept.reduce((a, b) => (b.need >= a.need ? b : a));
    kept = kept.filter((f) => f !== least);
  }
  const row: Span[] = [];
  kept.forEach((field, i) => row.push(i === 0 ? field.span : { ...field.span, text: `  ${field.span.text}` }));
  return row;
}
