// Where the replay's timeline puts each damage entry of the recording: at
// the time of the event it sits before (one event read each, remembered),
// for at most MAX_PLACED_DAMAGE of them.

import type { ReplaySource } from '../../replay/types.js';
import type { PlacedDamage } from '../viewModels/timeline.js';
import { msOf } from './transport.js';

/** Damage entries placed on the timeline (each costs one event read). */
export const MAX_PLACED_DAMAGE = 100;

/** The source's damage with each entry's time; `damageTimes` keeps the times found (by atIndex) between calls. */
export async function placeDamage(source: ReplaySource, damageTimes: Map<number, number | null>): Promise<PlacedDamage[]> {
  const damage: PlacedDamage[] = [];
  for (const entry of source.damage()) {
    let atMs: number | null = null;
    if (entry.atIndex !== undefined && (damageTimes.size < MAX_PLACED_DAMAGE || damageTimes.has(entry.atIndex))) {
      if (!damageTimes.has(entry.atIndex)) {
        // Damage sits before the event at atIndex: place it at the event before it, where the source's damage mark is
        // (one '!', not two a column apart), or at the first event for damage before any.
        const at = (await source.eventAt(entry.atIndex - 1)) ?? (await source.eventAt(entry.atIndex));
        damageTimes.set(entry.atIndex, msOf(at));
      }
      atMs = damageTimes.get(entry.atIndex) ?? null;
    }
    damage.push({ ...entry, atMs });
  }
  return damage;
}
