/**
 * Pull activities. A pull reads, per entity, what BMS changed since the watermark (minus an overlap
 * window, since BMS time zones are unknown), page by page; the next page is read while pages are stored
 * (a few at once where the puller allows it); progress is heartbeated so a retried chunk resumes after the
 * last page stored in order; the watermark moves only when the whole pass is stored.
 */
import { Context } from '@temporalio/activity';
import { getIntegration, type Integration } from '../db/integrations';
import { staleQueuedLinks } from '../db/links';
import { resolveDeferredReferences } from '../db/pulled-pages';
import { tableOf } from '../db/records';
import { recordReachability } from '../db/operations';
import { countPullRun } from '../lib/metrics';
import { addRunCounts, addRunLog, completedRunStartedAfter, finishRun, getWatermark, latestRunStart, setWatermark, startRun } from '../db/runs';
import { analyzeTables } from '../db/statistics';
import { addCounts, emptyCounts, writtenCount } from '../domain/pull-counts';
import { signalRecordPush } from '../lib/temporal';
import type { PullCounts } from '../domain/pull-counts';
import type { BeginPullInput, BeginPullResult, CompletePullInput, CompletePullResult, FinishPullInput, PullChunkInput, PullChunkResult, PullCursor, PullEntity } from '../workflows/definitions';
import { PAGE_SIZE } from '../bms/client';
import { type ActivityDeps, BmsClients } from './context';
import { ensureLookups } from './lookups';
import { toFailure, unreachableBecause } from './failures';
import { pullers } from './pullers';
import { laterTime, type PagePull, type PullerContext, shiftBmsTime } from './pullers/puller';
import type { createNotifyActivities } from './notify';

/** The notifications a pull raises (activities/notify.ts). */
type PullEvents = ReturnType<typeof createNotifyActivities>['pullEvents'];

/** How long one pull activity keeps reading pages before handing a cursor back to the workflow. */
const CHUNK_BUDGET_MS = 20_000;

/** What a chunk that goes on from entity to entity heartbeats: the entity it is in, and where. */
interface ChainedCursor {
  entity: PullEntity;
  cursor: PullCursor | null;
}

/** The pass's tally so far plus a page's (`PullCursor.listed`). */
function addListed(into: PullCursor['listed'], add: { count: number; digest: bigint }): NonNullable<PullCursor['listed']> {
  return { count: (into?.count ?? 0) + add.count, digest: (BigInt(into?.digest ?? '0') + add.digest).toString() };
}

/** A pass that wrote this many rows refreshes its tables' planner statistics at its end. */
const ANALYZE_AFTER_PASS = 1_000;
/** During a pass, at this many rows written, and at every 4× that. */
const ANALYZE_DURING_PASS = 1_000;
/**
 * Statistics target of the refreshes during a pass: 10 samples 3,000 rows of each table instead of the
 * default 30,000. What the pass's lookups need is the tables' size (so index probes stay index probes),
 * which a small sample gives; the refresh at the pass's end takes the full sample. At 20k accounts the
 * full-sample refreshes during the pass cost about a sixth of the pull's PostgreSQL time.
 */
const DURING_PASS_STATISTICS_TARGET = 10;

/** The statistics refresh running in this worker, if any (one at a time). */
let analyzing: Promise<void> | null = null;

/**
 * Refreshes the planner statistics of the tables a pass wrote: at its end after a large pass, and while
 * a long one grows them (at `ANALYZE_DURING_PASS` rows, then every 4×, from a small sample). A bulk first
 * pull grows them from nothing faster than autovacuum notices (or where it is off), and stale statistics
 * can turn lookups into scans. Only the tables a pull reads: record_history is appended to and read one
 * record at a time, so it is left to autovacuum. It runs beside the pull, which does not wait for it (one
 * at a time per worker: a refresh during the pass asked for while one runs is dropped, as the next
 * threshold asks again; the pass's last one runs after it). Best effort: a failure only costs speed.
 */
function refreshStatistics(deps: ActivityDeps, puller: PagePull, before: number, after: number, passDone: boolean): void {
  const atEnd = passDone && after >= ANALYZE_AFTER_PASS;
  let crossed = atEnd;
  for (let at = ANALYZE_DURING_PASS; at <= after; at *= 4) if (before < at) crossed = true;
  if (!crossed || (analyzing && !atEnd)) return;
  const tables = [...new Set(puller.writes.map(tableOf)), 'sync_links'];
  const analyze = () => analyzeTables(deps.db, tables, atEnd ? {} : { sampleTarget: DURING_PASS_STATISTICS_TARGET });
  const run: Promise<void> = (analyzing ?? Promise.resolve())
    .then(analyze)
    .catch((err: unknown) => deps.logger.warn({ err }, 'Refreshing planner statistics failed'))
    .finally(() => {
      if (analyzing === run) analyzing = null;
    });
  analyzing = run;
}

/** A page handed to its puller's store, with what the pipeline needs to order it. */
interface StoringPage {
  page: number;
  /** The pass's last page. */
  done: boolean;
  /** The BMS ids on the page. */
  ids: Set<number>;
  storing: ReturnType<PagePull['store']>;
}

/**
 * Starts storing a page beside the pages in flight. A page that shares a BMS id with one of them (BMS data
 * moved between pages while they were read) waits for it, so two copies of one record are never merged
 * at once.
 */
export function storePage(ctx: PullerContext, puller: PagePull, items: unknown[], page: number, done: boolean, inFlight: StoringPage[]): StoringPage {
  const ids = new Set(items.map((item) => Number((item as { id?: unknown }).id)));
  const overlapping = inFlight.filter((other) => [...ids].some((id) => other.ids.has(id))).map((other) => other.storing);
  const storing = Promise.allSettled(overlapping).then(() => puller.store(ctx, items, page));
  // Awaited in page order; a failure meanwhile is not an unhandled rejection.
  storing.catch(() => undefined);
  return { page, done, ids, storing };
}

export function createPullActivities(deps: ActivityDeps, events: PullEvents) {
  const clients = new BmsClients(deps, events.budgetExhausted);

  /**
   * A "Sync now" pressed while a pull ran is served twice over: the running pull sees the request at its end
   * and runs once more (continue-as-new), and the Schedule holds the trigger in its buffer until that
   * chain closes. The buffered run is due at the press (Temporal dates it to the second); when a pull that
   * started after the press (database clock, like the request) has completed, it read all this one would.
   * Returns that pull's start, or undefined when this run has work to do.
   */
  async function coveringRun(accountId: string, runId: string, dueMs: number, requestedAt: string): Promise<string | undefined> {
    if (!(dueMs <= Date.parse(requestedAt) + 2_000)) return undefined;
    return (await completedRunStartedAfter(deps.db, accountId, new Date(requestedAt), runId))?.toISOString();
  }

  async function beginPull(input: BeginPullInput): Promise<BeginPullResult> {
    const { scheduledAt, ...ids } = input;
    const integration = await getIntegration(deps.db, input.accountId);
    const covered = scheduledAt && integration?.syncRequestedAt ? await coveringRun(input.accountId, input.runId, Date.parse(scheduledAt), integration.syncRequestedAt) : undefined;
    if (covered) {
      return { syncRunId: null, startedAt: covered, skip: `the pull that started at ${covered} read everything this one would`, entities: [] };
    }
    const previous = await latestRunStart(deps.db, input.accountId, input.runId);
    const requested = integration?.syncRequestedAt ? Date.parse(integration.syncRequestedAt) : 0;
    const manual = requested > (previous ? previous.getTime() : 0);
    const run = await startRun(deps.db, { ...ids, trigger: manual ? 'manual' : 'schedule' });
    const skip = !integration ? 'Kaseya BMS is not connected' : integration.paused ? 'sync is paused' : undefined;
    if (skip || !integration) {
      const finished = await finishRun(deps.db, run.id, 'skipped', skip ?? null);
      if (finished) countPullRun(finished);
      return { syncRunId: run.id, startedAt: run.startedAt, skip, entities: [] };
    }
    if (!manual) await events.onPullStarted(input.accountId, run.id, scheduledAt, run.startedAt);
    const entities: PullEntity[] = ['accounts'];
    if (integration.settings.contacts.enabled) entities.push('contacts');
    if (integration.settings.configurations.enabled) entities.push('assets');
    return { syncRunId: run.id, startedAt: run.startedAt, entities: entities.filter((e) => pullers[e] !== undefined) };
  }

  /**
   * Reads and stores pages of one entity from `start` (else its watermark) until the entity is done or
   * `deadline` passes; `heartbeat` records progress (a retried attempt resumes after the last page stored).
   */
  async function pullEntityChunk(
    input: PullChunkInput,
    start: PullCursor | null,
    deadline: number,
    heartbeat: (cursor: PullCursor) => void,
  ): Promise<PullChunkResult> {
    const context = Context.current();
    const signal = context.cancellationSignal;
    const integration = await getIntegration(deps.db, input.accountId);
    if (!integration) return { next: null, counts: emptyCounts() };
    const puller = pullers[input.entity];
    if (!puller) return { next: null, counts: emptyCounts() };
    try {
      const client = await clients.forAccount(input.accountId, integration);
      const lookups = await ensureLookups(deps.db, client, integration, { signal });

      let cursor: PullCursor = start ?? (await firstCursor(input.accountId, input.entity, integration));
      const counts = emptyCounts();
      const others: Record<string, PullCounts> = {};
      let othersWritten = 0;
      const ctx: PullerContext = {
        deps,
        client,
        integration,
        signal,
        store: { deps, accountId: input.accountId, integration, lookups, syncRunId: input.syncRunId },
        heartbeat: () => heartbeat(cursor),
        addRunCounts: (entity, add) => {
          others[entity] = addCounts(others[entity], add);
          othersWritten += writtenCount(add);
        },
      };
      const saveCounts = () => addRunCounts(deps.db, input.syncRunId, { ...others, [input.entity]: counts });
      const fetchPage = (page: number) => {
        const pending = puller.fetch(ctx, cursor.from, page);
        // Awaited later; a failure meanwhile is not an unhandled rejection.
        pending.catch(() => undefined);
        return pending;
      };
      const window = Math.max(1, puller.pagesInFlight ?? 1);
      const startWritten = cursor.written ?? 0;
      // Pages being stored, oldest first. The cursor moves past a page only once it and every page before
      // it are stored, so a retried chunk resumes after the last page stored in order.
      const inFlight: StoringPage[] = [];
      let nextPage = cursor.page;
      let pending: ReturnType<PagePull['fetch']> | undefined = fetchPage(nextPage);
      try {
        for (;;) {
          // Start storing pages until the window is full; the next page is always being read meanwhile.
          while (pending && inFlight.length < window) {
            const { items, total }: Awaited<ReturnType<PagePull['fetch']>> = await pending;
            const page = nextPage++;
            const done: boolean = items.length < PAGE_SIZE || (total !== undefined && page * PAGE_SIZE >= total);
            // Never past the last page, and not once the chunk's time is up (a page read is always stored).
            pending = !done && Date.now() < deadline ? fetchPage(nextPage) : undefined;
            inFlight.push(storePage(ctx, puller, items, page, done, inFlight));
          }
          const head = inFlight.shift();
          if (!head) break;
          const stored = await head.storing;
          addCounts(counts, stored.counts);
          const writtenBefore = cursor.written ?? 0;
          cursor = {
            ...cursor,
            page: head.page + 1,
            maxModifiedOn: laterTime(cursor.maxModifiedOn, stored.maxModifiedOn),
            written: startWritten + writtenCount(counts) + othersWritten,
            ...(stored.listed ? { listed: addListed(cursor.listed, stored.listed) } : {}),
          };
          heartbeat(cursor);
          refreshStatistics(deps, puller, writtenBefore, cursor.written!, head.done);
          if (head.done) {
            if (puller.finish) addCounts(counts, await puller.finish(ctx, cursor));
            if (cursor.maxModifiedOn) await setWatermark(deps.db, input.accountId, input.entity, cursor.maxModifiedOn);
            for (const type of puller.resolves) await resolveDeferredReferences(deps.db, input.accountId, type);
            await saveCounts();
            return { next: null, counts };
          }
        }
      } finally {
        // A failed page ends the attempt only once the others have finished writing, so a retry never
        // stores beside them.
        await Promise.allSettled(inFlight.map((p) => p.storing));
      }
      await saveCounts();
      return { next: cursor, counts };
    } catch (err) {
      // Each failed attempt is in the run's log with BMS's message, not only the last one.
      const message = err instanceof Error ? err.message : String(err);
      const unreachable = unreachableBecause(err);
      if (unreachable) await recordReachability(deps.db, input.accountId, 'failed', unreachable, 'pull').catch(() => undefined);
      await addRunLog(deps.db, [
        { runId: input.syncRunId, level: 'error', message: `Reading ${input.entity} failed (attempt ${context.info.attempt}): ${message}` },
      ]).catch(() => undefined);
      throw toFailure(err);
    }
  }

  /**
   * Pulls `input.entity` from `input.cursor`, then, while the chunk's time lasts, each entity of
   * `input.then` in turn, so a small account's whole pass is one activity. Hands back where it stopped:
   * `entity` is the entity `next` continues (or the last one finished, when `next` is null). A retried
   * attempt resumes after the last page it stored, of whichever entity it had reached.
   */
  async function pullChunk(input: PullChunkInput): Promise<PullChunkResult> {
    const context = Context.current();
    const deadline = Date.now() + CHUNK_BUDGET_MS;
    const chained = input.then !== undefined;
    let queue: PullEntity[] = [input.entity, ...(input.then ?? [])];
    let cursor = input.cursor;
    const resumed = context.info.heartbeatDetails as PullCursor | ChainedCursor | undefined;
    if (resumed && 'entity' in resumed && queue.includes(resumed.entity)) {
      queue = queue.slice(queue.indexOf(resumed.entity));
      cursor = resumed.cursor;
    } else if (resumed && !('entity' in resumed)) {
      cursor = resumed;
    }
    const countsByEntity: Partial<Record<PullEntity, PullCounts>> = {};
    for (;;) {
      const entity = queue[0]!;
      const result = await pullEntityChunk({ ...input, entity }, cursor, deadline, (at) =>
        context.heartbeat(chained ? ({ entity, cursor: at } satisfies ChainedCursor) : at),
      );
      countsByEntity[entity] = result.counts;
      if (!chained) return result;
      if (result.next || queue.length === 1 || Date.now() >= deadline) return { ...result, entity, countsByEntity };
      queue = queue.slice(1);
      cursor = null;
      context.heartbeat({ entity: queue[0]!, cursor: null } satisfies ChainedCursor);
    }
  }

  async function firstCursor(accountId: string, entity: PullEntity, integration: Integration): Promise<PullCursor> {
    const watermark = await getWatermark(deps.db, accountId, entity);
    const from = watermark ? shiftBmsTime(watermark, -integration.settings.pull.overlapMinutes) : null;
    return { page: 1, from, maxModifiedOn: watermark };
  }

  /** Ends the run, and raises what it means: a failure (and the automatic pause), the push digest. */
  async function finishPull(input: FinishPullInput): Promise<void> {
    const finished = await finishRun(deps.db, input.syncRunId, input.status, input.error ?? null);
    if (finished) countPullRun(finished);
    if (input.status === 'failed') {
      await events.onPullFailed(input.accountId, input.syncRunId, input.errorType ?? 'Error', input.error ?? 'unknown error');
    } else {
      await recordReachability(deps.db, input.accountId, 'ok', null, 'pull');
      await events.onPullCompleted(input.accountId);
    }
    const integration = await getIntegration(deps.db, input.accountId);
    if (integration) await events.pushDigest(input.accountId, input.syncRunId, integration.settings.pull.intervalMinutes);
  }

  /**
   * Safety net for the push queue: records a person saved whose push workflow never started (Temporal
   * unreachable at save time) are queued again.
   */
  async function resumeQueuedPushes(input: { accountId: string; olderThanSeconds?: number }): Promise<number> {
    const rows = await staleQueuedLinks(deps.db, input.accountId, input.olderThanSeconds ?? 60);
    for (const row of rows) {
      await signalRecordPush(
        deps.temporal,
        deps.taskQueues.push,
        { accountId: input.accountId, recordType: row.recordType, recordId: row.recordId, version: row.requestedVersion },
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

  /**
   * The end of a pass that read everything: queued pushes resumed, the run finished, and whether "Sync
   * now" was pressed since the pass started (the workflow then runs once more). One activity instead of three.
   */
  async function completePull(input: CompletePullInput): Promise<CompletePullResult> {
    await resumeQueuedPushes({ accountId: input.accountId });
    await finishPull({ accountId: input.accountId, syncRunId: input.syncRunId, status: 'completed' });
    return { again: await syncRequestedSince({ accountId: input.accountId, since: input.since }) };
  }

  return { beginPull, pullChunk, finishPull, resumeQueuedPushes, syncRequestedSince, completePull };
}
