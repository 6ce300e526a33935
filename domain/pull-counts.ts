/**
 * What a pull did to the records it read, per entity: the counts a page, a chunk, a pass and a run add
 * up. Pure: safe to import from workflows.
 */

export interface PullCounts {
  seen: number;
  created: number;
  updated: number;
  linked: number;
  unchanged: number;
  orphaned: number;
  failed: number;
  skipped: number;
  /** BMS records matching nothing, held for review instead of created (Sync Settings `unmatched: hold`). */
  held: number;
}

export function emptyCounts(): PullCounts {
  return { seen: 0, created: 0, updated: 0, linked: 0, unchanged: 0, orphaned: 0, failed: 0, skipped: 0, held: 0 };
}

/**
 * Adds `add` into `into` (a new tally when there is none) and returns it. `seen` is left out when the
 * same records were already counted as seen (a retried store of part of a page).
 */
export function addCounts(into: PullCounts | undefined, add: PullCounts, options: { seen?: boolean } = {}): PullCounts {
  const out = into ?? emptyCounts();
  for (const key of Object.keys(add) as Array<keyof PullCounts>) if (key !== 'seen' || options.seen !== false) out[key] = (out[key] ?? 0) + add[key];
  return out;
}

/** Rows a pull wrote (what its planner-statistics refreshes are paced by). */
export function writtenCount(counts: PullCounts): number {
  return counts.created + counts.updated + counts.linked + counts.orphaned;
}
