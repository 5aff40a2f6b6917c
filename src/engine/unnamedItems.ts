// What the keeper says of project/ items a checkpoint could not keep because
// their names are not UTF-8 (checkpoint/folderNames.ts): a log line at each
// checkpoint that leaves any out, and an alert when more are left out than at
// the checkpoint before, so a person hears of a new one once, not every ten
// minutes for the rest of the run.

import { countOf } from '../state/groupDigits.js';

/** Names shown in a line; the rest are counted. */
const NAMES_SHOWN = 3;

export class UnnamedItems {
  private leftOutBefore = 0;

  /** The log line and, when more were left out than before, the alert of a checkpoint that left `unnamed` out. */
  said(checkpointId: string, unnamed: readonly string[]): { line: string; alert: string | null } | null {
    const before = this.leftOutBefore;
    this.leftOutBefore = unnamed.length;
    if (unnamed.length === 0) return null;
    const shown = unnamed.slice(0, NAMES_SHOWN).join(', ');
    const more = unnamed.length > NAMES_SHOWN ? ` and ${unnamed.length - NAMES_SHOWN} more` : '';
    const line = `${checkpointId} left out ${countOf(unnamed.length, 'item')} with a name that is not UTF-8, which a manifest cannot hold (a restore leaves them as they are): ${shown}${more}`;
    return { line, alert: unnamed.length > before ? `checkpoint ${line}` : null };
  }
}
