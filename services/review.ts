/**
 * Match review: the list of BMS records a pull held instead of creating (Sync Settings `unmatched: hold`)
 * and of documentation records without a BMS record, each with ranked suggestions
 * (`domain/match-suggest.ts`), and what a person does with them: match (link and merge as a first-sync
 * pull would: the PSA wins, nothing is pushed), create (a documentation record from the BMS data, linked),
 * exclude / un-exclude (never suggested), unlink (undo a match: the BMS record is held again) and
 * reconnect an orphaned record (by natural key among held records, or to a BMS record picked by id and
 * checked in BMS). Every action writes the history of the records it touches (who, when, what); two
 * actions on the same held record are serialised by its row lock, and the later one is refused (409).
 */
import type { ReviewActionResult, ReviewBulkResult, ReviewHeldItem, ReviewList, ReviewMeta, ReviewRecordItem, ReviewSuggestion } from '../api/contract';
import type { ReviewActionBody } from '../api/schemas';
import { BmsClient } from '../bms/client';
import { BmsNotFoundError, isBmsError } from '../bms/errors';
import type { Db } from '../db';
import { addHistory, type HistoryEntry, listHistory } from '../db/history';
import { getBmsConnection, getIntegration } from '../db/integrations';
import { applyLinkEvent, deleteLink, getLink, getLinks, getLinksByBmsIds, getLinksByKeys, linkKey, type SyncLink } from '../db/links';
import { createRateBudget } from '../db/rate-budget';
import { getRecord, insertRecordsStatement, type StoredRecord, updateRecord } from '../db/records';
import {
  countOpenHeld,
  excludeRecord,
  getHeld,
  getHeldByBmsId,
  type HeldRecord,
  holdAgain,
  listHeld,
  listUnlinked,
  namesOf,
  setHeldState,
  suggestionPools,
  unexcludeRecord,
} from '../db/review';
import { resetWatermarks } from '../db/runs';
import { displayName, prepare, type Prepared, suggest, SUGGESTION_POOL_LIMIT } from '../domain/match-suggest';
import { naturalKeys } from '../domain/matching';
import { firstLink, refFields } from '../domain/pull-plan';
import { RECORD_COLLECTIONS, type RecordFields, type RecordType } from '../domain/records';
import { outboundPolicyFor } from '../lib/outbound';
import type { Principal } from './accounts';
import { RuleError } from './errors';
import type { IntegrationServiceDeps } from './integration';
import { originOf } from './records';

export type ReviewState = ReviewMeta['state'];

function orgIdOf(fields: RecordFields): string | null {
  return typeof fields.organizationId === 'string' ? fields.organizationId : null;
}

/** The review list of one record type: held BMS records and documentation records, a page of each, with suggestions. */
export async function reviewList(
  deps: Pick<IntegrationServiceDeps, 'db'>,
  accountId: string,
  query: { type: RecordType; state: ReviewState; page: number; pageSize: number },
): Promise<{ data: ReviewList; meta: ReviewMeta }> {
  const { db } = deps;
  const { type, state, page, pageSize } = query;
  const offset = (page - 1) * pageSize;
  const heldStates = state === 'open' ? (['held'] as const) : state === 'excluded' ? (['excluded'] as const) : (['resolved'] as const);
  const [held, records] = await Promise.all([
    listHeld(db, accountId, type, [...heldStates], pageSize, offset),
    state === 'resolved' ? Promise.resolve({ items: [] as StoredRecord[], total: 0 }) : listUnlinked(db, accountId, type, state === 'excluded', pageSize, offset),
  ]);
  const pools = state === 'open' ? await suggestionPools(db, accountId, type, SUGGESTION_POOL_LIMIT) : { held: [], unlinked: [] };
  const heldPool = pools.held.map((h) => prepare(type, h.id, h.fields));
  const recordPool = pools.unlinked.map((r) => prepare(type, r.id, r.fields));
  const heldById = new Map(pools.held.map((h) => [h.id, h]));
  const recordById = new Map(pools.unlinked.map((r) => [r.id, r]));

  const orgIds = [...held.items.map((h) => h.fields), ...records.items.map((r) => r.fields), ...pools.held.map((h) => h.fields), ...pools.unlinked.map((r) => r.fields)]
    .map(orgIdOf)
    .filter((id): id is string => id !== null);
  const orgs = type === 'organization' ? new Map<string, StoredRecord>() : await namesOf(db, accountId, 'organization', orgIds);
  const orgName = (fields: RecordFields) => {
    const id = orgIdOf(fields);
    return id ? (orgs.get(id)?.fields.name as string | undefined) ?? null : null;
  };

  const suggestionsFor = (subject: Prepared, pool: Prepared[]): ReviewSuggestion[] =>
    suggest(subject, pool).map((s) => {
      const h = heldById.get(s.id);
      const fields = h ? h.fields : recordById.get(s.id)!.fields;
      return { id: s.id, bmsId: h ? h.bmsId : null, name: displayName(type, fields), organizationName: orgName(fields), score: s.score, reasons: s.reasons };
    });

  const heldItems: ReviewHeldItem[] = held.items.map((h) => ({
    id: h.id,
    recordType: type,
    bmsId: h.bmsId,
    state: h.state,
    name: displayName(type, h.fields),
    organizationName: orgName(h.fields),
    fields: h.fields,
    bmsModifiedOn: h.bmsModifiedOn,
    recordId: h.recordId,
    heldAt: h.createdAt,
    updatedAt: h.updatedAt,
    suggestions: state === 'open' ? suggestionsFor(prepare(type, h.id, h.fields), recordPool) : [],
  }));
  const links = await getLinks(db, type, records.items.map((r) => r.id));
  const recordItems: ReviewRecordItem[] = records.items.map((r) => ({
    id: r.id,
    recordType: type,
    state: state === 'excluded' ? 'excluded' : 'unlinked',
    name: displayName(type, r.fields),
    organizationName: orgName(r.fields),
    syncState: links.get(r.id)?.state ?? 'not_pushed',
    updatedAt: r.updatedAt,
    suggestions: state === 'open' ? suggestionsFor(prepare(type, r.id, r.fields), heldPool) : [],
  }));
  return {
    data: { held: heldItems, records: recordItems },
    meta: { type, state, page, pageSize, heldTotal: held.total, recordsTotal: records.total, poolLimit: SUGGESTION_POOL_LIMIT },
  };
}

/** The history of a held BMS record (who held, excluded, matched or created it, and when), newest first. */
export async function heldHistory(db: Db, accountId: string, heldId: string) {
  const held = await getHeld(db, accountId, heldId);
  if (!held) throw new RuleError(404, 'not_found', `No held Kaseya BMS record with id ${heldId}`);
  return listHistory(db, held.recordType, held.id);
}

/** How many held BMS records wait for a person, per record type. */
export async function countHeldMatches(db: Db, accountId: string): Promise<Array<{ recordType: RecordType; held: number }>> {
  return (await countOpenHeld(db, accountId)).map((r) => ({ recordType: r.recordType, held: r.n }));
}

export interface HeldMatch {
  heldId: string;
  recordType: RecordType;
  bmsId: number;
  name: string;
  heldAt: string;
  /** Where a person resolves it: the review list of its type. */
  reviewPath: string;
}

/**
 * The held BMS records waiting for a person (newest first, at most `limit` per record type): for lists of
 * what needs a person, such as the account's problems.
 */
export async function listHeldMatches(db: Db, accountId: string, limit = 100): Promise<HeldMatch[]> {
  const out: HeldMatch[] = [];
  for (const { recordType } of await countOpenHeld(db, accountId)) {
    const { items } = await listHeld(db, accountId, recordType, ['held'], limit, 0);
    for (const h of items) {
      out.push({ heldId: h.id, recordType, bmsId: h.bmsId, name: displayName(recordType, h.fields), heldAt: h.createdAt, reviewPath: `/review?type=${RECORD_COLLECTIONS[recordType]}` });
    }
  }
  return out;
}

type Trx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** A held record's fields with its references resolved through the links as they are now. */
async function heldFields(trx: Trx, held: HeldRecord): Promise<{ fields: RecordFields; missing: string[] }> {
  const refs = refFields(held.recordType);
  const keys = refs.flatMap(({ field, target }) => (typeof held.refs[field] === 'number' ? [{ type: target, bmsId: held.refs[field] }] : []));
  const found = await getLinksByKeys(trx, held.accountId, keys);
  const fields: RecordFields = { ...held.fields };
  const missing: string[] = [];
  for (const { field, target, required } of refs) {
    const bmsRef = held.refs[field];
    const recordId = typeof bmsRef === 'number' ? found.get(linkKey(target, bmsRef))?.recordId : undefined;
    fields[field] = recordId ?? null;
    if (required && recordId === undefined) missing.push(field);
  }
  return { fields, missing };
}

function history(principal: Principal, type: RecordType, recordId: string, kind: HistoryEntry['kind'], summary: string, changes?: unknown): HistoryEntry {
  return { accountId: principal.accountId, recordType: type, recordId, kind, origin: originOf(principal), summary: `${summary} by ${principal.name} (match review)`, changes };
}

async function lockedHeld(trx: Trx, principal: Principal, heldId: string, wanted: 'held' | 'excluded' | 'open'): Promise<HeldRecord> {
  const held = await getHeld(trx, principal.accountId, heldId, true);
  if (!held) throw new RuleError(404, 'not_found', `heldId: no held Kaseya BMS record with id ${heldId}`, { field: 'heldId' });
  if (held.state === 'resolved') {
    throw new RuleError(409, 'already_resolved', `heldId: this Kaseya BMS record was already matched or created (record ${held.recordId})`, { field: 'heldId', recordId: held.recordId });
  }
  if (wanted !== 'open' && held.state !== wanted) {
    throw new RuleError(409, `already_${held.state}`, `heldId: this Kaseya BMS record is ${held.state === 'excluded' ? 'excluded from review; un-exclude it first' : 'not excluded'}`, { field: 'heldId' });
  }
  const linked = await getLinksByBmsIds(trx, principal.accountId, held.recordType, [held.bmsId]);
  if (linked.size > 0) {
    throw new RuleError(409, 'already_linked', `heldId: Kaseya BMS ${held.recordType} ${held.bmsId} is already linked to a record`, { field: 'heldId', recordId: linked.get(held.bmsId)!.recordId });
  }
  return held;
}

async function lockedRecord(trx: Trx, principal: Principal, type: RecordType, recordId: string): Promise<{ record: StoredRecord; link: SyncLink | undefined }> {
  const record = await getRecord(trx, principal.accountId, type, recordId, true);
  if (!record) throw new RuleError(404, 'not_found', `recordId: no ${type} with id ${recordId}`, { field: 'recordId' });
  return { record, link: await getLink(trx, type, recordId, true) };
}

/**
 * Links `record` to the BMS record `held` stands for and merges as a first-sync pull does (the PSA wins
 * every synced field; nothing is pushed). `event` is the link's state-machine event.
 */
async function linkToHeld(trx: Trx, principal: Principal, held: HeldRecord, record: StoredRecord, link: SyncLink | null, summary: string): Promise<void> {
  const type = held.recordType;
  if (link?.state === 'disabled') {
    throw new RuleError(409, 'sync_disabled', 'recordId: sync is disabled for this record; enable it first', { field: 'recordId' });
  }
  const { fields: remote } = await heldFields(trx, held);
  // References BMS points at records not linked here keep the record's own values.
  for (const { field } of refFields(type)) if (remote[field] === null && typeof held.refs[field] === 'number') delete remote[field];
  const first = firstLink(type, record, remote);
  const updated = await updateRecord(trx, principal.accountId, type, record.id, first.values, { origin: 'pull', userId: principal.userId }, record.version);
  if (!updated) throw new RuleError(409, 'version_conflict', 'recordId: the record changed meanwhile; try again', { field: 'recordId' });
  await applyLinkEvent(
    trx,
    { accountId: principal.accountId, type, recordId: record.id },
    'pulled',
    { bmsId: held.bmsId, base: first.base, bmsModifiedOn: held.bmsModifiedOn, remoteRefs: held.refs, lastPulledAt: new Date(), stateReason: null, lastError: null },
    link,
  );
  await setHeldState(trx, held.id, 'resolved', record.id, principal.userId);
  await unexcludeRecord(trx, type, record.id);
  await addHistory(trx, [history(principal, type, record.id, 'linked', summary, first.changes), history(principal, type, held.id, 'linked', summary, first.changes)]);
}

/** A BMS record that the next pull must read again in full (it may have been skipped while it waited). */
async function readAgainNextPull(db: Db, accountId: string, type: RecordType): Promise<void> {
  // Contacts, locations and assets of an account skipped while it waited arrive only on a full read.
  if (type === 'organization') await resetWatermarks(db, accountId);
}

export type ReviewDeps = IntegrationServiceDeps;

/** PostgreSQL's codes for a transaction that lost a race (deadlock, serialization failure). */
const LOST_RACE = new Set(['40P01', '40001']);

/** One review action; refusals are RuleErrors (4xx naming the field), a lost race with another writer a 409. */
export async function reviewAction(deps: ReviewDeps, principal: Principal, body: ReviewActionBody): Promise<ReviewActionResult> {
  try {
    return await runAction(deps, principal, body);
  } catch (err) {
    if (LOST_RACE.has(String((err as { code?: unknown }).code))) {
      throw new RuleError(409, 'conflict', 'The records changed meanwhile (a pull or another action); try again');
    }
    throw err;
  }
}

async function runAction(deps: ReviewDeps, principal: Principal, body: ReviewActionBody): Promise<ReviewActionResult> {
  const { db } = deps;
  switch (body.action) {
    case 'match': {
      const result = await db.transaction(async (trx) => {
        const held = await lockedHeld(trx, principal, body.heldId, 'held');
        const { record, link } = await lockedRecord(trx, principal, held.recordType, body.recordId);
        if (link?.bmsId != null) {
          throw new RuleError(409, 'record_already_linked', `recordId: this ${held.recordType} is already linked to Kaseya BMS ${held.recordType} ${link.bmsId}; unlink it first`, { field: 'recordId' });
        }
        const summary = `Matched to Kaseya BMS ${held.recordType} ${held.bmsId}`;
        await linkToHeld(trx, principal, held, record, link ?? null, summary);
        return { action: 'match' as const, recordType: held.recordType, heldId: held.id, recordId: record.id, bmsId: held.bmsId, summary };
      });
      await readAgainNextPull(db, principal.accountId, result.recordType);
      return result;
    }
    case 'create': {
      const result = await db.transaction(async (trx) => {
        const held = await lockedHeld(trx, principal, body.heldId, 'held');
        const type = held.recordType;
        const { fields, missing } = await heldFields(trx, held);
        if (missing.length > 0) {
          throw new RuleError(
            422,
            'unresolved_reference',
            `heldId: what this Kaseya BMS ${type} belongs to (${missing.join(', ')}) is not linked to a record yet; match or create it first`,
            { field: 'heldId', fields: missing },
          );
        }
        // The new record takes the held record's id, so the history written while it was held stays its own.
        await insertRecordsStatement(trx, principal.accountId, type, [fields], [held.id], { origin: 'pull', userId: principal.userId });
        await applyLinkEvent(
          trx,
          { accountId: principal.accountId, type, recordId: held.id },
          'pulled',
          { bmsId: held.bmsId, base: fields, bmsModifiedOn: held.bmsModifiedOn, remoteRefs: held.refs, lastPulledAt: new Date() },
          null,
        );
        await setHeldState(trx, held.id, 'resolved', held.id, principal.userId);
        const summary = `Created from Kaseya BMS ${type} ${held.bmsId}`;
        await addHistory(trx, history(principal, type, held.id, 'created', summary));
        return { action: 'create' as const, recordType: type, heldId: held.id, recordId: held.id, bmsId: held.bmsId, summary };
      });
      await readAgainNextPull(db, principal.accountId, result.recordType);
      return result;
    }
    case 'exclude':
    case 'unexclude': {
      const exclude = body.action === 'exclude';
      if (body.heldId !== undefined) {
        const heldId = body.heldId;
        return db.transaction(async (trx) => {
          const held = await lockedHeld(trx, principal, heldId, exclude ? 'held' : 'excluded');
          await setHeldState(trx, held.id, exclude ? 'excluded' : 'held', null, principal.userId);
          const summary = exclude ? `Kaseya BMS ${held.recordType} ${held.bmsId} excluded from match review` : `Kaseya BMS ${held.recordType} ${held.bmsId} back in match review`;
          await addHistory(trx, history(principal, held.recordType, held.id, exclude ? 'review_excluded' : 'review_included', summary));
          return { action: body.action, recordType: held.recordType, heldId: held.id, recordId: null, bmsId: held.bmsId, summary };
        });
      }
      const type = body.recordType!;
      const recordId = body.recordId!;
      return db.transaction(async (trx) => {
        const { link } = await lockedRecord(trx, principal, type, recordId);
        if (exclude && link?.bmsId != null) {
          throw new RuleError(409, 'already_linked', `recordId: this ${type} is linked to Kaseya BMS ${type} ${link.bmsId}; there is nothing to review`, { field: 'recordId' });
        }
        const changed = exclude ? await excludeRecord(trx, principal.accountId, type, recordId, principal.userId) : await unexcludeRecord(trx, type, recordId);
        if (!changed) {
          throw new RuleError(409, exclude ? 'already_excluded' : 'not_excluded', `recordId: this ${type} is ${exclude ? 'already' : 'not'} excluded from match review`, { field: 'recordId' });
        }
        const summary = exclude ? 'Excluded from match review' : 'Back in match review';
        await addHistory(trx, history(principal, type, recordId, exclude ? 'review_excluded' : 'review_included', summary));
        return { action: body.action, recordType: type, heldId: null, recordId, bmsId: null, summary };
      });
    }
    case 'unlink':
      return db.transaction(async (trx) => {
        const type = body.recordType;
        const { link } = await lockedRecord(trx, principal, type, body.recordId);
        if (!link || link.bmsId === null) throw new RuleError(409, 'not_linked', `recordId: this ${type} is not linked to a Kaseya BMS record`, { field: 'recordId' });
        if (link.state === 'queued') {
          throw new RuleError(409, 'push_pending', `recordId: a push of this ${type} is queued; unlink it once the push is done`, { field: 'recordId' });
        }
        const heldId = await holdAgain(
          trx,
          principal.accountId,
          type,
          link.bmsId,
          { fields: link.base ?? {}, refs: link.remoteRefs ?? {}, bmsModifiedOn: link.bmsModifiedOn },
          principal.userId,
        );
        await deleteLink(trx, type, body.recordId);
        const summary = `Unlinked from Kaseya BMS ${type} ${link.bmsId}, which is held for review again`;
        await addHistory(trx, [history(principal, type, body.recordId, 'unlinked', summary), history(principal, type, heldId, 'unlinked', summary)]);
        return { action: 'unlink' as const, recordType: type, heldId, recordId: body.recordId, bmsId: link.bmsId, summary };
      });
    case 'reconnect':
      return reconnect(deps, principal, body.recordType, body.recordId, body.bmsId);
  }
}

/**
 * Re-links an orphaned record. Without a BMS id: to the one held BMS record with its natural key. With
 * one: to that BMS record, held or not; one not held is first checked to exist in BMS (through the
 * outbound policy and the rate budget), and the next pull reads it again and merges it (the PSA wins, as
 * on a first link).
 */
async function reconnect(deps: ReviewDeps, principal: Principal, type: RecordType, recordId: string, bmsId: number | undefined): Promise<ReviewActionResult> {
  const { db } = deps;
  const { record, link } = await (async () => {
    const record = await getRecord(db, principal.accountId, type, recordId);
    if (!record) throw new RuleError(404, 'not_found', `recordId: no ${type} with id ${recordId}`, { field: 'recordId' });
    return { record, link: await getLink(db, type, recordId) };
  })();
  if (link?.state !== 'orphaned') {
    throw new RuleError(409, 'not_orphaned', `recordId: this ${type} is not disconnected from Kaseya BMS (its sync state is ${link?.state ?? 'not_pushed'})`, { field: 'recordId' });
  }
  let held: HeldRecord | undefined;
  if (bmsId === undefined) {
    const keys = new Set(naturalKeys(type, record.fields));
    const pool = (await listHeld(db, principal.accountId, type, ['held', 'excluded'], SUGGESTION_POOL_LIMIT, 0)).items;
    const matches = keys.size === 0 ? [] : pool.filter((h) => naturalKeys(type, h.fields).some((k) => keys.has(k)));
    if (matches.length === 0) {
      throw new RuleError(404, 'no_natural_key_match', `bmsId: no held Kaseya BMS ${type} has this record's natural key; pick the BMS record by its id`, { field: 'bmsId' });
    }
    if (matches.length > 1) {
      throw new RuleError(409, 'ambiguous_natural_key', `bmsId: ${matches.length} held Kaseya BMS records have this record's natural key; pick one by its id`, {
        field: 'bmsId',
        bmsIds: matches.map((h) => h.bmsId),
      });
    }
    held = matches[0]!;
  } else {
    held = await getHeldByBmsId(db, principal.accountId, type, bmsId);
    if (held?.state === 'resolved') held = undefined;
    if (!held) await checkExistsInBms(deps, principal.accountId, type, bmsId, record);
  }
  const target = held?.bmsId ?? bmsId!;
  const summary = `Reconnected to Kaseya BMS ${type} ${target}`;
  await db.transaction(async (trx) => {
    // The held record first, then the record: the order every action locks them in.
    const lockedHeldRecord = held ? await getHeld(trx, principal.accountId, held.id, true) : undefined;
    if (held && (!lockedHeldRecord || lockedHeldRecord.state === 'resolved')) {
      throw new RuleError(409, 'already_resolved', 'bmsId: this Kaseya BMS record was matched meanwhile', { field: 'bmsId' });
    }
    const locked = await lockedRecord(trx, principal, type, recordId);
    if (locked.link?.state !== 'orphaned') throw new RuleError(409, 'not_orphaned', `recordId: this ${type} changed meanwhile and is no longer disconnected`, { field: 'recordId' });
    const taken = await getLinksByBmsIds(trx, principal.accountId, type, [target]);
    const other = taken.get(target);
    if (other && other.recordId !== recordId) {
      throw new RuleError(409, 'already_linked', `bmsId: Kaseya BMS ${type} ${target} is linked to another record`, { field: 'bmsId', recordId: other.recordId });
    }
    if (lockedHeldRecord) {
      await linkToHeld(trx, principal, lockedHeldRecord, locked.record, locked.link, summary);
    } else {
      await applyLinkEvent(
        trx,
        { accountId: principal.accountId, type, recordId },
        'pulled',
        { bmsId: target, base: null, bmsModifiedOn: null, stateReason: null, lastError: null },
        locked.link,
      );
      await addHistory(trx, history(principal, type, recordId, 'linked', summary));
    }
  });
  // The next pull reads the record again and merges it against no base: BMS wins, as on a first link.
  await resetWatermarks(db, principal.accountId);
  return { action: 'reconnect', recordType: type, heldId: held?.id ?? null, recordId, bmsId: target, summary };
}

/** Whether BMS has the record; refusals name `bmsId`. Runs through the outbound policy and the shared rate budget. */
async function checkExistsInBms(deps: ReviewDeps, accountId: string, type: RecordType, bmsId: number, record: StoredRecord): Promise<void> {
  const integration = await getIntegration(deps.db, accountId);
  const connection = await getBmsConnection(deps.db, accountId, deps.secrets);
  if (!integration || !connection) throw new RuleError(404, 'not_connected', 'Kaseya BMS is not connected for this account');
  const client = new BmsClient({
    connection,
    timeoutMs: deps.config.bms.requestTimeoutMs,
    budget: createRateBudget(deps.db, deps.config.bms),
    policy: outboundPolicyFor(deps.config.bms.allowedHosts),
    logger: deps.logger,
  });
  try {
    switch (type) {
      case 'organization':
        await client.getAccount(bmsId);
        return;
      case 'contact':
        await client.getContact(bmsId);
        return;
      case 'configuration':
        await client.getAsset(bmsId);
        return;
      case 'location': {
        // BMS reads locations per account: the one of the record's organization.
        const orgId = orgIdOf(record.fields);
        const orgLink = orgId ? await getLink(deps.db, 'organization', orgId) : undefined;
        if (orgLink?.bmsId == null) {
          throw new RuleError(422, 'organization_not_linked', "bmsId: the location's organization is not linked to a Kaseya BMS account, so its locations cannot be checked", { field: 'bmsId' });
        }
        const ids = await client.accountLocationIds(orgLink.bmsId);
        if (!ids.some((l) => l.id === bmsId)) {
          throw new RuleError(422, 'bms_record_not_found', `bmsId: Kaseya BMS account ${orgLink.bmsId} has no location with id ${bmsId}`, { field: 'bmsId' });
        }
        return;
      }
    }
  } catch (err) {
    if (err instanceof RuleError) throw err;
    if (err instanceof BmsNotFoundError) throw new RuleError(422, 'bms_record_not_found', `bmsId: Kaseya BMS has no ${type} with id ${bmsId}`, { field: 'bmsId' });
    if (isBmsError(err)) throw new RuleError(502, 'bms_unavailable', `Kaseya BMS could not be asked about ${type} ${bmsId}: ${err.name}`, { field: 'bmsId' });
    throw err;
  }
}

/** Several actions, one by one: one refusal does not stop the others; each answer says what the action alone would have. */
export async function reviewBulk(deps: ReviewDeps, principal: Principal, actions: ReviewActionBody[]): Promise<ReviewBulkResult[]> {
  const out: ReviewBulkResult[] = [];
  for (const [index, action] of actions.entries()) {
    try {
      out.push({ index, ok: true, status: 200, result: await reviewAction(deps, principal, action) });
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      const details = err.details as NonNullable<ReviewBulkResult['error']>['details'];
      out.push({ index, ok: false, status: err.status, error: details === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, details } });
    }
  }
  return out;
}

