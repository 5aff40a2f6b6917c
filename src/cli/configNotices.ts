// How the CLI says what the configuration loader noticed: one line each on
// stderr, e.g. a key megatest accepts but does not act on, with the reason.

import type { ConfigNotice } from '../config/load.js';

export function sayConfigNotice(notice: ConfigNotice): void {
  process.stderr.write(`megatest: ${notice.level}: ${notice.message}\n`);
}
