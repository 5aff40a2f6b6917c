// Event times as ms: the fold's own reader (src/state/isoTime.ts), which
// replay uses for every line of a log too.

export { isoTimeMs } from '../state/isoTime.js';
