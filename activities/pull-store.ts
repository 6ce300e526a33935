/**
 * Stores one page of pulled BMS records in bulk, for any record type: resolves references through the
 * links, matches unlinked records by natural key (first sync), merges linked ones three-way against the
 * base (echo suppression and conflicts), orphans records that no longer match the Sync Settings, and
 * writes records, links and history in a handful of statements. A record saved by a person while the
 * page is being stored is never overwritten: its row is re-read and merged again.
 */
import type { Knex } from 'knex';
import { addHistory, diff, type HistoryEntry } from '../db/history';
import type { Integration } from '../db/integrations';
import { getLinksByBmsIds } from '../db/links';
import { fromRow, getRecordsByIds, insertRecords, type StoredRecord, tableOf, updateRecordsBulk } from '../db/records';
import { addRunLog } from '../db/runs';
import { type Lookups, text } from '../domain/mapping';
import { naturalKey, NATURAL_KEYS } from '../domain/matching';
import { threeWayMerge } from '../domain/merge';
import { fieldSpecs, type RecordFields, type RecordType, syncedFieldNames } from '../domain/records';
import { syncExclusion } from '../domain/rules';
import { canTransition, type SyncState, transition } from '../domain/sync-state';
import type { PullCounts } from '../workflows/definitions';
import { parseBmsTime } from './bms/wire';
import type { ActivityDeps } from './context';

export interface PulledItem {
  bmsId: number;
  modifiedOn: string | null;
  /** Synced fields in documentation form, without the reference fields. */
  fields: RecordFields;
  /** BMS ids of the records this one refers to, by reference field name. */
  refs: Record<string, number | null>;
}

export interface StoreContext {
  deps: ActivityDeps;
  accountId: string;
  type: RecordType;
  integration: Integration;
  lookups: Lookups;
  syncRunId: string;
}

export function emptyCounts(): PullCounts {
  return { seen: 0, created: 0, updated: 0, linked: 0, unchanged: 0, orphaned: 0, failed: 0, skipped: 0 };
}

type Conn = ActivityDeps['db'] | Knex.Transaction;

/** Reference fields of `type` that are synced, with the type they point to. */
function refFields(type: RecordType): Array<{ field: string; target: RecordType; required: boolean }> {
  return Object.entries(fieldSpecs(type))
    .filter(([, s]) => s.kind === 'ref' && s.synced && s.ref)
    .map(([field, s]) => ({ field, target: s.ref!, required: Boolean(s.required) }));
}

/** Maps each item's BMS references to record ids; `undefined` = the target is not (yet) linked. */
async function resolveRefs(db: Conn, accountId: string, type: RecordType, items: PulledItem[]) {
  const resolved = new Map<number, Record<string, string | null | undefined>>();
  const fields = refFields(type);
  for (const item of items) resolved.set(item.bmsId, {});
  for (const { field, target } of fields) {
    const ids = [...new Set(items.map((i) => i.refs[field]).filter((v): v is number => typeof v === 'number'))];
    const links = await getLinksByBmsIds(db, accountId, target, ids);
    for (const item of items) {
      const bmsRef = item.refs[field];
      const out = resolved.get(item.bmsId)!;
      out[field] = bmsRef === null || bmsRef === undefined ? null : links.get(bmsRef)?.recordId;
    }
  }
  return resolved;
}

/** Unlinked records of this account whose natural key equals one of the keys, by key. */
async function matchCandidates(db: Conn, accountId: string, type: RecordType, keys: Map<string, RecordFields>) {
  const out = new Map<string, StoredRecord>();
  if (keys.size === 0) return out;
  const firstField = NATURAL_KEYS[type][0]!;
  const column = fieldSpecs(type)[firstField]!.column;
  const firstValues = [...new Set([...keys.values()].map((f) => text(f[firstField])?.trim() ?? ''))];
  const rows = (await db(`${tableOf(type)} as r`)
    .leftJoin('sync_links as l', function join() {
      this.on('l.record_id', '=', 'r.id').andOnVal('l.record_type', '=', type);
    })
    .where('r.account_id', accountId)
    .whereIn(`r.${column}`, firstValues)
    .whereNull('l.bms_id')
    .orderBy('r.created_at', 'asc')
    .select('r.*')) as Array<Record<string, unknown>>;
  for (const row of rows) {
    const record = fromRow(type, row);
    const key = naturalKey(type, record.fields);
    if (key && keys.has(key) && !out.has(key)) out.set(key, record);
  }
  return out;
}

interface Plan {
  inserts: Array<{ item: PulledItem; fields: RecordFields; remoteRefs: Record<string, number | null> }>;
  updates: Array<{ record: StoredRecord; values: RecordFields; expectedVersion: number; kind: 'linked' | 'updated' }>;
  links: Array<Record<string, unknown>>;
  history: HistoryEntry[];
  logs: Array<{ level: 'info' | 'warn' | 'error'; message: string; bmsId?: number; recordId?: string }>;
  counts: PullCounts;
}

/** Stores a page of pulled items; returns what happened to them. */
export async function storePulled(ctx: StoreContext, pageItems: PulledItem[]): Promise<PullCounts> {
  // A page may repeat an id when BMS data moved between pages; keep the newest copy.
  const byId = new Map<number, PulledItem>();
  for (const item of pageItems) {
    const seen = byId.get(item.bmsId);
    if (!seen || (item.modifiedOn ?? '') >= (seen.modifiedOn ?? '')) byId.set(item.bmsId, item);
  }
  let pending = [...byId.values()];
  const total = emptyCounts();
  total.seen = pending.length;
  // A record saved during the merge makes its update miss (version check); merge those again.
  for (let attempt = 0; attempt < 5 && pending.length > 0; attempt++) {
    const { counts, retry } = await storeOnce(ctx, pending);
    for (const k of Object.keys(counts) as Array<keyof PullCounts>) if (k !== 'seen') total[k] += counts[k];
    pending = retry;
  }
  if (pending.length > 0) {
    total.failed += pending.length;
    await addRunLog(
      ctx.deps.db,
      pending.map((i) => ({
        runId: ctx.syncRunId,
        level: 'warn' as const,
        recordType: ctx.type,
        bmsId: i.bmsId,
        message: `BMS ${ctx.type} ${i.bmsId} was not stored: the record kept changing locally; the next pull retries`,
      })),
    );
  }
  return total;
}

async function storeOnce(ctx: StoreContext, items: PulledItem[]): Promise<{ counts: PullCounts; retry: PulledItem[] }> {
  const { deps, accountId, type, integration, lookups } = ctx;
  const db = deps.db;
  const twoWay = integration.twoWayEnabled;
  const fields = syncedFieldNames(type);
  const refs = refFields(type);

  const resolved = await resolveRefs(db, accountId, type, items);
  const links = await getLinksByBmsIds(db, accountId, type, items.map((i) => i.bmsId));
  const linkedRecords = new Map(
    (await getRecordsByIds(db, accountId, type, [...links.values()].map((l) => l.recordId))).map((r) => [r.id, r]),
  );

  const plan: Plan = { inserts: [], updates: [], links: [], history: [], logs: [], counts: emptyCounts() };
  const remoteOf = (item: PulledItem): RecordFields => {
    const out: RecordFields = { ...item.fields };
    for (const { field } of refs) {
      const r = resolved.get(item.bmsId)![field];
      if (r !== undefined) out[field] = r;
    }
    return out;
  };
  const unresolvedRequired = (item: PulledItem) =>
    refs.some(({ field, required }) => required && resolved.get(item.bmsId)![field] == null);
  const now = new Date();
  const linkRow = (recordId: string, item: PulledItem, state: SyncState, base: RecordFields, reason: string | null = null) => ({
    record_type: type,
    record_id: recordId,
    account_id: accountId,
    bms_id: item.bmsId,
    state,
    state_reason: reason,
    base: JSON.stringify(base),
    bms_modified_on: item.modifiedOn,
    remote_refs: JSON.stringify(item.refs),
    last_pulled_at: now,
    updated_at: now,
  });

  // Items without a link: match by natural key, else create (when they qualify).
  const unlinked = items.filter((i) => !links.has(i.bmsId));
  const keys = new Map<string, RecordFields>();
  const keyOf = new Map<number, string | null>();
  for (const item of unlinked) {
    const remote = remoteOf(item);
    const key = syncExclusion(type, remote, integration.settings, lookups) === null ? naturalKey(type, remote) : null;
    keyOf.set(item.bmsId, key);
    if (key) keys.set(key, remote);
  }
  const candidates = await matchCandidates(db, accountId, type, keys);
  const claimed = new Set<string>();

  for (const item of unlinked) {
    const remote = remoteOf(item);
    const exclusion = syncExclusion(type, remote, integration.settings, lookups);
    if (exclusion) {
      plan.counts.skipped++;
      continue;
    }
    if (unresolvedRequired(item)) {
      plan.counts.skipped++;
      plan.logs.push({ level: 'info', bmsId: item.bmsId, message: `BMS ${type} ${item.bmsId} skipped: what it belongs to is not synced` });
      continue;
    }
    const key = keyOf.get(item.bmsId);
    const match = key ? candidates.get(key) : undefined;
    if (match && !claimed.has(match.id)) {
      claimed.add(match.id);
      // First link: the PSA wins every synced field.
      const values = { ...match.fields, ...remote };
      plan.updates.push({ record: match, values, expectedVersion: match.version, kind: 'linked' });
      plan.links.push(linkRow(match.id, item, 'synced', remote));
      plan.history.push({
        accountId,
        recordType: type,
        recordId: match.id,
        kind: 'linked',
        origin: 'pull',
        summary: `Matched to Kaseya BMS ${type} ${item.bmsId}`,
        changes: diff(pick(match.fields, fields), remote),
      });
    } else {
      plan.inserts.push({ item, fields: remote, remoteRefs: item.refs });
    }
  }

  // Items with a link: orphan, skip an echo, or merge.
  for (const item of items) {
    const link = links.get(item.bmsId);
    if (!link) continue;
    const record = linkedRecords.get(link.recordId);
    if (!record || link.syncDisabled || link.state === 'disabled') {
      plan.counts.skipped++;
      continue;
    }
    const remote = remoteOf(item);
    const exclusion = syncExclusion(type, remote, integration.settings, lookups);
    if (exclusion) {
      if (link.state !== 'orphaned') {
        plan.links.push(linkRow(record.id, item, transition(link.state, 'orphaned'), link.base ?? remote, `no longer synced: ${exclusion}`));
        plan.history.push({ accountId, recordType: type, recordId: record.id, kind: 'orphaned', origin: 'pull', summary: `Orphaned: ${exclusion}` });
        plan.counts.orphaned++;
      } else plan.counts.unchanged++;
      continue;
    }
    if (link.bmsModifiedOn !== null && link.bmsModifiedOn === item.modifiedOn && link.state !== 'orphaned') {
      plan.counts.unchanged++;
      continue;
    }
    // A copy older than what the link has seen (read before a newer one was stored) changes nothing.
    if (link.bmsModifiedOn !== null && item.modifiedOn !== null && parseBmsTime(item.modifiedOn) < parseBmsTime(link.bmsModifiedOn)) {
      plan.counts.unchanged++;
      continue;
    }
    const local = pick(record.fields, fields);
    // Reference fields BMS points at records we do not hold yet stay as they are until resolved.
    const mergeFields = fields.filter((f) => f in remote);
    const merge = twoWay
      ? threeWayMerge(local, link.base, remote, mergeFields, { localChangedAt: record.updatedAt, remoteChangedAt: item.modifiedOn })
      : threeWayMerge(local, null, remote, mergeFields, { localChangedAt: null, remoteChangedAt: item.modifiedOn });
    const takes = Object.keys(merge.takeRemote);
    if (takes.length > 0) {
      plan.updates.push({ record, values: { ...record.fields, ...merge.merged }, expectedVersion: record.version, kind: 'updated' });
      plan.history.push({
        accountId,
        recordType: type,
        recordId: record.id,
        kind: 'pulled',
        origin: 'pull',
        summary: `Updated from Kaseya BMS: ${takes.join(', ')}`,
        changes: diff(pick(local, takes), pick(remote, takes)),
      });
    } else plan.counts.unchanged++;
    for (const c of merge.conflicts) {
      plan.history.push({
        accountId,
        recordType: type,
        recordId: record.id,
        kind: 'conflict',
        origin: 'pull',
        summary: `Conflict on ${c.field}: ${c.winner === 'local' ? 'the documentation' : 'Kaseya BMS'} change is newer and wins`,
        changes: c,
      });
    }
    const pendingLocal = Object.keys(merge.keepLocal).length > 0;
    let state: SyncState = link.state;
    if (!pendingLocal && canTransition(link.state, 'pulled') && link.state !== 'queued') state = transition(link.state, 'pulled');
    plan.links.push(linkRow(record.id, item, state, { ...(link.base ?? {}), ...remote }, state === link.state ? link.stateReason : null));
  }

  return writePlan(ctx, plan, items);
}

function pick(fields: RecordFields, names: readonly string[]): RecordFields {
  const out: RecordFields = {};
  for (const n of names) out[n] = fields[n] ?? null;
  return out;
}

async function writePlan(ctx: StoreContext, plan: Plan, items: PulledItem[]): Promise<{ counts: PullCounts; retry: PulledItem[] }> {
  const { deps, accountId, type } = ctx;
  const fields = syncedFieldNames(type);
  const retryIds = new Set<string>();
  await deps.db.transaction(async (trx) => {
    if (plan.updates.length > 0) {
      const updated = await updateRecordsBulkChecked(trx, accountId, type, fields, plan.updates);
      for (const u of plan.updates) {
        if (!updated.has(u.record.id)) retryIds.add(u.record.id);
        else plan.counts[u.kind]++;
      }
    }
    const created = await insertRecords(
      trx,
      accountId,
      type,
      plan.inserts.map((i) => i.fields),
      { origin: 'pull' },
    );
    created.forEach((record, index) => {
      const { item, fields: remote } = plan.inserts[index]!;
      plan.links.push({
        record_type: type,
        record_id: record.id,
        account_id: accountId,
        bms_id: item.bmsId,
        state: 'synced',
        state_reason: null,
        base: JSON.stringify(remote),
        bms_modified_on: item.modifiedOn,
        remote_refs: JSON.stringify(item.refs),
        last_pulled_at: new Date(),
        updated_at: new Date(),
      });
      plan.history.push({ accountId, recordType: type, recordId: record.id, kind: 'created', origin: 'pull', summary: `Created from Kaseya BMS ${type} ${item.bmsId}` });
    });
    plan.counts.created += created.length;

    const links = plan.links.filter((l) => !retryIds.has(String(l.record_id)));
    if (links.length > 0) {
      await trx('sync_links')
        .insert(links)
        .onConflict(['record_type', 'record_id'])
        .merge({
          bms_id: trx.raw('excluded.bms_id'),
          // A save queued while this page was read keeps its place in the push queue.
          state: trx.raw("CASE WHEN sync_links.state IN ('queued', 'disabled') THEN sync_links.state ELSE excluded.state END"),
          state_reason: trx.raw("CASE WHEN sync_links.state IN ('queued', 'disabled') THEN sync_links.state_reason ELSE excluded.state_reason END"),
          base: trx.raw('excluded.base'),
          bms_modified_on: trx.raw('excluded.bms_modified_on'),
          remote_refs: trx.raw('excluded.remote_refs'),
          last_pulled_at: trx.raw('excluded.last_pulled_at'),
          updated_at: trx.raw('excluded.updated_at'),
        });
    }
    await addHistory(trx, plan.history.filter((h) => !retryIds.has(h.recordId)));
    await addRunLog(trx, plan.logs.map((l) => ({ runId: ctx.syncRunId, level: l.level, message: l.message, recordType: type, bmsId: l.bmsId, recordId: l.recordId })));
  });
  const retry = items.filter((item) => {
    const link = plan.links.find((l) => l.bms_id === item.bmsId);
    return link !== undefined && retryIds.has(String(link.record_id));
  });
  return { counts: plan.counts, retry };
}

/** Bulk update guarded by each row's expected version; returns the ids that were updated. */
async function updateRecordsBulkChecked(
  trx: Knex.Transaction,
  accountId: string,
  type: RecordType,
  fields: string[],
  updates: Plan['updates'],
): Promise<Set<string>> {
  // Lock the rows and keep only those still at the version the merge read.
  const rows = (await trx(tableOf(type))
    .whereIn('id', updates.map((u) => u.record.id))
    .forUpdate()
    .select('id', 'version')) as Array<{ id: string; version: number }>;
  const current = new Map(rows.map((r) => [String(r.id), Number(r.version)]));
  const fresh = updates.filter((u) => current.get(u.record.id) === u.expectedVersion);
  await updateRecordsBulk(
    trx,
    accountId,
    type,
    fields,
    fresh.map((u) => ({ id: u.record.id, values: u.values })),
    { origin: 'pull' },
  );
  return new Set(fresh.map((u) => u.record.id));
}

