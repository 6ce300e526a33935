/**
 * The notification delivery workflow on a real Temporal server with stub activities: a delivery is sent
 * once when it goes through; one that retrying cannot help is not retried, and is marked failed.
 */
import assert from 'node:assert/strict';
import { activityInfo } from '@temporalio/activity';
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { notificationWorkflowId } from '../../workflows/definitions';
import { DELIVERY_ATTEMPTS, notificationDeliveryWorkflow } from '../../workflows/notification';
import { ended, uniqueId, withWorker, workflowTestEnv } from './workflow-env';

describe('notification delivery workflow', function () {
  this.timeout(60_000);
  let client: Client;

  before(async () => {
    client = (await workflowTestEnv()).env.client;
  });

  const start = (taskQueue: string, deliveryId: string) =>
    client.workflow.start(notificationDeliveryWorkflow, { workflowId: notificationWorkflowId(deliveryId), taskQueue, args: [{ deliveryId }] });

  it('delivers once, with the delivery id only and the attempt limit', async () => {
    const calls: unknown[] = [];
    const deliveryId = uniqueId('delivery');
    await withWorker(
      {
        deliverNotification(input) {
          calls.push(input);
          return Promise.resolve();
        },
        markNotificationFailed() {
          calls.push('markNotificationFailed');
          return Promise.resolve();
        },
      },
      async (taskQueue) => {
        await ended(await start(taskQueue, deliveryId));
      },
    );
    assert.deepEqual(calls, [{ deliveryId, maxAttempts: DELIVERY_ATTEMPTS }]);
  });

  it('does not retry a delivery the destination policy refuses, and marks it failed', async () => {
    const attempts: number[] = [];
    const failed: unknown[] = [];
    const deliveryId = uniqueId('delivery');
    await withWorker(
      {
        deliverNotification() {
          attempts.push(activityInfo().attempt);
          throw ApplicationFailure.create({ type: 'NotificationRefused', message: '10.0.0.1 is not allowed' });
        },
        markNotificationFailed(input) {
          failed.push(input);
          return Promise.resolve();
        },
      },
      async (taskQueue) => {
        const failure = await ended(await start(taskQueue, deliveryId)).then(
          () => assert.fail('the delivery should fail'),
          (err: unknown) => err,
        );
        assert.ok(failure instanceof WorkflowFailedError);
        assert.equal((failure.cause as ApplicationFailure).type, 'NotificationNotDelivered');
      },
    );
    assert.deepEqual(attempts, [1]);
    assert.deepEqual(failed, [{ deliveryId, error: '10.0.0.1 is not allowed' }]);
  });
});
