// Headless progress (CI mode): a line per event of interest and a one-line
// status per metrics snapshot, plain text that reads well in a CI log.

import type { MegatestEvent } from '../contract/events.js';
import { eventSentence } from '../state/eventSentence.js';

export function headlessLine(event: MegatestEvent): string | null {
  const sentence = eventSentence(event);
  return sentence === null ? null : `${event.ts.slice(11, 19)} ${sentence}`;
}
