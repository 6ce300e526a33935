/**
 * Match review: the BMS records a pull held instead of creating (`held_records`), and the documentation
 * records a person excluded from suggestions (`match_exclusions`). Pulls write held records in bulk beside
 * a page's other statements (`heldUpsert`, `heldRelease`); the review service reads and resolves them.
 */
import type { Knex } from 'knex';
import type { HeldState, PulledItem } from '../domain/pull-plan';
import type { RecordFields, RecordType } from '../domain/records';
import type { Db } from './index';
import { fromRow, type StoredRecord, tableOf } from './records';
import { iso, jsonInsert } from './rows';

type Conn = Db | Knex.Transaction;
type Row = Record<string, unknown>;

export interface HeldRecord {
  id: string;
  accountId: string;
  recordType: RecordType;
  bmsId: number;
  state: HeldState;
  fields: RecordFields;
  refs: Record<string, number | null>;
  bmsModifiedOn: string | null;
  recordId: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

function heldFromRow(row: Row): HeldRecord {
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    recordType: row.record_type as RecordType,
    bmsId: Number(row.bms_id),
    state: row.state as HeldState,
    fields: (row.fields as RecordFields | null) ?? {},
    refs: (row.refs as Record<string, number | null> | null) ?? {},
    bmsModifiedOn: (row.bms_modified_on as string | null) ?? null,
    recordId: (row.record_id as string | null | undefined) ?? null,
    version: Number(row.version),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** The held records of a page's items (any state), by BMS id. */
export async function heldOfItems(db: Conn, accountId: string, type: RecordType, bmsIds: number[]): Promise<Map<number, { state: HeldState }>> {
  const out = new Map<number, { state: HeldState }>();
  if (bmsIds.length === 0) return out;
  const { rows } = (await db.raw(
    `SELECT h.bms_id, h.state FROM unnest(?::int[]) AS k(bms_id)
     JOIN held_records h ON h.account_id = ? AND h.record_type = ? AND h.bms_id = k.bms_id`,
    [bmsIds, accountId, type],
  )) as { rows: Array<{ bms_id: number; state: HeldState }> };
  for (const r of rows) out.set(Number(r.bms_id), { state: r.state });
  return out;
}

const HELD_COLUMNS = [
  ['account_id', 'uuid'],
  ['record_type', 'text'],
  ['bms_id', 'integer'],
  ['state', 'text'],
  ['fields', 'jsonb'],
  ['refs', 'jsonb'],
  ['bms_modified_on', 'text'],
  ['updated_at', 'timestamptz'],
] as const;

/**
 * The statement holding BMS records for review, or refreshing the data of those already held (an
 * excluded one stays excluded; one a person resolved that came back unlinked is held again). Not yet run.
 */
export function heldUpsert(conn: Conn, accountId: string, type: RecordType, held: Array<{ item: PulledItem; fields: RecordFields }>, now: Date): Knex.Raw {
  return jsonInsert(
    conn,
    'held_records',
    HELD_COLUMNS,
    held.map(({ item, fields }) => ({
      account_id: accountId,
      record_type: type,
      bms_id: item.bmsId,
      state: 'held',
      fields,
      refs: item.refs,
      bms_modified_on: item.modifiedOn,
      updated_at: now,
    })),
    `ON CONFLICT (account_id, record_type, bms_id) DO UPDATE SET
       fields = excluded.fields, refs = excluded.refs, bms_modified_on = excluded.bms_modified_on, updated_at = excluded.updated_at,
       state = CASE WHEN held_records.state = 'resolved' THEN 'held' ELSE held_records.state END,
       record_id = CASE WHEN held_records.state = 'resolved' THEN NULL ELSE held_records.record_id END,
       version = CASE WHEN held_records.state = 'resolved' THEN held_records.version + 1 ELSE held_records.version END`,
  );
}

/** The statement taking held (or excluded) records off the review list: linked by natural key, or gone from what syncs. Not yet run. */
export function heldRelease(conn: Conn, accountId: string, type: RecordType, bmsIds: number[]): Knex.QueryBuilder {
  return conn('held_records')
    .where({ account_id: accountId, record_type: type })
    .whereIn('bms_id', bmsIds)
    .whereIn('state', ['held', 'excluded'])
    .delete();
}

/** BMS ids of held (or excluded) records of a type above (`>`) or up to (`<=`) `after`, in order, at most `limit`: for checking them against BMS. */
export function heldBmsIds(db: Conn, accountId: string, type: RecordType, op: '>' | '<=', after: number, limit: number): Promise<number[]> {
  return db('held_records')
    .where({ account_id: accountId, record_type: type })
    .whereIn('state', ['held', 'excluded'])
    .where('bms_id', op, after)
    .orderBy('bms_id', 'asc')
    .limit(limit)
    .pluck('bms_id') as Promise<number[]>;
}

/** Takes held (or excluded) records off the review list; returns how many. */
export async function releaseHeld(db: Conn, accountId: string, type: RecordType, bmsIds: number[]): Promise<number> {
  if (bmsIds.length === 0) return 0;
  return Number(await heldRelease(db, accountId, type, bmsIds));
}

/** One held record of the account, locked until the transaction ends when `forUpdate`. */
export async function getHeld(db: Conn, accountId: string, id: string, forUpdate = false): Promise<HeldRecord | undefined> {
  const q = db('held_records').where({ account_id: accountId, id }).first();
  if (forUpdate) void q.forUpdate();
  const row = (await q) as Row | undefined;
  return row ? heldFromRow(row) : undefined;
}

export async function getHeldByBmsId(db: Conn, accountId: string, type: RecordType, bmsId: number, forUpdate = false): Promise<HeldRecord | undefined> {
  const q = db('held_records').where({ account_id: accountId, record_type: type, bms_id: bmsId }).first();
  if (forUpdate) void q.forUpdate();
  const row = (await q) as Row | undefined;
  return row ? heldFromRow(row) : undefined;
}

/** Moves a held record to `state` (and the record it was resolved to), a new version. */
export async function setHeldState(db: Conn, id: string, state: HeldState, recordId: string | null, userId: string | null): Promise<void> {
  await db('held_records')
    .where({ id })
    .update({ state, record_id: recordId, updated_by: userId, version: db.raw('version + 1'), updated_at: db.fn.now() });
}

/** Holds a BMS record again (a person unlinked it from its record): its last synced values, as a pull would have held them. */
export async function holdAgain(
  db: Conn,
  accountId: string,
  type: RecordType,
  bmsId: number,
  data: { fields: RecordFields; refs: Record<string, number | null>; bmsModifiedOn: string | null },
  userId: string | null,
): Promise<string> {
  const { rows } = (await db.raw(
    `INSERT INTO held_records (account_id, record_type, bms_id, state, fields, refs, bms_modified_on, updated_by)
     VALUES (?, ?, ?, 'held', ?::jsonb, ?::jsonb, ?, ?)
     ON CONFLICT (account_id, record_type, bms_id) DO UPDATE SET state = 'held', record_id = NULL, fields = excluded.fields,
       refs = excluded.refs, bms_modified_on = excluded.bms_modified_on, updated_by = excluded.updated_by,
       version = held_records.version + 1, updated_at = now()
     RETURNING id`,
    [accountId, type, bmsId, JSON.stringify(data.fields), JSON.stringify(data.refs), data.bmsModifiedOn, userId],
  )) as { rows: Array<{ id: string }> };
  return String(rows[0]!.id);
}

/** Held records not linked since (a pull may hold a record a person linked meanwhile), newest first. */
function openHeld(db: Conn, accountId: string, type: RecordType, states: HeldState[]) {
  return db('held_records as h')
    .where({ 'h.account_id': accountId, 'h.record_type': type })
    .whereIn('h.state', states)
    .whereNotExists(function linked() {
      void this.select(db.raw('1'))
        .from('sync_links as l')
        .whereRaw('l.account_id = h.account_id AND l.record_type = h.record_type AND l.bms_id = h.bms_id');
    });
}

export async function listHeld(
  db: Conn,
  accountId: string,
  type: RecordType,
  states: HeldState[],
  limit: number,
  offset: number,
): Promise<{ items: HeldRecord[]; total: number }> {
  const base = states.includes('resolved')
    ? db('held_records as h').where({ 'h.account_id': accountId, 'h.record_type': type }).whereIn('h.state', states)
    : openHeld(db, accountId, type, states);
  const [{ count }] = (await base.clone().count<{ count: string }[]>({ count: '*' })) as [{ count: string }];
  const rows = (await base.clone().select('h.*').orderBy([{ column: 'h.updated_at', order: 'desc' }, { column: 'h.id', order: 'asc' }]).limit(limit).offset(offset)) as Row[];
  return { items: rows.map(heldFromRow), total: Number(count) };
}

/** Held records open for review of every type, per type: what the account's problems list counts. */
export async function countOpenHeld(db: Conn, accountId: string): Promise<Array<{ recordType: RecordType; n: number }>> {
  const rows = (await db('held_records as h')
    .where({ 'h.account_id': accountId, 'h.state': 'held' })
    .whereNotExists(function linked() {
      void this.select(db.raw('1'))
        .from('sync_links as l')
        .whereRaw('l.account_id = h.account_id AND l.record_type = h.record_type AND l.bms_id = h.bms_id');
    })
    .groupBy('h.record_type')
    .select('h.record_type', db.raw('count(*)::int AS n'))) as Array<{ record_type: RecordType; n: number }>;
  return rows.map((r) => ({ recordType: r.record_type, n: Number(r.n) }));
}

/**
 * Documentation records of a type without a BMS record (no link, or one without a BMS id and not switched
 * off), excluded from suggestions or not, oldest first.
 */
function unlinkedRecords(db: Conn, accountId: string, type: RecordType, excluded: boolean) {
  const q = db(`${tableOf(type)} as r`)
    .leftJoin('sync_links as l', function joinLink() {
      this.on('l.record_id', '=', 'r.id').andOnVal('l.record_type', '=', type);
    })
    .leftJoin('match_exclusions as x', function joinExclusion() {
      this.on('x.record_id', '=', 'r.id').andOnVal('x.record_type', '=', type);
    })
    .where('r.account_id', accountId)
    .whereNull('l.bms_id')
    .andWhere((w) => void w.whereNull('l.state').orWhereNot('l.state', 'disabled'));
  return excluded ? q.whereNotNull('x.record_id') : q.whereNull('x.record_id');
}

export async function listUnlinked(
  db: Conn,
  accountId: string,
  type: RecordType,
  excluded: boolean,
  limit: number,
  offset: number,
): Promise<{ items: StoredRecord[]; total: number }> {
  const base = unlinkedRecords(db, accountId, type, excluded);
  const [{ count }] = (await base.clone().count<{ count: string }[]>({ count: '*' })) as [{ count: string }];
  const rows = (await base.clone().select('r.*').orderBy([{ column: 'r.created_at', order: 'asc' }, { column: 'r.id', order: 'asc' }]).limit(limit).offset(offset)) as Row[];
  return { items: rows.map((r) => fromRow(type, r)), total: Number(count) };
}

/** Whether a documentation record is excluded from suggestions. */
export async function isExcluded(db: Conn, type: RecordType, recordId: string): Promise<boolean> {
  return (await db('match_exclusions').where({ record_type: type, record_id: recordId }).first('record_id')) !== undefined;
}

/** Excludes a record from suggestions; false when it already was. */
export async function excludeRecord(db: Conn, accountId: string, type: RecordType, recordId: string, userId: string | null): Promise<boolean> {
  const rows = (await db('match_exclusions')
    .insert({ account_id: accountId, record_type: type, record_id: recordId, excluded_by: userId })
    .onConflict(['record_type', 'record_id'])
    .ignore()
    .returning('record_id')) as Row[];
  return rows.length > 0;
}

/** Takes a record's exclusion back; false when it was not excluded. */
export async function unexcludeRecord(db: Conn, type: RecordType, recordId: string): Promise<boolean> {
  return (await db('match_exclusions').where({ record_type: type, record_id: recordId }).delete()) > 0;
}

/** The candidates suggestions are ranked among, at most `limit` of each side (the newest held, the oldest unlinked). */
export async function suggestionPools(
  db: Conn,
  accountId: string,
  type: RecordType,
  limit: number,
): Promise<{ held: HeldRecord[]; unlinked: StoredRecord[] }> {
  const [held, unlinked] = await Promise.all([listHeld(db, accountId, type, ['held'], limit, 0), listUnlinked(db, accountId, type, false, limit, 0)]);
  return { held: held.items, unlinked: unlinked.items };
}

/** Names of records by id (for showing what a reference points at), of one type. */
export async function namesOf(db: Conn, accountId: string, type: RecordType, ids: string[]): Promise<Map<string, StoredRecord>> {
  const out = new Map<string, StoredRecord>();
  if (ids.length === 0) return out;
  const rows = (await db(tableOf(type)).where({ account_id: accountId }).whereIn('id', [...new Set(ids)])) as Row[];
  for (const row of rows) out.set(String(row.id), fromRow(type, row));
  return out;
}
