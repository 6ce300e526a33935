/**
 * Push activities: send one record's latest saved state to Kaseya BMS. Reads everything from the
 * database (the workflow passes ids only), creates safely (looks the record up by its natural key before
 * creating, so a create whose answer was lost never makes a second BMS record), updates only the fields
 * that changed since the last sync, and stores the new base.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { activityInfo, ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from '../db';
import { addHistory } from '../db/history';
import { diff } from '../domain/merge';
import { type Integration, getIntegration } from '../db/integrations';
import { applyLinkEvent, getLink, updateLink } from '../db/links';
import { getRecord, type StoredRecord } from '../db/records';
import { type CreateDefaults, type Lookups, MappingError } from '../domain/mapping';
import { changedFields } from '../domain/merge';
import { fieldSpecs, type RecordFields, type RecordType, syncedFieldNames } from '../domain/records';
import { MissingValueError, prePushProblems } from '../domain/pre-push';
import { syncExclusion } from '../domain/rules';
import { isLive, NOT_LIVE_STATES, orphaning } from '../domain/sync-state';
import type { PushFailure, PushRecordInput, PushResult, RequestPushResult } from '../workflows/definitions';
import { recordPushWorkflowId } from '../workflows/definitions';
import { signalRecordPush } from '../lib/temporal';
import { BmsNotFoundError } from '../bms/errors';
import type { RateBudget } from '../bms/rate-budget';
import { type ActivityDeps, BmsClients, type BudgetExhaustedListener } from './context';
import { whileHeartbeating } from './heartbeat';
import { ensureLookups } from './lookups';
import { parseBmsTime } from '../bms/wire';
import { toFailure, unreachableBecause } from './failures';
import { recordReachability } from '../db/operations';
import { countPush, observePushLatency } from '../lib/metrics';
import { pushers } from './pushers';
import type { PushContext, RemoteState } from './pushers/pusher';

export function syncedFieldsOf(record: StoredRecord): RecordFields {
  const out: RecordFields = {};
  for (const name of syncedFieldNames(record.type)) out[name] = record.fields[name] ?? null;
  return out;
}

/**
 * BMS ids of the records this one refers to. A referenced record not in BMS yet is pushed first
 * (`needs`), unless it never will be (its sync is off, excluded or orphaned): an optional reference
 * is then left out, and a required one (the organization) means this record cannot sync either.
 */
export async function resolveRefs(
  db: Db,
  record: StoredRecord,
  integration: Integration,
  lookups: Lookups,
): Promise<{ refs: Record<string, number | null>; needs?: { recordType: RecordType; recordId: string }; exclusion?: string }> {
  const refs: Record<string, number | null> = {};
  for (const [name, spec] of Object.entries(fieldSpecs(record.type))) {
    if (spec.kind !== 'ref' || !spec.synced || !spec.ref) continue;
    const target = record.fields[name];
    if (typeof target !== 'string') {
      refs[name] = null;
      continue;
    }
    const link = await getLink(db, spec.ref, target);
    if (isLive(link)) {
      refs[name] = link.bmsId;
      continue;
    }
    const targetRecord = await getRecord(db, record.accountId, spec.ref, target);
    const blocked =
      !targetRecord || (link && NOT_LIVE_STATES.includes(link.state))
        ? `its ${spec.ref} does not sync`
        : syncExclusion(spec.ref, syncedFieldsOf(targetRecord), integration.settings, lookups);
    if (!blocked) return { refs, needs: { recordType: spec.ref, recordId: target } };
    if (spec.required) return { refs, exclusion: `its ${spec.ref} is not synced (${blocked})` };
    refs[name] = null;
  }
  return { refs };
}

/** The required BMS values records do not carry (new accounts' business type and manager). */
export function createDefaults(integration: Integration, lookups: Lookups & { userId: number | null }): CreateDefaults {
  const businessTypeId = integration.settings.createDefaults.businessTypeId ?? lookups.businessTypes[0]?.id ?? null;
  const accountManagerId = integration.settings.createDefaults.accountManagerId ?? lookups.userId;
  if (businessTypeId === null) throw new MappingError('Kaseya BMS has no business type to give new accounts', 'businessTypeId');
  if (accountManagerId === null) throw new MappingError('No account manager is known for new accounts', 'accountManagerId');
  return { businessTypeId, accountManagerId };
}

export function createPushActivities(deps: ActivityDeps, onBudgetExhausted?: BudgetExhaustedListener) {
  /**
   * The longest rate-budget wait of the push running in this async context (set by a local attempt);
   * the push clients' budget passes it on, so a spent budget refuses such a push at once.
   */
  const budgetWaitLimit = new AsyncLocalStorage<number>();
  const budget: RateBudget = {
    acquire: (tenantKey, endpoint, signal) => deps.budget.acquire(tenantKey, endpoint, signal, budgetWaitLimit.getStore()),
    backOff: (tenantKey, endpoint, ms) => deps.budget.backOff(tenantKey, endpoint, ms),
  };
  const clients = new BmsClients({ ...deps, budget }, onBudgetExhausted);

  /**
   * Stores a successful push. The new base is the link's base as it is now (a pull may have moved it
   * while the push ran) with the pushed fields laid over it, and BMS's later `modifiedOn` is kept.
   */
  async function recordSuccess(record: StoredRecord, remote: RemoteState, pushed: RecordFields, summary: string): Promise<void> {
    await deps.db.transaction(async (trx) => {
      const current = await getLink(trx, record.type, record.id, true);
      const newerSave = (current?.requestedVersion ?? 0) > record.version;
      const newBase = { ...(current?.base ?? {}), ...pushed };
      const seen = current?.bmsId === remote.bmsId ? current.bmsModifiedOn : null;
      const changes = {
        bmsId: remote.bmsId,
        base: newBase,
        bmsModifiedOn: seen && parseBmsTime(seen) > parseBmsTime(remote.modifiedOn) ? seen : remote.modifiedOn,
        pushedVersion: record.version,
        lastPushedAt: new Date(),
        lastError: null,
        stateReason: null,
        waitingFor: null,
      };
      const key = { accountId: record.accountId, type: record.type, recordId: record.id };
      if (newerSave) await updateLink(trx, record.type, record.id, changes);
      else await applyLinkEvent(trx, key, 'push_succeeded', changes, current ?? null);
      await addHistory(trx, {
        accountId: record.accountId,
        recordType: record.type,
        recordId: record.id,
        kind: 'pushed',
        origin: 'push',
        summary,
        changes: diff(current?.base ?? null, newBase),
        workflowId: recordPushWorkflowId(record.accountId, record.type, record.id),
      });
    });
    // Save → push latency, for versions a person saved (an API write pushed by hand has no such wait).
    if (record.updatedOrigin === 'ui') observePushLatency(record.type, record.updatedAt);
  }

  /**
   * Pushes one record. As a regular activity it heartbeats while it works or waits (a dead worker shows
   * within the heartbeat timeout); as a local activity (the workflow's quick first attempt, inside a
   * workflow task) it does not heartbeat, and `maxBudgetWaitMs` bounds its wait on the rate budget.
   */
  function pushRecord(input: PushRecordInput): Promise<PushResult> {
    const { maxBudgetWaitMs, ...key } = input;
    const run = () => (maxBudgetWaitMs === undefined ? push(key) : budgetWaitLimit.run(maxBudgetWaitMs, () => push(key)));
    return activityInfo().isLocal ? run() : whileHeartbeating(run);
  }

  /** Outcomes for which BMS answered with the connection's credentials. */
  const REACHED_BMS = new Set<PushResult['outcome']>(['created', 'updated', 'linked', 'orphaned']);

  /** One push, counted by outcome; what it showed of the account's BMS is kept for the health endpoint. */
  async function push(input: { accountId: string; recordType: RecordType; recordId: string }): Promise<PushResult> {
    try {
      const result = await pushOnce(input);
      countPush(input.recordType, result.outcome);
      if (REACHED_BMS.has(result.outcome)) await recordReachability(deps.db, input.accountId, 'ok', null, 'push').catch(() => undefined);
      return result;
    } catch (err) {
      countPush(input.recordType, err instanceof ApplicationFailure && err.nonRetryable ? 'failed' : 'retrying');
      const unreachable = unreachableBecause(err);
      if (unreachable) await recordReachability(deps.db, input.accountId, 'failed', unreachable, 'push').catch(() => undefined);
      throw err;
    }
  }

  async function pushOnce(input: { accountId: string; recordType: RecordType; recordId: string }): Promise<PushResult> {
    const { accountId, recordType, recordId } = input;
    // Three independent reads, side by side (one round trip of latency instead of three).
    const [integration, record, link] = await Promise.all([
      getIntegration(deps.db, accountId),
      getRecord(deps.db, accountId, recordType, recordId),
      getLink(deps.db, recordType, recordId),
    ]);
    if (!integration) return { outcome: 'skipped', pushedVersion: 0, reason: 'Kaseya BMS is not connected' };
    if (!record) return { outcome: 'skipped', pushedVersion: Number.MAX_SAFE_INTEGER, reason: 'the record was deleted' };
    if (!integration.twoWayEnabled) return { outcome: 'skipped', pushedVersion: record.version, reason: 'two-way sync is off' };
    if (integration.paused) return { outcome: 'skipped', pushedVersion: 0, reason: 'sync is paused' };
    if (link?.state === 'disabled') {
      return { outcome: 'skipped', pushedVersion: record.version, reason: 'sync is disabled for this record' };
    }

    const signal = Context.current().cancellationSignal;
    try {
      const client = await clients.forAccount(accountId, integration);
      const lookups = await ensureLookups(deps.db, client, integration, { signal });
      const synced = syncedFieldsOf(record);

      const excluded = async (reason: string): Promise<PushResult> => {
        await deps.db.transaction(async (trx) => {
          await applyLinkEvent(trx, { accountId, type: recordType, recordId }, 'push_excluded', {
            stateReason: reason,
            pushedVersion: record.version,
            waitingFor: null,
          });
          await addHistory(trx, { accountId, recordType, recordId, kind: 'excluded', summary: `Not pushed: ${reason}` });
        });
        return { outcome: 'excluded', pushedVersion: record.version, reason };
      };
      const exclusion = syncExclusion(recordType, synced, integration.settings, lookups);
      if (exclusion) return excluded(exclusion);

      const { refs, needs, exclusion: refExclusion } = await resolveRefs(deps.db, record, integration, lookups);
      if (refExclusion) return excluded(refExclusion);
      if (needs) {
        // Said on the record, so a person sees what it waits for (cleared when the push ends either way).
        await updateLink(deps.db, recordType, recordId, { waitingFor: needs });
        return { outcome: 'waiting', pushedVersion: 0, needs };
      }
      // What BMS requires and the record lacks refuses the push before anything is sent.
      const missing = prePushProblems({ type: recordType, fields: synced, settings: integration.settings, lookups, inBms: Boolean(link?.bmsId) })[0];
      if (missing) throw new MissingValueError(missing.message, missing.field);

      const pusher = pushers[recordType];
      if (!pusher) throw new MappingError(`Pushing ${recordType} records is not supported`, 'type');
      const ctx: PushContext = {
        client,
        integration,
        lookups,
        defaults: createDefaults(integration, lookups),
        record,
        synced,
        refs,
        deps,
        signal,
      };
      const fields = syncedFieldNames(recordType);

      if (link?.bmsId) {
        const changed = changedFields(synced, link.base, fields) as RecordFields;
        if (Object.keys(changed).length === 0) {
          await recordSuccess(record, { bmsId: link.bmsId, modifiedOn: link.bmsModifiedOn }, synced, 'Already in Kaseya BMS');
          return { outcome: 'unchanged', pushedVersion: record.version, bmsId: link.bmsId };
        }
        try {
          const { modifiedOn } = await pusher.update(ctx, link.bmsId, changed);
          await recordSuccess(record, { bmsId: link.bmsId, modifiedOn }, changed, `Pushed ${Object.keys(changed).join(', ')}`);
          return { outcome: 'updated', pushedVersion: record.version, bmsId: link.bmsId };
        } catch (err) {
          const orphan = err instanceof BmsNotFoundError ? orphaning(link, 'the Kaseya BMS record no longer exists') : null;
          if (orphan) {
            await deps.db.transaction(async (trx) => {
              await applyLinkEvent(trx, { accountId, type: recordType, recordId }, 'orphaned', {
                stateReason: orphan.reason,
                pushedVersion: record.version,
                waitingFor: null,
              });
              await addHistory(trx, { accountId, recordType, recordId, kind: 'orphaned', summary: orphan.summary });
            });
            return { outcome: 'orphaned', pushedVersion: record.version, bmsId: link.bmsId };
          }
          throw err;
        }
      }

      // Not in BMS yet (as far as we know): look it up first, so a retried create never duplicates.
      const existing = await pusher.findExisting(ctx);
      if (existing) {
        const changed = changedFields(synced, existing.fields, fields) as RecordFields;
        let modifiedOn = existing.modifiedOn;
        if (Object.keys(changed).length > 0) modifiedOn = (await pusher.update(ctx, existing.bmsId, changed)).modifiedOn;
        await recordSuccess(record, { bmsId: existing.bmsId, modifiedOn }, synced, `Linked to existing Kaseya BMS record ${existing.bmsId}`);
        return { outcome: 'linked', pushedVersion: record.version, bmsId: existing.bmsId };
      }
      const created = await pusher.create(ctx);
      await recordSuccess(record, created, synced, `Created in Kaseya BMS as ${created.bmsId}`);
      return { outcome: 'created', pushedVersion: record.version, bmsId: created.bmsId };
    } catch (err) {
      const failure = toFailure(err);
      if (failure instanceof ApplicationFailure && !failure.nonRetryable) {
        // Keep the reason visible on the record while Temporal retries.
        await updateLink(deps.db, recordType, recordId, {
          lastError: { type: failure.type ?? 'Error', message: failure.message, at: new Date().toISOString(), retrying: true },
        }).catch(() => undefined);
        deps.logger.warn({ recordType, recordId, attempt: activityInfo().attempt, err: failure.message }, 'push attempt failed');
      }
      throw failure;
    }
  }

  async function markPushFailed(input: PushFailure): Promise<void> {
    const { accountId, recordType, recordId } = input;
    await deps.db.transaction(async (trx) => {
      await applyLinkEvent(trx, { accountId, type: recordType, recordId }, 'push_failed', {
        stateReason: input.error.message,
        lastError: { type: input.error.type, message: input.error.message, at: new Date().toISOString() },
        pushedVersion: input.version,
        waitingFor: null,
      });
      await addHistory(trx, {
        accountId,
        recordType,
        recordId,
        kind: 'error',
        origin: 'push',
        summary: `Push refused: ${input.error.message}`,
        changes: { error: input.error },
        workflowId: recordPushWorkflowId(accountId, recordType, recordId),
      });
    });
  }

  /**
   * Queues a push of a record another push depends on (e.g. a contact's organization). A dependency whose
   * own push was refused is not queued again: only a person can fix it (it is listed among the problems,
   * and so is the record waiting on it), and re-queuing it would only be refused again, over and over.
   */
  async function requestPush(input: { accountId: string; recordType: RecordType; recordId: string }): Promise<RequestPushResult> {
    const record = await getRecord(deps.db, input.accountId, input.recordType, input.recordId);
    if (!record) return { queued: false, blocked: `the ${input.recordType} was deleted` };
    const outcome = await deps.db.transaction(async (trx): Promise<RequestPushResult | 'queue'> => {
      const link = await getLink(trx, input.recordType, input.recordId, true);
      if (link?.state === 'failed') return { queued: false, blocked: `its ${input.recordType}'s push was refused: ${link.stateReason ?? 'unknown error'}` };
      if (link?.state === 'queued' || link?.bmsId) return { queued: false };
      if (link?.state === 'disabled') return { queued: false, blocked: `sync is disabled for its ${input.recordType}` };
      await applyLinkEvent(trx, { accountId: input.accountId, type: input.recordType, recordId: input.recordId }, 'push_requested', {
        requestedVersion: record.version,
      });
      return 'queue';
    });
    if (outcome !== 'queue') return outcome;
    await signalRecordPush(deps.temporal, deps.taskQueues.push, { ...input, version: record.version }, { idleTimeoutMs: deps.pushIdleTimeoutMs });
    return { queued: true };
  }

  return { pushRecord, markPushFailed, requestPush };
}
