/**
 * The request budget every Kaseya BMS call passes through: at most N requests per (BMS tenant, endpoint)
 * in any sliding window. The shared implementation lives in Postgres (db/rate-budget.ts) so every worker
 * process draws from the same budget; throttled calls wait, they are never dropped.
 */
export interface RateBudget {
  /** Resolves when one request to `endpoint` may be sent now; waits while the budget is spent. */
  acquire(tenantKey: string, endpoint: string, signal?: AbortSignal): Promise<void>;
  /** BMS asked us to wait (429 Retry-After): hold every caller of `endpoint` back for `ms`. */
  backOff(tenantKey: string, endpoint: string, ms: number): Promise<void>;
}

export const unlimitedBudget: RateBudget = {
  acquire: () => Promise.resolve(),
  backOff: () => Promise.resolve(),
};
