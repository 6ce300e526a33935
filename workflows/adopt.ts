/**
 * Reads of Kaseya BMS a person waits for, each one activity on the pull task queue (bulk work, under the
 * rate budget): the adoption preview (what pushing chosen records would do) and the counts a Sync
 * Settings preview shows. Neither writes to BMS.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE_BMS_ERRORS } from '../bms/errors';
import type { AdoptionPreviewInput, SettingsCountInput, StartCount } from './definitions';

const { previewAdoption, countBmsSelections } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes: [...NON_RETRYABLE_BMS_ERRORS],
  },
});

const { failAdoptionPreview } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
});

export async function adoptionPreviewWorkflow(input: AdoptionPreviewInput): Promise<{ items: number }> {
  try {
    return await previewAdoption(input);
  } catch (err) {
    const failure = err instanceof ActivityFailure ? err.cause : err;
    const message = failure instanceof ApplicationFailure || failure instanceof Error ? failure.message : String(failure);
    await failAdoptionPreview({ ...input, error: message });
    return { items: 0 };
  }
}

export async function settingsCountWorkflow(input: SettingsCountInput): Promise<StartCount[]> {
  return countBmsSelections(input);
}
