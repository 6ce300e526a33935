/**
 * One workflow per documentation record, started by signal-with-start on a UI save. It pushes the latest
 * saved state to Kaseya BMS (read from the database by the activity, never carried in a signal), folds
 * saves that arrive during a push into the next one, retries transient failures with backoff, stops on
 * a refusal (stored as the record's failure reason), and ends when idle.
 *
 * A push is first tried once as a **local activity**: it runs inside the workflow task that took the
 * save, so a save costs one workflow task and no activity task (no dispatch, no second workflow task).
 * That attempt is bounded (a short wait on the rate budget, a short timeout); anything it cannot finish
 * quickly — BMS down or slow, the budget spent, a 429 — goes to the regular `pushRecord` activity, which
 * heartbeats (a dead worker shows within 30 s), waits on the budget as long as needed and is retried by
 * Temporal with backoff. A refusal from either ends in `markPushFailed`.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE_BMS_ERRORS, RATE_BUDGET_BUSY_ERROR } from '../bms/errors';
import {
  type PushOutcome,
  type PushRecordInput,
  type PushResult,
  pushStatusQuery,
  recordSavedSignal,
  type RecordPushInput,
} from './definitions';

/** Refusals that a retry cannot fix; the record is marked failed until the next save. */
export const PUSH_NON_RETRYABLE: readonly string[] = [...NON_RETRYABLE_BMS_ERRORS, 'MappingError'];


/** How long the local attempt may wait for a rate-budget slot before the regular activity takes over. */
export const LOCAL_PUSH_BUDGET_WAIT_MS = 2_000;

/**
 * The first attempt of a push, inside the workflow task. One attempt only: retries (with their backoff),
 * long budget waits and the 30 s dead-worker detection belong to the regular activity below. The timeout
 * bounds how long a workflow task waits on it (the worker keeps the task alive meanwhile; a worker that
 * dies makes the task time out after 10 s and the push runs again elsewhere).
 */
const { pushRecord: pushRecordLocally } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '20 seconds',
  retry: { maximumAttempts: 1 },
});

const { pushRecord } = proxyActivities<Activities>({
  // A push may wait long on the shared rate budget; its heartbeat shows a dead worker within 30 s.
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: [...PUSH_NON_RETRYABLE],
  },
});

const { markPushFailed, requestPush } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

const DEFAULT_IDLE_MS = 10 * 60_000;
/** Wait before the regular activity retries what the local attempt could not do (its initial interval). */
const FIRST_RETRY_MS = 1_000;
/** The longest BMS Retry-After honoured before handing over (the activity's own retries honour more). */
const MAX_RETRY_AFTER_MS = 5 * 60_000;
const DEFAULT_MIN_PUSH_INTERVAL_MS = 2_000;
/** Keep each run's history short; state is carried over. */
const MAX_PUSHES_PER_RUN = 200;
const DEPENDENCY_WAIT_MAX_MS = 60_000;
/**
 * Patch: a dependency wait counts towards continue-as-new, and a dependency only a person can fix (its push
 * was refused) ends the wait instead of asking for its push about once a minute for ever.
 */
export const DEPENDENCY_WAIT_BOUNDED = 'dependency-wait-bounded';

export async function recordPushWorkflow(input: RecordPushInput): Promise<void> {
  let requestedVersion = input.carried?.requestedVersion ?? 0;
  let pushedVersion = input.carried?.pushedVersion ?? 0;
  let pushes = 0;
  let lastOutcome: PushOutcome | null = null;

  setHandler(recordSavedSignal, ({ version }) => {
    requestedVersion = Math.max(requestedVersion, version);
  });
  setHandler(pushStatusQuery, () => ({ requestedVersion, pushedVersion, pushes, lastOutcome }));

  /** Keeps each run's history short: a long run goes on as a new one, carrying only two versions. */
  const continueAsNewIfLong = async () => {
    if (pushes >= MAX_PUSHES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof recordPushWorkflow>({ ...input, carried: { requestedVersion, pushedVersion } });
    }
  };

  const key = { accountId: input.accountId, recordType: input.recordType, recordId: input.recordId };
  let dependencyWaitMs = 1000;
  let lastPushAt = Number.NEGATIVE_INFINITY;
  const minInterval = input.minPushIntervalMs ?? DEFAULT_MIN_PUSH_INTERVAL_MS;

  for (;;) {
    const woke = await condition(() => requestedVersion > pushedVersion, input.idleTimeoutMs ?? DEFAULT_IDLE_MS);
    // A save that raced the idle timeout still gets pushed.
    if (!woke && requestedVersion <= pushedVersion) break;
    // Saves right after a push wait out the interval and go together, as one push of the latest state.
    const wait = lastPushAt + minInterval - Date.now();
    if (wait > 0) await sleep(wait);
    lastPushAt = Date.now();

    const target = requestedVersion;
    let result: PushResult;
    try {
      result = await push(key);
    } catch (err) {
      // A refusal (the local attempt's, or the activity's once Temporal stopped retrying it).
      const failure = applicationFailureOf(err);
      if (!failure) throw err;
      log.warn('Push refused by Kaseya BMS', { type: failure.type, message: failure.message });
      await markPushFailed({ ...key, version: target, error: { type: failure.type ?? 'Error', message: failure.message } });
      pushedVersion = Math.max(pushedVersion, target);
      lastOutcome = 'failed';
      pushes++;
      continue;
    }
    pushes++;
    lastOutcome = result.outcome;

    if (result.outcome === 'waiting' && result.needs) {
      // The record depends on one that is not in BMS yet: ask for that push and try again shortly.
      const asked = await requestPush({ accountId: input.accountId, ...result.needs });
      if (patched(DEPENDENCY_WAIT_BOUNDED)) {
        if (asked?.blocked) {
          // The dependency will not reach BMS until a person fixes it: stop asking (the record stays
          // queued, waiting on it, and is listed as such); the next save or retry tries again.
          log.info('Push waits on a record only a person can fix', { needs: result.needs, reason: asked.blocked });
          pushedVersion = Math.max(pushedVersion, target);
        } else {
          await sleep(dependencyWaitMs);
          dependencyWaitMs = Math.min(dependencyWaitMs * 2, DEPENDENCY_WAIT_MAX_MS);
        }
        await continueAsNewIfLong();
        continue;
      }
      await sleep(dependencyWaitMs);
      dependencyWaitMs = Math.min(dependencyWaitMs * 2, DEPENDENCY_WAIT_MAX_MS);
      continue;
    }
    dependencyWaitMs = 1000;
    pushedVersion = Math.max(pushedVersion, result.pushedVersion, target);
    await continueAsNewIfLong();
  }
  await condition(allHandlersFinished);
}

/**
 * The activity's own failure: a regular activity's comes as the cause of an `ActivityFailure`; a local
 * activity's may come as it is.
 */
function applicationFailureOf(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause;
  return undefined;
}

/** The BMS refusal behind a failed push (validation, not found, mapping), if that is what it was. */
function refusalOf(err: unknown): ApplicationFailure | undefined {
  const failure = applicationFailureOf(err);
  const refused = failure && (failure.nonRetryable || PUSH_NON_RETRYABLE.includes(failure.type ?? ''));
  return refused ? failure : undefined;
}

/**
 * One push: a local attempt first; when it fails in a way a retry may fix, the regular activity (after
 * the first backoff step, or BMS's Retry-After; at once when only the budget was busy, since the
 * activity waits on the budget itself). Refusals and cancellation are thrown to the caller.
 */
async function push(key: Omit<PushRecordInput, 'maxBudgetWaitMs'>): Promise<PushResult> {
  try {
    return await pushRecordLocally({ ...key, maxBudgetWaitMs: LOCAL_PUSH_BUDGET_WAIT_MS });
  } catch (err) {
    if (isCancellation(err) || refusalOf(err)) throw err;
    const failure = applicationFailureOf(err);
    if (failure?.type !== RATE_BUDGET_BUSY_ERROR) {
      const retryAfterMs = (failure?.details?.[0] as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
      await sleep(Math.min(Math.max(FIRST_RETRY_MS, typeof retryAfterMs === 'number' ? retryAfterMs : 0), MAX_RETRY_AFTER_MS));
    }
    const reason = failure ?? (err instanceof ActivityFailure && err.cause ? err.cause : (err as Error));
    log.info('Local push attempt did not finish; the push activity takes over', {
      type: failure?.type ?? reason.name,
      message: reason.message,
    });
    return await pushRecord(key);
  }
}
