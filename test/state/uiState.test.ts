import { describe, expect, it } from 'vitest';
import {
  anchorAlerts,
  applyFilter,
  cancelFilter,
  eraseFilter,
  expireToast,
  initialUiState,
  lastIndexAtOrBefore,
  movePicker,
  moveSelection,
  openOverlay,
  anchorLog,
  showToast,
  startFilter,
  typeFilter,
} from '../../src/state/uiState.js';

const agents = ['agent-1', 'agent-2', 'agent-3'];

describe('ui state', () => {
  it('moves the agent selection, with "none" (all) above the first', () => {
    let ui = initialUiState();
    ui = moveSelection(ui, agents, 1);
    expect(ui.selectedAgent).toBe('agent-1');
    ui = moveSelection(moveSelection(moveSelection(ui, agents, 1), agents, 1), agents, 1);
    expect(ui.selectedAgent).toBe('agent-3');
    ui = moveSelection(ui, agents, -1);
    ui = moveSelection(ui, agents, -1);
    ui = moveSelection(ui, agents, -1);
    expect(ui.selectedAgent).toBeNull();
  });

  it('filters as it is typed; Enter keeps it, Esc clears it', () => {
    let ui = startFilter(initialUiState());
    ui = typeFilter(typeFilter(ui, 'er'), 'r');
    expect(ui.filter).toBe('err');
    ui = eraseFilter(ui);
    expect(ui.filter).toBe('er');
    const applied = applyFilter(ui);
    expect(applied.overlay.kind).toBe('none');
    expect(applied.filter).toBe('er');
    expect(cancelFilter(startFilter(applied)).filter).toBe('');
  });

  it('anchors the log at a line, keeps the same state when it does not move, and follows again on null', () => {
    const start = initialUiState();
    expect(anchorLog(start, null)).toBe(start);
    const back = anchorLog(start, 41);
    expect(back.logAnchorId).toBe(41);
    expect(anchorLog(back, 41)).toBe(back);
    expect(anchorLog(back, null).logAnchorId).toBeNull();
  });

  it('keeps the alerts pane’s anchor apart from the log’s, and the same state when it does not move', () => {
    const start = initialUiState();
    expect(start.alertAnchorSeq).toBeNull();
    const paged = anchorAlerts(start, 42);
    expect(paged).toMatchObject({ alertAnchorSeq: 42, logAnchorId: null });
    expect(anchorAlerts(paged, 42)).toBe(paged);
    expect(anchorAlerts(paged, null).alertAnchorSeq).toBeNull();
  });

  it('finds the last id at or before an anchor', () => {
    expect(lastIndexAtOrBefore([2, 4, 6], 5)).toBe(1);
    expect(lastIndexAtOrBefore([2, 4, 6], 1)).toBe(-1);
    expect(lastIndexAtOrBefore([2, 4, 6], 9)).toBe(2);
  });

  it('moves within the picker and keeps toasts until they expire', () => {
    const ids = ['checkpoint_003', 'checkpoint_002', 'checkpoint_001'];
    let ui = openOverlay(initialUiState(), { kind: 'picker', id: 'checkpoint_003' });
    ui = movePicker(movePicker(ui, ids, 1), ids, 1);
    ui = movePicker(ui, ids, 1);
    expect(ui.overlay).toEqual({ kind: 'picker', id: 'checkpoint_001' });
    // A checkpoint taken while the picker is open goes on top: the selection stays on checkpoint_001.
    ui = movePicker(ui, ['checkpoint_004', ...ids], -1);
    expect(ui.overlay).toEqual({ kind: 'picker', id: 'checkpoint_002' });
    ui = showToast(ui, 'good', 'checkpoint_006 taken', 1000);
    expect(expireToast(ui, 4999).toast?.message).toBe('checkpoint_006 taken');
    expect(expireToast(ui, 5000).toast).toBeNull();
  });
});
