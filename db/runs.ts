/** Pull runs and their logs: counts created/updated/orphaned/failed and errors with the BMS message. */
import type { Knex } from 'knex';
import type { Db } from './index';
import { iso, isoOrNull, jsonInsert } from './rows';

type Conn = Db | Knex.Transaction;
type Row = Record<string, unknown>;

export interface RunCounts {
  [entity: string]: { seen?: number; created?: number; updated?: number; linked?: number; unchanged?: number; orphaned?: number; failed?: number; skipped?: number };
}

export interface SyncRun {
  id: string;
  accountId: string;
  workflowId: string;
  runId: string;
  trigger: string;
  status: 'running' | 'completed' | 'failed' | 'skipped';
  counts: RunCounts;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

function fromRow(r: Row): SyncRun {
  return {
    id: String(r.id),
    accountId: String(r.account_id),
    workflowId: String(r.workflow_id),
    runId: String(r.run_id),
    trigger: String(r.trigger),
    status: r.status as SyncRun['status'],
    counts: (r.counts as RunCounts) ?? {},
    error: (r.error as string | null) ?? null,
    startedAt: isoOrNull(r.started_at) ?? '',
    finishedAt: isoOrNull(r.finished_at),
  };
}

/** Starts a run, or returns the one already recorded for this workflow run (activity retries). */
export async function startRun(
  db: Conn,
  input: { accountId: string; workflowId: string; runId: string; trigger: string },
): Promise<SyncRun> {
  await db('sync_runs')
    .insert({ account_id: input.accountId, workflow_id: input.workflowId, run_id: input.runId, trigger: input.trigger })
    .onConflict(['workflow_id', 'run_id'])
    .ignore();
  const row = (await db('sync_runs').where({ workflow_id: input.workflowId, run_id: input.runId }).first()) as Row;
  return fromRow(row);
}

/** Adds `delta` into the run's counts (per entity, per counter) atomically. */
export async function addRunCounts(db: Conn, runId: string, delta: RunCounts): Promise<void> {
  await db.transaction(async (trx) => {
    const row = (await trx('sync_runs').where({ id: runId }).forUpdate().first('counts')) as Row | undefined;
    if (!row) return;
    const counts = (row.counts as RunCounts) ?? {};
    for (const [entity, values] of Object.entries(delta)) {
      const target = (counts[entity] ??= {});
      for (const [key, n] of Object.entries(values)) {
        const k = key as keyof typeof target;
        target[k] = (target[k] ?? 0) + (n ?? 0);
      }
    }
    await trx('sync_runs').where({ id: runId }).update({ counts: JSON.stringify(counts) });
  });
}

/** Ends a running run; returns it as finished, or undefined when it had already ended (a retried call). */
export async function finishRun(db: Conn, runId: string, status: SyncRun['status'], error: string | null = null): Promise<SyncRun | undefined> {
  const rows = (await db('sync_runs').where({ id: runId, status: 'running' }).update({ status, error, finished_at: db.fn.now() }, '*')) as Row[];
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/**
 * The start of the account's first pull that completed after `after`, other than the workflow run
 * `exceptRunId`, if any.
 */
export async function completedRunStartedAfter(db: Conn, accountId: string, after: Date, exceptRunId: string): Promise<Date | undefined> {
  const row = (await db('sync_runs')
    .where({ account_id: accountId, status: 'completed' })
    .where('started_at', '>', after)
    .whereNot({ run_id: exceptRunId })
    .orderBy('started_at')
    .first('started_at')) as { started_at: Date } | undefined;
  return row?.started_at;
}

/** When the account's latest pull other than the workflow run `exceptRunId` started, if it ever pulled. */
export async function latestRunStart(db: Conn, accountId: string, exceptRunId: string): Promise<Date | null> {
  const previous = (await db('sync_runs')
    .where({ account_id: accountId })
    .whereNot({ run_id: exceptRunId })
    .max('started_at as at')
    .first()) as { at: Date | null } | undefined;
  return previous?.at ?? null;
}

export interface RunLogEntry {
  runId: string;
  level: 'info' | 'warn' | 'error';
  message: string;
  recordType?: string;
  recordId?: string;
  bmsId?: number;
}

const RUN_LOG_COLUMNS = [
  ['sync_run_id', 'uuid'],
  ['level', 'text'],
  ['message', 'text'],
  ['record_type', 'text'],
  ['record_id', 'uuid'],
  ['bms_id', 'integer'],
] as const;

/** One statement adding the entries (however many), not yet run: for writers that batch statements. */
export function runLogInsert(db: Conn, entries: RunLogEntry[]): Knex.Raw {
  return jsonInsert(
    db,
    'sync_run_logs',
    RUN_LOG_COLUMNS,
    entries.map((e) => ({
      sync_run_id: e.runId,
      level: e.level,
      message: e.message,
      record_type: e.recordType ?? null,
      record_id: e.recordId ?? null,
      bms_id: e.bmsId ?? null,
    })),
  );
}

export async function addRunLog(db: Conn, entries: RunLogEntry[]): Promise<void> {
  if (entries.length > 0) await runLogInsert(db, entries);
}

/** Which runs a list shows: by status, trigger, and start time (`from` inclusive, `to` exclusive). */
export interface RunFilter {
  status?: SyncRun['status'];
  trigger?: string;
  from?: Date;
  to?: Date;
}

function filteredRuns(db: Conn, accountId: string, filter: RunFilter) {
  const q = db('sync_runs').where({ account_id: accountId });
  if (filter.status) void q.where({ status: filter.status });
  if (filter.trigger) void q.where({ trigger: filter.trigger });
  if (filter.from) void q.where('started_at', '>=', filter.from);
  if (filter.to) void q.where('started_at', '<', filter.to);
  return q;
}

/** The account's runs, newest first, with how many match the filter in all. */
export async function listRuns(db: Conn, accountId: string, limit = 50, offset = 0, filter: RunFilter = {}): Promise<{ items: SyncRun[]; total: number }> {
  const [{ count }] = (await filteredRuns(db, accountId, filter).count({ count: '*' })) as [{ count: string }];
  const rows = (await filteredRuns(db, accountId, filter)
    .orderBy('started_at', 'desc')
    .limit(limit)
    .offset(offset)) as Row[];
  return { items: rows.map(fromRow), total: Number(count) };
}

export async function getRun(db: Conn, accountId: string, id: string): Promise<SyncRun | undefined> {
  const row = (await db('sync_runs').where({ account_id: accountId, id }).first()) as Row | undefined;
  return row ? fromRow(row) : undefined;
}

/** A run's log as stored, oldest first; the rows keep their column names. */
export interface StoredRunLog {
  id: number;
  sync_run_id: string;
  at: string;
  level: RunLogEntry['level'];
  message: string;
  record_type: string | null;
  record_id: string | null;
  bms_id: number | null;
}

export async function listRunLogs(db: Conn, runId: string, limit = 500): Promise<StoredRunLog[]> {
  const rows = (await db('sync_run_logs').where({ sync_run_id: runId }).orderBy('id', 'asc').limit(limit)) as Row[];
  return rows.map((r) => ({ ...(r as unknown as StoredRunLog), at: iso(r.at) }));
}

export async function getWatermark(db: Conn, accountId: string, entity: string): Promise<string | null> {
  const row = (await db('pull_watermarks').where({ account_id: accountId, entity }).first('watermark')) as Row | undefined;
  return (row?.watermark as string | null) ?? null;
}

export async function setWatermark(db: Conn, accountId: string, entity: string, watermark: string): Promise<void> {
  await db('pull_watermarks')
    .insert({ account_id: accountId, entity, watermark, updated_at: db.fn.now() })
    .onConflict(['account_id', 'entity'])
    .merge(['watermark', 'updated_at']);
}

/** An entity's pull state besides the watermark (e.g. where the assets' rotating refresh left off). */
export async function getPullState(db: Conn, accountId: string, entity: string): Promise<Record<string, unknown>> {
  const row = (await db('pull_watermarks').where({ account_id: accountId, entity }).first('state')) as Row | undefined;
  return (row?.state as Record<string, unknown> | null) ?? {};
}

export async function setPullState(db: Conn, accountId: string, entity: string, state: Record<string, unknown>): Promise<void> {
  await db('pull_watermarks')
    .insert({ account_id: accountId, entity, state: JSON.stringify(state), updated_at: db.fn.now() })
    .onConflict(['account_id', 'entity'])
    .merge(['state', 'updated_at']);
}

/** Forgets where incremental pulls left off, so the next pull reads everything (a full sync). */
export async function resetWatermarks(db: Conn, accountId: string): Promise<void> {
  await db('pull_watermarks').where({ account_id: accountId }).delete();
}
