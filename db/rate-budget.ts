/**
 * The shared BMS request budget in Postgres: a sliding log of sent requests per (BMS tenant, endpoint).
 * A caller takes a slot under a transaction-scoped advisory lock, so concurrent workers in any number of
 * processes never exceed the limit together; a caller without a slot sleeps until the oldest request
 * leaves the window, then tries again. A safety margin on the window absorbs the time between taking a
 * slot and the request reaching BMS.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RateBudget } from '../bms/rate-budget';
import { unlimitedBudget } from '../bms/rate-budget';
import { RateBudgetBusyError } from '../bms/errors';
import type { Db } from './index';

export interface RateBudgetOptions {
  /** Requests allowed per window per (tenant, endpoint); 0 disables the budget. */
  rateLimitPerWindow: number;
  rateWindowSeconds: number;
  /** Extra window length, in ms (default: 1% of the window, at least 500 ms). */
  safetyMs?: number;
}

export function createRateBudget(db: Db, options: RateBudgetOptions): RateBudget {
  if (options.rateLimitPerWindow <= 0) return unlimitedBudget;
  const limit = options.rateLimitPerWindow;
  const windowMs = options.rateWindowSeconds * 1000 + (options.safetyMs ?? Math.max(500, options.rateWindowSeconds * 10));
  let sinceCleanup = 0;

  async function tryTake(tenantKey: string, endpoint: string): Promise<number> {
    return db.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [`${tenantKey}\n${endpoint}`]);
      const block = (await trx('bms_request_blocks')
        .where({ tenant_key: tenantKey, endpoint })
        .andWhereRaw('until > clock_timestamp()')
        .first(trx.raw('extract(epoch from (until - clock_timestamp())) * 1000 AS wait_ms'))) as { wait_ms: number } | undefined;
      if (block) return Math.max(1, Math.ceil(Number(block.wait_ms)));
      const { rows } = (await trx.raw(
        `SELECT count(*)::int AS used,
                extract(epoch from (min(at) + make_interval(secs => ?) - clock_timestamp())) * 1000 AS wait_ms
         FROM bms_request_log
         WHERE tenant_key = ? AND endpoint = ? AND at > clock_timestamp() - make_interval(secs => ?)`,
        [windowMs / 1000, tenantKey, endpoint, windowMs / 1000],
      )) as { rows: Array<{ used: number; wait_ms: number | null }> };
      const { used, wait_ms } = rows[0]!;
      if (used < limit) {
        await trx('bms_request_log').insert({ tenant_key: tenantKey, endpoint, at: trx.raw('clock_timestamp()') });
        return 0;
      }
      return Math.max(1, Math.ceil(Number(wait_ms ?? 1)));
    });
  }

  return {
    async acquire(tenantKey, endpoint, signal, maxWaitMs) {
      const deadline = maxWaitMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + maxWaitMs;
      for (;;) {
        signal?.throwIfAborted();
        const waitMs = await tryTake(tenantKey, endpoint);
        if (waitMs === 0) break;
        if (Date.now() + waitMs > deadline) throw new RateBudgetBusyError(endpoint, waitMs);
        // Spread the wake-ups of many waiting callers a little.
        await sleep(waitMs + Math.floor(Math.random() * 50), undefined, { signal });
      }
      if (++sinceCleanup >= 1000) {
        sinceCleanup = 0;
        await db('bms_request_log').whereRaw('at < clock_timestamp() - make_interval(secs => ?)', [windowMs / 1000]).delete();
      }
    },

    async backOff(tenantKey, endpoint, ms) {
      await db('bms_request_blocks')
        .insert({ tenant_key: tenantKey, endpoint, until: db.raw('clock_timestamp() + make_interval(secs => ?)', [ms / 1000]) })
        .onConflict(['tenant_key', 'endpoint'])
        .merge({ until: db.raw('greatest(bms_request_blocks.until, excluded.until)') });
    },
  };
}
