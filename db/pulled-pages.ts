/**
 * Pages of pulled BMS records: what planning one needs read (links, references, linked records, first-sync
 * candidates, in a handful of statements) and the plan (`domain/pull-plan.ts`) written in a handful more:
 * records, links, history and run log. A record saved by a person while the page was planned is never
 * overwritten: its update misses the version check and is handed back to be planned again.
 */
import type { Knex } from 'knex';
import { text } from '../domain/mapping';
import { NATURAL_KEYS } from '../domain/matching';
import type { HeldState, PagePlan, PlannedLink, PulledItem } from '../domain/pull-plan';
import { refFields } from '../domain/pull-plan';
import { fieldSpecs, type RecordType, syncedFieldNames } from '../domain/records';
import { KEPT_BY_PULL_WRITE } from '../domain/sync-state';
import type { PullCounts } from '../domain/pull-counts';
import { historyInsert } from './history';
import type { Db } from './index';
import { getLinksByKeys, linkKey, liveLinkSql, type SyncLink } from './links';
import { fromRow, getRecordsByIds, insertRecordsStatement, newRecordIds, type StoredRecord, tableOf, updateRecordsBulk } from './records';
import { heldOfItems, heldRelease, heldUpsert } from './review';
import { jsonInsert } from './rows';
import { runLogInsert } from './runs';

type Conn = Db | Knex.Transaction;

export interface PageTarget {
  accountId: string;
  type: RecordType;
  syncRunId: string;
}

/** What planning a page needs from the database (see `PagePlanInput`). */
export interface StoredForPage {
  links: Map<number, SyncLink>;
  resolved: Map<number, Record<string, string | null | undefined>>;
  records: Map<string, StoredRecord>;
  candidates: StoredRecord[];
  held: Map<number, { state: HeldState }>;
}

/**
 * Reads what planning `items` needs: the links, first-sync candidates and held records at once (three
 * connections), then the linked records.
 */
export async function readForPage(db: Db, accountId: string, type: RecordType, items: PulledItem[]): Promise<StoredForPage> {
  const [{ links, resolved }, candidates, held] = await Promise.all([
    readLinks(db, accountId, type, items),
    matchRows(db, accountId, type, items),
    heldOfItems(db, accountId, type, items.map((i) => i.bmsId)),
  ]);
  const records = new Map(
    (await getRecordsByIds(db, accountId, type, [...links.values()].map((l) => l.recordId))).map((r) => [r.id, r]),
  );
  return { links, resolved, records, candidates, held };
}

/**
 * The links of the page's items and of the records they refer to, in one statement. Returns the items'
 * own links by BMS id, and each item's references mapped to record ids (`undefined` = the target is not
 * (yet) linked).
 */
async function readLinks(db: Conn, accountId: string, type: RecordType, items: PulledItem[]) {
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
 * first: read beside the links (it needs nothing they say), and narrowed to whole keys by the planner.
 * When the first key field is a reference (a contact's organization), it is matched through the link of
 * the BMS record the item refers to.
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

/**
 * `pullWriteState` (domain/sync-state.ts) in SQL, over the link as it is now (`sync_links`) and as the
 * pull planned it (`excluded`); test/integration/pull-link-upsert.test.ts checks the two agree.
 */
const KEEPS_CURRENT_STATE = `sync_links.state IN (${KEPT_BY_PULL_WRITE.map((s) => `'${s}'`).join(', ')}) OR excluded.state = 'queued'`;

export const LINK_UPSERT = `ON CONFLICT (record_type, record_id) DO UPDATE SET
  bms_id = excluded.bms_id,
  state = CASE WHEN ${KEEPS_CURRENT_STATE} THEN sync_links.state ELSE excluded.state END,
  state_reason = CASE WHEN ${KEEPS_CURRENT_STATE} THEN sync_links.state_reason ELSE excluded.state_reason END,
  -- Read as queued and pushed since: the push's base is what BMS holds now, so it stands.
  base = CASE WHEN excluded.state = 'queued' AND sync_links.state <> 'queued' THEN sync_links.base ELSE excluded.base END,
  bms_modified_on = CASE WHEN excluded.state = 'queued' AND sync_links.state <> 'queued' THEN sync_links.bms_modified_on ELSE excluded.bms_modified_on END,
  remote_refs = excluded.remote_refs,
  unresolved_refs = excluded.unresolved_refs,
  last_pulled_at = excluded.last_pulled_at,
  updated_at = excluded.updated_at`;

/** The statement that writes planned links (inserted, or upserted by `LINK_UPSERT`); not yet run. */
export function linksUpsert(conn: Conn, target: Pick<PageTarget, 'accountId' | 'type'>, links: PlannedLink[], now: Date): Knex.Raw {
  return jsonInsert(
    conn,
    'sync_links',
    LINK_COLUMNS,
    links.map((l) => ({
      record_type: target.type,
      record_id: l.recordId,
      account_id: target.accountId,
      bms_id: l.item.bmsId,
      state: l.state,
      state_reason: l.reason,
      base: l.base,
      bms_modified_on: l.item.modifiedOn,
      remote_refs: l.item.refs,
      unresolved_refs: l.unresolvedRefs,
      last_pulled_at: now,
      updated_at: now,
    })),
    LINK_UPSERT,
  );
}

/**
 * Writes a page's plan. Updates are checked against the version the plan read, under row locks, in a
 * transaction with the inserts; a plan of inserts only (a first pull's pages) is one statement. Returns
 * the counts of what was written and the ids of the records whose update missed (nothing of theirs is
 * written).
 */
export async function writePagePlan(db: Db, target: PageTarget, plan: PagePlan): Promise<{ counts: PullCounts; missed: Set<string> }> {
  const { accountId, type } = target;
  const fields = syncedFieldNames(type);
  const missed = new Set<string>();
  const now = new Date();

  const ids = newRecordIds(plan.inserts.length);
  const links = [...plan.links];
  const history = [...plan.history];
  ids.forEach((recordId, index) => {
    const { item, fields: remote, unresolvedRefs, state, summary } = plan.inserts[index]!;
    links.push({ recordId, item, state, base: remote, reason: null, unresolvedRefs });
    history.push({ recordId, kind: 'created', summary });
  });

  /** The inserts of the plan (records, links, history, run log), leaving out records whose update missed. */
  const inserts = (conn: Conn): Array<Knex.Raw | Knex.QueryBuilder> => {
    const out: Array<Knex.Raw | Knex.QueryBuilder> = [];
    if (ids.length > 0) {
      out.push(insertRecordsStatement(conn, accountId, type, plan.inserts.map((i) => i.fields), ids, { origin: 'pull' }));
    }
    const kept = links.filter((l) => !missed.has(l.recordId));
    if (kept.length > 0) out.push(linksUpsert(conn, target, kept, now));
    const entries = history.filter((h) => !missed.has(h.recordId));
    if (entries.length > 0) out.push(historyInsert(conn, entries.map((h) => ({ ...h, accountId, recordType: type, origin: 'pull' }))));
    if (plan.held.length > 0) out.push(heldUpsert(conn, accountId, type, plan.held, now));
    if (plan.released.length > 0) out.push(heldRelease(conn, accountId, type, plan.released));
    if (plan.logs.length > 0) {
      out.push(runLogInsert(conn, plan.logs.map((l) => ({ runId: target.syncRunId, level: l.level, message: l.message, recordType: type, recordId: l.recordId, bmsId: l.bmsId }))));
    }
    return out;
  };

  const counts = { ...plan.counts };
  if (plan.updates.length > 0) {
    await db.transaction(async (trx) => {
      const updated = await updateRecordsBulkChecked(trx, accountId, type, fields, plan.updates);
      for (const u of plan.updates) {
        if (!updated.has(u.record.id)) missed.add(u.record.id);
        else counts[u.kind]++;
      }
      for (const query of inserts(trx)) await query;
    });
  } else {
    await allInOne(db, inserts(db));
  }
  counts.created += ids.length;
  return { counts, missed };
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
  updates: PagePlan['updates'],
): Promise<Set<string>> {
  // Lock the rows and keep only those still at the version the plan read.
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

/**
 * Sets reference columns (e.g. an organization's parent) that a pass could not resolve while paging,
 * because the referenced record arrived later (or arrives in a later pull). Reads only the links the
 * store flagged (`unresolved_refs`, a partial index), not every link of the account. Only where the
 * local value still equals the base, so an unpushed local change is never overwritten. A link whose
 * every reference now has a link is unflagged; the others stay flagged and are tried again next pass.
 */
export async function resolveDeferredReferences(db: Db, accountId: string, type: RecordType): Promise<void> {
  const refs = Object.entries(fieldSpecs(type)).filter(([, spec]) => spec.kind === 'ref' && spec.synced && spec.ref);
  if (refs.length === 0) return;
  const table = tableOf(type);
  for (const [field, spec] of refs) {
    await db.raw(
      `WITH target AS (
         SELECT l.record_id, t.record_id AS ref_id
         FROM sync_links l
         JOIN sync_links t ON t.account_id = l.account_id AND t.record_type = ? AND t.bms_id = (l.remote_refs->>?)::int
         JOIN "${table}" r ON r.id = l.record_id
         WHERE l.account_id = ? AND l.record_type = ? AND l.unresolved_refs AND ${liveLinkSql('l')}
           AND r."${spec.column}" IS DISTINCT FROM t.record_id
           AND r."${spec.column}" IS NOT DISTINCT FROM (l.base->>?)::uuid
       ), records AS (
         UPDATE "${table}" r SET "${spec.column}" = target.ref_id, version = r.version + 1, updated_origin = 'pull', updated_at = now()
         FROM target WHERE r.id = target.record_id RETURNING r.id
       )
       UPDATE sync_links l SET base = jsonb_set(coalesce(l.base, '{}'::jsonb), ARRAY[?], to_jsonb(target.ref_id::text))
       FROM target WHERE l.record_type = ? AND l.record_id = target.record_id`,
      [spec.ref!, field, accountId, type, field, field, type],
    );
  }
  await db.raw(
    `UPDATE sync_links l SET unresolved_refs = false
     WHERE l.account_id = ? AND l.record_type = ? AND l.unresolved_refs
       AND NOT EXISTS (
         SELECT 1 FROM unnest(?::text[], ?::text[]) AS f(field, target)
         WHERE jsonb_typeof(l.remote_refs -> f.field) = 'number'
           AND NOT EXISTS (
             SELECT 1 FROM sync_links t
             WHERE t.account_id = l.account_id AND t.record_type = f.target AND t.bms_id = (l.remote_refs ->> f.field)::int))`,
    [accountId, type, refs.map(([field]) => field), refs.map(([, spec]) => spec.ref!)],
  );
}
