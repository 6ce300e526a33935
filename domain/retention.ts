/**
 * Retention's vocabulary, shared by the prune workflow, its activities and db/retention.ts: the steps of a
 * prune in order and the tables rows are pruned from. Pure: safe to import from workflows.
 */

/** The prune steps, in the order a prune runs them; each names the table it walks. */
export const RETENTION_TASKS = [
  'record_history',
  'sync_runs',
  'notification_deliveries',
  'adoptions',
  'bms_request_log',
  'bms_request_blocks',
  'idempotency_keys',
  'sessions',
  'retention_prunes',
] as const;
export type RetentionTask = (typeof RETENTION_TASKS)[number];

/** Every table rows are pruned from (a run's logs and an adoption's items go with their parent). */
export const PRUNED_TABLES = [...RETENTION_TASKS, 'sync_run_logs', 'adoption_items'] as const;
export type PrunedTable = (typeof PRUNED_TABLES)[number];

/** Rows deleted, per table. */
export type DeletedCounts = Partial<Record<PrunedTable, number>>;

/** `into` plus `more`, table by table. */
export function addDeleted(into: DeletedCounts, more: DeletedCounts): DeletedCounts {
  const sum: DeletedCounts = { ...into };
  for (const [table, n] of Object.entries(more) as Array<[PrunedTable, number]>) sum[table] = (sum[table] ?? 0) + n;
  return sum;
}
