/** Per-record sync history: what was pulled, pushed, refused or in conflict, with field diffs. */
import type { Knex } from 'knex';
import type { HistoryKind } from '../domain/history';
import type { RecordType } from '../domain/records';
import type { Db } from './index';
import { jsonInsert } from './rows';


type Conn = Db | Knex.Transaction;


export interface HistoryEntry {
  accountId: string;
  recordType: RecordType;
  recordId: string;
  kind: HistoryKind;
  origin?: string | null;
  summary: string;
  changes?: unknown;
  workflowId?: string | null;
}

export interface StoredHistoryEntry extends HistoryEntry {
  id: number;
  at: string;
}

const HISTORY_COLUMNS = [
  ['account_id', 'uuid'],
  ['record_type', 'text'],
  ['record_id', 'uuid'],
  ['kind', 'text'],
  ['origin', 'text'],
  ['summary', 'text'],
  ['changes', 'jsonb'],
  ['workflow_id', 'text'],
] as const;

/** One statement adding the entries (however many), not yet run: for writers that batch statements. */
export function historyInsert(db: Conn, entries: HistoryEntry[]): Knex.Raw {
  return jsonInsert(
    db,
    'record_history',
    HISTORY_COLUMNS,
    entries.map((e) => ({
      account_id: e.accountId,
      record_type: e.recordType,
      record_id: e.recordId,
      kind: e.kind,
      origin: e.origin ?? null,
      summary: e.summary,
      changes: e.changes ?? null,
      workflow_id: e.workflowId ?? null,
    })),
  );
}

export async function addHistory(db: Conn, entries: HistoryEntry | HistoryEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length > 0) await historyInsert(db, list);
}

export async function listHistory(
  db: Conn,
  recordType: RecordType,
  recordId: string,
  limit = 100,
): Promise<StoredHistoryEntry[]> {
  const rows = (await db('record_history')
    .where({ record_type: recordType, record_id: recordId })
    .orderBy('id', 'desc')
    .limit(limit)) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at instanceof Date ? r.at.toISOString() : String(r.at),
    accountId: String(r.account_id),
    recordType: r.record_type as RecordType,
    recordId: String(r.record_id),
    kind: r.kind as HistoryKind,
    origin: (r.origin as string | null) ?? null,
    summary: String(r.summary),
    changes: r.changes ?? undefined,
    workflowId: (r.workflow_id as string | null) ?? null,
  }));
}
