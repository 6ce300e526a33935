/**
 * The retention Schedule on a real Temporal server with the real retention activities (on a database of
 * its own): created once and updated in place to a new interval, it starts the prune workflow, which
 * prunes what is old and records the prune in `retention_prunes`. And Temporal's own storage: the
 * embedded dev server's namespace keeps closed workflows for the retention it is started with.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Db } from '../../db';
import { listPrunes } from '../../db/retention';
import { createRetentionActivities } from '../../activities/retention';
import { createLogger } from '../../lib/logger';
import { ensureRetentionSchedule } from '../../lib/temporal';
import { RETENTION_SCHEDULE_ID } from '../../workflows/definitions';
import { findTemporalCli } from '../../devstack/temporal-cli';
import { TemporalDevServer } from '../../devstack/temporal-server';
import { isolatedDatabase, sharedEnv } from '../helpers/env';
import getPort from '../helpers/ports';
import { waitFor } from '../helpers/sync';

const DAY = 86_400_000;

describe('retention prune Schedule', function () {
  this.timeout(120_000);
  let db: Db;
  let client: Client;
  let worker: Worker;
  let native: NativeConnection;
  let running: Promise<void>;
  const taskQueue = `retention-${randomUUID()}`;

  before(async () => {
    const env = await sharedEnv();
    db = await isolatedDatabase('docsync_retention_wf');
    client = new Client({ connection: await Connection.connect({ address: env.temporalAddress }) });
    worker = await Worker.create({
      connection: (native = await NativeConnection.connect({ address: env.temporalAddress })),
      workflowBundle: env.workflowBundle,
      activities: createRetentionActivities({ db, logger: createLogger('test', 'silent'), retention: { periodMs: 90 * DAY } }),
      taskQueue,
    });
    running = worker.run();
  });

  after(async () => {
    await client?.schedule.getHandle(RETENTION_SCHEDULE_ID).delete().catch(() => undefined);
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running?.catch(() => undefined);
    await client?.connection.close();
    await native?.close();
  });

  it('is created once, updated to the configured interval, and its runs prune and record the prune', async () => {
    const [account] = (await db('accounts').insert({ name: 'Retention schedule' }).returning('id')) as Array<{ id: string }>;
    const started = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY);
    await db('sync_runs').insert(
      [300, 250, 200, 1].map((daysAgo) => ({
        account_id: account!.id,
        workflow_id: `wf-${randomUUID()}`,
        run_id: randomUUID(),
        trigger: 'schedule',
        status: 'completed',
        started_at: started(daysAgo),
      })),
    );

    // Created, then updated in place (a worker restarted with another RETENTION_PRUNE_EVERY).
    await ensureRetentionSchedule(client, taskQueue, 3_600_000);
    await ensureRetentionSchedule(client, taskQueue, 2_000, { batchSize: 1 });
    const described = await client.schedule.getHandle(RETENTION_SCHEDULE_ID).describe();
    assert.equal(described.policies.overlap, ScheduleOverlapPolicy.SKIP);
    assert.deepEqual(
      described.spec.intervals?.map((i) => i.every),
      [2_000],
    );
    assert.equal(described.action.type, 'startWorkflow');
    assert.equal(described.action.workflowType, 'retentionPruneWorkflow');
    assert.deepEqual(described.action.args, [{ batchSize: 1 }]);

    // The Schedule starts the workflow on its own (every 2 s here, one at a time); wait until the
    // finished prunes account for the three old runs (a later prune finds nothing more).
    const prunes = await waitFor(
      async () => {
        const finished = (await listPrunes(db, 100)).filter((p) => p.finishedAt);
        return finished.reduce((sum, p) => sum + (p.deleted.sync_runs ?? 0), 0) === 3 ? finished : undefined;
      },
      { timeoutMs: 60_000, what: 'finished retention prunes that deleted the three old runs' },
    );
    for (const prune of prunes) assert.equal(prune.error, null);
    const left = (await db('sync_runs').where({ account_id: account!.id }).pluck('started_at')) as Date[];
    assert.equal(left.length, 1);
    assert.ok(left[0]!.getTime() > Date.now() - 2 * DAY);
    const recent = (await client.schedule.getHandle(RETENTION_SCHEDULE_ID).describe()).info.recentActions;
    assert.ok(recent.length >= 1, 'the Schedule ran the workflow');
  });
});

describe('embedded Temporal dev server retention', function () {
  this.timeout(120_000);

  it('keeps closed workflows for the retention it is started with (the dev server\'s own is 1 day)', async () => {
    const server = new TemporalDevServer({ cliPath: await findTemporalCli(), port: await getPort(), retentionDays: 3 });
    try {
      await server.start();
      assert.equal(await server.retentionDays(), 3);
    } finally {
      await server.stop();
    }
  });
});
