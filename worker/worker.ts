/**
 * The worker: one connection, two task queues (record pushes are latency-sensitive; pulls are bulk),
 * the same activities on both. Built from injected dependencies so tests run it in-process too.
 */
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { Config } from '../config';
import type { Db } from '../db';
import type { Logger } from '../lib/logger';
import { outboundPolicyFor } from '../lib/outbound';
import type { SecretBox } from '../lib/secrets';
import { connectionOptions } from '../lib/temporal';
import { createActivities } from '../activities';
import type { RateBudget } from '../bms/rate-budget';
import { unlimitedBudget } from '../bms/rate-budget';

export interface WorkerDeps {
  config: Config;
  db: Db;
  secrets: SecretBox;
  temporal: Client;
  logger: Logger;
  budget?: RateBudget;
  /** The workflow code: a bundle in memory (tests build it once) or a file; built here when omitted. */
  workflowBundle?: WorkflowBundle | { codePath: string };
  /** Idle timeout for push workflows started by activities (default: the workflow's own). */
  pushIdleTimeoutMs?: number;
}

/** Push workflows kept in the worker's sticky cache (see the push worker's options). */
const PUSH_CACHED_WORKFLOWS = 500;

export async function buildWorkflowBundle(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: new DefaultLogger('WARN') });
}

/**
 * What the push task queue's worker sets beyond the common options (the benchmark's Temporal floor runs
 * the push workflow with these too).
 */
export function pushWorkerOptions(config: Pick<Config, 'worker'>) {
  return {
    // A push's first attempt runs as a local activity inside its workflow task, which holds its
    // workflow-task slot meanwhile: as many of both as of activity slots, so pushes run as wide as before.
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentActivities,
    maxConcurrentLocalActivityExecutions: config.worker.maxConcurrentActivities,
    // Each recently saved record keeps an idle push workflow for 10 minutes. Cached, its next save needs
    // no replay; but the default cache (~2,300 per worker, from the heap size) costs ~125 KB each: the
    // worker grew 300 → 870 MB over 3,000 saves of different records (+283 MB for 3,000 bare workflows;
    // +82 MB with 500). An evicted workflow replays its short history on its next task.
    maxCachedWorkflows: PUSH_CACHED_WORKFLOWS,
  } as const;
}

export interface RunningWorkers {
  /** Resolves when both workers have stopped. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorkers(deps: WorkerDeps): Promise<RunningWorkers> {
  const { config } = deps;
  const connection = await NativeConnection.connect(connectionOptions(config.temporal));
  const activities = createActivities({
    db: deps.db,
    secrets: deps.secrets,
    temporal: deps.temporal,
    taskQueues: config.temporal.taskQueues,
    budget: deps.budget ?? unlimitedBudget,
    bmsTimeoutMs: config.bms.requestTimeoutMs,
    outbound: outboundPolicyFor(config.bms.allowedHosts),
    logger: deps.logger,
    pushIdleTimeoutMs: deps.pushIdleTimeoutMs,
    notifications: config.notifications,
    retention: { periodMs: config.retention.periodMs, rateWindowSeconds: config.bms.rateWindowSeconds },
  });
  const workflowBundle = deps.workflowBundle ?? (await buildWorkflowBundle());
  const common = {
    connection,
    namespace: config.temporal.namespace,
    workflowBundle,
    activities,
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    shutdownGraceTime: `${config.worker.shutdownGraceSeconds}s`,
  } as const;
  const workers = await Promise.all([
    Worker.create({ ...common, ...pushWorkerOptions(config), taskQueue: config.temporal.taskQueues.push }),
    Worker.create({ ...common, taskQueue: config.temporal.taskQueues.pull }),
  ]);
  const done = Promise.all(workers.map((w) => w.run())).then(
    async () => connection.close(),
    async (err: unknown) => {
      await connection.close();
      throw err;
    },
  );
  return {
    done,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done;
    },
  };
}
