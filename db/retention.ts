/**
 * Retention: deleting the history, runs and logs older than the retention period, so storage stays
 * bounded, without ever deleting what the product still relies on. Each table is pruned in steps of at
 * most `batchSize` rows per statement (short transactions, row locks only), one table at a time; every
 * prune is recorded in `retention_prunes` with what it deleted per table.
 *
 * What is never pruned, per table:
 * - record_history: a record's `created` entry (how the record came to be: pulled or made here), the
 *   newest `keepPerRecord` entries of each record (its history page, the latest change), and push refusals
 *   not yet in a push digest. Once the record itself is deleted, its old entries all go (at the next full
 *   walk, within a day: between two, a prune re-examines only the records that got new entries).
 * - sync_runs (and their sync_run_logs): a run still running, each account's newest run and newest
 *   completed run (the Integration page and the freshness metric read them), and the run an account's
 *   failure streak points at. A run's logs are deleted with it, never apart from it.
 * - notification_deliveries: a delivery still pending or retrying, and each account's newest delivery of
 *   each event kind (how often an event may be raised is read from it).
 * - adoptions (and their adoption_items): a preview still computing or still open to confirm, and a
 *   confirmed adoption while a push it queued is still queued.
 * - bms_request_log: the rate budget's window (twice its length), whatever the retention period.
 * - idempotency_keys and sessions: only expired ones go (they are useless once expired, whatever their age).
 */
import type { Knex } from 'knex';
import { ADOPTION_PREVIEW_TTL_MINUTES } from '../domain/adoption';
import type { DeletedCounts, PrunedTable, RetentionTask } from '../domain/retention';
import type { Db } from './index';
import { iso, isoOrNull } from './rows';

type Conn = Db | Knex.Transaction;

export const DEFAULT_BATCH_SIZE = 5_000;
export const DEFAULT_KEEP_PER_RECORD = 10;

export interface PruneOptions {
  /** Rows older than this are pruned. */
  cutoff: Date;
  /** Rows per statement (default 5,000). */
  batchSize?: number;
  /** Newest history entries kept of each record whatever their age (default 10). */
  keepPerRecord?: number;
  /** The BMS rate budget's window: request log rows inside twice this stay (default one hour). */
  rateWindowSeconds?: number;
}

export interface PruneStep {
  deleted: DeletedCounts;
  /** Nothing more to prune in this table for this cutoff. */
  done: boolean;
  /** Where the next step of a table walked by primary key starts (the last id looked at). */
  cursor: string | null;
}

/** One step of pruning `task`: at most about `batchSize` rows of it per statement. */
export async function pruneStep(db: Db, task: RetentionTask, options: PruneOptions, cursor: string | null = null): Promise<PruneStep> {
  const o = {
    cutoff: options.cutoff.toISOString(),
    batch: options.batchSize ?? DEFAULT_BATCH_SIZE,
    keep: options.keepPerRecord ?? DEFAULT_KEEP_PER_RECORD,
    windowSeconds: 2 * (options.rateWindowSeconds ?? 3600),
  };
  if (!Number.isInteger(o.batch) || o.batch < 1) throw new RangeError('batchSize must be a positive integer');
  if (!Number.isInteger(o.keep) || o.keep < 1) throw new RangeError('keepPerRecord must be a positive integer');
  switch (task) {
    case 'record_history':
      return pruneHistory(db, o, cursor);
    case 'sync_runs':
      return pruneRuns(db, o);
    case 'adoptions':
      return pruneAdoptions(db, o);
    case 'bms_request_log':
      return pruneByIdWindow(db, 'bms_request_log', 'w.at < least(?::timestamptz, clock_timestamp() - make_interval(secs => ?))', [o.cutoff, o.windowSeconds], o, cursor);
    case 'notification_deliveries':
      return pruneByCtid(
        db,
        task,
        `SELECT d.ctid FROM notification_deliveries d
         WHERE d.created_at < ? AND d.status IN ('delivered', 'failed')
           AND EXISTS (SELECT 1 FROM notification_deliveries n
                       WHERE n.account_id = d.account_id AND n.event_kind = d.event_kind AND n.created_at > d.created_at)
         ORDER BY d.created_at LIMIT ?`,
        [o.cutoff, o.batch],
        o,
      );
    case 'bms_request_blocks':
      return pruneByCtid(db, task, 'SELECT ctid FROM bms_request_blocks WHERE until < ? LIMIT ?', [o.cutoff, o.batch], o);
    case 'idempotency_keys':
      return pruneByCtid(db, task, 'SELECT ctid FROM idempotency_keys WHERE expires_at < clock_timestamp() LIMIT ?', [o.batch], o);
    case 'sessions':
      return pruneByCtid(db, task, 'SELECT ctid FROM sessions WHERE expires_at < clock_timestamp() LIMIT ?', [o.batch], o);
    case 'retention_prunes':
      return pruneByCtid(
        db,
        task,
        `SELECT ctid FROM retention_prunes p
         WHERE p.finished_at < ? AND EXISTS (SELECT 1 FROM retention_prunes n WHERE n.id > p.id AND n.finished_at IS NOT NULL)
         LIMIT ?`,
        [o.cutoff, o.batch],
        o,
      );
  }
}

interface StepOptions {
  cutoff: string;
  batch: number;
  keep: number;
  windowSeconds: number;
}

/** Deletes the rows the subselect names by ctid (a TID scan, no second lookup), at most `batch` of them. */
async function pruneByCtid(db: Conn, table: PrunedTable, selectCtids: string, bindings: Knex.RawBinding[], o: StepOptions): Promise<PruneStep> {
  const result = (await db.raw(`DELETE FROM ${table} WHERE ctid = ANY(ARRAY(${selectCtids}))`, bindings)) as { rowCount: number };
  return { deleted: { [table]: result.rowCount }, done: result.rowCount < o.batch, cursor: null };
}

/**
 * The next `batch` rows by primary key after `cursor` (a window of existing rows, found on the primary
 * key's index alone), of which those matching `condition` (on alias `w`) are deleted. The walk ends at
 * the first window holding a row at or after the cutoff: ids grow with time, so newer rows follow it.
 */
async function pruneByIdWindow(
  db: Conn,
  table: 'bms_request_log',
  condition: string,
  bindings: Knex.RawBinding[],
  o: StepOptions,
  cursor: string | null,
): Promise<PruneStep> {
  const { rows } = (await db.raw(
    `WITH win AS (SELECT id, at FROM ${table} WHERE id > ? ORDER BY id LIMIT ?),
          gone AS (DELETE FROM ${table} t USING win w WHERE t.id = w.id AND ${condition} RETURNING t.id)
     SELECT (SELECT count(*) FROM gone)::int AS deleted, (SELECT max(id) FROM win)::text AS last_id,
            coalesce((SELECT bool_or(NOT (${condition})) FROM win w), false) AS reached`,
    [cursor ?? '0', o.batch, ...bindings, ...bindings],
  )) as { rows: Array<{ deleted: number; last_id: string | null; reached: boolean }> };
  const r = rows[0]!;
  return { deleted: { [table]: r.deleted }, done: r.last_id === null || r.reached, cursor: r.last_id ?? cursor };
}

/** Whether the history entry `h` belongs to a record (or a held BMS record) that still exists. */
const RECORD_EXISTS = `CASE h.record_type
    WHEN 'organization' THEN EXISTS (SELECT 1 FROM organizations r WHERE r.id = h.record_id)
    WHEN 'location' THEN EXISTS (SELECT 1 FROM locations r WHERE r.id = h.record_id)
    WHEN 'contact' THEN EXISTS (SELECT 1 FROM contacts r WHERE r.id = h.record_id)
    WHEN 'configuration' THEN EXISTS (SELECT 1 FROM configurations r WHERE r.id = h.record_id)
    ELSE false END
  OR EXISTS (SELECT 1 FROM held_records x WHERE x.id = h.record_id)`;

/**
 * Whether the history entry `h` may go, whatever its age: it is not its (existing) record's `created`
 * entry nor among its newest `keep` (bindings: keep, keep), nor a push refusal after the account's last
 * push digest (the next digest lists it).
 */
const HISTORY_PRUNABLE = `NOT (
    (${RECORD_EXISTS})
    AND (
      h.kind = 'created'
      OR (SELECT count(*) FROM (SELECT 1 FROM record_history n
                                WHERE n.record_type = h.record_type AND n.record_id = h.record_id AND n.id > h.id
                                LIMIT ?) newer) < ?
    )
  )
  AND NOT (h.kind = 'error' AND h.origin = 'push'
           AND h.at > coalesce((SELECT i.push_digest_at FROM integrations i WHERE i.account_id = h.account_id), 'infinity'))`;

/** A full walk of record_history (from its first entry) at least this often; the prunes between walk on from the last. */
export const HISTORY_FULL_WALK_EVERY_MS = 86_400_000;

/**
 * record_history's cursor: `full:<id>` walks from the first entry (the first prune, then once a day),
 * `recheck:<id>` re-examines the entries up to that id of the records that got entries after it, and a
 * plain `<id>` walks on from there (an id alone is also what a walk's cursor was before the rechecks).
 */
function historyCursor(cursor: string): { phase: 'full' | 'recheck' | 'walk'; id: string } {
  const m = /^(full|recheck):(\d+)$/.exec(cursor);
  if (m) return { phase: m[1] as 'full' | 'recheck', id: m[2]! };
  if (/^\d+$/.test(cursor)) return { phase: 'walk', id: cursor };
  throw new RangeError(`not a record_history cursor: ${cursor}`);
}

/** Where a prune of record_history starts: a full walk when none has ended within a day, else the recheck. */
async function historyStart(db: Conn): Promise<string> {
  const row = (await db('retention_cursors')
    .where({ task: 'record_history' })
    .first('walked_to', db.raw('coalesce(full_walk_at < clock_timestamp() - make_interval(secs => ?), true) AS full_due', [HISTORY_FULL_WALK_EVERY_MS / 1000]))) as
    | { walked_to: string; full_due: boolean }
    | undefined;
  return !row || row.full_due ? 'full:0' : `recheck:${row.walked_to}`;
}

/**
 * record_history. A walk goes by id windows: an entry older than the cutoff goes unless HISTORY_PRUNABLE
 * keeps it; it ends at the first window holding an entry at or after the cutoff, and where it ended is
 * kept (`retention_cursors`). Entries a walk kept stay kept until their record gets a newer entry (its
 * newest `keep` move on), the record is deleted, or the account's push digest passes a refusal: so the
 * next prune first re-examines the older entries of the records that got entries since (the recheck),
 * then walks on from there, and never walks again the entries kept forever. A full walk, at least once a
 * day, catches the rest (deleted records, digested refusals, an entry whose id was taken before the last
 * walk but written after it).
 */
async function pruneHistory(db: Conn, o: StepOptions, cursor: string | null): Promise<PruneStep> {
  const { phase, id } = historyCursor(cursor ?? (await historyStart(db)));
  if (phase === 'recheck') {
    const result = (await db.raw(
      `DELETE FROM record_history WHERE ctid = ANY(ARRAY(
         SELECT h.ctid
         FROM (SELECT DISTINCT record_type, record_id FROM record_history WHERE id > ?) t
         JOIN record_history h ON h.record_type = t.record_type AND h.record_id = t.record_id AND h.id <= ?
         WHERE h.at < ? AND ${HISTORY_PRUNABLE}
         LIMIT ?))`,
      [id, id, o.cutoff, o.keep, o.keep, o.batch],
    )) as { rowCount: number };
    // Once no batch is full, the walk goes on from where the last one ended.
    return { deleted: { record_history: result.rowCount }, done: false, cursor: result.rowCount < o.batch ? id : `recheck:${id}` };
  }
  const { rows } = (await db.raw(
    `WITH win AS (SELECT id, at FROM record_history WHERE id > ? ORDER BY id LIMIT ?),
          gone AS (
            DELETE FROM record_history h USING win w
            WHERE h.id = w.id AND w.at < ? AND ${HISTORY_PRUNABLE}
            RETURNING h.id)
     SELECT (SELECT count(*) FROM gone)::int AS deleted, (SELECT max(id) FROM win)::text AS last_id,
            coalesce((SELECT bool_or(at >= ?) FROM win), false) AS reached`,
    [id, o.batch, o.cutoff, o.keep, o.keep, o.cutoff],
  )) as { rows: Array<{ deleted: number; last_id: string | null; reached: boolean }> };
  const r = rows[0]!;
  const deleted = { record_history: r.deleted };
  if (r.last_id !== null && !r.reached) return { deleted, done: false, cursor: phase === 'full' ? `full:${r.last_id}` : r.last_id };
  // Every entry up to `id` was examined (this window was not whole below the cutoff, or was empty).
  await db.raw(
    `INSERT INTO retention_cursors (task, walked_to, full_walk_at, updated_at) VALUES ('record_history', ?, ${phase === 'full' ? 'clock_timestamp()' : 'NULL'}, clock_timestamp())
     ON CONFLICT (task) DO UPDATE SET walked_to = excluded.walked_to, updated_at = excluded.updated_at,
       full_walk_at = coalesce(excluded.full_walk_at, retention_cursors.full_walk_at)`,
    [id],
  );
  return { deleted, done: true, cursor: id };
}

/** Deletes the rows of `table` whose `column` is one of `ids`, `batch` per statement; returns how many. */
async function deleteChildren(db: Conn, table: 'sync_run_logs' | 'adoption_items', column: string, ids: string[], batch: number): Promise<number> {
  let total = 0;
  for (;;) {
    const result = (await db.raw(
      `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE ${column} = ANY(?::uuid[]) LIMIT ?))`,
      [ids, batch],
    )) as { rowCount: number };
    total += result.rowCount;
    if (result.rowCount < batch) return total;
  }
}

/** Runs older than the cutoff that no rule keeps, oldest first, with their logs (deleted first). */
async function pruneRuns(db: Conn, o: StepOptions): Promise<PruneStep> {
  const { rows } = (await db.raw(
    `SELECT r.id FROM sync_runs r
     WHERE r.started_at < ? AND r.status <> 'running'
       AND EXISTS (SELECT 1 FROM sync_runs n WHERE n.account_id = r.account_id AND n.started_at > r.started_at)
       AND (r.status <> 'completed'
            OR EXISTS (SELECT 1 FROM sync_runs n WHERE n.account_id = r.account_id AND n.status = 'completed' AND n.started_at > r.started_at))
       AND r.id NOT IN (SELECT failure_last_run FROM integrations WHERE failure_last_run IS NOT NULL)
     ORDER BY r.started_at LIMIT ?`,
    [o.cutoff, o.batch],
  )) as { rows: Array<{ id: string }> };
  const ids = rows.map((r) => r.id);
  if (ids.length === 0) return { deleted: {}, done: true, cursor: null };
  const logs = await deleteChildren(db, 'sync_run_logs', 'sync_run_id', ids, o.batch);
  const runs = (await db.raw(`DELETE FROM sync_runs WHERE id = ANY(?::uuid[]) AND status <> 'running'`, [ids])) as { rowCount: number };
  return { deleted: { sync_runs: runs.rowCount, sync_run_logs: logs }, done: ids.length < o.batch, cursor: null };
}

/** Adoptions older than the cutoff that are neither open nor still pushing, with their items (deleted first). */
async function pruneAdoptions(db: Conn, o: StepOptions): Promise<PruneStep> {
  const { rows } = (await db.raw(
    `SELECT a.id FROM adoptions a
     WHERE a.created_at < ? AND a.status <> 'computing'
       AND coalesce(a.computed_at, a.created_at) < clock_timestamp() - make_interval(mins => ?)
       AND NOT EXISTS (
         SELECT 1 FROM adoption_items i
         JOIN sync_links l ON l.record_type = i.record_type AND l.record_id = i.record_id
         WHERE i.adoption_id = a.id AND i.queued_version IS NOT NULL
           AND l.state = 'queued' AND coalesce(l.pushed_version, 0) < i.queued_version)
     ORDER BY a.created_at LIMIT ?`,
    [o.cutoff, ADOPTION_PREVIEW_TTL_MINUTES, o.batch],
  )) as { rows: Array<{ id: string }> };
  const ids = rows.map((r) => r.id);
  if (ids.length === 0) return { deleted: {}, done: true, cursor: null };
  const items = await deleteChildren(db, 'adoption_items', 'adoption_id', ids, o.batch);
  const adoptions = (await db.raw('DELETE FROM adoptions WHERE id = ANY(?::uuid[])', [ids])) as { rowCount: number };
  return { deleted: { adoptions: adoptions.rowCount, adoption_items: items }, done: ids.length < o.batch, cursor: null };
}

// ------------------------------------------------------------------ the record of prunes

export interface RetentionPrune {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  cutoff: string;
  deleted: DeletedCounts;
  error: string | null;
}

function fromRow(r: Record<string, unknown>): RetentionPrune {
  return {
    id: String(r.id),
    startedAt: iso(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
    cutoff: iso(r.cutoff),
    deleted: (r.deleted as DeletedCounts | null) ?? {},
    error: (r.error as string | null) ?? null,
  };
}

/** Records the start of a prune; its cutoff is the database's clock minus `periodMs`. */
export async function startPrune(db: Conn, periodMs: number): Promise<RetentionPrune> {
  const [row] = (await db('retention_prunes')
    .insert({ cutoff: db.raw('clock_timestamp() - make_interval(secs => ?)', [periodMs / 1000]) })
    .returning('*')) as Array<Record<string, unknown>>;
  return fromRow(row!);
}

/** Records the end of a prune (once: a retried call leaves the first end as it was). */
export async function finishPrune(db: Conn, id: string, deleted: DeletedCounts, error: string | null = null): Promise<RetentionPrune | undefined> {
  const [row] = (await db('retention_prunes')
    .where({ id })
    .whereNull('finished_at')
    .update({ finished_at: db.raw('clock_timestamp()'), deleted: JSON.stringify(deleted), error }, '*')) as Array<Record<string, unknown>>;
  return row ? fromRow(row) : undefined;
}

export async function getPrune(db: Conn, id: string): Promise<RetentionPrune | undefined> {
  const row = (await db('retention_prunes').where({ id }).first()) as Record<string, unknown> | undefined;
  return row ? fromRow(row) : undefined;
}

/** The newest prunes, newest first. */
export async function listPrunes(db: Conn, limit = 20): Promise<RetentionPrune[]> {
  const rows = (await db('retention_prunes').orderBy('id', 'desc').limit(limit)) as Array<Record<string, unknown>>;
  return rows.map(fromRow);
}
