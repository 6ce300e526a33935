/** Slices that rotate through a set of BMS ids from pass to pass (asset refreshes, contact checks). */

/**
 * The next `limit` ids after `after`, ascending, wrapping around to the smallest ones when the end is
 * reached. `slice(op, n)` reads at most `n` ids that are `op` `after`, ascending.
 */
export async function nextInRotation(after: number, limit: number, slice: (op: '>' | '<=', n: number) => Promise<number[]>): Promise<number[]> {
  const ids = (await slice('>', limit)).map(Number);
  // Ids are positive: from 0 there is nothing to wrap around to.
  if (ids.length < limit && after > 0) ids.push(...(await slice('<=', limit - ids.length)).map(Number));
  return ids;
}
