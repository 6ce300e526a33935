/**
 * One pull per account, run by its Temporal Schedule (or "Sync now", which triggers the same schedule,
 * so two pulls never overlap). Each entity is pulled in chunks: an activity reads pages changed since the
 * watermark, stores them in bulk and returns a cursor; the watermark moves only once a pass is stored.
 */
import { ActivityFailure, ApplicationFailure, continueAsNew, log, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE_BMS_ERRORS } from '../bms/errors';
import { addCounts, type PullCounts } from '../domain/pull-counts';
import { type PullChunkResult, type PullCursor, type PullEntity, pullProgressQuery, type PullInput, type PullSummary } from './definitions';
import { ScheduledStartTimeKey } from './search-attributes';

const { pullChunk } = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '1 minute',
  // A pull that keeps failing ends the run with the reason; the next scheduled run starts afresh.
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '20 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes: [...NON_RETRYABLE_BMS_ERRORS],
  },
});

const { beginPull, completePull, finishPull, resumeQueuedPushes, syncRequestedSince } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/**
 * Runs started before this patch read one entity per chunk and end the pass with three activities; runs
 * after it chain entities within a chunk and end with `completePull`.
 */
export const PULL_FEWER_TASKS_PATCH = 'pull-fewer-tasks';

export async function pullWorkflow(input: PullInput): Promise<PullSummary> {
  const info = workflowInfo();
  const counts: PullSummary['counts'] = {};
  let current: PullEntity | null = null;
  let page = 0;
  setHandler(pullProgressQuery, () => ({ entity: current, page, counts }));

  const scheduledAt = info.continuedFromExecutionRunId ? undefined : info.typedSearchAttributes.get(ScheduledStartTimeKey);
  const begin = await beginPull({
    accountId: input.accountId,
    workflowId: info.workflowId,
    runId: info.runId,
    scheduledAt: scheduledAt?.toISOString(),
  });
  if (begin.skip || begin.syncRunId === null) return { syncRunId: begin.syncRunId, skipped: begin.skip, counts };
  const syncRunId = begin.syncRunId;

  // Chunks go on from entity to entity and the pass ends in one activity: a small account's pull is three
  // activities instead of seven, half the Temporal tasks.
  const fewerTasks = patched(PULL_FEWER_TASKS_PATCH);
  try {
    if (fewerTasks) {
      let remaining = begin.entities;
      let cursor: PullCursor | null = null;
      while (remaining.length > 0) {
        current = remaining[0]!;
        const chunk: PullChunkResult = await pullChunk({ accountId: input.accountId, syncRunId, entity: current, cursor, then: remaining.slice(1) });
        for (const [entity, add] of Object.entries(chunk.countsByEntity ?? { [current]: chunk.counts }) as Array<[PullEntity, PullCounts]>) {
          counts[entity] = addCounts(counts[entity], add);
        }
        const at = chunk.entity && remaining.includes(chunk.entity) ? chunk.entity : current;
        remaining = remaining.slice(remaining.indexOf(at) + (chunk.next ? 0 : 1));
        cursor = chunk.next;
        page = cursor?.page ?? page;
      }
    } else {
      for (const entity of begin.entities) {
        current = entity;
        let cursor: PullCursor | null = null;
        do {
          const chunk: PullChunkResult = await pullChunk({ accountId: input.accountId, syncRunId, entity, cursor });
          counts[entity] = addCounts(counts[entity], chunk.counts);
          cursor = chunk.next;
          page = cursor?.page ?? page;
        } while (cursor);
      }
    }
  } catch (err) {
    const failure = err instanceof ActivityFailure ? err.cause : err;
    const message = failure instanceof Error ? failure.message : String(failure);
    log.error('Pull failed', { entity: current, message });
    const errorType = failure instanceof ApplicationFailure ? (failure.type ?? failure.name) : failure instanceof Error ? failure.name : 'Error';
    await finishPull({ accountId: input.accountId, syncRunId, status: 'failed', error: message, errorType });
    throw ApplicationFailure.nonRetryable(`Pull failed while reading ${current ?? 'BMS'}: ${message}`, 'PullFailed');
  }
  current = null;
  let again: boolean;
  if (fewerTasks) {
    ({ again } = await completePull({ accountId: input.accountId, syncRunId, since: begin.startedAt }));
  } else {
    await resumeQueuedPushes({ accountId: input.accountId });
    await finishPull({ accountId: input.accountId, syncRunId, status: 'completed' });
    again = await syncRequestedSince({ accountId: input.accountId, since: begin.startedAt });
  }
  // "Sync now" pressed while this pull ran: run again (same workflow, so still never beside another pull).
  if (again) await continueAsNew<typeof pullWorkflow>(input);
  return { syncRunId, counts };
}
