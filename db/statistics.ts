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
