/** Adoptions (a preview of pushing chosen records, then its confirm) and their items. */
import type { Knex } from 'knex';
import type { AdoptionAction, AdoptionStatus, FieldChange } from '../domain/adoption';
import type { RecordType } from '../domain/records';
import type { Db } from './index';
import { iso, isoOrNull } from './rows';

type Conn = Db | Knex.Transaction;
type Row = Record<string, unknown>;

export interface Adoption {
  id: string;
  accountId: string;
  status: AdoptionStatus;
  error: string | null;
  requestedByName: string;
  createdAt: string;
  computedAt: string | null;
  confirmedByName: string | null;
  confirmedAt: string | null;
}

export interface AdoptionItem {
  position: number;
  recordType: RecordType;
  recordId: string;
  version: number;
  action: AdoptionAction | null;
  bmsId: number | null;
  changes: FieldChange[];
  reason: string | null;
  queuedVersion: number | null;
  confirmError: string | null;
}

function adoptionFromRow(r: Row): Adoption {
  return {
    id: String(r.id),
    accountId: String(r.account_id),
    status: r.status as AdoptionStatus,
    error: (r.error as string | null) ?? null,
    requestedByName: String(r.requested_by_name),
    createdAt: iso(r.created_at),
    computedAt: isoOrNull(r.computed_at),
    confirmedByName: (r.confirmed_by_name as string | null) ?? null,
    confirmedAt: isoOrNull(r.confirmed_at),
  };
}

function itemFromRow(r: Row): AdoptionItem {
  return {
    position: Number(r.position),
    recordType: r.record_type as RecordType,
    recordId: String(r.record_id),
    version: Number(r.version),
    action: (r.action as AdoptionAction | null) ?? null,
    bmsId: r.bms_id === null || r.bms_id === undefined ? null : Number(r.bms_id),
    changes: (r.changes as FieldChange[] | null) ?? [],
    reason: (r.reason as string | null) ?? null,
    queuedVersion: r.queued_version === null || r.queued_version === undefined ? null : Number(r.queued_version),
    confirmError: (r.confirm_error as string | null) ?? null,
  };
}

/** A new preview of the given records at the given versions, still to be computed. */
export async function insertAdoption(
  trx: Knex.Transaction,
  input: { accountId: string; requestedBy: string | null; requestedByName: string; records: Array<{ recordType: RecordType; recordId: string; version: number }> },
): Promise<Adoption> {
  const [row] = (await trx('adoptions')
    .insert({ account_id: input.accountId, requested_by: input.requestedBy, requested_by_name: input.requestedByName })
    .returning('*')) as Row[];
  const adoption = adoptionFromRow(row!);
  await trx('adoption_items').insert(
    input.records.map((r, position) => ({ adoption_id: adoption.id, position, record_type: r.recordType, record_id: r.recordId, version: r.version })),
  );
  return adoption;
}

export async function getAdoption(db: Conn, accountId: string, id: string, forUpdate = false): Promise<Adoption | undefined> {
  const q = db('adoptions').where({ account_id: accountId, id }).first();
  if (forUpdate) void q.forUpdate();
  const row = (await q) as Row | undefined;
  return row ? adoptionFromRow(row) : undefined;
}

export async function listAdoptionItems(db: Conn, adoptionId: string): Promise<AdoptionItem[]> {
  const rows = (await db('adoption_items').where({ adoption_id: adoptionId }).orderBy('position')) as Row[];
  return rows.map(itemFromRow);
}

/** Stores what a push would do for one item. */
export async function setItemPreview(
  db: Conn,
  adoptionId: string,
  position: number,
  preview: { action: AdoptionAction; bmsId: number | null; changes: FieldChange[]; reason: string | null },
): Promise<void> {
  await db('adoption_items')
    .where({ adoption_id: adoptionId, position })
    .update({ action: preview.action, bms_id: preview.bmsId, changes: JSON.stringify(preview.changes), reason: preview.reason });
}

/** Moves a computing preview to ready or failed (a preview already moved on stays as it is). */
export async function finishAdoptionPreview(db: Conn, adoptionId: string, status: 'ready' | 'failed', error: string | null = null): Promise<void> {
  await db('adoptions').where({ id: adoptionId, status: 'computing' }).update({ status, error, computed_at: db.fn.now() });
}

/** Marks a ready preview confirmed; false when it is not (any more) ready: a confirm runs once. */
export async function markAdoptionConfirmed(trx: Knex.Transaction, adoptionId: string, byName: string): Promise<boolean> {
  const n = await trx('adoptions').where({ id: adoptionId, status: 'ready' }).update({ status: 'confirmed', confirmed_by_name: byName, confirmed_at: trx.fn.now() });
  return n > 0;
}

export async function setItemQueued(db: Conn, adoptionId: string, position: number, result: { queuedVersion: number | null; confirmError: string | null }): Promise<void> {
  await db('adoption_items')
    .where({ adoption_id: adoptionId, position })
    .update({ queued_version: result.queuedVersion, confirm_error: result.confirmError });
}
