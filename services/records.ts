/**
 * Writing documentation records under the sync rules:
 * - one-way mode: the synced fields of a synced record are read-only (R3);
 * - two-way mode: a person's save (UI) queues a push at once (R4) when the record's type and status sync
 *   (R7), otherwise it is not queued and says why; writes through API keys and imports are stored but
 *   never pushed (R6); records that existed before two-way sync wait for a save (R5);
 * - a synced record cannot be deleted until its sync is disabled;
 * - a save that names the version it was based on is refused (409) once the record has moved on, and a
 *   create under an Idempotency-Key runs once.
 * The push itself is queued after the transaction commits; if Temporal is unreachable the record stays
 * queued and the next pull re-queues it.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import type { BulkResult, HistoryEntry as HistoryEntryView, SyncSummary, SyncView } from '../api/contract';
import type { TemporalConfig } from '../config';
import type { Db } from '../db';
import { addHistory, type HistoryEntry, listAccountHistory, listHistory } from '../db/history';
import { HISTORY_FILTERS, type HistoryFilter as HistoryFilterName } from '../domain/history';
import { diff } from '../domain/merge';
import { findAnswer, type IdempotentRequest, storeAnswer } from '../db/idempotency';
import { getIntegration, type Integration } from '../db/integrations';
import { applyLinkEvent, deleteLink, getLink, getLinks, type SyncLink } from '../db/links';
import {
  clearReferencesTo,
  countBySyncState,
  deleteRecord,
  getRecord,
  idsInOrganization,
  insertRecord,
  listRecords,
  type ListOptions,
  recordExists,
  type StoredRecord,
  updateRecord,
} from '../db/records';
import { sameValue } from '../domain/merge';
import { fieldSpecs, RECORD_TYPES, type RecordFields, type RecordType, syncedFieldNames, type WriteOrigin } from '../domain/records';
import { MISSING_VALUE_ERROR, prePushProblems } from '../domain/pre-push';
import { syncExclusion } from '../domain/rules';
import { canTransition, isLive, SYNC_STATES, type SyncState, syncMessage } from '../domain/sync-state';
import type { Logger } from '../lib/logger';
import { recordWorkflowsUiUrl, signalRecordPush, workflowUiUrl } from '../lib/temporal';
import { recordPushWorkflowId } from '../workflows/definitions';
import type { Principal } from './accounts';
import { RuleError } from './errors';

export interface RecordServiceDeps {
  db: Db;
  temporal: Client;
  temporalConfig: TemporalConfig;
  logger: Logger;
  pushIdleTimeoutMs?: number;
}

export interface RecordView {
  id: string;
  type: RecordType;
  version: number;
  createdAt: string;
  updatedAt: string;
  updatedOrigin: WriteOrigin;
  fields: RecordFields;
  sync: SyncView;
}

export function syncView(
  config: TemporalConfig,
  record: StoredRecord,
  link: SyncLink | undefined,
  integration: Integration | undefined,
): SyncView {
  const state: SyncState = link?.state ?? 'not_pushed';
  const workflowId = recordPushWorkflowId(record.accountId, record.type, record.id);
  return {
    state,
    message: syncMessage({
      state,
      reason: link?.stateReason ?? null,
      twoWayEnabled: integration?.twoWayEnabled ?? false,
      integrationConnected: integration !== undefined,
      bmsId: link?.bmsId ?? null,
    }),
    bmsId: link?.bmsId ?? null,
    lastPushedAt: link?.lastPushedAt ?? null,
    lastPulledAt: link?.lastPulledAt ?? null,
    lastError: link?.lastError ?? null,
    live: isLive(link),
    workflowId,
    workflowUrl: workflowUiUrl(config, workflowId),
    historyUrl: recordWorkflowsUiUrl(config, record.type, record.id),
  };
}

function view(deps: RecordServiceDeps, record: StoredRecord, link: SyncLink | undefined, integration: Integration | undefined): RecordView {
  return {
    id: record.id,
    type: record.type,
    version: record.version,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    updatedOrigin: record.updatedOrigin,
    fields: record.fields,
    sync: syncView(deps.temporalConfig, record, link, integration),
  };
}

export function originOf(principal: Principal): WriteOrigin {
  return principal.kind === 'session' ? 'ui' : 'api';
}


async function checkReferences(
  trx: Knex.Transaction,
  accountId: string,
  type: RecordType,
  fields: Partial<RecordFields>,
  selfId?: string,
): Promise<void> {
  for (const [name, spec] of Object.entries(fieldSpecs(type))) {
    const value = fields[name];
    if (spec.kind !== 'ref' || typeof value !== 'string' || !spec.ref) continue;
    if (!(await recordExists(trx, accountId, spec.ref, value))) {
      throw new RuleError(422, 'invalid_reference', `${name} does not refer to a ${spec.ref} of this account`, { field: name });
    }
  }
  if (type === 'organization' && selfId !== undefined && fields.parentId === selfId) {
    throw new RuleError(422, 'invalid_reference', 'An organization cannot be its own parent', { field: 'parentId' });
  }
}

type QueueDecision = { queue: true; version: number } | { queue: false };

/**
 * Moves the record's link after a save and says whether to queue a push. Runs inside the save's
 * transaction, so the record and its sync state never disagree. `link` is the record's link as read
 * `FOR UPDATE` in this transaction when two-way sync is on (`undefined`: it has none); the history
 * entries it adds go to `history`, which the caller writes in one statement. Returns the link as it is
 * afterwards too.
 */
async function afterSave(
  trx: Knex.Transaction,
  integration: Integration | undefined,
  record: StoredRecord,
  before: StoredRecord | undefined,
  origin: WriteOrigin,
  link: SyncLink | undefined,
  history: HistoryEntry[],
): Promise<{ decision: QueueDecision; link: SyncLink | undefined }> {
  const unchanged = { decision: { queue: false } as QueueDecision, link };
  if (!integration?.twoWayEnabled) return unchanged;
  const key = { accountId: record.accountId, type: record.type, recordId: record.id };
  if (link?.state === 'disabled') return unchanged;

  if (origin !== 'ui') {
    // R6: API and import writes wait for a person's save; a synced record now differs from BMS.
    const syncedChanged = syncedFieldNames(record.type).some((f) => !sameValue(record.fields[f], before?.fields[f]));
    if (link && syncedChanged && canTransition(link.state, 'changed_without_push') && link.state !== 'orphaned') {
      return { decision: { queue: false }, link: await applyLinkEvent(trx, key, 'changed_without_push', {}, link) };
    }
    return unchanged;
  }

  // R7: a type or status that does not sync is not queued, and the record says why.
  const exclusion =
    integration.lookups.fetchedAt !== null
      ? syncExclusion(record.type, record.fields, integration.settings, integration.lookups)
      : null;
  if (exclusion) {
    const next = await applyLinkEvent(trx, key, 'push_excluded', { stateReason: exclusion, pushedVersion: record.version }, link ?? null);
    history.push({ ...historyKey(record), kind: 'excluded', origin, summary: `Not queued: ${exclusion}` });
    return { decision: { queue: false }, link: next };
  }
  if (link?.state === 'orphaned') return unchanged;
  // A value BMS requires and the record lacks: not queued (BMS would refuse it); the record says what is missing.
  const lookups = integration.lookups.fetchedAt !== null ? integration.lookups : null;
  const missing = prePushProblems({ type: record.type, fields: record.fields, settings: integration.settings, lookups, inBms: Boolean(link?.bmsId) })[0];
  if (missing) {
    const next = await applyLinkEvent(
      trx,
      key,
      'push_failed',
      {
        stateReason: missing.message,
        lastError: { type: MISSING_VALUE_ERROR, message: missing.message, at: new Date().toISOString() },
        pushedVersion: record.version,
        waitingFor: null,
      },
      link ?? null,
    );
    history.push({ ...historyKey(record), kind: 'error', origin, summary: `Not queued: ${missing.message}` });
    return { decision: { queue: false }, link: next };
  }
  // What the push waited for is found again by the push itself, if it still waits.
  const next = await applyLinkEvent(trx, key, 'push_requested', { requestedVersion: record.version, stateReason: null, waitingFor: null }, link ?? null);
  history.push({ ...historyKey(record), kind: 'queued', origin, summary: 'Queued for push to Kaseya BMS' });
  return { decision: { queue: true, version: record.version }, link: next };
}

function historyKey(record: StoredRecord) {
  return { accountId: record.accountId, recordType: record.type, recordId: record.id };
}

async function queuePush(deps: RecordServiceDeps, record: StoredRecord, decision: QueueDecision): Promise<void> {
  if (!decision.queue) return;
  try {
    await signalRecordPush(
      deps.temporal,
      deps.temporalConfig.taskQueues.push,
      { accountId: record.accountId, recordType: record.type, recordId: record.id, version: decision.version },
      { idleTimeoutMs: deps.pushIdleTimeoutMs },
    );
  } catch (err) {
    // The record stays queued in the database; the next pull queues it again.
    deps.logger.warn({ err, recordType: record.type, recordId: record.id }, 'could not reach Temporal to queue a push');
  }
}

export async function createRecordAs(
  deps: RecordServiceDeps,
  principal: Principal,
  type: RecordType,
  fields: Partial<RecordFields>,
  origin: WriteOrigin = originOf(principal),
): Promise<RecordView> {
  const integration = await getIntegration(deps.db, principal.accountId);
  const { record, decision, created } = await deps.db.transaction((trx) => createIn(deps, trx, principal, type, fields, origin, integration));
  await queuePush(deps, record, decision);
  return created;
}

async function createIn(
  deps: RecordServiceDeps,
  trx: Knex.Transaction,
  principal: Principal,
  type: RecordType,
  fields: Partial<RecordFields>,
  origin: WriteOrigin,
  integration: Integration | undefined,
): Promise<{ record: StoredRecord; decision: QueueDecision; created: RecordView }> {
  await checkReferences(trx, principal.accountId, type, fields);
  const record = await insertRecord(trx, principal.accountId, type, fields, { origin, userId: principal.userId });
  const history: HistoryEntry[] = [{ ...historyKey(record), kind: 'created', origin, summary: `Created by ${principal.name}` }];
  // A new record has no link yet.
  const after = await afterSave(trx, integration, record, undefined, origin, undefined, history);
  await addHistory(trx, history);
  return { record, decision: after.decision, created: view(deps, record, after.link, integration) };
}

/** Thrown inside a create's transaction to roll it back: another request with the key committed first. */
class KeyTakenMeanwhile extends Error {}

/**
 * A create under an idempotency key: the first request with the key creates the record and stores its
 * answer in the same transaction; a repeat gets that answer (`replayed`) and creates nothing; the key
 * with a different request is refused. Concurrent requests with one key create one record.
 */
export async function createRecordOnce(
  deps: RecordServiceDeps,
  principal: Principal,
  type: RecordType,
  fields: Partial<RecordFields>,
  key: string,
): Promise<{ view: RecordView; replayed: boolean }> {
  const request: IdempotentRequest = {
    accountId: principal.accountId,
    key,
    // The parsed body lists its fields in the schema's order, so equal requests fingerprint equally.
    fingerprint: createHash('sha256').update(JSON.stringify({ type, fields })).digest('hex'),
  };
  const replay = async () => {
    const stored = await findAnswer(deps.db, request.accountId, key);
    if (stored && stored.fingerprint !== request.fingerprint) {
      throw new RuleError(
        422,
        'idempotency_key_reused',
        'Idempotency-Key: this key was already used for a different request; use a new key for a new record',
        { field: 'Idempotency-Key' },
      );
    }
    return stored && { view: stored.answer as RecordView, replayed: true };
  };
  const earlier = await replay();
  if (earlier) return earlier;
  const integration = await getIntegration(deps.db, principal.accountId);
  try {
    const { record, decision, created } = await deps.db.transaction(async (trx) => {
      const done = await createIn(deps, trx, principal, type, fields, originOf(principal), integration);
      if (!(await storeAnswer(trx, request, 201, done.created))) throw new KeyTakenMeanwhile();
      return done;
    });
    await queuePush(deps, record, decision);
    return { view: created, replayed: false };
  } catch (err) {
    if (!(err instanceof KeyTakenMeanwhile)) throw err;
    const winner = await replay();
    if (winner) return winner;
    throw new RuleError(409, 'idempotency_key_busy', 'Idempotency-Key: a request with this key has just expired or failed; send it again', {
      field: 'Idempotency-Key',
    });
  }
}

export async function updateRecordAs(
  deps: RecordServiceDeps,
  principal: Principal,
  type: RecordType,
  id: string,
  patch: Partial<RecordFields>,
  origin: WriteOrigin = originOf(principal),
  expectedVersion?: number,
): Promise<RecordView> {
  const integration = await getIntegration(deps.db, principal.accountId);
  const { record, decision, link } = await deps.db.transaction(async (trx) => {
    // The record, locked until the save commits; then its link (locked too when the save may move it).
    const current = await getRecord(trx, principal.accountId, type, id, true);
    if (!current) throw new RuleError(404, 'not_found', `No ${type} with id ${id}`);
    if (expectedVersion !== undefined && current.version !== expectedVersion) throw versionConflict(current, expectedVersion);
    const link = await getLink(trx, type, id, Boolean(integration?.twoWayEnabled));

    // R3: in one-way mode BMS data has priority; its fields cannot be edited on a synced record.
    if (integration && !integration.twoWayEnabled && isLive(link)) {
      const locked = syncedFieldNames(type).filter((f) => f in patch && !sameValue(patch[f], current.fields[f]));
      if (locked.length > 0) {
        throw new RuleError(
          422,
          'read_only_field',
          `${locked.join(', ')} ${locked.length === 1 ? 'is' : 'are'} synced from Kaseya BMS and read-only while two-way sync is off`,
          { fields: locked },
        );
      }
    }
    await checkReferences(trx, principal.accountId, type, patch, id);
    const record = await updateRecord(trx, principal.accountId, type, id, patch, { origin, userId: principal.userId }, expectedVersion);
    if (!record) throw versionConflict(current, expectedVersion!);
    const changes = diff(current.fields, record.fields);
    const history: HistoryEntry[] = [];
    if (Object.keys(changes).length > 0) {
      history.push({ ...historyKey(record), kind: 'updated', origin, summary: `Updated by ${principal.name}`, changes });
    }
    const after = await afterSave(trx, integration, record, current, origin, link, history);
    await addHistory(trx, history);
    return { record, decision: after.decision, link: after.link };
  });
  await queuePush(deps, record, decision);
  return view(deps, record, link, integration);
}

/** A save based on a version the record has left: someone else's change would be overwritten. */
function versionConflict(current: StoredRecord, expectedVersion: number): RuleError {
  return new RuleError(
    409,
    'version_conflict',
    `This ${current.type} was changed since version ${expectedVersion} was read (it is now at version ${current.version}); read it again and reapply the change`,
    { field: 'version', currentVersion: current.version, expectedVersion },
  );
}

/** The record's push action in the UI: counts as a save (R5, R6). */
export async function pushRecordAs(deps: RecordServiceDeps, principal: Principal, type: RecordType, id: string): Promise<RecordView> {
  return updateRecordAs(deps, principal, type, id, {}, 'ui');
}

export async function deleteRecordAs(deps: RecordServiceDeps, principal: Principal, type: RecordType, id: string): Promise<void> {
  await deps.db.transaction(async (trx) => {
    const record = await getRecord(trx, principal.accountId, type, id);
    if (!record) throw new RuleError(404, 'not_found', `No ${type} with id ${id}`);
    const blocking = await syncedDependents(trx, principal.accountId, type, id);
    if (blocking.length > 0) {
      const first = blocking[0]!;
      throw new RuleError(
        409,
        'record_synced',
        first.recordType === type && first.recordId === id
          ? 'This record is synced with Kaseya BMS; disable its sync before deleting it'
          : `This ${type} has synced ${first.recordType}s; disable their sync before deleting it`,
        { synced: blocking.slice(0, 20) },
      );
    }
    const children = await dependents(trx, principal.accountId, type, id);
    for (const child of children) await deleteLink(trx, child.recordType, child.recordId);
    await deleteLink(trx, type, id);
    await clearReferencesTo(trx, principal.accountId, type, id, { origin: originOf(principal), userId: principal.userId });
    await deleteRecord(trx, principal.accountId, type, id);
  });
}

/** The record and, for an organization, everything that belongs to it (deleted with it). */
async function dependents(trx: Knex.Transaction, accountId: string, type: RecordType, id: string) {
  const out: Array<{ recordType: RecordType; recordId: string }> = [{ recordType: type, recordId: id }];
  if (type !== 'organization') return out;
  for (const child of RECORD_TYPES.filter((t): t is Exclude<RecordType, 'organization'> => t !== 'organization')) {
    for (const recordId of await idsInOrganization(trx, accountId, child, id)) out.push({ recordType: child, recordId });
  }
  return out;
}

async function syncedDependents(trx: Knex.Transaction, accountId: string, type: RecordType, id: string) {
  const all = await dependents(trx, accountId, type, id);
  const blocking: Array<{ recordType: RecordType; recordId: string }> = [];
  for (const t of RECORD_TYPES) {
    const ids = all.filter((d) => d.recordType === t).map((d) => d.recordId);
    const links = await getLinks(trx, t, ids);
    for (const [recordId, link] of links) if (isLive(link)) blocking.push({ recordType: t, recordId });
  }
  return blocking;
}

export async function getRecordView(deps: RecordServiceDeps, accountId: string, type: RecordType, id: string): Promise<RecordView> {
  const record = await getRecord(deps.db, accountId, type, id);
  if (!record) throw new RuleError(404, 'not_found', `No ${type} with id ${id}`);
  const [link, integration] = await Promise.all([getLink(deps.db, type, id), getIntegration(deps.db, accountId)]);
  return view(deps, record, link, integration);
}

export async function listRecordViews(
  deps: RecordServiceDeps,
  accountId: string,
  type: RecordType,
  options: ListOptions,
): Promise<{ items: RecordView[]; total: number }> {
  const [{ items, total }, integration] = await Promise.all([
    listRecords(deps.db, accountId, type, options),
    getIntegration(deps.db, accountId),
  ]);
  const links = await getLinks(deps.db, type, items.map((r) => r.id));
  return { items: items.map((r) => view(deps, r, links.get(r.id), integration)), total };
}

export async function recordHistory(
  deps: RecordServiceDeps,
  accountId: string,
  type: RecordType,
  id: string,
  options: { kind?: HistoryFilterName; limit?: number } = {},
): Promise<HistoryEntryView[]> {
  const record = await getRecord(deps.db, accountId, type, id);
  if (!record) throw new RuleError(404, 'not_found', `No ${type} with id ${id}`);
  return listHistory(deps.db, type, id, options.limit ?? 100, options.kind ? HISTORY_FILTERS[options.kind] : undefined);
}

/** The account's history log across its records, newest first: filtered by kind, record type and time. */
export async function accountHistory(
  deps: RecordServiceDeps,
  accountId: string,
  filter: { kind?: HistoryFilterName; recordType?: RecordType; from?: Date; to?: Date },
  limit: number,
  offset = 0,
): Promise<{ items: HistoryEntryView[]; total: number }> {
  const { kind, ...rest } = filter;
  return listAccountHistory(deps.db, accountId, { ...rest, kinds: kind ? HISTORY_FILTERS[kind] : undefined }, limit, offset);
}

export const IMPORT_MAX_ROWS = 5_000;

/**
 * A bulk import: every row is stored, or none is (the first invalid row is named). Imported records are
 * never pushed automatically (R6): they wait for a person's save.
 */
export async function importRecords(
  deps: RecordServiceDeps,
  principal: Principal,
  type: RecordType,
  rows: Array<Partial<RecordFields>>,
): Promise<{ created: number; ids: string[] }> {
  if (rows.length > IMPORT_MAX_ROWS) {
    throw new RuleError(413, 'too_many_rows', `An import takes at most ${IMPORT_MAX_ROWS} rows; this one has ${rows.length}`);
  }
  const ids = await deps.db.transaction(async (trx) => {
    const out: string[] = [];
    for (const [index, fields] of rows.entries()) {
      try {
        await checkReferences(trx, principal.accountId, type, fields);
      } catch (err) {
        if (err instanceof RuleError) {
          throw new RuleError(err.status, err.code, `Row ${index + 1}: ${err.message}`, { row: index + 1, ...(err.details as object) });
        }
        throw err;
      }
      const record = await insertRecord(trx, principal.accountId, type, fields, { origin: 'import', userId: principal.userId });
      out.push(record.id);
    }
    await addHistory(
      trx,
      out.map((recordId) => ({
        accountId: principal.accountId,
        recordType: type,
        recordId,
        kind: 'created' as const,
        origin: 'import',
        summary: `Imported by ${principal.name}`,
      })),
    );
    return out;
  });
  return { created: ids.length, ids };
}

/** Per-record "Disable sync" / "Enable sync": a disabled record is neither pulled over nor pushed. */
export async function setRecordSyncEnabled(
  deps: RecordServiceDeps,
  principal: Principal,
  type: RecordType,
  id: string,
  enabled: boolean,
): Promise<RecordView> {
  await deps.db.transaction(async (trx) => {
    const record = await getRecord(trx, principal.accountId, type, id);
    if (!record) throw new RuleError(404, 'not_found', `No ${type} with id ${id}`);
    const link = await getLink(trx, type, id, true);
    const disabled = link?.state === 'disabled';
    if (enabled === !disabled) return;
    const key = { accountId: principal.accountId, type, recordId: id };
    if (!enabled) {
      await applyLinkEvent(trx, key, 'sync_disabled', { stateReason: null });
    } else {
      // Back in step if nothing moved while sync was off; otherwise the next pull re-merges it and the
      // next save pushes it.
      const inStep =
        link?.bmsId != null && syncedFieldNames(type).every((f) => sameValue(record.fields[f], link.base?.[f]));
      await applyLinkEvent(trx, key, inStep ? 'sync_resumed' : 'sync_enabled', {
        stateReason: null,
        bmsModifiedOn: inStep ? undefined : null,
      });
    }
    await addHistory(trx, {
      ...historyKey(record),
      kind: enabled ? 'sync_enabled' : 'sync_disabled',
      origin: originOf(principal),
      summary: `Sync ${enabled ? 'enabled' : 'disabled'} by ${principal.name}`,
    });
  });
  return getRecordView(deps, principal.accountId, type, id);
}

export const BULK_ACTIONS = ['disable-sync', 'enable-sync', 'delete'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** Manage Data bulk actions, record by record: one refusal does not stop the others. */
export async function bulkAction(
  deps: RecordServiceDeps,
  principal: Principal,
  action: BulkAction,
  records: Array<{ recordType: RecordType; id: string }>,
): Promise<BulkResult[]> {
  const results: BulkResult[] = [];
  for (const { recordType, id } of records) {
    try {
      if (action === 'delete') await deleteRecordAs(deps, principal, recordType, id);
      else await setRecordSyncEnabled(deps, principal, recordType, id, action === 'enable-sync');
      results.push({ recordType, id, ok: true });
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      results.push({ recordType, id, ok: false, error: { code: err.code, message: err.message } });
    }
  }
  return results;
}

/** How many records of each type are in each sync state (records without a link count as not_pushed). */
export async function syncSummary(deps: RecordServiceDeps, accountId: string): Promise<SyncSummary> {
  const out = {} as Record<RecordType, Record<SyncState, number>>;
  for (const type of RECORD_TYPES) {
    const rows = await countBySyncState(deps.db, accountId, type);
    out[type] = Object.fromEntries(SYNC_STATES.map((s) => [s, rows.find((r) => r.state === s)?.n ?? 0])) as Record<SyncState, number>;
  }
  return out;
}
