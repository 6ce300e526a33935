/**
 * The shared test environment, started once per mocha run on first use: a real Temporal dev server
 * (the `temporal` CLI, found or installed), a fresh PostgreSQL database (on DATABASE_URL's server, or an
 * embedded PostgreSQL), migrated, and the workflow bundle built once.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime, type WorkflowBundle } from '@temporalio/worker';
import getPort from './ports';
import { createDb, type Db, migrateLatest } from '../../db';
import { createDatabaseIfMissing, dropDatabase, type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../../devstack/postgres';
import { findTemporalCli } from '../../devstack/temporal-cli';
import { TemporalDevServer } from '../../devstack/temporal-server';
import { buildWorkflowBundle } from '../../worker/worker';

export interface SharedEnv {
  temporal: TemporalDevServer;
  temporalAddress: string;
  databaseUrl: string;
  db: Db;
  workflowBundle: WorkflowBundle;
  tmpDir: string;
}

export interface SharedEnvOptions {
  /** Dynamic config for the Temporal dev server (only the first call's options count). */
  temporalDynamicConfig?: Record<string, string | number | boolean>;
}

let starting: Promise<SharedEnv> | undefined;
const cleanups: Array<() => Promise<void>> = [];

let runtimeInstalled = false;
/**
 * The Temporal runtime of the test process. `Runtime.install` throws once any worker or connection exists,
 * so every test environment that makes one installs it through here first.
 */
export function installTestRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  runtimeInstalled = true;
}

let bundle: Promise<WorkflowBundle> | undefined;
/** The workflow bundle, built once per test process. */
export function testWorkflowBundle(): Promise<WorkflowBundle> {
  bundle ??= buildWorkflowBundle();
  return bundle;
}

async function start(options: SharedEnvOptions): Promise<SharedEnv> {
  installTestRuntime();
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'docsync-test-'));
  cleanups.push(() => Promise.resolve(rmSync(tmpDir, { recursive: true, force: true })));

  const cli = await findTemporalCli({ log: (l) => console.log(l) });
  const port = await getPort();
  const temporal = new TemporalDevServer({
    cliPath: cli,
    port,
    dbFile: path.join(tmpDir, 'temporal.db'),
    logFile: path.join(tmpDir, 'temporal.log'),
    dynamicConfig: options.temporalDynamicConfig,
  });
  const bundlePromise = testWorkflowBundle();
  await temporal.start();
  cleanups.push(() => temporal.stop());

  const database = `docsync_test_${randomBytes(4).toString('hex')}`;
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
  } else {
    const pg: EmbeddedPostgresHandle = await startEmbeddedPostgres({
      dataDir: path.resolve('.data', 'test'),
      port: await getPort(),
    });
    cleanups.push(() => pg.stop());
    adminUrl = pg.url;
  }
  await createDatabaseIfMissing(adminUrl, database);
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  const db = createDb({ url: databaseUrl, poolMax: 20 });
  await migrateLatest(db);
  cleanups.push(async () => {
    await db.destroy();
    await dropDatabase(adminUrl, database);
  });

  return { temporal, temporalAddress: temporal.address, databaseUrl, db, workflowBundle: await bundlePromise, tmpDir };
}

/** The shared environment (started on first call). */
export function sharedEnv(options: SharedEnvOptions = {}): Promise<SharedEnv> {
  starting ??= start(options);
  return starting;
}

/**
 * A database of its own, migrated, on the shared environment's PostgreSQL server, for tests whose
 * statements reach every row of a table (retention); dropped with the shared environment.
 */
export async function isolatedDatabase(prefix: string): Promise<Db> {
  const env = await sharedEnv();
  const database = `${prefix}_${randomBytes(4).toString('hex')}`;
  await createDatabaseIfMissing(env.databaseUrl, database);
  const url = new URL(env.databaseUrl);
  url.pathname = `/${database}`;
  const db = createDb({ url: url.toString(), poolMax: 5 });
  await migrateLatest(db);
  cleanups.push(async () => {
    await db.destroy();
    await dropDatabase(env.databaseUrl, database);
  });
  return db;
}

export async function stopSharedEnv(): Promise<void> {
  if (!starting) return;
  await starting.catch(() => undefined);
  for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => console.error('cleanup failed', err));
  cleanups.length = 0;
  starting = undefined;
}
