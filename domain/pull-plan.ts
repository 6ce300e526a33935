/**
 * What one page of pulled BMS records does to what is stored, decided without touching the database:
 * unlinked records are matched by natural key (first sync) or created when they qualify; linked ones are
 * orphaned when they no longer match the Sync Settings, skipped when BMS has not changed them (or the
 * copy is older than what was seen), else merged three-way against the base (echo suppression and
 * conflicts). The result is written by `db/pulled-pages.ts`. Pure: safe to import from workflows.
 */
import type { Lookups } from './mapping';
import { diff, threeWayMerge } from './merge';
import { naturalKeys } from './matching';
import { emptyCounts, type PullCounts } from './pull-counts';
import { fieldSpecs, type RecordFields, type RecordType, syncedFieldNames } from './records';
import { syncExclusion } from './rules';
import { sectionOf, type SyncSettings } from './settings';
import { canTransition, orphaning, type SyncState, transition } from './sync-state';

export interface PulledItem {
  bmsId: number;
  modifiedOn: string | null;
  /** Synced fields in documentation form, without the reference fields. */
  fields: RecordFields;
  /** BMS ids of the records this one refers to, by reference field name. */
  refs: Record<string, number | null>;
}

/** What the plan needs of an item's stored link. */
export interface PlanLink {
  recordId: string;
  state: SyncState;
  stateReason: string | null;
  base: RecordFields | null;
  bmsModifiedOn: string | null;
}

/** What the plan needs of a stored record. */
export interface PlanRecord {
  id: string;
  fields: RecordFields;
  version: number;
  updatedAt: string;
}

export interface PagePlanInput {
  type: RecordType;
  /** The page, one copy per BMS id. */
  items: readonly PulledItem[];
  /** The items' own links, by BMS id. */
  links: ReadonlyMap<number, PlanLink>;
  /** Each item's references as record ids, by BMS id (`undefined`: the target is not linked yet). */
  resolved: ReadonlyMap<number, Record<string, string | null | undefined>>;
  /** The linked records, by id. */
  records: ReadonlyMap<string, PlanRecord>;
  /** Unlinked records that could match an item by natural key, oldest first. */
  candidates: readonly PlanRecord[];
  /** The items held for review (or excluded from it, or resolved by it) before this page, by BMS id. */
  held?: ReadonlyMap<number, PlanHeld>;
  twoWay: boolean;
  settings: SyncSettings;
  lookups: Lookups;
  /** A BMS time as milliseconds, for ordering two copies of a record (BMS writes times its own ways). */
  bmsTime(value: string): number;
}

/**
 * A BMS record the review list knows: `held` (matches nothing, waits for a person), `excluded` (a person
 * said never to suggest it: it is neither created nor matched), `resolved` (a person matched it or
 * created a record from it; its link now speaks for it).
 */
export const HELD_STATES = ['held', 'excluded', 'resolved'] as const;
export type HeldState = (typeof HELD_STATES)[number];

export interface PlanHeld {
  state: HeldState;
}

/** A link as the page leaves it. */
export interface PlannedLink {
  recordId: string;
  item: PulledItem;
  state: SyncState;
  base: RecordFields;
  reason: string | null;
  /** References to records not linked yet: resolved once they are. */
  unresolvedRefs: boolean;
}

export interface PlannedHistory {
  recordId: string;
  kind: 'created' | 'linked' | 'pulled' | 'conflict' | 'orphaned';
  summary: string;
  changes?: unknown;
}

export interface PagePlan {
  /** New records, each with its link (state and base) and history summary. */
  inserts: Array<{ item: PulledItem; fields: RecordFields; unresolvedRefs: boolean; state: SyncState; summary: string }>;
  /** Record updates, each valid only while the record is still at `expectedVersion`. */
  updates: Array<{ record: PlanRecord; values: RecordFields; expectedVersion: number; kind: 'linked' | 'updated' }>;
  links: PlannedLink[];
  history: PlannedHistory[];
  logs: Array<{ level: 'info' | 'warn' | 'error'; message: string; bmsId?: number; recordId?: string }>;
  /** BMS records held for review (new, or refreshed with this page's data). */
  held: Array<{ item: PulledItem; fields: RecordFields }>;
  /** BMS ids whose held record leaves the review list: linked by natural key, or no longer synced (deleted, inactive). */
  released: number[];
  /** Counts of what the plan decided; `created`, `updated` and `linked` are counted by the writer, as written. */
  counts: PullCounts;
  /** Each item's link state once the plan is written, by BMS id (items left without a link are left out). */
  states: Map<number, SyncState>;
}

/** Reference fields of `type` that are synced, with the type they point to. */
export function refFields(type: RecordType): Array<{ field: string; target: RecordType; required: boolean }> {
  return Object.entries(fieldSpecs(type))
    .filter(([, s]) => s.kind === 'ref' && s.synced && s.ref)
    .map(([field, s]) => ({ field, target: s.ref!, required: Boolean(s.required) }));
}

/**
 * A page's items, one copy per BMS id: BMS data that moved between pages can repeat an id; the newest
 * copy is kept.
 */
export function newestCopies(items: readonly PulledItem[]): PulledItem[] {
  const byId = new Map<number, PulledItem>();
  for (const item of items) {
    const seen = byId.get(item.bmsId);
    if (!seen || (item.modifiedOn ?? '') >= (seen.modifiedOn ?? '')) byId.set(item.bmsId, item);
  }
  return [...byId.values()];
}

/** The oldest of `rows` for each of the keys (natural keys of the unlinked items), by key. */
function matchCandidates(type: RecordType, rows: readonly PlanRecord[], keys: Set<string>): Map<string, PlanRecord> {
  const out = new Map<string, PlanRecord>();
  if (keys.size === 0) return out;
  for (const record of rows) {
    for (const key of naturalKeys(type, record.fields)) if (keys.has(key) && !out.has(key)) out.set(key, record);
  }
  return out;
}

/**
 * What a first link does to a record (the PSA wins every synced field): the values to store, the base,
 * and the history entry's changes. The same whether a pull matched it by natural key or a person matched
 * it in the review list.
 */
export function firstLink(type: RecordType, record: Pick<PlanRecord, 'fields'>, remote: RecordFields): { values: RecordFields; base: RecordFields; changes: unknown } {
  return { values: { ...record.fields, ...remote }, base: remote, changes: diff(pick(record.fields, syncedFieldNames(type)), remote) };
}

function pick(fields: RecordFields, names: readonly string[]): RecordFields {
  const out: RecordFields = {};
  for (const n of names) out[n] = fields[n] ?? null;
  return out;
}

/** What storing the page does: see the module comment. */
export function planPullPage(input: PagePlanInput): PagePlan {
  const { type, items, links, resolved, records, twoWay, settings, lookups } = input;
  const fields = syncedFieldNames(type);
  const refs = refFields(type);
  const plan: PagePlan = { inserts: [], updates: [], held: [], released: [], links: [], history: [], logs: [], counts: emptyCounts(), states: new Map() };
  const held = input.held ?? new Map<number, PlanHeld>();
  const holds = sectionOf(settings, type).unmatched === 'hold';

  const remoteOf = (item: PulledItem): RecordFields => {
    const out: RecordFields = { ...item.fields };
    for (const { field } of refs) {
      const r = resolved.get(item.bmsId)![field];
      if (r !== undefined) out[field] = r;
    }
    return out;
  };
  const unresolvedRequired = (item: PulledItem) => refs.some(({ field, required }) => required && resolved.get(item.bmsId)![field] == null);
  const unresolved = (item: PulledItem) => refs.some(({ field }) => resolved.get(item.bmsId)![field] === undefined);
  const link = (recordId: string, item: PulledItem, state: SyncState, base: RecordFields, reason: string | null = null): PlannedLink => ({
    recordId,
    item,
    state,
    base,
    reason,
    unresolvedRefs: unresolved(item),
  });

  // Items without a link: match by natural key, else create (when they qualify) or hold for review.
  const unlinked = items.filter((i) => !links.has(i.bmsId));
  const keys = new Set<string>();
  const keysOf = new Map<number, string[]>();
  for (const item of unlinked) {
    const remote = remoteOf(item);
    const itemKeys = syncExclusion(type, remote, settings, lookups) === null ? naturalKeys(type, remote) : [];
    keysOf.set(item.bmsId, itemKeys);
    for (const key of itemKeys) keys.add(key);
  }
  const candidates = matchCandidates(type, input.candidates, keys);
  const claimed = new Set<string>();

  for (const item of unlinked) {
    const remote = remoteOf(item);
    const review = held.get(item.bmsId);
    if (syncExclusion(type, remote, settings, lookups)) {
      // Deleted or inactive in BMS, or no longer selected: a held record leaves the review list.
      if (review && review.state !== 'resolved') plan.released.push(item.bmsId);
      plan.counts.skipped++;
      continue;
    }
    if (unresolvedRequired(item)) {
      plan.counts.skipped++;
      plan.logs.push({ level: 'info', bmsId: item.bmsId, message: `BMS ${type} ${item.bmsId} skipped: what it belongs to is not synced` });
      continue;
    }
    if (review?.state === 'excluded') {
      // A person said never to suggest it: kept up to date for the review list, never created or matched.
      plan.held.push({ item, fields: remote });
      plan.counts.skipped++;
      continue;
    }
    let match: PlanRecord | undefined;
    for (const key of keysOf.get(item.bmsId) ?? []) {
      const candidate = candidates.get(key);
      if (candidate && !claimed.has(candidate.id)) {
        match = candidate;
        break;
      }
    }
    if (match) {
      claimed.add(match.id);
      const first = firstLink(type, match, remote);
      plan.updates.push({ record: match, values: first.values, expectedVersion: match.version, kind: 'linked' });
      plan.links.push(link(match.id, item, 'synced', first.base));
      plan.states.set(item.bmsId, 'synced');
      plan.history.push({ recordId: match.id, kind: 'linked', summary: `Matched to Kaseya BMS ${type} ${item.bmsId}`, changes: first.changes });
      if (review && review.state !== 'resolved') plan.released.push(item.bmsId);
    } else if (holds || review?.state === 'held') {
      plan.held.push({ item, fields: remote });
      plan.counts.held++;
    } else {
      plan.inserts.push({ item, fields: remote, unresolvedRefs: unresolved(item), state: 'synced', summary: `Created from Kaseya BMS ${type} ${item.bmsId}` });
      plan.states.set(item.bmsId, 'synced');
    }
  }

  // Items with a link: orphan, skip an echo, or merge.
  for (const item of items) {
    const stored = links.get(item.bmsId);
    if (!stored) continue;
    const record = records.get(stored.recordId);
    plan.states.set(item.bmsId, stored.state);
    if (!record || stored.state === 'disabled') {
      plan.counts.skipped++;
      continue;
    }
    const remote = remoteOf(item);
    const exclusion = syncExclusion(type, remote, settings, lookups);
    if (exclusion) {
      const orphan = orphaning({ bmsId: item.bmsId, state: stored.state }, `no longer synced: ${exclusion}`);
      if (orphan) {
        plan.links.push(link(record.id, item, orphan.state, stored.base ?? remote, orphan.reason));
        plan.states.set(item.bmsId, orphan.state);
        plan.history.push({ recordId: record.id, kind: 'orphaned', summary: orphan.summary });
        plan.counts.orphaned++;
      } else plan.counts.unchanged++;
      continue;
    }
    if (stored.bmsModifiedOn !== null && stored.bmsModifiedOn === item.modifiedOn && stored.state !== 'orphaned') {
      plan.counts.unchanged++;
      continue;
    }
    // A copy older than what the link has seen (read before a newer one was stored) changes nothing.
    if (stored.bmsModifiedOn !== null && item.modifiedOn !== null && input.bmsTime(item.modifiedOn) < input.bmsTime(stored.bmsModifiedOn)) {
      plan.counts.unchanged++;
      continue;
    }
    const local = pick(record.fields, fields);
    // Reference fields BMS points at records we do not hold yet stay as they are until resolved.
    const mergeFields = fields.filter((f) => f in remote);
    const merge = twoWay
      ? threeWayMerge(local, stored.base, remote, mergeFields, { localChangedAt: record.updatedAt, remoteChangedAt: item.modifiedOn })
      : threeWayMerge(local, null, remote, mergeFields, { localChangedAt: null, remoteChangedAt: item.modifiedOn });
    const takes = Object.keys(merge.takeRemote);
    if (takes.length > 0) {
      plan.updates.push({ record, values: { ...record.fields, ...merge.merged }, expectedVersion: record.version, kind: 'updated' });
      plan.history.push({ recordId: record.id, kind: 'pulled', summary: `Updated from Kaseya BMS: ${takes.join(', ')}`, changes: diff(pick(local, takes), pick(remote, takes)) });
    } else plan.counts.unchanged++;
    for (const c of merge.conflicts) {
      plan.history.push({
        recordId: record.id,
        kind: 'conflict',
        summary: `Conflict on ${c.field}: ${c.winner === 'local' ? 'the documentation' : 'Kaseya BMS'} change is newer and wins`,
        changes: c,
      });
    }
    const pendingLocal = Object.keys(merge.keepLocal).length > 0;
    const state = !pendingLocal && canTransition(stored.state, 'pulled') ? transition(stored.state, 'pulled') : stored.state;
    const planned = stored.state === 'queued' ? stored.state : state;
    plan.links.push(link(record.id, item, planned, { ...(stored.base ?? {}), ...remote }, planned === stored.state ? stored.stateReason : null));
    plan.states.set(item.bmsId, planned);
  }
  return plan;
}
