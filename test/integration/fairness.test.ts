/**
 * Fair dispatch on the Temporal server the product starts: a task queue's backlog is handed out in turn per
 * fairness key (the product's account id), so one account's large backlog does not make another account's
 * few tasks wait until it is gone. Without `matching.enableFairness` the server hands the backlog out in
 * order and the small account's tasks come last.
 *
 * The server here is the product's dev server with one change: each task queue has one partition instead of
 * four. Fairness orders each partition's backlog; with four, which partition a task lands in and which one a
 * poll reads add their own shuffle, so only one partition makes the order the server's fair order itself.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { accountPriority } from '../../lib/temporal';
import { notificationWorkflowId } from '../../workflows/definitions';
import { findTemporalCli } from '../../devstack/temporal-cli';
import { TemporalDevServer } from '../../devstack/temporal-server';
import { installTestRuntime, testWorkflowBundle } from '../helpers/env';
import getPort from '../helpers/ports';
import { waitFor } from '../helpers/sync';

describe('fair dispatch per account', function () {
  this.timeout(120_000);
  let server: TemporalDevServer | undefined;
  after(async () => server?.stop());

  it("serves a small account's tasks in turn with a large backlog of another account", async () => {
    installTestRuntime();
    server = new TemporalDevServer({
      cliPath: await findTemporalCli(),
      port: await getPort(),
      dynamicConfig: { 'matching.numTaskqueueReadPartitions': 1, 'matching.numTaskqueueWritePartitions': 1 },
    });
    await server.start();
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const taskQueue = `fairness-${randomUUID()}`;
    const big = randomUUID();
    const small = randomUUID();
    const owner = new Map<string, string>();
    const start = async (accountId: string) => {
      const deliveryId = randomUUID();
      owner.set(deliveryId, accountId);
      await client.workflow.start('notificationDeliveryWorkflow', {
        workflowId: notificationWorkflowId(deliveryId),
        taskQueue,
        args: [{ deliveryId }],
        priority: accountPriority(accountId),
      });
    };
    // The backlog builds up while no worker polls: 40 tasks of one account, then 4 of another.
    for (let i = 0; i < 40; i++) await start(big);
    for (let i = 0; i < 4; i++) await start(small);

    const order: string[] = [];
    const workerConnection = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({
      connection: workerConnection,
      taskQueue,
      workflowBundle: await testWorkflowBundle(),
      activities: {
        deliverNotification: ({ deliveryId }: { deliveryId: string }) => {
          order.push(owner.get(deliveryId)!);
          return Promise.resolve();
        },
        markNotificationFailed: () => Promise.resolve(),
      },
      // One task at a time, so the order the server hands them out is the order they run.
      maxConcurrentWorkflowTaskExecutions: 2,
      maxConcurrentActivityTaskExecutions: 1,
      maxConcurrentWorkflowTaskPolls: 1,
      maxConcurrentActivityTaskPolls: 1,
    });
    try {
      await worker.runUntil(waitFor(() => order.length === 44 || undefined, { what: 'every delivery', timeoutMs: 90_000 }));
    } finally {
      await workerConnection.close();
      await connection.close();
    }
    const lastSmall = order.lastIndexOf(small);
    // In order, the small account's 4 would run 41st to 44th; in turn, they run among the first dozen.
    assert.ok(lastSmall < 12, `the small account's last task ran at position ${lastSmall + 1} of 44: ${order.map((a) => (a === small ? 'S' : 'b')).join('')}`);
  });
});
