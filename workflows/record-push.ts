/**
 * One workflow per documentation record, started by signal-with-start on a UI save. It pushes the latest
 * saved state to Kaseya BMS (read from the database by the activity, never carried in a signal), folds
 * saves that arrive during a push into the next one, retries transient failures with backoff, stops on
 * a refusal (stored as the record's failure reason), and ends when idle.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  type PushOutcome,
  type PushResult,
  pushStatusQuery,
  recordSavedSignal,
  type RecordPushInput,
} from './definitions';

/** Refusals that a retry cannot fix; the record is marked failed until the next save. */
export const PUSH_NON_RETRYABLE = ['BmsValidationError', 'BmsNotFoundError', 'MappingError'] as const;

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
const DEFAULT_MIN_PUSH_INTERVAL_MS = 2_000;
/** Keep each run's history short; state is carried over. */
const MAX_PUSHES_PER_RUN = 200;
const DEPENDENCY_WAIT_MAX_MS = 60_000;

export async function recordPushWorkflow(input: RecordPushInput): Promise<void> {
  let requestedVersion = input.carried?.requestedVersion ?? 0;
  let pushedVersion = input.carried?.pushedVersion ?? 0;
  let pushes = 0;
  let lastOutcome: PushOutcome | null = null;

  setHandler(recordSavedSignal, ({ version }) => {
    requestedVersion = Math.max(requestedVersion, version);
  });
  setHandler(pushStatusQuery, () => ({ requestedVersion, pushedVersion, pushes, lastOutcome }));

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
      result = await pushRecord(key);
    } catch (err) {
      const failure = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
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
      await requestPush({ accountId: input.accountId, ...result.needs });
      await sleep(dependencyWaitMs);
      dependencyWaitMs = Math.min(dependencyWaitMs * 2, DEPENDENCY_WAIT_MAX_MS);
      continue;
    }
    dependencyWaitMs = 1000;
    pushedVersion = Math.max(pushedVersion, result.pushedVersion, target);

    if (pushes >= MAX_PUSHES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof recordPushWorkflow>({ ...input, carried: { requestedVersion, pushedVersion } });
    }
  }
  await condition(allHandlersFinished);
}
