/**
 * Retention's activities: a prune's start (its cutoff from the database clock) and end (its row in
 * `retention_prunes`, the metrics), and the pruning of one table, step after step, heartbeating its
 * progress so a retried attempt resumes where the last one stopped.
 */
import { Context } from '@temporalio/activity';
import { DEFAULT_BATCH_SIZE, finishPrune, pruneStep, startPrune } from '../db/retention';
import { addDeleted, type DeletedCounts, type RetentionTask } from '../domain/retention';
import { countPruned, observePrune } from '../lib/metrics';
import type { ActivityDeps } from './context';
import { whileHeartbeating } from './heartbeat';

/** The retention period when the worker is given none (the documented default, 90 days). */
export const DEFAULT_RETENTION_PERIOD_MS = 90 * 86_400_000;

/** How long one activity keeps pruning a table before handing back to the workflow. */
const STEP_BUDGET_MS = 60_000;

export interface BeginPruneResult {
  pruneId: string;
  cutoff: string;
}

export interface PruneTableInput {
  task: RetentionTask;
  cutoff: string;
  /** Where a table walked by primary key continues. */
  cursor?: string | null;
  batchSize?: number;
  keepPerRecord?: number;
}

export interface PruneTableResult {
  deleted: DeletedCounts;
  done: boolean;
  cursor: string | null;
}

export interface FinishPruneInput {
  pruneId: string;
  deleted: DeletedCounts;
  error: string | null;
}

export function createRetentionActivities(deps: Pick<ActivityDeps, 'db' | 'logger' | 'retention'>) {
  const periodMs = deps.retention?.periodMs ?? DEFAULT_RETENTION_PERIOD_MS;

  async function beginRetentionPrune(): Promise<BeginPruneResult> {
    const prune = await startPrune(deps.db, periodMs);
    deps.logger.info({ pruneId: prune.id, cutoff: prune.cutoff }, 'retention prune started');
    return { pruneId: prune.id, cutoff: prune.cutoff };
  }

  async function pruneRetentionTable(input: PruneTableInput): Promise<PruneTableResult> {
    const context = Context.current();
    // A retried attempt continues from the last step the previous one reported.
    const resumed = context.info.heartbeatDetails as { cursor: string | null } | undefined;
    let cursor = resumed?.cursor ?? input.cursor ?? null;
    let deleted: DeletedCounts = {};
    const started = Date.now();
    // Heartbeats go on a timer (a step deleting a run's long log may take a while), carrying the cursor.
    return whileHeartbeating(
      async () => {
        for (;;) {
          const step = await pruneStep(
            deps.db,
            input.task,
            {
              cutoff: new Date(input.cutoff),
              batchSize: input.batchSize ?? DEFAULT_BATCH_SIZE,
              keepPerRecord: input.keepPerRecord,
              rateWindowSeconds: deps.retention?.rateWindowSeconds,
            },
            cursor,
          );
          countPruned(step.deleted);
          deleted = addDeleted(deleted, step.deleted);
          cursor = step.cursor;
          if (step.done) return { deleted, done: true, cursor };
          if (Date.now() - started >= STEP_BUDGET_MS || context.cancellationSignal.aborted) return { deleted, done: false, cursor };
        }
      },
      () => ({ cursor }),
    );
  }

  async function finishRetentionPrune(input: FinishPruneInput): Promise<void> {
    const prune = await finishPrune(deps.db, input.pruneId, input.deleted, input.error);
    if (!prune) return;
    observePrune(prune);
    deps.logger[prune.error ? 'warn' : 'info']({ pruneId: prune.id, deleted: prune.deleted, error: prune.error ?? undefined }, 'retention prune finished');
  }

  return { beginRetentionPrune, pruneRetentionTable, finishRetentionPrune };
}
