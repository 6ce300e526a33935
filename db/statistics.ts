/** Planner statistics: refreshing them for tables that grew faster than autovacuum notices. */
import type { Db } from './index';

/**
 * ANALYZEs the tables; with `sampleTarget`, from a sample of that statistics target (in a transaction,
 * so the smaller target does not outlive the statement on the pooled connection).
 */
export async function analyzeTables(db: Db, tables: string[], options: { sampleTarget?: number } = {}): Promise<void> {
  const list = tables.map((t) => `"${t}"`).join(', ');
  const { sampleTarget } = options;
  if (sampleTarget === undefined) {
    await db.raw(`ANALYZE ${list}`);
    return;
  }
  await db.transaction(async (trx) => {
    await trx.raw(`SET LOCAL default_statistics_target = ${sampleTarget}`);
    await trx.raw(`ANALYZE ${list}`);
  });
}

/**
 * Whether autovacuum is off on the server. The sync tables are updated all the time (links, snapshots,
 * runs): without it their dead rows and planner statistics are never cleaned, and every query on them
 * slows as they grow.
 */
export async function autovacuumOff(db: Db): Promise<boolean> {
  const { rows } = (await db.raw(`SELECT setting FROM pg_settings WHERE name = 'autovacuum'`)) as { rows: Array<{ setting: string }> };
  return rows[0]?.setting === 'off';
}
