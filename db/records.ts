/**
 * The documentation records (organizations, locations, contacts, configurations): row ↔ domain mapping
 * driven by domain/records.ts, and the reads and writes the API and activities share. Every write bumps
 * the record's `version`, which is what push workflows use to know whether they are up to date.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import {
  type ContactEmail,
  type ContactPhone,
  fieldSpecs,
  RECORD_COLLECTIONS,
  RECORD_TYPES,
  type RecordFields,
  type RecordType,
} from '../domain/records';
import type { WriteOrigin } from '../domain/records';
import type { SyncState } from '../domain/sync-state';
import type { Db } from './index';
import { iso, jsonInsert } from './rows';


export interface StoredRecord {
  id: string;
  accountId: string;
  type: RecordType;
  fields: RecordFields;
  version: number;
  updatedOrigin: WriteOrigin;
  updatedBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Audit {
  origin: WriteOrigin;
  userId?: string | null;
}

type Row = Record<string, unknown>;
type Conn = Db | Knex.Transaction;

export function tableOf(type: RecordType): string {
  return RECORD_COLLECTIONS[type];
}

export function fromRow(type: RecordType, row: Row): StoredRecord {
  const fields: RecordFields = {};
  for (const [name, spec] of Object.entries(fieldSpecs(type))) {
    const v = row[spec.column];
    if (spec.kind === 'emails') fields[name] = (v ?? []) as ContactEmail[];
    else if (spec.kind === 'phones') fields[name] = (v ?? []) as ContactPhone[];
    else if (spec.kind === 'boolean') fields[name] = Boolean(v);
    else fields[name] = (v ?? null) as string | null;
  }
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    type,
    fields,
    version: Number(row.version),
    updatedOrigin: row.updated_origin as WriteOrigin,
    updatedBy: (row.updated_by as string | null) ?? null,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** Column values for the given fields (only those present). */
export function toRow(type: RecordType, fields: Partial<RecordFields>): Row {
  const row: Row = {};
  const specs = fieldSpecs(type);
  for (const [name, value] of Object.entries(fields)) {
    const spec = specs[name];
    if (!spec || value === undefined) continue;
    row[spec.column] = spec.kind === 'emails' || spec.kind === 'phones' ? JSON.stringify(value ?? []) : value;
  }
  return row;
}

/** One record; with `forUpdate` (inside a transaction) its row stays locked until the transaction ends. */
export async function getRecord(
  db: Conn,
  accountId: string,
  type: RecordType,
  id: string,
  forUpdate = false,
): Promise<StoredRecord | undefined> {
  const q = db(tableOf(type)).where({ account_id: accountId, id }).first();
  if (forUpdate) void q.forUpdate();
  const row = (await q) as Row | undefined;
  return row ? fromRow(type, row) : undefined;
}

export async function getRecordsByIds(db: Conn, accountId: string, type: RecordType, ids: string[]): Promise<StoredRecord[]> {
  if (ids.length === 0) return [];
  const rows = (await db(tableOf(type)).where({ account_id: accountId }).whereIn('id', ids)) as Row[];
  return rows.map((r) => fromRow(type, r));
}

export async function insertRecord(
  db: Conn,
  accountId: string,
  type: RecordType,
  fields: Partial<RecordFields>,
  audit: Audit,
): Promise<StoredRecord> {
  const [row] = (await db(tableOf(type))
    .insert({ ...toRow(type, fields), account_id: accountId, updated_origin: audit.origin, updated_by: audit.userId ?? null })
    .returning('*')) as Row[];
  return fromRow(type, row!);
}

/** Updates one record; `undefined` when it does not exist or (given `expectedVersion`) is at another version. */
export async function updateRecord(
  db: Conn,
  accountId: string,
  type: RecordType,
  id: string,
  patch: Partial<RecordFields>,
  audit: Audit,
  expectedVersion?: number,
): Promise<StoredRecord | undefined> {
  // With an expected version, checking it and writing are one statement: of two saves based on the same
  // version, exactly one matches a row.
  const match = expectedVersion === undefined ? { account_id: accountId, id } : { account_id: accountId, id, version: expectedVersion };
  const [row] = (await db(tableOf(type))
    .where(match)
    .update({
      ...toRow(type, patch),
      version: db.raw('version + 1'),
      updated_origin: audit.origin,
      updated_by: audit.userId ?? null,
      updated_at: db.fn.now(),
    })
    .returning('*')) as Row[];
  return row ? fromRow(type, row) : undefined;
}

/**
 * Clears the optional references to a record about to be deleted (for an organization, to everything
 * deleted with it) as a change of the records holding them: new version, stamped. Left to the foreign
 * keys' ON DELETE SET NULL, those records would change without a new version, and a save based on the
 * version before would not be refused.
 */
export async function clearReferencesTo(db: Conn, accountId: string, type: RecordType, id: string, audit: Audit): Promise<void> {
  for (const holder of RECORD_TYPES) {
    for (const spec of Object.values(fieldSpecs(holder))) {
      if (spec.kind !== 'ref' || spec.required || !spec.ref) continue;
      const targets =
        spec.ref === type ? [id] : type === 'organization' ? db(tableOf(spec.ref)).where({ account_id: accountId, organization_id: id }).select('id') : null;
      if (!targets) continue;
      const holders = db(tableOf(holder)).where('account_id', accountId).whereIn(spec.column, targets);
      // The organization's own records go with it.
      if (type === 'organization' && holder !== 'organization') void holders.whereNot('organization_id', id);
      await holders.update({
        [spec.column]: null,
        version: db.raw('version + 1'),
        updated_origin: audit.origin,
        updated_by: audit.userId ?? null,
        updated_at: db.fn.now(),
      });
    }
  }
}

export async function deleteRecord(db: Conn, accountId: string, type: RecordType, id: string): Promise<boolean> {
  const count = await db(tableOf(type)).where({ account_id: accountId, id }).delete();
  return count > 0;
}

export interface ListOptions {
  limit: number;
  offset: number;
  /** Case-insensitive substring over the record's name-like fields. */
  search?: string;
  organizationId?: string;
  /** Filter on the link's sync state. */
  syncStates?: string[];
  /** Include records that have no link (their state reads as not_pushed). */
  includeUnlinked?: boolean;
}

const SEARCH_COLUMNS: Record<RecordType, string[]> = {
  organization: ['name', 'short_name'],
  location: ['name', 'city', 'address_1'],
  contact: ['first_name', 'last_name', 'title'],
  configuration: ['name', 'serial_number', 'asset_tag', 'primary_ip'],
};

export async function listRecords(
  db: Db,
  accountId: string,
  type: RecordType,
  options: ListOptions,
): Promise<{ items: StoredRecord[]; total: number }> {
  const table = tableOf(type);
  const base = db(`${table} as r`).where('r.account_id', accountId);
  if (options.organizationId && type !== 'organization') base.andWhere('r.organization_id', options.organizationId);
  if (options.search) {
    const pattern = `%${options.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    base.andWhere((q) => {
      for (const column of SEARCH_COLUMNS[type]) void q.orWhereILike(`r.${column}`, pattern);
    });
  }
  if (options.syncStates?.length) {
    base.leftJoin('sync_links as l', function joinLink() {
      this.on('l.record_id', '=', 'r.id').andOnVal('l.record_type', '=', type);
    });
    base.andWhere((q) => {
      void q.whereIn('l.state', options.syncStates!);
      if (options.includeUnlinked) void q.orWhereNull('l.state');
    });
  }
  const [{ count }] = (await base.clone().count<{ count: string }[]>({ count: '*' })) as [{ count: string }];
  const rows = (await base
    .clone()
    .select('r.*')
    .orderBy([{ column: 'r.created_at', order: 'asc' }, { column: 'r.id', order: 'asc' }])
    .limit(options.limit)
    .offset(options.offset)) as Row[];
  return { items: rows.map((r) => fromRow(type, r)), total: Number(count) };
}

const SQL_TYPES: Record<string, string> = {
  text: 'text',
  boolean: 'boolean',
  date: 'date',
  ref: 'uuid',
  emails: 'jsonb',
  phones: 'jsonb',
};

let lastMs = 0;
let sequence = 0;

/**
 * A time-ordered UUID (version 7, RFC 9562): 48 bits of Unix milliseconds, a 12-bit counter within the
 * millisecond, 62 random bits. Ids made one after another sort together, so a bulk insert adds to the
 * right-hand edge of the indexes on them (records, links, history) instead of touching pages all over.
 */
export function uuidv7(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else if (++sequence > 0xfff) {
    // More than 4,096 ids in one millisecond: borrow the next one.
    lastMs++;
    sequence = 0;
  }
  const hex = randomUUID().replace(/-/g, '');
  const time = lastMs.toString(16).padStart(12, '0');
  const seq = (0x7000 | sequence).toString(16);
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8)}-${seq}-${variant}${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** Ids for new records, chosen here so that inserting them needs nothing read back (time-ordered). */
export function newRecordIds(count: number): string[] {
  return Array.from({ length: count }, () => uuidv7());
}

/** One statement inserting new records with the given ids (`newRecordIds`), in order; not yet run. */
export function insertRecordsStatement(
  db: Conn,
  accountId: string,
  type: RecordType,
  items: Array<Partial<RecordFields>>,
  ids: string[],
  audit: Audit,
): Knex.Raw | Knex.QueryBuilder {
  const specs = fieldSpecs(type);
  const columns = new Map<string, string>([
    ['id', 'uuid'],
    ['account_id', 'uuid'],
    ['updated_origin', 'text'],
    ['updated_by', 'uuid'],
  ]);
  const kindOf = new Map<string, string>();
  const audited = (i: number): Row => ({ id: ids[i], account_id: accountId, updated_origin: audit.origin, updated_by: audit.userId ?? null });
  const rows = items.map((fields, i) => {
    const row = audited(i);
    for (const [name, value] of Object.entries(fields)) {
      const spec = specs[name];
      if (!spec || value === undefined) continue;
      row[spec.column] = spec.kind === 'emails' || spec.kind === 'phones' ? (value ?? []) : value;
      columns.set(spec.column, SQL_TYPES[spec.kind]!);
      kindOf.set(spec.column, spec.kind);
    }
    return row;
  });
  // A column some rows lack is NULL in them, not its default: fine for references (nullable), else
  // the ordinary insert (DEFAULT where a value is missing).
  const ragged = [...kindOf].some(([column, kind]) => kind !== 'ref' && rows.some((r) => !(column in r)));
  if (ragged) return db(tableOf(type)).insert(items.map((fields, i) => ({ ...toRow(type, fields), ...audited(i) })));
  return jsonInsert(db, tableOf(type), [...columns], rows);
}

/**
 * Updates many records in one statement: each row sets the same list of fields (`fields`) to its own
 * values, bumps the version and stamps the audit columns.
 */
export async function updateRecordsBulk(
  db: Conn,
  accountId: string,
  type: RecordType,
  fields: string[],
  items: Array<{ id: string; values: Partial<RecordFields> }>,
  audit: Audit,
): Promise<void> {
  if (items.length === 0 || fields.length === 0) return;
  const specs = fieldSpecs(type);
  const columns = fields.map((f) => {
    const spec = specs[f];
    if (!spec) throw new Error(`Unknown ${type} field ${f}`);
    return { field: f, column: spec.column, sqlType: SQL_TYPES[spec.kind]!, json: spec.kind === 'emails' || spec.kind === 'phones' };
  });
  const bindings: Knex.Value[] = [];
  const tuples = items.map((item) => {
    bindings.push(item.id);
    for (const c of columns) {
      const v = item.values[c.field];
      bindings.push(c.json ? JSON.stringify(v ?? []) : ((v ?? null) as Knex.Value));
    }
    return `(?::uuid, ${columns.map((c) => `?::${c.sqlType}`).join(', ')})`;
  });
  const sets = columns.map((c) => `"${c.column}" = v."${c.column}"`).join(', ');
  const names = ['id', ...columns.map((c) => c.column)].map((n) => `"${n}"`).join(', ');
  await db.raw(
    `UPDATE "${tableOf(type)}" AS t SET ${sets}, version = t.version + 1, updated_origin = ?, updated_by = ?, updated_at = now()
     FROM (VALUES ${tuples.join(', ')}) AS v(${names})
     WHERE t.id = v.id AND t.account_id = ?`,
    [audit.origin, audit.userId ?? null, ...bindings, accountId],
  );
}

/** Whether the account has a record of this type with this id. */
export async function recordExists(db: Conn, accountId: string, type: RecordType, id: string): Promise<boolean> {
  return (await db(tableOf(type)).where({ account_id: accountId, id }).first('id')) !== undefined;
}

/** The ids of the account's records of `type` that belong to the organization. */
export async function idsInOrganization(db: Conn, accountId: string, type: Exclude<RecordType, 'organization'>, organizationId: string): Promise<string[]> {
  const rows = (await db(tableOf(type)).where({ account_id: accountId, organization_id: organizationId }).select('id')) as Array<{ id: string }>;
  return rows.map((r) => String(r.id));
}

/** How many of the account's records of `type` are in each sync state; records without a link are not_pushed. */
export async function countBySyncState(db: Conn, accountId: string, type: RecordType): Promise<Array<{ state: SyncState; n: number }>> {
  return (await db(`${tableOf(type)} as r`)
    .leftJoin('sync_links as l', function join() {
      this.on('l.record_id', '=', 'r.id').andOnVal('l.record_type', '=', type);
    })
    .where('r.account_id', accountId)
    .groupByRaw("coalesce(l.state, 'not_pushed')")
    .select(db.raw("coalesce(l.state, 'not_pushed') AS state"), db.raw('count(*)::int AS n'))) as Array<{ state: SyncState; n: number }>;
}

/** An organization's primary location record, else its first. */
export async function mainLocationOf(db: Conn, accountId: string, organizationId: string): Promise<StoredRecord | undefined> {
  const row = (await db(tableOf('location'))
    .where({ account_id: accountId, organization_id: organizationId })
    .orderBy([{ column: 'primary', order: 'desc' }, { column: 'created_at', order: 'asc' }])
    .first()) as Row | undefined;
  return row ? fromRow('location', row) : undefined;
}

/** Whether another location of the organization is its primary one. */
export async function hasOtherPrimaryLocation(db: Conn, accountId: string, organizationId: unknown, locationId: string): Promise<boolean> {
  const other = (await db(tableOf('location'))
    .where({ account_id: accountId, organization_id: organizationId, primary: true })
    .whereNot({ id: locationId })
    .first('id')) as { id: string } | undefined;
  return other !== undefined;
}
