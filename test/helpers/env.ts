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

let starting: Promise<SharedEnv> | undefined;
const cleanups: Array<() => Promise<void>> = [];

async function start(): Promise<SharedEnv> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'docsync-test-'));
  cleanups.push(() => Promise.resolve(rmSync(tmpDir, { recursive: true, force: true })));

  const cli = await findTemporalCli({ log: (l) => console.log(l) });
  const port = await getPort();
  const temporal = new TemporalDevServer({
    cliPath: cli,
    port,
    dbFile: path.join(tmpDir, 'temporal.db'),
    logFile: path.join(tmpDir, 'temporal.log'),
  });
  const bundlePromise = buildWorkflowBundle();
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
export function sharedEnv(): Promise<SharedEnv> {
  starting ??= start();
  return starting;
}

export async function stopSharedEnv(): Promise<void> {
  if (!starting) return;
  await starting.catch(() => undefined);
  for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => console.error('cleanup failed', err));
  cleanups.length = 0;
  starting = undefined;
}
