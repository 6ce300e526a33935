/**
 * One retention prune: its start records the cutoff, then each table is pruned in turn (an activity
 * prunes a table step by step and hands back after a while; the workflow calls it again until the table
 * is done), and its end records what was deleted, or the error that stopped it. Started by the
 * `retention-prune` Schedule (lib/temporal.ts); carries no data beyond counts.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PruneTableResult } from '../activities/retention';
import { addDeleted, type DeletedCounts, RETENTION_TASKS } from '../domain/retention';
import type { RetentionPruneInput, RetentionPruneResult } from './definitions';

const { beginRetentionPrune, finishRetentionPrune } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
});

const { pruneRetentionTable } = proxyActivities<Activities>({
  // An attempt hands back after about a minute of steps; a step is a few bounded statements.
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 5 },
});

export async function retentionPruneWorkflow(input: RetentionPruneInput = {}): Promise<RetentionPruneResult> {
  const { pruneId, cutoff } = await beginRetentionPrune();
  let deleted: DeletedCounts = {};
  try {
    for (const task of RETENTION_TASKS) {
      let cursor: string | null = null;
      for (;;) {
        const step: PruneTableResult = await pruneRetentionTable({ task, cutoff, cursor, batchSize: input.batchSize, keepPerRecord: input.keepPerRecord });
        deleted = addDeleted(deleted, step.deleted);
        if (step.done) break;
        cursor = step.cursor;
      }
    }
  } catch (err) {
    const failure = err instanceof ActivityFailure ? err.cause : err;
    const message = failure instanceof Error ? failure.message : String(failure);
    await finishRetentionPrune({ pruneId, deleted, error: message });
    throw ApplicationFailure.nonRetryable(`Retention prune failed: ${message}`, 'RetentionPruneFailed');
  }
  await finishRetentionPrune({ pruneId, deleted, error: null });
  return { pruneId, cutoff, deleted };
}
