/**
 * Sync links: one row per synced (or sync-tracked) record with its BMS id, the base (last synced field
 * values), the BMS modifiedOn last seen, the versions requested and pushed, and the sync state.
 * State changes go through the state machine in domain/sync-state.ts.
 */
import type { Knex } from 'knex';
import { RECORD_TYPES, type RecordFields, type RecordType } from '../domain/records';
import { NOT_LIVE_STATES, type SyncEvent, type SyncState, transition } from '../domain/sync-state';
import type { Db } from './index';
import { tableOf } from './records';
import { isoOrNull } from './rows';

type Conn = Db | Knex.Transaction;
type Row = Record<string, unknown>;

export interface LinkError {
  type: string;
  message: string;
  at: string;
  retrying?: boolean;
}

/** The record a queued push waits for (it must reach Kaseya BMS first). */
export interface WaitingFor {
  recordType: RecordType;
  recordId: string;
}

export interface SyncLink {
  recordType: RecordType;
  recordId: string;
  accountId: string;
  bmsId: number | null;
  state: SyncState;
  stateReason: string | null;
  base: RecordFields | null;
  bmsModifiedOn: string | null;
  remoteRefs: Record<string, number | null> | null;
  pushedVersion: number | null;
  requestedVersion: number | null;
  lastPushedAt: string | null;
  lastPulledAt: string | null;
  lastError: LinkError | null;
  waitingFor: WaitingFor | null;
  updatedAt: string;
}

export function linkFromRow(row: Row): SyncLink {
  return {
    recordType: row.record_type as RecordType,
    recordId: String(row.record_id),
    accountId: String(row.account_id),
    bmsId: row.bms_id === null || row.bms_id === undefined ? null : Number(row.bms_id),
    state: row.state as SyncState,
    stateReason: (row.state_reason as string | null) ?? null,
    base: (row.base as RecordFields | null) ?? null,
    bmsModifiedOn: (row.bms_modified_on as string | null) ?? null,
    remoteRefs: (row.remote_refs as Record<string, number | null> | null) ?? null,
    pushedVersion: (row.pushed_version as number | null) ?? null,
    requestedVersion: (row.requested_version as number | null) ?? null,
    lastPushedAt: isoOrNull(row.last_pushed_at),
    lastPulledAt: isoOrNull(row.last_pulled_at),
    lastError: (row.last_error as LinkError | null) ?? null,
    waitingFor: (row.waiting_for as WaitingFor | null) ?? null,
    updatedAt: isoOrNull(row.updated_at) ?? '',
  };
}

/** `isLive` (domain/sync-state.ts) as a condition on the links table or alias `links`. */
export function liveLinkSql(links: string): string {
  return `${links}.bms_id IS NOT NULL AND ${links}.state NOT IN (${NOT_LIVE_STATES.map((s) => `'${s}'`).join(', ')})`;
}

export async function getLink(db: Conn, type: RecordType, recordId: string, forUpdate = false): Promise<SyncLink | undefined> {
  const q = db('sync_links').where({ record_type: type, record_id: recordId }).first();
  if (forUpdate) void q.forUpdate();
  const row = (await q) as Row | undefined;
  return row ? linkFromRow(row) : undefined;
}

export async function getLinks(db: Conn, type: RecordType, recordIds: string[]): Promise<Map<string, SyncLink>> {
  const out = new Map<string, SyncLink>();
  if (recordIds.length === 0) return out;
  const rows = (await db('sync_links').where({ record_type: type }).whereIn('record_id', recordIds)) as Row[];
  for (const row of rows) out.set(String(row.record_id), linkFromRow(row));
  return out;
}

export async function getLinksByBmsIds(
  db: Conn,
  accountId: string,
  type: RecordType,
  bmsIds: number[],
): Promise<Map<number, SyncLink>> {
  const out = new Map<number, SyncLink>();
  const found = await getLinksByKeys(db, accountId, bmsIds.map((bmsId) => ({ type, bmsId })));
  for (const link of found.values()) out.set(link.bmsId!, link);
  return out;
}

/** The key of a link in the map `getLinksByKeys` returns. */
export function linkKey(type: RecordType, bmsId: number): string {
  return `${type}:${bmsId}`;
}

/**
 * Links of several record types by BMS id in one statement (e.g. a page's own records and the records
 * they refer to), keyed by `linkKey`. Each key is one probe of the (account_id, record_type, bms_id)
 * index, whatever the planner statistics say (an `IN` list on a table never analysed can be planned as
 * a scan of every link of the type through the state index).
 */
export async function getLinksByKeys(
  db: Conn,
  accountId: string,
  keys: Array<{ type: RecordType; bmsId: number }>,
): Promise<Map<string, SyncLink>> {
  const out = new Map<string, SyncLink>();
  const unique = new Map<string, { type: RecordType; bmsId: number }>();
  for (const k of keys) unique.set(linkKey(k.type, k.bmsId), k);
  if (unique.size === 0) return out;
  const list = [...unique.values()];
  const { rows } = (await db.raw(
    `SELECT l.* FROM unnest(?::text[], ?::int[]) AS k(record_type, bms_id)
     JOIN sync_links l ON l.account_id = ? AND l.record_type = k.record_type AND l.bms_id = k.bms_id`,
    [list.map((k) => k.type), list.map((k) => k.bmsId), accountId],
  )) as { rows: Row[] };
  for (const row of rows) out.set(linkKey(row.record_type as RecordType, Number(row.bms_id)), linkFromRow(row));
  return out;
}

export interface LinkChanges {
  bmsId?: number | null;
  stateReason?: string | null;
  base?: RecordFields | null;
  bmsModifiedOn?: string | null;
  remoteRefs?: Record<string, number | null> | null;
  pushedVersion?: number | null;
  requestedVersion?: number | null;
  lastPushedAt?: Date | string | null;
  lastPulledAt?: Date | string | null;
  lastError?: LinkError | null;
  waitingFor?: WaitingFor | null;
}

export function linkChangesToRow(changes: LinkChanges): Row {
  const row: Row = {};
  if (changes.bmsId !== undefined) row.bms_id = changes.bmsId;
  if (changes.stateReason !== undefined) row.state_reason = changes.stateReason;
  if (changes.base !== undefined) row.base = changes.base === null ? null : JSON.stringify(changes.base);
  if (changes.bmsModifiedOn !== undefined) row.bms_modified_on = changes.bmsModifiedOn;
  if (changes.remoteRefs !== undefined) row.remote_refs = changes.remoteRefs === null ? null : JSON.stringify(changes.remoteRefs);
  if (changes.pushedVersion !== undefined) row.pushed_version = changes.pushedVersion;
  if (changes.requestedVersion !== undefined) row.requested_version = changes.requestedVersion;
  if (changes.lastPushedAt !== undefined) row.last_pushed_at = changes.lastPushedAt;
  if (changes.lastPulledAt !== undefined) row.last_pulled_at = changes.lastPulledAt;
  if (changes.lastError !== undefined) row.last_error = changes.lastError === null ? null : JSON.stringify(changes.lastError);
  if (changes.waitingFor !== undefined) row.waiting_for = changes.waitingFor === null ? null : JSON.stringify(changes.waitingFor);
  return row;
}

/**
 * Applies a sync event to a record's link (creating the link in `not_pushed` when there is none),
 * checked by the state machine, plus any other changes. Call inside a transaction. A caller that has
 * already read the link `FOR UPDATE` in this transaction passes it as `locked` (`null`: there is none),
 * which saves reading it again.
 */
export async function applyLinkEvent(
  trx: Conn,
  key: { accountId: string; type: RecordType; recordId: string },
  event: SyncEvent,
  changes: LinkChanges = {},
  locked?: SyncLink | null,
): Promise<SyncLink> {
  const current = locked === undefined ? await getLink(trx, key.type, key.recordId, true) : (locked ?? undefined);
  const next = transition(current?.state ?? 'not_pushed', event);
  const row = { ...linkChangesToRow(changes), state: next, updated_at: trx.fn.now() };
  if (current) {
    const [updated] = (await trx('sync_links')
      .where({ record_type: key.type, record_id: key.recordId })
      .update(row)
      .returning('*')) as Row[];
    return linkFromRow(updated!);
  }
  const [inserted] = (await trx('sync_links')
    .insert({ ...row, record_type: key.type, record_id: key.recordId, account_id: key.accountId })
    .returning('*')) as Row[];
  return linkFromRow(inserted!);
}

/** Updates link columns that are not the state (e.g. the last error while a push keeps retrying). */
export async function updateLink(trx: Conn, type: RecordType, recordId: string, changes: LinkChanges): Promise<void> {
  await trx('sync_links')
    .where({ record_type: type, record_id: recordId })
    .update({ ...linkChangesToRow(changes), updated_at: trx.fn.now() });
}

export async function deleteLink(trx: Conn, type: RecordType, recordId: string): Promise<void> {
  await trx('sync_links').where({ record_type: type, record_id: recordId }).delete();
}

/** Whether another record of the account is linked to this BMS record. */
export async function linkedToOtherRecord(db: Conn, key: { accountId: string; type: RecordType; recordId: string }, bmsId: number): Promise<boolean> {
  const taken = (await db('sync_links')
    .where({ account_id: key.accountId, record_type: key.type, bms_id: bmsId })
    .whereNot({ record_id: key.recordId })
    .first('record_id')) as { record_id: string } | undefined;
  return taken !== undefined;
}

/** BMS ids of the live links of a type above (`>`) or up to (`<=`) `after`, in order, at most `limit`. */
export function liveBmsIds(db: Conn, accountId: string, type: RecordType, op: '>' | '<=', after: number, limit: number): Promise<number[]> {
  return db('sync_links')
    .where({ account_id: accountId, record_type: type })
    .whereRaw(liveLinkSql('sync_links'))
    .where('bms_id', op, after)
    .orderBy('bms_id', 'asc')
    .limit(limit)
    .pluck('bms_id') as Promise<number[]>;
}

/** The live links of the locations of these organizations (record ids). */
export async function liveLocationLinksOf(db: Conn, accountId: string, organizationIds: string[]): Promise<Array<{ recordId: string; bmsId: number }>> {
  const rows = (await db('sync_links as l')
    .join(`${tableOf('location')} as r`, 'r.id', 'l.record_id')
    .where({ 'l.account_id': accountId, 'l.record_type': 'location' })
    .whereIn('r.organization_id', organizationIds)
    .whereRaw(liveLinkSql('l'))
    .select('l.record_id', 'l.bms_id')) as Array<{ record_id: string; bms_id: number }>;
  return rows.map((r) => ({ recordId: String(r.record_id), bmsId: Number(r.bms_id) }));
}

/**
 * The live links of the locations of the organizations linked to these BMS accounts, leaving out the
 * locations in `except` (BMS ids). Starts from the accounts' organization links (the unique
 * (account_id, record_type, bms_id) index), then their locations.
 */
export async function liveLocationLinksOfAccounts(
  db: Conn,
  accountId: string,
  accountBmsIds: number[],
  except: number[],
): Promise<Array<{ recordId: string; bmsId: number; bmsModifiedOn: string | null; accountBmsId: number }>> {
  const rows = (await db('sync_links as o')
    .join(`${tableOf('location')} as r`, function joinLocations() {
      this.on('r.organization_id', '=', 'o.record_id').andOn('r.account_id', '=', 'o.account_id');
    })
    .join('sync_links as l', function joinLinks() {
      this.on('l.record_id', '=', 'r.id').andOnVal('l.record_type', '=', 'location');
    })
    .where('o.account_id', accountId)
    .andWhere('o.record_type', 'organization')
    .whereIn('o.bms_id', accountBmsIds)
    .whereRaw(liveLinkSql('l'))
    .whereRaw('NOT (l.bms_id = ANY(?::int[]))', [except])
    .select('l.record_id', 'l.bms_id', 'l.bms_modified_on', 'o.bms_id as account_bms_id')) as Array<{
    record_id: string;
    bms_id: number;
    bms_modified_on: string | null;
    account_bms_id: number;
  }>;
  return rows.map((r) => ({ recordId: String(r.record_id), bmsId: Number(r.bms_id), bmsModifiedOn: r.bms_modified_on, accountBmsId: Number(r.account_bms_id) }));
}

/**
 * Links left queued for longer than `olderThanSeconds` with a requested version not yet pushed (their push
 * never started), at most 1,000.
 */
export async function staleQueuedLinks(
  db: Conn,
  accountId: string,
  olderThanSeconds: number,
): Promise<Array<{ recordType: RecordType; recordId: string; requestedVersion: number }>> {
  const rows = (await db('sync_links as l')
    .where('l.account_id', accountId)
    .andWhere('l.state', 'queued')
    .andWhereRaw('coalesce(l.requested_version, 0) > coalesce(l.pushed_version, 0)')
    .andWhereRaw(`l.updated_at < now() - make_interval(secs => ?)`, [olderThanSeconds])
    .whereIn('l.record_type', [...RECORD_TYPES])
    .limit(1000)
    .select('l.record_type', 'l.record_id', 'l.requested_version')) as Array<{
    record_type: RecordType;
    record_id: string;
    requested_version: number;
  }>;
  return rows.map((r) => ({ recordType: r.record_type, recordId: r.record_id, requestedVersion: r.requested_version }));
}
