/**
 * The bench's own stack, as separate processes like production: a Temporal dev server (SQLite in a temp
 * folder, free ports) or, with `temporal: 'cluster'`, the Temporal server on PostgreSQL persistence with mTLS
 * (`devstack/temporal-cluster.ts`, two databases of its own on the same PostgreSQL server, dropped at the
 * end), a fresh PostgreSQL database (on DATABASE_URL's server, or an embedded PostgreSQL),
 * migrated, the BMS simulator (`simulator/main.ts`, rate limit off, no seed), one worker process and one
 * API process. Everything it started is stopped by `stop()`, which is safe to call at any point.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { createDb, type Db, migrateLatest } from '../db';
import { createDatabaseIfMissing, dropDatabase, type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../devstack/postgres';
import { ServiceProcess } from '../devstack/service-process';
import { findTemporalCli } from '../devstack/temporal-cli';
import { findTemporalServerTools, TemporalCluster } from '../devstack/temporal-cluster';
import { TemporalDevServer } from '../devstack/temporal-server';
import { answers, GiveUpWaiting, waitFor } from '../devstack/wait';
import getPort from '../test/helpers/ports';
import { enableStatementLog } from './sql-log';

const ROOT = path.resolve(__dirname, '..');
export const TASK_QUEUE_PREFIX = 'bench';
export const SIM_CREDENTIALS = { tenant: 'Demo MSP', username: 'api.user', password: 'demo-password' };
/** The simulator answers plain http on loopback: the outbound policy must be told so. */
export const SIMULATOR_ALLOWED_HOSTS = 'http://127.0.0.1';

/** What runs Temporal: the dev server (the CLI, SQLite) or the server on PostgreSQL with mTLS. */
export type TemporalEngine = 'dev' | 'cluster';
export const TEMPORAL_ENGINES: readonly TemporalEngine[] = ['dev', 'cluster'];

export interface BenchStackOptions {
  temporal?: TemporalEngine;
  /** Write V8 CPU profiles of the worker and the API into this folder (one per process life). */
  cpuProfDir?: string;
  /** Log every statement of the bench's database (set before any service connects). */
  logStatements?: boolean;
  /** Extra environment of the worker and API processes (e.g. the retention settings of a capacity run). */
  serviceEnv?: Record<string, string>;
  log: (line: string) => void;
}


export class BenchStack {
  readonly tmpDir = path.join(os.tmpdir(), `docsync-bench-${randomBytes(4).toString('hex')}`);
  private readonly stops: Array<{ what: string; stop: () => Promise<void> }> = [];
  readonly engine: TemporalEngine;
  private devServer: TemporalDevServer | undefined;
  private cluster: TemporalCluster | undefined;
  /** The bench's own connection to the database (accounts, pg_stat readings). */
  db!: Db;
  databaseUrl!: string;
  /** Name of the bench's database. */
  database!: string;
  simUrl!: string;
  apiUrl!: string;
  sim!: ServiceProcess;
  worker: ServiceProcess | undefined;
  api: ServiceProcess | undefined;
  private childEnv: NodeJS.ProcessEnv = {};
  /** The cluster engine's own databases (persistence, visibility) on the PostgreSQL server. */
  temporalDatabases: string[] = [];
  private temporalConnection: Connection | undefined;
  private starts = 0;

  constructor(private readonly options: BenchStackOptions) {
    this.engine = options.temporal ?? 'dev';
    mkdirSync(this.tmpDir, { recursive: true });
  }

  /** The Temporal engine, as the report names it. */
  get engineLabel(): string {
    return this.engine === 'cluster' ? 'Temporal server v1.29.1 on PostgreSQL, mTLS, 4 shards' : 'Temporal dev server (SQLite)';
  }

  get namespace(): string {
    return this.cluster?.namespace ?? 'default';
  }

  get temporalAddress(): string {
    const server = this.cluster ?? this.devServer;
    if (!server) throw new Error('Temporal has not been started');
    return server.address;
  }

  /** A new connection to the stack's Temporal (with the client certificate on the cluster); the caller closes it. */
  async connectTemporal(): Promise<Connection> {
    return Connection.connect({ address: this.temporalAddress, tls: this.cluster ? await this.cluster.clientTls() : undefined });
  }

  /** The dev server's SQLite files (database, WAL, shared memory); empty on the cluster engine. */
  temporalFiles(): string[] {
    if (!this.devServer) return [];
    return readdirSync(this.tmpDir)
      .filter((f) => f.startsWith('temporal.db'))
      .map((f) => path.join(this.tmpDir, f));
  }

  logFile(name: string): string {
    return path.join(this.tmpDir, `${name}.log`);
  }

  async start(): Promise<void> {
    const log = this.options.log;
    const started = performance.now();

    // PostgreSQL: a fresh database, dropped at the end.
    const id = randomBytes(4).toString('hex');
    const database = `docsync_bench_${id}`;
    this.database = database;
    let adminUrl = process.env.DATABASE_URL;
    if (!adminUrl) {
      log('DATABASE_URL is not set: starting an embedded PostgreSQL');
      const pg: EmbeddedPostgresHandle = await startEmbeddedPostgres({ dataDir: path.join(this.tmpDir, 'pg'), port: await getPort() });
      this.stops.push({ what: 'embedded PostgreSQL', stop: () => pg.stop() });
      adminUrl = pg.url;
    }

    // Temporal (the workflow bundle is built by the worker process itself, as in production).
    let temporalStarted: Promise<void>;
    if (this.engine === 'cluster') {
      const cluster = new TemporalCluster({
        tools: await findTemporalServerTools({ log }),
        postgresUrl: adminUrl,
        dir: path.join(this.tmpDir, 'temporal-cluster'),
        databases: { temporal: `temporal_bench_${id}`, visibility: `temporal_visibility_bench_${id}` },
        dropDatabasesOnStop: true,
        log,
      });
      this.cluster = cluster;
      this.temporalDatabases = [`temporal_bench_${id}`, `temporal_visibility_bench_${id}`];
      temporalStarted = cluster.start();
      this.stops.push({ what: 'Temporal server', stop: () => cluster.stop() });
    } else {
      const devServer = new TemporalDevServer({
        cliPath: await findTemporalCli({ log }),
        port: await getPort(),
        dbFile: path.join(this.tmpDir, 'temporal.db'),
        logFile: this.logFile('temporal'),
      });
      this.devServer = devServer;
      temporalStarted = devServer.start();
      this.stops.push({ what: 'Temporal dev server', stop: () => devServer.stop() });
    }
    // Not awaited yet: settled below, after the database is ready (a failure must not go unhandled meanwhile).
    temporalStarted.catch(() => undefined);
    await createDatabaseIfMissing(adminUrl, database);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    this.databaseUrl = url.toString();
    this.db = createDb({ url: this.databaseUrl, poolMax: 4 });
    const admin = adminUrl;
    this.stops.push({
      what: `database ${database}`,
      stop: async () => {
        await this.db.destroy();
        await dropDatabase(admin, database);
      },
    });
    await migrateLatest(this.db);
    const { rows } = (await this.db.raw(
      `SELECT name, setting FROM pg_settings WHERE name = ANY(?)`,
      [['server_version', 'autovacuum', 'shared_buffers', 'work_mem', 'synchronous_commit', 'fsync', 'max_connections']],
    )) as { rows: Array<{ name: string; setting: string }> };
    this.postgresSettings = Object.fromEntries(rows.map((r) => [r.name, r.setting]));
    this.postgresVersion = this.postgresSettings.server_version;
    if (this.options.logStatements) await enableStatementLog(this.db, database);
    if (this.postgresSettings.autovacuum === 'off') log('note: autovacuum is off on this PostgreSQL server (planner statistics of new tables are never refreshed)');
    await temporalStarted;

    const simPort = await getPort();
    this.simUrl = `http://127.0.0.1:${simPort}`;
    const apiPort = await getPort();
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    this.childEnv = {
      ...process.env,
      DATABASE_URL: this.databaseUrl,
      ...(this.cluster ? this.cluster.clientEnv() : { TEMPORAL_ADDRESS: this.temporalAddress }),
      TEMPORAL_TASK_QUEUE_PREFIX: TASK_QUEUE_PREFIX,
      DATA_DIR: this.tmpDir,
      SECRET_KEY: `bench-${randomBytes(16).toString('hex')}`,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      BMS_RATE_LIMIT_PER_WINDOW: '0',
      BMS_ALLOWED_HOSTS: SIMULATOR_ALLOWED_HOSTS,
      WORKER_SHUTDOWN_GRACE_SECONDS: '5',
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      ...this.options.serviceEnv,
    };
    delete this.childEnv.NODE_OPTIONS;

    this.sim = new ServiceProcess('simulator', path.join(ROOT, 'simulator', 'main.ts'), this.childEnv, {
      args: ['--port', String(simPort), '--seed', 'none', '--rate-limit', 'off'],
      output: { file: this.logFile('simulator') },
    });
    this.sim.start();
    this.stops.push({ what: 'simulator', stop: () => this.sim.stop() });
    await waitFor(() => answers(`${this.simUrl}/_sim/health`), { timeoutMs: 30_000, intervalMs: 100, what: 'the BMS simulator' });

    // Registered first: a worker that dies on start must not leave the API running.
    this.stops.push({ what: 'worker and API', stop: () => this.stopServices() });
    await this.startServices();
    log(`stack up in ${Math.round(performance.now() - started)} ms (temp ${this.tmpDir})`);
  }

  postgresVersion: string | undefined;
  postgresSettings: Record<string, string> = {};

  /** Starts the worker and the API processes and waits until both serve. */
  async startServices(): Promise<void> {
    this.starts++;
    const dir = this.options.cpuProfDir;
    if (dir) mkdirSync(dir, { recursive: true });
    // Not allowed in NODE_OPTIONS; written when the process exits (worker-1 covers the small pull, worker-2
    // the rest). Every thread writes one (tsx's loader thread too), and so does every child that inherits
    // the flag (the worker's bundle build): each process life gets a folder, and once the process has
    // stopped its main thread's profile is moved up to worker-2.cpuprofile.
    const nodeArgs = (name: string) => (dir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, `${name}-${this.starts}`)}`] : []);
    const worker = new ServiceProcess('worker', path.join(ROOT, 'worker', 'main.ts'), this.childEnv, {
      nodeArgs: nodeArgs('worker'),
      output: { file: this.logFile('worker') },
    });
    const api = new ServiceProcess('api', path.join(ROOT, 'api', 'main.ts'), this.childEnv, {
      nodeArgs: nodeArgs('api'),
      output: { file: this.logFile('api') },
    });
    worker.start();
    api.start();
    this.worker = worker;
    this.api = api;
    await waitFor(() => answers(`${this.apiUrl}/api/v1/health`), { timeoutMs: 60_000, intervalMs: 100, what: 'the API' });
    await this.waitForWorkerPolling(worker);
  }

  async stopServices(): Promise<void> {
    const lives = [
      { name: 'api', pid: this.api?.pid },
      { name: 'worker', pid: this.worker?.pid },
    ];
    await Promise.all([this.api?.stop(15_000), this.worker?.stop(30_000)]);
    this.api = undefined;
    this.worker = undefined;
    const dir = this.options.cpuProfDir;
    if (dir) for (const { name, pid } of lives) if (pid) this.keepMainThreadProfile(dir, `${name}-${this.starts}`, pid);
  }

  /** Moves `<dir>/<life>/CPU.….<pid>.0.….cpuprofile` (the main thread's) to `<dir>/<life>.cpuprofile`. */
  private keepMainThreadProfile(dir: string, life: string, pid: number): void {
    const folder = path.join(dir, life);
    const main = existsSync(folder) ? readdirSync(folder).find((f) => f.includes(`.${pid}.0.`) && f.endsWith('.cpuprofile')) : undefined;
    if (main) renameSync(path.join(folder, main), path.join(dir, `${life}.cpuprofile`));
    else this.options.log(`no CPU profile of ${life}'s main thread in ${folder}`);
  }

  /** Fresh worker and API processes (their peak RSS starts over). */
  async restartServices(): Promise<void> {
    await this.stopServices();
    await this.startServices();
  }

  /**
   * Starts the Temporal floor's worker (`bench/temporal-floor-worker.ts`) on its own task queue and waits
   * until it polls; the caller stops it.
   */
  async startTemporalFloorWorker(): Promise<{ process: ServiceProcess; taskQueue: string }> {
    const taskQueue = `${TASK_QUEUE_PREFIX}-temporal-floor`;
    const floor = new ServiceProcess('Temporal floor worker', path.join(ROOT, 'bench', 'temporal-floor-worker.ts'), this.childEnv, {
      args: [taskQueue],
      output: { file: this.logFile('temporal-floor-worker') },
      ipc: true,
    });
    floor.start();
    this.stops.push({ what: 'Temporal floor worker', stop: () => floor.stop(30_000) });
    await this.waitForPolling(floor, [taskQueue], this.logFile('temporal-floor-worker'));
    return { process: floor, taskQueue };
  }

  /** Until this worker process polls both task queues (its Temporal identity starts with its pid). */
  private async waitForWorkerPolling(worker: ServiceProcess): Promise<void> {
    await this.waitForPolling(worker, ['push', 'pull'].map((queue) => `${TASK_QUEUE_PREFIX}-${queue}`), this.logFile('worker'));
  }

  /** Until this worker process polls each of `taskQueues` (its Temporal identity starts with its pid). */
  private async waitForPolling(worker: ServiceProcess, taskQueues: string[], logFile: string): Promise<void> {
    this.temporalConnection ??= await this.connectTemporal();
    const connection = this.temporalConnection;
    const pid = worker.pid;
    await waitFor(
      async () => {
        if (!worker.running) throw new GiveUpWaiting(`the ${worker.name} exited; see ${logFile}`);
        for (const name of taskQueues) {
          const res = await connection.workflowService.describeTaskQueue({
            namespace: this.namespace,
            taskQueue: { name },
            taskQueueType: 1, // workflow tasks
          });
          if (!res.pollers?.some((p) => p.identity?.startsWith(`${pid}@`))) return false;
        }
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 250, what: `the ${worker.name} to poll its task queues` },
    );
  }

  /** Stops everything that was started, newest first; never throws. */
  async stop(keepTmp = false): Promise<void> {
    await this.temporalConnection?.close().catch(() => undefined);
    for (const { what, stop } of this.stops.reverse()) {
      await stop().catch((err: unknown) => this.options.log(`stopping ${what} failed: ${(err as Error).message}`));
    }
    this.stops.length = 0;
    if (!keepTmp) rmSync(this.tmpDir, { recursive: true, force: true });
  }
}
