/**
 * The database client: one knex instance per process, configured once. DATE columns come back as
 * 'YYYY-MM-DD' strings (no timezone shifts) and BIGINT counts as numbers.
 */
import knex, { type Knex } from 'knex';
import pg from 'pg';
import { createLogger, type Logger } from '../lib/logger';
import { migrationSource } from './migrations';

export type Db = Knex;

pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface DbOptions {
  url: string;
  poolMax?: number;
  /** Where knex's own warnings go (default: a `db` logger), instead of the console. */
  logger?: Logger;
}

export function createDb(options: DbOptions): Db {
  const logger = options.logger ?? createLogger('db');
  return knex({
    log: {
      warn: (message: unknown) => logger.warn(String(message)),
      error: (message: unknown) => logger.error(String(message)),
      deprecate: (method: string, alternative: string) => logger.warn(`${method} is deprecated; use ${alternative}`),
      debug: (message: unknown) => logger.debug(String(message)),
    },
    client: 'pg',
    connection: { connectionString: options.url, application_name: 'bms-docsync' },
    pool: { min: 0, max: options.poolMax ?? 10 },
    migrations: { migrationSource, tableName: 'knex_migrations' },
  });
}

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest()) as [number, string[]];
  return applied;
}

export async function migrateRollbackAll(db: Db): Promise<void> {
  await db.migrate.rollback(undefined, true);
}

/** DATABASE_URL, or the embedded PostgreSQL's URL (which `npm start` runs when DATABASE_URL is unset). */
export function resolveDatabaseUrl(config: { database: { url: string | undefined; embeddedPort: number } }): string {
  return config.database.url ?? `postgres://postgres:postgres@127.0.0.1:${config.database.embeddedPort}/docsync`;
}
