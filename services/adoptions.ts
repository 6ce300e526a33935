/**
 * Adopting existing records (R5 and R6 stand: nothing existing is pushed on its own). A person chooses
 * records and asks for a preview: the worker works out, by the push's own steps and without writing to
 * Kaseya BMS, what a push of each would do (activities/adopt.ts). Confirming that preview, by its id and
 * while it is fresh and its records are as it saw them, queues each chosen record exactly as the record's
 * push action does (a person's save: link queued, signal-with-start); progress is read from the links.
 * Both the preview and the adoption are written to each record's history.
 */
import type { Knex } from 'knex';
import type { AdoptionItemView, AdoptionView } from '../api/contract';
import { type Adoption, type AdoptionItem, getAdoption, insertAdoption, listAdoptionItems, markAdoptionConfirmed, setItemQueued, finishAdoptionPreview } from '../db/adoptions';
import { addHistory, type HistoryEntry } from '../db/history';
import { getIntegration } from '../db/integrations';
import { getLinks, type SyncLink } from '../db/links';
import { getRecordsByIds, type StoredRecord } from '../db/records';
import { ADOPTION_PREVIEW_TTL_MINUTES, adoptionProgress, QUEUED_ACTIONS } from '../domain/adoption';
import { RECORD_TYPES, type RecordType } from '../domain/records';
import { startAdoptionPreview } from '../lib/temporal';
import type { Principal } from './accounts';
import { RuleError } from './errors';
import { type RecordServiceDeps, updateRecordAs } from './records';

export interface RecordRef {
  recordType: RecordType;
  id: string;
}

/** How people know a record: its name, or a contact's first and last name. */
export function recordLabel(record: StoredRecord | undefined): string {
  if (!record) return '';
  const f = record.fields;
  if (record.type === 'contact') return [f.firstName, f.lastName].filter((x): x is string => typeof x === 'string' && x !== '').join(' ');
  return typeof f.name === 'string' ? f.name : '';
}

async function recordsByRef(db: RecordServiceDeps['db'] | Knex.Transaction, accountId: string, refs: Array<{ recordType: RecordType; recordId: string }>) {
  const out = new Map<string, StoredRecord>();
  for (const type of RECORD_TYPES) {
    const ids = refs.filter((r) => r.recordType === type).map((r) => r.recordId);
    for (const record of await getRecordsByIds(db, accountId, type, ids)) out.set(`${type}:${record.id}`, record);
  }
  return out;
}

async function linksByRef(db: RecordServiceDeps['db'], refs: Array<{ recordType: RecordType; recordId: string }>) {
  const out = new Map<string, SyncLink>();
  for (const type of RECORD_TYPES) {
    const ids = refs.filter((r) => r.recordType === type).map((r) => r.recordId);
    if (ids.length === 0) continue;
    for (const [id, link] of await getLinks(db, type, ids)) out.set(`${type}:${id}`, link);
  }
  return out;
}

/** Starts a preview of pushing the records: answers at once with the preview, still computing. */
export async function previewAdoption(deps: RecordServiceDeps, principal: Principal, refs: RecordRef[]): Promise<AdoptionView> {
  const integration = await getIntegration(deps.db, principal.accountId);
  if (!integration) throw new RuleError(404, 'not_connected', 'Kaseya BMS is not connected for this account');
  const seen = new Set<string>();
  const unique: Array<{ recordType: RecordType; recordId: string }> = [];
  refs.forEach((r) => {
    const key = `${r.recordType}:${r.id}`;
    if (!seen.has(key)) unique.push({ recordType: r.recordType, recordId: r.id });
    seen.add(key);
  });
  const adoption = await deps.db.transaction(async (trx) => {
    const records = await recordsByRef(trx, principal.accountId, unique);
    const missing = refs.findIndex((r) => !records.has(`${r.recordType}:${r.id}`));
    if (missing >= 0) {
      throw new RuleError(404, 'not_found', `records.${missing}.id: no ${refs[missing]!.recordType} with id ${refs[missing]!.id}`, { field: `records.${missing}.id` });
    }
    return insertAdoption(trx, {
      accountId: principal.accountId,
      requestedBy: principal.userId,
      requestedByName: principal.name,
      records: unique.map((r) => ({ ...r, version: records.get(`${r.recordType}:${r.recordId}`)!.version })),
    });
  });
  try {
    await startAdoptionPreview(deps.temporal, deps.temporalConfig.taskQueues.pull, principal.accountId, adoption.id);
  } catch (err) {
    deps.logger.warn({ err, adoptionId: adoption.id }, 'could not reach Temporal to start an adoption preview');
    await finishAdoptionPreview(deps.db, adoption.id, 'failed', 'the preview could not be started; try again');
    throw new RuleError(503, 'temporal_unavailable', 'The preview could not be started; try again in a moment');
  }
  return getAdoptionView(deps, principal.accountId, adoption.id);
}

function expiresAt(adoption: Adoption): string {
  return new Date(Date.parse(adoption.computedAt ?? adoption.createdAt) + ADOPTION_PREVIEW_TTL_MINUTES * 60_000).toISOString();
}

export async function getAdoptionView(deps: RecordServiceDeps, accountId: string, id: string): Promise<AdoptionView> {
  const adoption = await getAdoption(deps.db, accountId, id);
  if (!adoption) throw new RuleError(404, 'not_found', `No adoption preview with id ${id}`);
  const items = await listAdoptionItems(deps.db, adoption.id);
  const [records, links] = await Promise.all([recordsByRef(deps.db, accountId, items), linksByRef(deps.db, items)]);
  const confirmed = adoption.status === 'confirmed';
  const counts: Record<string, number> = {};
  const views: AdoptionItemView[] = items.map((item) => {
    const key = `${item.recordType}:${item.recordId}`;
    const link = links.get(key);
    const progress = confirmed ? adoptionProgress(item.queuedVersion, link) : null;
    if (item.action) counts[item.action] = (counts[item.action] ?? 0) + 1;
    if (progress) counts[progress] = (counts[progress] ?? 0) + 1;
    return {
      recordType: item.recordType,
      recordId: item.recordId,
      label: recordLabel(records.get(key)),
      version: item.version,
      action: item.action,
      bmsId: progress === 'pushed' ? (link?.bmsId ?? item.bmsId) : item.bmsId,
      changes: item.changes,
      reason: item.reason,
      progress,
      error: item.confirmError ?? (progress === 'failed' ? (link?.stateReason ?? link?.lastError?.message ?? null) : null),
    };
  });
  return {
    id: adoption.id,
    status: adoption.status,
    error: adoption.error,
    requestedBy: adoption.requestedByName,
    createdAt: adoption.createdAt,
    computedAt: adoption.computedAt,
    expiresAt: expiresAt(adoption),
    confirmedBy: adoption.confirmedByName,
    confirmedAt: adoption.confirmedAt,
    counts,
    items: views,
  };
}

/** Queue order: what others refer to first, so fewer pushes wait on another. */
const TYPE_ORDER: Record<RecordType, number> = { organization: 0, location: 1, contact: 2, configuration: 3 };

/**
 * Confirms a preview: the chosen records (all that it would create, link or update, or those named) are
 * queued for push, each once. Refused (409, nothing queued) when the preview is not ready, was already
 * confirmed, is older than the preview lifetime, or when any chosen record changed since it was previewed.
 */
export async function confirmAdoption(deps: RecordServiceDeps, principal: Principal, id: string, chosen?: RecordRef[]): Promise<AdoptionView> {
  const adoption = await getAdoption(deps.db, principal.accountId, id);
  if (!adoption) throw new RuleError(404, 'not_found', `No adoption preview with id ${id}`);
  if (adoption.status === 'computing') throw new RuleError(409, 'preview_not_ready', 'The preview is still being computed; confirm it once it is ready');
  if (adoption.status === 'failed') throw new RuleError(409, 'preview_failed', `The preview failed (${adoption.error ?? 'unknown error'}); make a new one`);
  if (adoption.status === 'confirmed') throw new RuleError(409, 'already_confirmed', `This preview was already confirmed by ${adoption.confirmedByName ?? 'someone'}`);
  if (Date.now() > Date.parse(expiresAt(adoption))) {
    throw new RuleError(409, 'preview_expired', `The preview is older than ${ADOPTION_PREVIEW_TTL_MINUTES} minutes; make a new one so it shows Kaseya BMS as it is now`);
  }
  const integration = await getIntegration(deps.db, principal.accountId);
  if (!integration?.twoWayEnabled) {
    throw new RuleError(409, 'two_way_off', 'twoWayEnabled: two-way sync is off, so nothing is pushed; turn it on in Sync Settings first', { field: 'twoWayEnabled' });
  }
  const items = await listAdoptionItems(deps.db, adoption.id);
  let selected: AdoptionItem[];
  if (chosen) {
    selected = [];
    chosen.forEach((ref, i) => {
      const item = items.find((it) => it.recordType === ref.recordType && it.recordId === ref.id);
      if (!item) throw new RuleError(422, 'not_in_preview', `records.${i}.id: this record is not in the preview`, { field: `records.${i}.id` });
      if (!item.action || !QUEUED_ACTIONS.includes(item.action)) {
        throw new RuleError(422, 'not_adoptable', `records.${i}.id: the preview says this record would not be pushed (${item.action}${item.reason ? `: ${item.reason}` : ''})`, {
          field: `records.${i}.id`,
        });
      }
      if (!selected.includes(item)) selected.push(item);
    });
  } else {
    selected = items.filter((it) => it.action && QUEUED_ACTIONS.includes(it.action));
  }
  if (selected.length === 0) throw new RuleError(422, 'nothing_to_push', 'records: the preview has no record a push would create, link or update', { field: 'records' });

  const current = await recordsByRef(deps.db, principal.accountId, selected);
  const changed = selected.filter((it) => current.get(`${it.recordType}:${it.recordId}`)?.version !== it.version);
  if (changed.length > 0) {
    const names = changed.map((it) => `${it.recordType} ${recordLabel(current.get(`${it.recordType}:${it.recordId}`)) || it.recordId}`);
    throw new RuleError(409, 'records_changed', `Changed or deleted since the preview: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ` and ${names.length - 10} more` : ''}; make a new preview`, {
      records: changed.map((it) => ({ recordType: it.recordType, id: it.recordId, previewedVersion: it.version, currentVersion: current.get(`${it.recordType}:${it.recordId}`)?.version ?? null })),
    });
  }
  const mine = await deps.db.transaction((trx) => markAdoptionConfirmed(trx, adoption.id, principal.name));
  if (!mine) throw new RuleError(409, 'already_confirmed', 'This preview was already confirmed');

  const history: HistoryEntry[] = [];
  const ordered = [...selected].sort((a, b) => TYPE_ORDER[a.recordType] - TYPE_ORDER[b.recordType] || a.position - b.position);
  for (const item of ordered) {
    let queuedVersion: number | null = null;
    let confirmError: string | null = null;
    try {
      // The record's push action, based on the previewed version: a save made meanwhile is not overridden.
      const view = await updateRecordAs(deps, principal, item.recordType, item.recordId, {}, 'ui', item.version);
      if (view.sync.state === 'queued') queuedVersion = view.version;
      else confirmError = view.sync.message;
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      confirmError = err.message;
    }
    await setItemQueued(deps.db, adoption.id, item.position, { queuedVersion, confirmError });
    history.push({
      accountId: principal.accountId,
      recordType: item.recordType,
      recordId: item.recordId,
      kind: 'adopted',
      origin: 'ui',
      summary:
        queuedVersion !== null
          ? `Adopted by ${principal.name}: queued for push to Kaseya BMS as previewed (${item.action})`
          : `Adoption by ${principal.name} did not queue it: ${confirmError}`,
    });
  }
  await addHistory(deps.db, history);
  return getAdoptionView(deps, principal.accountId, adoption.id);
}
