/**
 * One notification delivery: the activity sends it, Temporal retries it with backoff (each attempt is
 * written to the delivery log), and a delivery that runs out of attempts, or that retrying cannot help,
 * is marked failed. Carries the delivery id only: the event and the channel's secret stay in the database.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { NotificationDeliveryInput } from './definitions';

/** Attempts per delivery: about an hour and a half from the first to the last. */
export const DELIVERY_ATTEMPTS = 10;

const { deliverNotification } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '10 seconds',
    backoffCoefficient: 2,
    maximumInterval: '15 minutes',
    maximumAttempts: DELIVERY_ATTEMPTS,
    nonRetryableErrorTypes: ['NotificationRefused'],
  },
});

const { markNotificationFailed } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
});

export async function notificationDeliveryWorkflow(input: NotificationDeliveryInput): Promise<void> {
  try {
    await deliverNotification({ deliveryId: input.deliveryId, maxAttempts: DELIVERY_ATTEMPTS });
  } catch (err) {
    const failure = err instanceof ActivityFailure ? err.cause : err;
    const message = failure instanceof Error ? failure.message : String(failure);
    await markNotificationFailed({ deliveryId: input.deliveryId, error: message });
    throw ApplicationFailure.nonRetryable(`Notification not delivered: ${message}`, 'NotificationNotDelivered');
  }
}
