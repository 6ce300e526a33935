/**
 * Pull activities. A pull reads, per entity, what BMS changed since the watermark (minus an overlap
 * window, since BMS time zones are unknown), page by page; each page is stored before the next is read;
 * progress is heartbeated so a retried chunk resumes at its page; the watermark moves only when the
 * whole pass is stored.
 */
import { Context } from '@temporalio/activity';
import { getIntegration, type Integration } from '../db/integrations';
import { tableOf } from '../db/records';
import { addRunCounts, addRunLog, finishRun, getWatermark, setWatermark, startRun } from '../db/runs';
import { fieldSpecs, RECORD_TYPES, type RecordType } from '../domain/records';
import { signalRecordPush } from '../lib/temporal';
import type { BeginPullResult, PullChunkInput, PullChunkResult, PullCounts, PullCursor, PullEntity } from '../workflows/definitions';
import type { BmsClient } from './bms/client';
import { PAGE_SIZE } from './bms/client';
import { parseBmsTime } from './bms/wire';
import { type ActivityDeps, BmsClients } from './context';
import { ensureLookups } from './lookups';
import { toFailure } from './push';
import { emptyCounts, type StoreContext } from './pull-store';
import { pullers } from './pullers';

/** How long one pull activity keeps reading pages before handing a cursor back to the workflow. */
const CHUNK_BUDGET_MS = 20_000;

export interface PullerContext {
  deps: ActivityDeps;
  client: BmsClient;
  integration: Integration;
  store: Omit<StoreContext, 'type'>;
  signal: AbortSignal;
  /**
   * Reports the chunk alive with its current cursor (the page being stored), for stores that make a
   * request per item (e.g. one GET per changed asset) and may wait on the rate budget.
   */
  heartbeat(): void;
}

export interface PagePull {
  /** Reads one page (1-based) of items changed since `from` (null: everything). */
  fetch(ctx: PullerContext, from: string | null, page: number): Promise<{ items: unknown[]; total: number | undefined }>;
  /** Stores a page; returns counts and the largest BMS modifiedOn in it. */
  store(ctx: PullerContext, items: unknown[]): Promise<{ counts: PullCounts; maxModifiedOn: string | null }>;
  /** Record types whose references should be resolved once the pass is stored. */
  resolves: RecordType[];
  /**
   * Optional: runs once the pass has stored its last page, before it counts as done (so a retried chunk
   * runs it again; it must be idempotent). For lists without a modified filter, what needs the whole
   * listing: the set difference that finds deleted records, and refreshes chosen across all of them.
   */
  finish?(ctx: PullerContext): Promise<PullCounts>;
}

export function laterTime(a: string | null, b: string | null | undefined): string | null {
  if (!b) return a;
  if (!a) return b;
  return parseBmsTime(b) > parseBmsTime(a) ? b : a;
}

/** `value` moved by `minutes`, written the way BMS wrote it (with or without a zone). */
export function shiftBmsTime(value: string, minutes: number): string {
  const ms = parseBmsTime(value);
  if (!Number.isFinite(ms)) return value;
  const shifted = new Date(ms + minutes * 60_000).toISOString();
  return /(Z|[+-]\d{2}:?\d{2})$/i.test(value.trim()) ? shifted.replace(/\.\d{3}Z$/, 'Z') : shifted.replace(/Z$/, '');
}

function addInto(into: PullCounts, add: PullCounts): void {
  for (const k of Object.keys(add) as Array<keyof PullCounts>) into[k] += add[k];
}

/**
 * Sets reference columns (e.g. an organization's parent) that a pass could not resolve while paging,
 * because the referenced record arrived later. Only where the local value still equals the base, so
 * an unpushed local change is never overwritten.
 */
async function resolveReferences(deps: ActivityDeps, accountId: string, type: RecordType): Promise<void> {
  for (const [field, spec] of Object.entries(fieldSpecs(type))) {
    if (spec.kind !== 'ref' || !spec.synced || !spec.ref) continue;
    const table = tableOf(type);
    await deps.db.raw(
      `WITH target AS (
         SELECT l.record_id, t.record_id AS ref_id
         FROM sync_links l
         JOIN sync_links t ON t.account_id = l.account_id AND t.record_type = ? AND t.bms_id = (l.remote_refs->>?)::int
         JOIN "${table}" r ON r.id = l.record_id
         WHERE l.account_id = ? AND l.record_type = ? AND l.state NOT IN ('disabled', 'orphaned')
           AND r."${spec.column}" IS DISTINCT FROM t.record_id
           AND r."${spec.column}" IS NOT DISTINCT FROM (l.base->>?)::uuid
       ), records AS (
         UPDATE "${table}" r SET "${spec.column}" = target.ref_id, version = r.version + 1, updated_origin = 'pull', updated_at = now()
         FROM target WHERE r.id = target.record_id RETURNING r.id
       )
       UPDATE sync_links l SET base = jsonb_set(coalesce(l.base, '{}'::jsonb), ARRAY[?], to_jsonb(target.ref_id::text))
       FROM target WHERE l.record_type = ? AND l.record_id = target.record_id`,
      [spec.ref, field, accountId, type, field, field, type],
    );
  }
}

export function createPullActivities(deps: ActivityDeps) {
  const clients = new BmsClients(deps);

  async function beginPull(input: { accountId: string; workflowId: string; runId: string }): Promise<BeginPullResult> {
    const integration = await getIntegration(deps.db, input.accountId);
    const previous = (await deps.db('sync_runs')
      .where({ account_id: input.accountId })
      .whereNot({ run_id: input.runId })
      .max('started_at as at')
      .first()) as { at: Date | null } | undefined;
    const requested = integration?.syncRequestedAt ? Date.parse(integration.syncRequestedAt) : 0;
    const manual = requested > (previous?.at ? previous.at.getTime() : 0);
    const run = await startRun(deps.db, { ...input, trigger: manual ? 'manual' : 'schedule' });
    const skip = !integration ? 'Kaseya BMS is not connected' : integration.paused ? 'sync is paused' : undefined;
    if (skip || !integration) {
      await finishRun(deps.db, run.id, 'skipped', skip ?? null);
      return { syncRunId: run.id, startedAt: run.startedAt, skip, entities: [] };
    }
    const entities: PullEntity[] = ['accounts'];
    if (integration.settings.contacts.enabled) entities.push('contacts');
    if (integration.settings.configurations.enabled) entities.push('assets');
    return { syncRunId: run.id, startedAt: run.startedAt, entities: entities.filter((e) => pullers[e] !== undefined) };
  }

  async function pullChunk(input: PullChunkInput): Promise<PullChunkResult> {
    const context = Context.current();
    const signal = context.cancellationSignal;
    const integration = await getIntegration(deps.db, input.accountId);
    if (!integration) return { next: null, counts: emptyCounts() };
    const puller = pullers[input.entity];
    if (!puller) return { next: null, counts: emptyCounts() };
    try {
      const client = await clients.forAccount(input.accountId, integration);
      const lookups = await ensureLookups(deps.db, client, integration, { signal });

      // A retried chunk resumes after the last page it stored.
      const resumed = context.info.heartbeatDetails as PullCursor | undefined;
      let cursor: PullCursor = resumed ?? input.cursor ?? (await firstCursor(input.accountId, input.entity, integration));
      const ctx: PullerContext = {
        deps,
        client,
        integration,
        signal,
        store: { deps, accountId: input.accountId, integration, lookups, syncRunId: input.syncRunId },
        heartbeat: () => context.heartbeat(cursor),
      };
      const counts = emptyCounts();
      const deadline = Date.now() + CHUNK_BUDGET_MS;
      for (;;) {
        const { items, total } = await puller.fetch(ctx, cursor.from, cursor.page);
        const stored = await puller.store(ctx, items);
        addInto(counts, stored.counts);
        cursor = { ...cursor, page: cursor.page + 1, maxModifiedOn: laterTime(cursor.maxModifiedOn, stored.maxModifiedOn) };
        context.heartbeat(cursor);
        const done = items.length < PAGE_SIZE || (total !== undefined && (cursor.page - 1) * PAGE_SIZE >= total);
        if (done) {
          if (puller.finish) addInto(counts, await puller.finish(ctx));
          if (cursor.maxModifiedOn) await setWatermark(deps.db, input.accountId, input.entity, cursor.maxModifiedOn);
          for (const type of puller.resolves) await resolveReferences(deps, input.accountId, type);
          await addRunCounts(deps.db, input.syncRunId, { [input.entity]: counts });
          return { next: null, counts };
        }
        if (Date.now() >= deadline) {
          await addRunCounts(deps.db, input.syncRunId, { [input.entity]: counts });
          return { next: cursor, counts };
        }
      }
    } catch (err) {
      // Each failed attempt is in the run's log with BMS's message, not only the last one.
      const message = err instanceof Error ? err.message : String(err);
      await addRunLog(deps.db, [
        { runId: input.syncRunId, level: 'error', message: `Reading ${input.entity} failed (attempt ${context.info.attempt}): ${message}` },
      ]).catch(() => undefined);
      throw toFailure(err);
    }
  }

  async function firstCursor(accountId: string, entity: PullEntity, integration: Integration): Promise<PullCursor> {
    const watermark = await getWatermark(deps.db, accountId, entity);
    const from = watermark ? shiftBmsTime(watermark, -integration.settings.pull.overlapMinutes) : null;
    return { page: 1, from, maxModifiedOn: watermark };
  }

  async function finishPull(input: { accountId: string; syncRunId: string; status: 'completed' | 'failed'; error?: string }): Promise<void> {
    await finishRun(deps.db, input.syncRunId, input.status, input.error ?? null);
  }

  /**
   * Safety net for the push queue: records a person saved whose push workflow never started (Temporal
   * unreachable at save time) are queued again.
   */
  async function resumeQueuedPushes(input: { accountId: string; olderThanSeconds?: number }): Promise<number> {
    const rows = (await deps.db('sync_links as l')
      .where('l.account_id', input.accountId)
      .andWhere('l.state', 'queued')
      .andWhereRaw('coalesce(l.requested_version, 0) > coalesce(l.pushed_version, 0)')
      .andWhereRaw(`l.updated_at < now() - make_interval(secs => ?)`, [input.olderThanSeconds ?? 60])
      .whereIn('l.record_type', [...RECORD_TYPES])
      .limit(1000)
      .select('l.record_type', 'l.record_id', 'l.requested_version')) as Array<{
      record_type: RecordType;
      record_id: string;
      requested_version: number;
    }>;
    for (const row of rows) {
      await signalRecordPush(
        deps.temporal,
        deps.taskQueues.push,
        { accountId: input.accountId, recordType: row.record_type, recordId: row.record_id, version: row.requested_version },
        { idleTimeoutMs: deps.pushIdleTimeoutMs },
      );
    }
    return rows.length;
  }

  /** Whether someone asked for "Sync now" after `since` (the pull then runs once more). */
  async function syncRequestedSince(input: { accountId: string; since: string }): Promise<boolean> {
    const integration = await getIntegration(deps.db, input.accountId);
    return integration?.syncRequestedAt !== null && integration?.syncRequestedAt !== undefined && Date.parse(integration.syncRequestedAt) > Date.parse(input.since);
  }

  return { beginPull, pullChunk, finishPull, resumeQueuedPushes, syncRequestedSince };
}
