/**
 * Stores one page of pulled BMS records in bulk, for any record type: resolves references through the
 * links, matches unlinked records by natural key (first sync), merges linked ones three-way against the
 * base (echo suppression and conflicts), orphans records that no longer match the Sync Settings, and
 * writes records, links and history in a handful of statements. A record saved by a person while the
 * page is being stored is never overwritten: its row is re-read and merged again.
 */
import type { Knex } from 'knex';
import { diff, type HistoryEntry, historyInsert } from '../db/history';
import type { Integration } from '../db/integrations';
import { getLinksByKeys, linkKey, type SyncLink } from '../db/links';
import { jsonInsert } from '../db/rows';
import { fromRow, getRecordsByIds, insertRecordsStatement, newRecordIds, type StoredRecord, tableOf, updateRecordsBulk } from '../db/records';
import { addRunLog, runLogInsert } from '../db/runs';
import { type Lookups, text } from '../domain/mapping';
import { naturalKey, NATURAL_KEYS } from '../domain/matching';
import { threeWayMerge } from '../domain/merge';
import { fieldSpecs, type RecordFields, type RecordType, syncedFieldNames } from '../domain/records';
import { syncExclusion } from '../domain/rules';
import { canTransition, type SyncState, transition } from '../domain/sync-state';
import type { PullCounts } from '../workflows/definitions';
import { parseBmsTime } from '../bms/wire';
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

/**
 * The links of the page's items and of the records they refer to, in one statement. Returns the items'
 * own links by BMS id, and each item's references mapped to record ids (`undefined` = the target is not
 * (yet) linked).
 */
async function loadLinks(db: Conn, accountId: string, type: RecordType, items: PulledItem[]) {
  const fields = refFields(type);
  const keys: Array<{ type: RecordType; bmsId: number }> = items.map((i) => ({ type, bmsId: i.bmsId }));
  for (const { field, target } of fields) {
    for (const item of items) {
      const ref = item.refs[field];
      if (typeof ref === 'number') keys.push({ type: target, bmsId: ref });
    }
  }
  const found = await getLinksByKeys(db, accountId, keys);
  const links = new Map<number, SyncLink>();
  for (const item of items) {
    const link = found.get(linkKey(type, item.bmsId));
    if (link) links.set(item.bmsId, link);
  }
  const resolved = new Map<number, Record<string, string | null | undefined>>();
  for (const item of items) {
    const out: Record<string, string | null | undefined> = {};
    for (const { field, target } of fields) {
      const bmsRef = item.refs[field];
      out[field] = bmsRef === null || bmsRef === undefined ? null : found.get(linkKey(target, bmsRef))?.recordId;
    }
    resolved.set(item.bmsId, out);
  }
  return { links, resolved };
}

/**
 * Unlinked records of this account whose first natural-key field could match one of the items, oldest
 * first: read beside the links (it needs nothing they say), and narrowed to whole keys by
 * `matchCandidates`. When the first key field is a reference (a contact's organization), it is matched
 * through the link of the BMS record the item refers to.
 */
async function matchRows(db: Conn, accountId: string, type: RecordType, items: PulledItem[]): Promise<StoredRecord[]> {
  const firstField = NATURAL_KEYS[type][0]!;
  const spec = fieldSpecs(type)[firstField]!;
  const table = tableOf(type);
  let rows: Array<Record<string, unknown>>;
  if (spec.kind === 'ref' && spec.ref) {
    const bmsIds = [...new Set(items.map((i) => i.refs[firstField]).filter((v): v is number => typeof v === 'number'))];
    if (bmsIds.length === 0) return [];
    // Driven from the referenced records' links (index probes), whatever the planner statistics say.
    ({ rows } = (await db.raw(
      `SELECT r.* FROM unnest(?::int[]) AS k(bms_id)
       JOIN sync_links t ON t.account_id = ? AND t.record_type = ? AND t.bms_id = k.bms_id
       JOIN "${table}" r ON r.account_id = ? AND r."${spec.column}" = t.record_id
       LEFT JOIN sync_links l ON l.record_id = r.id AND l.record_type = ?
       WHERE l.bms_id IS NULL
       ORDER BY r.created_at ASC`,
      [bmsIds, accountId, spec.ref, accountId, type],
    )) as { rows: Array<Record<string, unknown>> });
  } else {
    const values = [...new Set(items.map((i) => text(i.fields[firstField])?.trim()).filter((v): v is string => v !== undefined && v !== ''))];
    if (values.length === 0) return [];
    rows = (await db(`${table} as r`)
      .leftJoin('sync_links as l', function join() {
        this.on('l.record_id', '=', 'r.id').andOnVal('l.record_type', '=', type);
      })
      .where('r.account_id', accountId)
      .whereIn(`r.${spec.column}`, values)
      .whereNull('l.bms_id')
      .orderBy('r.created_at', 'asc')
      .select('r.*')) as Array<Record<string, unknown>>;
  }
  return rows.map((row) => fromRow(type, row));
}

/** The oldest of `rows` for each of the keys (natural keys of the unlinked items), by key. */
function matchCandidates(type: RecordType, rows: StoredRecord[], keys: Map<string, RecordFields>): Map<string, StoredRecord> {
  const out = new Map<string, StoredRecord>();
  if (keys.size === 0) return out;
  for (const record of rows) {
    const key = naturalKey(type, record.fields);
    if (key && keys.has(key) && !out.has(key)) out.set(key, record);
  }
  return out;
}

interface Plan {
  inserts: Array<{ item: PulledItem; fields: RecordFields; unresolvedRefs: boolean }>;
  updates: Array<{ record: StoredRecord; values: RecordFields; expectedVersion: number; kind: 'linked' | 'updated' }>;
  links: Array<Record<string, unknown>>;
  history: HistoryEntry[];
  logs: Array<{ level: 'info' | 'warn' | 'error'; message: string; bmsId?: number; recordId?: string }>;
  counts: PullCounts;
  /** Each linked item's link state once the plan is written, by BMS id. */
  states: Map<number, { state: SyncState; syncDisabled: boolean }>;
}

export interface StoreOptions {
  /**
   * Called for each item with its link (if any) once the links are read, before the merge (e.g. to order
   * a contact's lists like the base). May run again for the same item when a merge is retried.
   */
  adjust?(item: PulledItem, link: SyncLink | undefined): void;
  /** Filled with the BMS ids of the items stored as new records. */
  created?: Set<number>;
  /** Filled with the state of each item's link once stored (items without a link are left out). */
  states?: Map<number, { state: SyncState; syncDisabled: boolean }>;
}

/** Stores a page of pulled items; returns what happened to them. */
export async function storePulled(ctx: StoreContext, pageItems: PulledItem[], options: StoreOptions = {}): Promise<PullCounts> {
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
    const { counts, retry } = await storeOnce(ctx, pending, options);
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

async function storeOnce(ctx: StoreContext, items: PulledItem[], options: StoreOptions): Promise<{ counts: PullCounts; retry: PulledItem[] }> {
  const { deps, accountId, type, integration, lookups } = ctx;
  const db = deps.db;
  const twoWay = integration.twoWayEnabled;
  const fields = syncedFieldNames(type);
  const refs = refFields(type);

  // The links and the first-sync match candidates, read at once (on two connections).
  const [{ links, resolved }, candidateRows] = await Promise.all([
    loadLinks(db, accountId, type, items),
    matchRows(db, accountId, type, items),
  ]);
  if (options.adjust) for (const item of items) options.adjust(item, links.get(item.bmsId));
  const linkedRecords = new Map(
    (await getRecordsByIds(db, accountId, type, [...links.values()].map((l) => l.recordId))).map((r) => [r.id, r]),
  );

  const plan: Plan = { inserts: [], updates: [], links: [], history: [], logs: [], counts: emptyCounts(), states: new Map() };
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
  const linkRow = (recordId: string, item: PulledItem, state: SyncState, base: RecordFields, reason: string | null = null) =>
    newLinkRow(ctx, item, recordId, state, base, reason, now, unresolved(item));
  // References to records not linked yet: flagged on the link, resolved once they are (pull.ts).
  const unresolved = (item: PulledItem) => refs.some(({ field }) => resolved.get(item.bmsId)![field] === undefined);

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
  const candidates = matchCandidates(type, candidateRows, keys);
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
      plan.states.set(item.bmsId, { state: 'synced', syncDisabled: false });
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
      plan.inserts.push({ item, fields: remote, unresolvedRefs: unresolved(item) });
      plan.states.set(item.bmsId, { state: 'synced', syncDisabled: false });
    }
  }

  // Items with a link: orphan, skip an echo, or merge.
  for (const item of items) {
    const link = links.get(item.bmsId);
    if (!link) continue;
    const record = linkedRecords.get(link.recordId);
    plan.states.set(item.bmsId, { state: link.state, syncDisabled: link.syncDisabled });
    if (!record || link.syncDisabled || link.state === 'disabled') {
      plan.counts.skipped++;
      continue;
    }
    const remote = remoteOf(item);
    const exclusion = syncExclusion(type, remote, integration.settings, lookups);
    if (exclusion) {
      if (link.state !== 'orphaned') {
        plan.links.push(linkRow(record.id, item, transition(link.state, 'orphaned'), link.base ?? remote, `no longer synced: ${exclusion}`));
        plan.states.set(item.bmsId, { state: 'orphaned', syncDisabled: false });
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
    // The write keeps a queued state (a save made meanwhile).
    plan.states.set(item.bmsId, { state: link.state === 'queued' ? 'queued' : state, syncDisabled: false });
  }

  const written = await writePlan(ctx, plan, items);
  if (options.created) for (const { item } of plan.inserts) options.created.add(item.bmsId);
  if (options.states) {
    const retried = new Set(written.retry.map((i) => i.bmsId));
    for (const [bmsId, state] of plan.states) if (!retried.has(bmsId)) options.states.set(bmsId, state);
  }
  return written;
}

const LINK_COLUMNS = [
  ['record_type', 'text'],
  ['record_id', 'uuid'],
  ['account_id', 'uuid'],
  ['bms_id', 'integer'],
  ['state', 'text'],
  ['state_reason', 'text'],
  ['base', 'jsonb'],
  ['bms_modified_on', 'text'],
  ['remote_refs', 'jsonb'],
  ['unresolved_refs', 'boolean'],
  ['last_pulled_at', 'timestamptz'],
  ['updated_at', 'timestamptz'],
] as const;

const LINK_UPSERT = `ON CONFLICT (record_type, record_id) DO UPDATE SET
  bms_id = excluded.bms_id,
  -- A save queued while this page was read keeps its place in the push queue. A link this page read as
  -- queued keeps the state it has now: the push may have landed meanwhile (synced, failed), and writing
  -- the queued state read earlier would leave the record queued with nothing left to push.
  state = CASE WHEN sync_links.state IN ('queued', 'disabled') OR excluded.state = 'queued' THEN sync_links.state ELSE excluded.state END,
  state_reason = CASE WHEN sync_links.state IN ('queued', 'disabled') OR excluded.state = 'queued' THEN sync_links.state_reason ELSE excluded.state_reason END,
  -- Read as queued and pushed since: the push's base is what BMS holds now, so it stands.
  base = CASE WHEN excluded.state = 'queued' AND sync_links.state <> 'queued' THEN sync_links.base ELSE excluded.base END,
  bms_modified_on = CASE WHEN excluded.state = 'queued' AND sync_links.state <> 'queued' THEN sync_links.bms_modified_on ELSE excluded.bms_modified_on END,
  remote_refs = excluded.remote_refs,
  unresolved_refs = excluded.unresolved_refs,
  last_pulled_at = excluded.last_pulled_at,
  updated_at = excluded.updated_at`;

function newLinkRow(
  ctx: StoreContext,
  item: PulledItem,
  recordId: string,
  state: SyncState,
  base: RecordFields,
  reason: string | null,
  now: Date,
  unresolvedRefs: boolean,
): Record<string, unknown> {
  return {
    record_type: ctx.type,
    record_id: recordId,
    account_id: ctx.accountId,
    bms_id: item.bmsId,
    state,
    state_reason: reason,
    base,
    bms_modified_on: item.modifiedOn,
    remote_refs: item.refs,
    unresolved_refs: unresolvedRefs,
    last_pulled_at: now,
    updated_at: now,
  };
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

  const created = { ids: newRecordIds(plan.inserts.length) };
  const now = new Date();
  created.ids.forEach((recordId, index) => {
    const { item, fields: remote, unresolvedRefs } = plan.inserts[index]!;
    plan.links.push(newLinkRow(ctx, item, recordId, 'synced', remote, null, now, unresolvedRefs));
    plan.history.push({ accountId, recordType: type, recordId, kind: 'created', origin: 'pull', summary: `Created from Kaseya BMS ${type} ${item.bmsId}` });
  });

  /** The inserts of the plan (records, links, history, run log), leaving out records whose update missed. */
  const inserts = (conn: Conn): Array<Knex.Raw | Knex.QueryBuilder> => {
    const out: Array<Knex.Raw | Knex.QueryBuilder> = [];
    if (created.ids.length > 0) {
      out.push(insertRecordsStatement(conn, accountId, type, plan.inserts.map((i) => i.fields), created.ids, { origin: 'pull' }));
    }
    const links = plan.links.filter((l) => !retryIds.has(String(l.record_id)));
    if (links.length > 0) out.push(jsonInsert(conn, 'sync_links', LINK_COLUMNS, links, LINK_UPSERT));
    const history = plan.history.filter((h) => !retryIds.has(h.recordId));
    if (history.length > 0) out.push(historyInsert(conn, history));
    if (plan.logs.length > 0) {
      out.push(runLogInsert(conn, plan.logs.map((l) => ({ runId: ctx.syncRunId, level: l.level, message: l.message, recordType: type, recordId: l.recordId, bmsId: l.bmsId }))));
    }
    return out;
  };

  if (plan.updates.length > 0) {
    // Updates are checked against the version the merge read, under row locks: a transaction.
    await deps.db.transaction(async (trx) => {
      const updated = await updateRecordsBulkChecked(trx, accountId, type, fields, plan.updates);
      for (const u of plan.updates) {
        if (!updated.has(u.record.id)) retryIds.add(u.record.id);
        else plan.counts[u.kind]++;
      }
      for (const query of inserts(trx)) await query;
    });
  } else {
    // Only inserts (a first pull's pages): one statement, atomic by itself, one round trip.
    await allInOne(deps.db, inserts(deps.db));
  }
  plan.counts.created += created.ids.length;

  if (retryIds.size === 0) return { counts: plan.counts, retry: [] };
  const retryBmsIds = new Set(plan.links.filter((l) => retryIds.has(String(l.record_id))).map((l) => Number(l.bms_id)));
  const retry = items.filter((item) => retryBmsIds.has(item.bmsId));
  return { counts: plan.counts, retry };
}

/**
 * Runs data-modifying statements as one statement (each a WITH query: PostgreSQL runs them all, on one
 * snapshot, and constraints are checked at the statement's end), so they commit or fail together.
 */
async function allInOne(db: Conn, queries: Array<Knex.Raw | Knex.QueryBuilder>): Promise<void> {
  if (queries.length === 0) return;
  if (queries.length === 1) {
    await queries[0]!;
    return;
  }
  const parts = queries.map((q) => q.toSQL());
  await db.raw(
    `WITH ${parts.map((p, i) => `w${i} AS (${p.sql})`).join(', ')} SELECT 1`,
    parts.flatMap((p) => p.bindings as Knex.Value[]),
  );
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

