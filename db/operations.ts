/**
 * What operators read from the database: the gauges a metrics scrape exports (each one grouped query),
 * the last known reachability of Kaseya BMS per account (kept by connection tests, pulls and pushes), and
 * the database's own liveness for the health endpoint.
 */
import type { Knex } from 'knex';
import type { OperationsSnapshot } from '../lib/metrics';
import type { Db } from './index';
import { isoOrNull } from './rows';

type Conn = Db | Knex.Transaction;

export type Reachability = 'ok' | 'failed';
export type ReachabilitySource = 'connection_test' | 'pull' | 'push';

/** A successful push confirms reachability at most this often (a failure, or a change, is written at once). */
const CONFIRM_EVERY_SECONDS = 60;

/**
 * Records what the last contact with the account's Kaseya BMS showed. A push that would change nothing but
 * the time is skipped while the stored one is recent, so busy pushes do not rewrite the row; connection
 * tests and pulls (a few an hour) always write.
 */
export async function recordReachability(db: Conn, accountId: string, status: Reachability, error: string | null, source: ReachabilitySource): Promise<void> {
  const q = db('integrations').where({ account_id: accountId });
  if (source === 'push') {
    void q.andWhere((w) => {
      void w
        .whereNot({ bms_reachability: status })
        .orWhereRaw('bms_reachability_error IS DISTINCT FROM ?', [error])
        .orWhereNull('bms_reachability_at')
        .orWhereRaw('bms_reachability_at < now() - make_interval(secs => ?)', [CONFIRM_EVERY_SECONDS]);
    });
  }
  await q.update({ bms_reachability: status, bms_reachability_error: error, bms_reachability_at: db.fn.now(), bms_reachability_by: source });
}

export interface AccountReachability {
  accountId: string;
  status: 'ok' | 'failed' | 'unchecked';
  error: string | null;
  checkedAt: string | null;
  checkedBy: ReachabilitySource | null;
}

/** The account's last known reachability of Kaseya BMS; undefined when it is not connected. */
export async function accountReachability(db: Conn, accountId: string): Promise<AccountReachability | undefined> {
  const row = (await db('integrations')
    .where({ account_id: accountId })
    .first('account_id', 'bms_reachability', 'bms_reachability_error', 'bms_reachability_at', 'bms_reachability_by')) as Record<string, unknown> | undefined;
  if (!row) return undefined;
  return {
    accountId: String(row.account_id),
    status: row.bms_reachability as AccountReachability['status'],
    error: (row.bms_reachability_error as string | null) ?? null,
    checkedAt: isoOrNull(row.bms_reachability_at),
    checkedBy: (row.bms_reachability_by as ReachabilitySource | null) ?? null,
  };
}

/** Connected accounts by last known reachability (what anyone may see: counts, no account). */
export async function reachabilityCounts(db: Conn): Promise<Array<{ status: string; n: number }>> {
  return (await db('integrations').groupBy('bms_reachability').select('bms_reachability as status', db.raw('count(*)::int AS n'))) as Array<{ status: string; n: number }>;
}

/** Whether the database answers, and how long it took. */
export async function pingDatabase(db: Conn): Promise<void> {
  await db.raw('SELECT 1');
}

/** Everything a metrics scrape exports from the database, in one round of grouped queries. */
export async function operationsSnapshot(db: Db, budgetWindowSeconds: number): Promise<OperationsSnapshot> {
  const [records, freshness, budget, reachability, paused, lastPrune] = await Promise.all([
    db('sync_links').groupBy('record_type', 'state').select('record_type', 'state', db.raw('count(*)::int AS n')) as Promise<Array<{ record_type: string; state: string; n: number }>>,
    db('integrations as i')
      .select('i.account_id', 'i.created_at', db.raw("(SELECT max(r.started_at) FROM sync_runs r WHERE r.account_id = i.account_id AND r.status = 'completed') AS last_completed")) as Promise<
      Array<{ account_id: string; created_at: Date; last_completed: Date | null }>
    >,
    db('bms_request_log')
      .whereRaw('at > clock_timestamp() - make_interval(secs => ?)', [budgetWindowSeconds])
      .groupBy('tenant_key', 'endpoint')
      .select('tenant_key', 'endpoint', db.raw('count(*)::int AS used')) as Promise<Array<{ tenant_key: string; endpoint: string; used: number }>>,
    reachabilityCounts(db),
    db('integrations').where({ paused: true }).count({ n: '*' }).first() as Promise<{ n: number | string } | undefined>,
    // The newest prune first by primary key: it is nearly always the finished one.
    db('retention_prunes').whereNotNull('finished_at').orderBy('id', 'desc').first('finished_at', 'error') as Promise<{ finished_at: Date; error: string | null } | undefined>,
  ]);
  return {
    records: records.map((r) => ({ recordType: r.record_type, state: r.state, n: r.n })),
    freshness: freshness.map((r) => ({ accountId: String(r.account_id), lastCompletedPullStart: r.last_completed, connectedAt: r.created_at })),
    budget: budget.map((b) => ({ tenant: b.tenant_key, endpoint: b.endpoint, used: b.used })),
    reachability,
    paused: Number(paused?.n ?? 0),
    lastPrune: lastPrune ? { finishedAt: lastPrune.finished_at, failed: lastPrune.error !== null } : null,
  };
}
