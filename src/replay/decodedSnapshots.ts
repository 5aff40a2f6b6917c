// The snapshot states of a seek index decoded lately. Snapshots come in
// groups (a keyframe and deltas sharing its objects, snapshotCodec.ts): a
// delta is decoded after the snapshots of its group before it, and a few
// groups stay decoded, so seeking back and forth near one place decodes
// nothing again and memory stays bounded.

import type { RunState } from '../state/runState.js';
import { Lru } from './lru.js';
import type { SeekIndex, SnapshotRow } from './seekIndex.js';
import { GroupDecoder, GROUP_SIZE } from './snapshotCodec.js';

/** Decoded groups of snapshots kept (each a keyframe and up to GROUP_SIZE - 1 deltas sharing its objects). */
export const GROUP_CACHE = 2;
/** The most snapshot states held decoded. */
export const MAX_DECODED_SNAPSHOTS = GROUP_CACHE * GROUP_SIZE;

interface DecodedGroup {
  decoder: GroupDecoder;
  states: Map<number, RunState>;
}

export class DecodedSnapshots {
  /** Decoded groups of snapshots, by keyframe cursor. */
  private readonly groups = new Lru<number, DecodedGroup>(GROUP_CACHE);

  /** Snapshot states held decoded now (at most MAX_DECODED_SNAPSHOTS). */
  get held(): number {
    let held = 0;
    this.groups.forEach((group) => (held += group.states.size));
    return held;
  }

  /** The index was rebuilt: its snapshots are other ones. */
  clear(): void {
    this.groups.clear();
  }

  /**
   * The state folded into a snapshot; null when its bytes turn out bad
   * (dropBad reports it; the caller uses an earlier one). A delta is
   * decoded after the snapshots of its group before it; a few groups stay
   * decoded.
   */
  async stateOf(row: SnapshotRow, index: SeekIndex, blobBytes: (row: SnapshotRow) => Promise<Buffer>, dropBad: (row: SnapshotRow, error: unknown) => void): Promise<RunState | null> {
    let group = this.groups.get(row.key);
    if (group === undefined) {
      group = { decoder: new GroupDecoder(), states: new Map() };
      this.groups.set(row.key, group);
    }
    const held = group.states.get(row.cursor);
    if (held) return held;
    const rows = index.groupUpTo(row);
    for (const next of rows.slice(group.decoder.count)) {
      try {
        group.states.set(next.cursor, group.decoder.next(await blobBytes(next)));
      } catch (error) {
        this.groups.delete(row.key);
        dropBad(next, error);
        return null;
      }
    }
    return group.states.get(row.cursor) ?? null;
  }
}
