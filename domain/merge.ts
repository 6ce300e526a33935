/**
 * Field-level comparison and the three-way merge used for echo suppression and conflicts.
 * Values are compared after normalisation, so '' equals null and list order of emails/phones matters
 * only by content. Pure: safe to import from workflows.
 */

type Value = unknown;

function normalise(value: Value): Value {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value.trim() === '' ? null : value;
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === 'object') {
    const out: Record<string, Value> = {};
    for (const key of Object.keys(value as object).sort()) out[key] = normalise((value as Record<string, Value>)[key]);
    return out;
  }
  return value;
}

export function sameValue(a: Value, b: Value): boolean {
  return JSON.stringify(normalise(a)) === JSON.stringify(normalise(b));
}

/** The fields of `current` that differ from `base` (every listed field when there is no base). */
export function changedFields<T extends Record<string, Value>>(
  current: T,
  base: Partial<T> | null | undefined,
  fields: readonly (keyof T & string)[],
): Partial<T> {
  const out: Partial<T> = {};
  for (const f of fields) {
    if (!base || !(f in base) || !sameValue(current[f], base[f])) out[f] = current[f];
  }
  return out;
}

export interface FieldConflict {
  field: string;
  local: Value;
  remote: Value;
  base: Value;
  winner: 'local' | 'remote';
  localChangedAt: string | null;
  remoteChangedAt: string | null;
}

export interface MergeResult<T> {
  /** The field values the record should hold after the merge. */
  merged: T;
  /** Fields BMS changed that the record takes. */
  takeRemote: Partial<T>;
  /** Fields changed locally (and not overridden) that still need pushing. */
  keepLocal: Partial<T>;
  conflicts: FieldConflict[];
}

export interface MergeTimes {
  /** When the record was last saved locally (ISO). */
  localChangedAt: string | null;
  /** The BMS record's modifiedOn (ISO). */
  remoteChangedAt: string | null;
}

/**
 * Three-way merge per field against the last synced base. A side that did not move from the base yields
 * to the side that did; when both moved to different values, the newer change wins and the conflict is
 * reported with both values. Without a base (first link), BMS wins every field ("the PSA always wins").
 */
export function threeWayMerge<T extends Record<string, Value>>(
  local: T,
  base: Partial<T> | null | undefined,
  remote: T,
  fields: readonly (keyof T & string)[],
  times: MergeTimes,
): MergeResult<T> {
  const merged = { ...local };
  const takeRemote: Partial<T> = {};
  const keepLocal: Partial<T> = {};
  const conflicts: FieldConflict[] = [];
  for (const f of fields) {
    const l = local[f];
    const r = remote[f];
    if (sameValue(l, r)) continue;
    if (!base || !(f in base)) {
      merged[f] = r;
      takeRemote[f] = r;
      continue;
    }
    const b = base[f];
    const localMoved = !sameValue(l, b);
    const remoteMoved = !sameValue(r, b);
    if (remoteMoved && !localMoved) {
      merged[f] = r;
      takeRemote[f] = r;
    } else if (localMoved && !remoteMoved) {
      keepLocal[f] = l;
    } else {
      const localTime = times.localChangedAt ? Date.parse(times.localChangedAt) : Number.NEGATIVE_INFINITY;
      const remoteTime = times.remoteChangedAt ? Date.parse(times.remoteChangedAt) : Number.NEGATIVE_INFINITY;
      const winner = localTime > remoteTime ? 'local' : 'remote';
      if (winner === 'remote') {
        merged[f] = r;
        takeRemote[f] = r;
      } else {
        keepLocal[f] = l;
      }
      conflicts.push({
        field: f,
        local: l,
        remote: r,
        base: b,
        winner,
        localChangedAt: times.localChangedAt,
        remoteChangedAt: times.remoteChangedAt,
      });
    }
  }
  return { merged, takeRemote, keepLocal, conflicts };
}

export interface FieldDiff {
  [field: string]: { from: unknown; to: unknown };
}

/** `{field: {from, to}}` for the fields that differ (as stored: exact, not normalised). */
export function diff(before: Record<string, unknown> | null | undefined, after: Record<string, unknown>): FieldDiff {
  const out: FieldDiff = {};
  for (const [k, v] of Object.entries(after)) {
    const prev = before?.[k] ?? null;
    if (JSON.stringify(prev) !== JSON.stringify(v ?? null)) out[k] = { from: prev, to: v ?? null };
  }
  return out;
}
