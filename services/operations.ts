/**
 * What operators ask of a running service: the health of each dependency (database, Temporal, and the last
 * known reachability of each account's Kaseya BMS), and the database gauges of the metrics endpoint.
 */
import type { Client } from '@temporalio/client';
import type { BmsReachability, Health } from '../api/contract';
import type { Config } from '../config';
import type { Db } from '../db';
import { accountReachability, operationsSnapshot, pingDatabase, reachabilityCounts } from '../db/operations';
import { exportDatabaseGauges } from '../lib/metrics';

export interface OperationsDeps {
  db: Db;
  temporal: Client;
  config: Config;
}

/** How long one dependency check may take before it counts as down. */
export const HEALTH_CHECK_TIMEOUT_MS = 2_000;
/** Probes within this time share one check, so a flood of anonymous probes costs one query a second. */
const HEALTH_CACHE_MS = 1_000;

type Check = Health['checks']['database'];

async function timed(check: () => Promise<unknown>, what: string): Promise<Check> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${HEALTH_CHECK_TIMEOUT_MS} ms`)), HEALTH_CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: 'up', latencyMs: Date.now() - started };
  } catch (err) {
    // Our own words only: a dependency's answer is not echoed to anonymous callers.
    const timedOut = err instanceof Error && err.message.includes('did not answer');
    return { status: 'down', latencyMs: Date.now() - started, error: timedOut ? (err as Error).message : `${what} is unreachable` };
  } finally {
    clearTimeout(timer);
  }
}

async function checkAll(deps: OperationsDeps): Promise<Health> {
  const [database, temporal] = await Promise.all([
    timed(() => pingDatabase(deps.db), 'the database'),
    timed(
      () => deps.temporal.connection.withDeadline(Date.now() + HEALTH_CHECK_TIMEOUT_MS, () => deps.temporal.workflowService.getSystemInfo({})),
      'Temporal',
    ),
  ]);
  const accounts = { ok: 0, failed: 0, unchecked: 0 };
  if (database.status === 'up') {
    for (const row of await reachabilityCounts(deps.db).catch(() => [])) {
      if (row.status in accounts) accounts[row.status as keyof typeof accounts] = row.n;
    }
  }
  const down = database.status === 'down' || temporal.status === 'down';
  return {
    status: down ? 'down' : accounts.failed > 0 ? 'degraded' : 'ok',
    checkedAt: new Date().toISOString(),
    checks: { database, temporal, bms: { accounts } },
  };
}

/**
 * The health of every dependency. Anyone may ask (load balancers, uptime probes): they see each
 * dependency's status and how many accounts reach their BMS, never which. An administrator who sends
 * their credential also sees their own account's reachability with its error.
 */
export function healthChecker(deps: OperationsDeps) {
  let cached: { at: number; value: Promise<Health> } | undefined;
  return async function health(adminOf?: string): Promise<Health> {
    if (!cached || Date.now() - cached.at > HEALTH_CACHE_MS) cached = { at: Date.now(), value: checkAll(deps) };
    const value = await cached.value;
    if (adminOf === undefined || value.checks.database.status === 'down') return value;
    const own = await accountReachability(deps.db, adminOf).catch(() => undefined);
    const account: BmsReachability | undefined = own && { status: own.status, error: own.error, checkedAt: own.checkedAt, checkedBy: own.checkedBy };
    return account ? { ...value, checks: { ...value.checks, bms: { ...value.checks.bms, account } } } : value;
  };
}

/** Makes this process's metrics endpoint export the database gauges (the API process does; see lib/metrics.ts). */
export function exportOperationsGauges(deps: Pick<OperationsDeps, 'db' | 'config'>, options: { snapshotTtlMs?: number } = {}): void {
  const { bms, metrics } = deps.config;
  exportDatabaseGauges({
    read: () => operationsSnapshot(deps.db, bms.rateWindowSeconds),
    budgetLimit: bms.rateLimitPerWindow,
    maxAccountSeries: metrics.maxAccountSeries,
    snapshotTtlMs: options.snapshotTtlMs,
  });
}
