/**
 * The records that need a person, found through their links: the conditions of each problem kind
 * (domain/problems.ts `problemKindOf`) as SQL, counts per kind, and pages in keyset order (newest first).
 */
import type { Knex } from 'knex';
import { MISSING_VALUE_ERROR } from '../domain/pre-push';
import { LINK_PROBLEM_KINDS, type LinkProblemKind } from '../domain/problems';
import type { RecordType } from '../domain/records';
import type { Db } from './index';
import { linkFromRow, type SyncLink } from './links';

type Conn = Db | Knex.Transaction;

/** The condition on `sync_links` (alias `l`) of each kind, as `problemKindOf` decides it. */
const KIND_SQL: Record<LinkProblemKind, string> = {
  failed: `l.state = 'failed' AND coalesce(l.last_error->>'type', '') <> '${MISSING_VALUE_ERROR}'`,
  missing_value: `l.state = 'failed' AND l.last_error->>'type' = '${MISSING_VALUE_ERROR}'`,
  waiting: `l.state = 'queued' AND l.waiting_for IS NOT NULL`,
  excluded: `l.state = 'excluded'`,
  orphaned: `l.state = 'orphaned'`,
};

const ANY_KIND_SQL = `(l.state IN ('failed', 'excluded', 'orphaned') OR (${KIND_SQL.waiting}))`;

const KIND_CASE = `CASE ${LINK_PROBLEM_KINDS.map((k) => `WHEN ${KIND_SQL[k]} THEN '${k}'`).join(' ')} END`;

export interface ProblemFilter {
  accountId: string;
  kind?: LinkProblemKind;
  recordType?: RecordType;
}

function filtered(db: Conn, filter: ProblemFilter) {
  const q = db('sync_links as l').where('l.account_id', filter.accountId);
  if (filter.recordType) void q.andWhere('l.record_type', filter.recordType);
  void q.andWhereRaw(filter.kind ? `(${KIND_SQL[filter.kind]})` : ANY_KIND_SQL);
  return q;
}

/** How many records there are of each kind (every kind listed, zero included). */
export async function countProblems(db: Conn, filter: Omit<ProblemFilter, 'kind'>): Promise<Record<LinkProblemKind, number>> {
  const rows = (await filtered(db, filter).select(db.raw(`${KIND_CASE} AS kind`)).count('* as n').groupByRaw('1')) as Array<{
    kind: LinkProblemKind;
    n: string | number;
  }>;
  const out = Object.fromEntries(LINK_PROBLEM_KINDS.map((k) => [k, 0])) as Record<LinkProblemKind, number>;
  for (const row of rows) out[row.kind] = Number(row.n);
  return out;
}

/** Where a page starts: after this link in the order (updated_at desc, record_type, record_id). */
export interface ProblemCursor {
  at: string;
  type: RecordType;
  id: string;
}

export interface ProblemLink {
  kind: LinkProblemKind;
  link: SyncLink;
  /** The link's last change, as stored (full precision, for the cursor). */
  at: string;
}

/** One page of links with a problem, newest change first; `limit + 1` are read to tell whether more follow. */
export async function listProblemLinks(db: Conn, filter: ProblemFilter, limit: number, after?: ProblemCursor): Promise<{ items: ProblemLink[]; more: boolean }> {
  const q = filtered(db, filter).select('l.*', db.raw(`${KIND_CASE} AS kind`), db.raw(`to_char(l.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at_exact`));
  if (after) {
    void q.andWhereRaw('(l.updated_at < ?::timestamptz OR (l.updated_at = ?::timestamptz AND (l.record_type, l.record_id) > (?, ?::uuid)))', [
      after.at,
      after.at,
      after.type,
      after.id,
    ]);
  }
  const rows = (await q.orderBy([{ column: 'l.updated_at', order: 'desc' }, { column: 'l.record_type' }, { column: 'l.record_id' }]).limit(limit + 1)) as Array<
    Record<string, unknown>
  >;
  const items = rows.slice(0, limit).map((row) => ({ kind: row.kind as LinkProblemKind, link: linkFromRow(row), at: String(row.at_exact) }));
  return { items, more: rows.length > limit };
}
