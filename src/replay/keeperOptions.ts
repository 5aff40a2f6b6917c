// What an IndexKeeper (indexKeeper.ts) is opened with, and what it says of
// the index it opened.

export interface IndexInfo {
  /** Where the index is kept; null when only in memory. */
  path: string | null;
  /** How this open got it: read as it was, carried on over what the log gained, or built by reading the whole log. */
  opened: 'loaded' | 'extended' | 'built';
  /** Time spent on the index when opening (the whole build on a first open). */
  openMs: number;
  /** Events read from the log when opening (all of them on a build). */
  eventsRead: number;
  /** Why the index is not kept on disk, when it is not. */
  note: string | null;
}

export interface KeeperOptions {
  snapshotEvery?: number;
  /** Events between offset rows (default indexKeeper.ts ENTRY_EVERY; small values let tests cross many blocks). */
  entryEvery?: number;
  indexPath?: string;
  /**
   * Append each commit to the index file instead of writing it whole: for
   * the one writer of a run's index (the orchestrator's upkeep, under the
   * run lock). Others write it whole, so two never append to one file.
   */
  appendInPlace?: boolean;
  /** Dead bytes an index appended in place may hold before it is written whole (default indexKeeper.ts COMPACT_FLOOR; tests lower it). */
  compactFloor?: number;
  /**
   * Read events.idx, never write it: a reader beside the run's running
   * orchestrator, which alone keeps the file (a replay's index renamed over
   * it made the orchestrator write its own whole again, twice a replay).
   */
  readOnly?: boolean;
  /** Progress of reading the log on open: bytes read, bytes to read. */
  onProgress?: (offset: number, total: number) => void;
}
