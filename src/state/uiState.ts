// What the person at the console has chosen (selection, dialogs, filter,
// scroll position, the current toast), apart from what the run reports.
// Pure transitions; the App maps keys to them through the keymap.

/** Live follows a running session; replay plays a recorded run folder (same reducer). */
export type ConsoleMode = 'live' | 'replay';

export type ToastTone = 'info' | 'good' | 'critical';

export interface Toast {
  id: number;
  tone: ToastTone;
  message: string;
  /** Until when it shows; the App's clock removes it. */
  expiresAtMs: number;
}

export type ConfirmRequest = { kind: 'restore'; checkpointId: string; prompt: string } | { kind: 'stop'; prompt: string };

export type Overlay =
  | { kind: 'none' }
  /** scroll: help rows scrolled off the top. */
  | { kind: 'help'; scroll: number }
  | { kind: 'filter'; draft: string }
  /** id: the checkpoint selected. Kept by id, not place: one taken while the picker is open goes on top and must not move the selection onto itself. */
  | { kind: 'picker'; id: string }
  | { kind: 'confirm'; request: ConfirmRequest }
  /** One agent's detail (Enter on the selected agent). */
  | { kind: 'agent'; name: string };

/** What the bottom pane shows when the screen has no room for the log and the alerts both. */
export type BottomPane = 'log' | 'alerts';

export interface UiState {
  mode: ConsoleMode;
  /** Selected agent by name (stable while agents come and go); null means all. */
  selectedAgent: string | null;
  /** Log line id shown at the bottom of the log pane; null follows the newest. */
  logAnchorId: number | null;
  /** Seq of the alert at the top of the alerts pane in the log's place (PgUp/PgDn); null shows the newest. */
  alertAnchorSeq: number | null;
  filter: string;
  overlay: Overlay;
  bottomPane: BottomPane;
  toast: Toast | null;
  nextToastId: number;
}

export function initialUiState(mode: ConsoleMode = 'live'): UiState {
  return { mode, selectedAgent: null, logAnchorId: null, alertAnchorSeq: null, filter: '', overlay: { kind: 'none' }, bottomPane: 'log', toast: null, nextToastId: 1 };
}

export const TOAST_MS = 4000;

export function showToast(ui: UiState, tone: ToastTone, message: string, nowMs: number, durationMs = TOAST_MS): UiState {
  return { ...ui, toast: { id: ui.nextToastId, tone, message, expiresAtMs: nowMs + durationMs }, nextToastId: ui.nextToastId + 1 };
}

export function expireToast(ui: UiState, nowMs: number): UiState {
  return ui.toast !== null && ui.toast.expiresAtMs <= nowMs ? { ...ui, toast: null } : ui;
}

/** Moves the agent selection; above the first agent is "none" (compress means all). */
export function moveSelection(ui: UiState, agentNames: readonly string[], delta: -1 | 1): UiState {
  if (agentNames.length === 0) return ui.selectedAgent === null ? ui : { ...ui, selectedAgent: null };
  const current = ui.selectedAgent === null ? -1 : agentNames.indexOf(ui.selectedAgent);
  const next = Math.max(-1, Math.min(agentNames.length - 1, current + delta));
  const selectedAgent = next < 0 ? null : agentNames[next]!;
  return selectedAgent === ui.selectedAgent ? ui : { ...ui, selectedAgent };
}

export function openOverlay(ui: UiState, overlay: Overlay): UiState {
  return { ...ui, overlay };
}

/** Scrolls the help by `delta` rows, within 0..maxScroll. */
export function scrollHelp(ui: UiState, delta: number, maxScroll: number): UiState {
  if (ui.overlay.kind !== 'help') return ui;
  const scroll = Math.max(0, Math.min(Math.max(0, maxScroll), ui.overlay.scroll + delta));
  return scroll === ui.overlay.scroll ? ui : { ...ui, overlay: { kind: 'help', scroll } };
}

/** Enter on the dashboard: the selected agent's detail (nothing when none is selected). */
export function openAgentDetail(ui: UiState): UiState {
  return ui.selectedAgent === null ? ui : { ...ui, overlay: { kind: 'agent', name: ui.selectedAgent } };
}

/**
 * Esc on the dashboard steps back one thing at a time, as in k9s and
 * lazygit: an applied filter goes first, then the agent selection.
 */
export function stepBack(ui: UiState): UiState {
  if (ui.filter !== '') return { ...ui, filter: '', logAnchorId: null };
  if (ui.selectedAgent !== null) return { ...ui, selectedAgent: null };
  return ui;
}

/** What Esc on the dashboard would clear now, if anything. */
export function stepBackTarget(ui: UiState): 'filter' | 'selection' | null {
  return ui.filter !== '' ? 'filter' : ui.selectedAgent !== null ? 'selection' : null;
}

export function toggleBottomPane(ui: UiState): UiState {
  return { ...ui, bottomPane: ui.bottomPane === 'log' ? 'alerts' : 'log' };
}

export function closeOverlay(ui: UiState): UiState {
  return ui.overlay.kind === 'none' ? ui : { ...ui, overlay: { kind: 'none' } };
}

export function startFilter(ui: UiState): UiState {
  return { ...ui, overlay: { kind: 'filter', draft: ui.filter } };
}

export function typeFilter(ui: UiState, text: string): UiState {
  if (ui.overlay.kind !== 'filter') return ui;
  // The filter applies as it is typed; Enter only closes the prompt.
  const draft = ui.overlay.draft + text;
  return { ...ui, overlay: { kind: 'filter', draft }, filter: draft, logAnchorId: null };
}

export function eraseFilter(ui: UiState): UiState {
  if (ui.overlay.kind !== 'filter') return ui;
  const draft = [...ui.overlay.draft].slice(0, -1).join('');
  return { ...ui, overlay: { kind: 'filter', draft }, filter: draft, logAnchorId: null };
}

export function applyFilter(ui: UiState): UiState {
  if (ui.overlay.kind !== 'filter') return ui;
  return { ...ui, filter: ui.overlay.draft, overlay: { kind: 'none' } };
}

export function cancelFilter(ui: UiState): UiState {
  return { ...ui, filter: '', overlay: { kind: 'none' }, logAnchorId: null };
}

/** `orderedIds`: the picker's checkpoints as listed, newest first. */
export function movePicker(ui: UiState, orderedIds: readonly string[], delta: -1 | 1): UiState {
  if (ui.overlay.kind !== 'picker' || orderedIds.length === 0) return ui;
  const at = Math.max(0, orderedIds.indexOf(ui.overlay.id));
  const index = Math.max(0, Math.min(orderedIds.length - 1, at + delta));
  return { ...ui, overlay: { kind: 'picker', id: orderedIds[index]! } };
}

/**
 * Puts the log line with id `logAnchorId` at the bottom of the log pane (null:
 * follow the newest). The page it starts is the log view-model's to work out
 * (logPageAnchor): it knows how many rows each line wraps onto.
 */
export function anchorLog(ui: UiState, logAnchorId: number | null): UiState {
  return ui.logAnchorId === logAnchorId ? ui : { ...ui, logAnchorId };
}

export function followLog(ui: UiState): UiState {
  return ui.logAnchorId === null ? ui : { ...ui, logAnchorId: null };
}

/**
 * Puts the alert with seq `alertAnchorSeq` at the top of the alerts pane
 * (null: the newest, as they come). The page it starts is the alerts view-model's
 * to work out (alertsPageUp, alertsPageDown): it knows how many rows each takes.
 */
export function anchorAlerts(ui: UiState, alertAnchorSeq: number | null): UiState {
  return ui.alertAnchorSeq === alertAnchorSeq ? ui : { ...ui, alertAnchorSeq };
}

/** Index of the last id <= anchor in ascending `ids`, or -1. */
export function lastIndexAtOrBefore(ids: readonly number[], anchor: number): number {
  let low = 0;
  let high = ids.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (ids[mid]! <= anchor) {
      found = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  return found;
}
