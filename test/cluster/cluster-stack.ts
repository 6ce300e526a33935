/**
 * The product on a Temporal cluster, for the tests of `npm run test:cluster`: the server built from
 * go.temporal.io/server on PostgreSQL persistence and SQL visibility, mTLS with certificates made for the
 * run, two databases of its own (dropped at the end); the product's own database, migrated, with an
 * account and its administrator; the BMS simulator; and several worker and API processes connected to the
 * cluster with TEMPORAL_TLS_* only. Workers can be killed and new ones started; `stop()` stops everything.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../config';
import { createDb, type Db, migrateLatest } from '../../db';
import { createDatabaseIfMissing, dropDatabase, type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../../devstack/postgres';
import { ServiceProcess } from '../../devstack/service-process';
import { findTemporalServerTools, TemporalCluster } from '../../devstack/temporal-cluster';
import { answers, GiveUpWaiting } from '../../devstack/wait';
import { createAccount, createUser, login } from '../../services/accounts';
import { createSimulator, type SimulatorOptions, type SimulatorHandle } from '../../simulator';
import { HttpClient } from '../helpers/api-client';
import { testWorkflowBundle } from '../helpers/env';
import getPort from '../helpers/ports';
import { SIMULATOR_ALLOWED_HOSTS } from '../helpers/stack';
import { waitFor } from '../helpers/sync';

const ROOT = path.join(__dirname, '..', '..');

export interface ClusterStackOptions {
  workers: number;
  apis: number;
  simulator?: Pick<SimulatorOptions, 'seed' | 'rateLimit'>;
  /** Settings of every worker and API process, over the defaults below. */
  env?: NodeJS.ProcessEnv;
  namespace?: string;
}

export interface ClusterStack {
  suffix: string;
  tmpDir: string;
  cluster: TemporalCluster;
  namespace: string;
  /** The test's own client of the cluster (with the client certificate). */
  temporal: Client;
  sim: SimulatorHandle;
  simAdmin: HttpClient;
  /** The product's database, and the URL of its server with a user that may create databases. */
  db: Db;
  adminUrl: string;
  database: string;
  accountId: string;
  /** The same administrator's session on each API process. */
  admins: HttpClient[];
  /** The worker processes running now (a killed one is taken out). */
  workers: ServiceProcess[];
  apis: ServiceProcess[];
  /** Starts one more worker process and waits until it polls both task queues. */
  startWorker(): Promise<ServiceProcess>;
  /** Kills a worker process at once (SIGKILL) and takes it out of `workers`. */
  killWorker(worker: ServiceProcess): Promise<void>;
  timings: string[];
  stop(): Promise<void>;
}

export async function startClusterStack(options: ClusterStackOptions): Promise<ClusterStack> {
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => console.error('cleanup failed', err));
    cleanups.length = 0;
  };
  try {
    return await start(options, cleanups, stop);
  } catch (err) {
    await stop();
    throw err;
  }
}

async function start(options: ClusterStackOptions, cleanups: Array<() => Promise<void>>, stop: () => Promise<void>): Promise<ClusterStack> {
  const started = Date.now();
  const timings: string[] = [];
  const suffix = randomBytes(4).toString('hex');
  const namespace = options.namespace ?? 'docsync-cluster';
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'docsync-cluster-'));
  cleanups.push(() => Promise.resolve(rmSync(tmpDir, { recursive: true, force: true })));

  let t = Date.now();
  const tools = await findTemporalServerTools({ log: (l) => console.log(`      ${l}`) });
  timings.push(`server and schema tool found or built: ${((Date.now() - t) / 1000).toFixed(1)} s`);

  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const pg: EmbeddedPostgresHandle = await startEmbeddedPostgres({ dataDir: path.resolve('.data', 'test'), port: await getPort() });
    cleanups.push(() => pg.stop());
    adminUrl = pg.url;
  }

  t = Date.now();
  const cluster = new TemporalCluster({
    tools,
    postgresUrl: adminUrl,
    dir: path.join(tmpDir, 'cluster'),
    databases: { temporal: `temporal_${suffix}`, visibility: `temporal_visibility_${suffix}` },
    dropDatabasesOnStop: true,
    namespace,
    retentionDays: 3,
  });
  cleanups.push(() => cluster.stop());
  await cluster.start();
  timings.push(`cluster prepared and started (databases, schemas, certificates, namespace, search attributes): ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const temporal = new Client({ connection: await Connection.connect({ address: cluster.address, tls: await cluster.clientTls() }), namespace });
  cleanups.push(() => temporal.connection.close());

  // The product's own database.
  const database = `docsync_cluster_${suffix}`;
  await createDatabaseIfMissing(adminUrl, database);
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const db = createDb({ url: url.toString(), poolMax: 5 });
  const admin = adminUrl;
  cleanups.push(async () => {
    await db.destroy();
    await dropDatabase(admin, database);
  });
  await migrateLatest(db);

  const sim = await createSimulator({ port: 0, ...options.simulator });
  cleanups.push(() => sim.close());

  const account = await createAccount(db, { name: `Cluster MSP ${suffix}`, plan: 'enterprise' });
  await createUser(db, { accountId: account.id, email: `admin-${suffix}@test.example`, name: 'Cluster Admin', role: 'administrator', password: 'admin-password' });

  // One workflow bundle for every worker (built here, as `npm start` does before it starts its worker).
  const bundle = path.join(tmpDir, 'workflows.js');
  writeFileSync(bundle, (await testWorkflowBundle()).code);
  const prefix = `cluster-${suffix}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...cluster.clientEnv(),
    DATABASE_URL: url.toString(),
    TEMPORAL_TASK_QUEUE_PREFIX: prefix,
    WORKFLOW_BUNDLE_PATH: bundle,
    DATA_DIR: tmpDir,
    SECRET_KEY: `cluster-secret-${suffix}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    BMS_ALLOWED_HOSTS: SIMULATOR_ALLOWED_HOSTS,
    BMS_REQUEST_TIMEOUT_MS: '5000',
    WORKER_SHUTDOWN_GRACE_SECONDS: '2',
    ...options.env,
  };
  const taskQueues = Object.values(loadConfig({ TEMPORAL_TASK_QUEUE_PREFIX: prefix }).temporal.taskQueues);

  const workers: ServiceProcess[] = [];
  const apis: ServiceProcess[] = [];
  cleanups.push(async () => {
    await Promise.all([...workers, ...apis].map((p) => p.stop()));
  });
  let workerNo = 0;
  const spawnWorker = () => {
    const name = `worker-${++workerNo}`;
    const worker = new ServiceProcess(name, path.join(ROOT, 'worker', 'main.ts'), env, { output: { file: path.join(tmpDir, `${name}.log`) } });
    worker.start();
    workers.push(worker);
    return worker;
  };
  /** Until this worker polls every task queue (its Temporal identity starts with its pid). */
  const polling = async (worker: ServiceProcess) => {
    for (const taskQueue of taskQueues) {
      await waitFor(
        async () => {
          if (!worker.running) throw new GiveUpWaiting(`${worker.name} exited; see ${path.join(tmpDir, `${worker.name}.log`)}`);
          const { pollers } = await temporal.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 });
          return pollers?.some((p) => p.identity?.startsWith(`${worker.pid}@`)) ?? false;
        },
        { timeoutMs: 120_000, intervalMs: 500, what: `${worker.name} polling ${taskQueue}` },
      );
    }
  };

  t = Date.now();
  const started1 = Array.from({ length: options.workers }, spawnWorker);
  const apiUrls: string[] = [];
  for (let i = 1; i <= options.apis; i++) {
    const port = await getPort();
    apiUrls.push(`http://127.0.0.1:${port}`);
    const api = new ServiceProcess(`api-${i}`, path.join(ROOT, 'api', 'main.ts'), { ...env, API_PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` }, {
      output: { file: path.join(tmpDir, `api-${i}.log`) },
    });
    api.start();
    apis.push(api);
  }
  for (const apiUrl of apiUrls) await waitFor(() => answers(`${apiUrl}/api/v1/health`), { timeoutMs: 120_000, intervalMs: 250, what: `the API at ${apiUrl}` });
  for (const worker of started1) await polling(worker);
  timings.push(`${options.workers} workers and ${options.apis} APIs up: ${((Date.now() - t) / 1000).toFixed(1)} s`);

  const session = await login(db, `admin-${suffix}@test.example`, 'admin-password');
  const admins = apiUrls.map((u) => new HttpClient(u).withToken(session!.token));
  timings.push(`set-up in all: ${((Date.now() - started) / 1000).toFixed(1)} s`);

  return {
    suffix,
    tmpDir,
    cluster,
    namespace,
    temporal,
    sim,
    simAdmin: new HttpClient(sim.url),
    db,
    adminUrl,
    database,
    accountId: account.id,
    admins,
    workers,
    apis,
    async startWorker() {
      const worker = spawnWorker();
      await polling(worker);
      return worker;
    },
    async killWorker(worker) {
      await worker.kill();
      workers.splice(workers.indexOf(worker), 1);
    },
    timings,
    stop,
  };
}
