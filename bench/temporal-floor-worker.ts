/**
 * The Temporal floor of push throughput: a worker process that runs the product's own push workflow
 * (`recordPushWorkflow`, same bundle, same push-worker options) with activities that do nothing. Saves
 * signalled to it cost exactly what Temporal and the SDK cost for a push, with no database and no BMS
 * request. Tells its parent (IPC) how many pushes it has run, at most every 20 ms and at each 100th.
 *
 *   node --import tsx bench/temporal-floor-worker.ts <task queue>      (env: TEMPORAL_ADDRESS)
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Activities } from '../activities';
import { loadConfig } from '../config';
import { connectionOptions } from '../lib/temporal';
import type { PushResult } from '../workflows/definitions';
import { workflowBundlePath } from '../worker/bundle';
import { pushWorkerOptions } from '../worker/worker';

async function main(): Promise<void> {
  const taskQueue = process.argv[2];
  if (!taskQueue || !process.send) throw new Error('usage: temporal-floor-worker <task queue> (with an IPC channel)');
  const config = loadConfig();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  let pushes = 0;
  let reported = 0;
  let timer: NodeJS.Timeout | undefined;
  const report = () => {
    timer = undefined;
    if (reported === pushes) return;
    reported = pushes;
    process.send?.({ pushes });
  };
  const activities: Pick<Activities, 'pushRecord' | 'markPushFailed' | 'requestPush'> = {
    // What a push that found the record already in BMS returns, without reading or sending anything.
    pushRecord: (): Promise<PushResult> => {
      pushes++;
      if (pushes % 100 === 0) report();
      else timer ??= setTimeout(report, 20);
      return Promise.resolve({ outcome: 'unchanged', pushedVersion: Number.MAX_SAFE_INTEGER });
    },
    markPushFailed: () => Promise.resolve(),
    requestPush: () => Promise.resolve({ queued: true }),
  };
  const connection = await NativeConnection.connect(connectionOptions(config.temporal));
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    workflowBundle: { codePath: await workflowBundlePath() },
    activities,
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    ...pushWorkerOptions(config),
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.shutdown());
  await worker.run();
  await connection.close();
  if (timer) clearTimeout(timer);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
