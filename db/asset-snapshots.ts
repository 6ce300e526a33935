/**
 * Snapshots of BMS asset summaries (`bms_asset_snapshots`): per asset, the hash of the summary last listed
 * and of the one its last full read saw, so a pull reads in full only the assets whose summary moved.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Db } from './index';
import { liveLinkSql } from './links';

type Conn = Db | Knex.Transaction;

const SNAPSHOTS = 'bms_asset_snapshots';

/**
 * A listing's digest: the sum of 48 bits of the md5 of each asset id. The pull sums it over the ids it
 * listed (`listingDigest`) and PostgreSQL over the snapshots it holds (`ID_HASH_SQL`, in
 * `assetSnapshotTally`); equal counts and digests mean the same set of ids. The two are the same hash,
 * checked against each other by test/integration/asset-digest.test.ts.
 */
const ID_HASH_SQL = `('x' || substr(md5(bms_id::text), 1, 12))::bit(48)::bigint`;

export function listingDigest(ids: readonly number[]): bigint {
  let sum = 0n;
  for (const id of ids) sum += BigInt(`0x${createHash('md5').update(String(id)).digest('hex').slice(0, 12)}`);
  return sum;
}

export interface AssetSnapshot {
  bms_id: number;
  bms_account_id: number;
  summary_hash: string;
  fetched_hash: string | null;
}

/** The snapshots of these assets. */
export function getAssetSnapshots(db: Conn, accountId: string, bmsIds: number[]): Promise<AssetSnapshot[]> {
  return db(SNAPSHOTS)
    .where({ account_id: accountId })
    .whereIn('bms_id', bmsIds)
    .select('bms_id', 'bms_account_id', 'summary_hash', 'fetched_hash') as Promise<AssetSnapshot[]>;
}

/** Writes the listed summaries' hashes (in one statement). */
export async function upsertAssetSummaries(db: Conn, accountId: string, summaries: Array<{ bmsId: number; bmsAccountId: number; summaryHash: string }>): Promise<void> {
  await db(SNAPSHOTS)
    .insert(summaries.map((s) => ({ account_id: accountId, bms_id: s.bmsId, bms_account_id: s.bmsAccountId, summary_hash: s.summaryHash })))
    .onConflict(['account_id', 'bms_id'])
    .merge(['bms_account_id', 'summary_hash']);
}

/** Records that these assets were read in full as their summary now shows them. */
export async function markAssetsFetched(db: Conn, accountId: string, bmsIds: number[]): Promise<void> {
  // Only rows whose summary moved since their last GET are written (a refresh of an unchanged asset writes nothing).
  await db(SNAPSHOTS)
    .where({ account_id: accountId })
    .whereIn('bms_id', bmsIds)
    .whereRaw('fetched_hash IS DISTINCT FROM summary_hash')
    .update({ fetched_hash: db.ref('summary_hash') });
}

/** How many assets have a snapshot, and the sum of their id hashes (as text: it exceeds 2^53). */
export async function assetSnapshotTally(db: Conn, accountId: string): Promise<{ count: number; digest: string }> {
  return (await db(SNAPSHOTS)
    .where({ account_id: accountId })
    .first(db.raw('count(*)::int AS count'), db.raw(`coalesce(sum(${ID_HASH_SQL}), 0)::text AS digest`))) as { count: number; digest: string };
}

/** The assets with a snapshot that are not among `listed`. */
export function assetSnapshotsNotIn(db: Conn, accountId: string, listed: number[]): Promise<Array<{ bms_id: number; bms_account_id: number }>> {
  return db(SNAPSHOTS)
    .where({ account_id: accountId })
    .whereRaw('NOT (bms_id = ANY(?::int[]))', [listed])
    .select('bms_id', 'bms_account_id') as Promise<Array<{ bms_id: number; bms_account_id: number }>>;
}

export async function deleteAssetSnapshots(db: Conn, accountId: string, bmsIds: number[]): Promise<void> {
  await db(SNAPSHOTS).where({ account_id: accountId }).whereIn('bms_id', bmsIds).delete();
}

/**
 * BMS ids of live linked assets read in full before (a fetched hash), not among `readInPass` and not
 * pulled since the run `syncRunId` began, above (`>`) or up to (`<=`) `after`, in order, at most `limit`.
 */
export function assetsDueForRefresh(
  db: Conn,
  slice: { accountId: string; syncRunId: string; readInPass: number[] },
  op: '>' | '<=',
  after: number,
  limit: number,
): Promise<number[]> {
  return db(`${SNAPSHOTS} as s`)
    .join('sync_links as l', function join() {
      this.on('l.account_id', '=', 's.account_id').andOn('l.bms_id', '=', 's.bms_id').andOnVal('l.record_type', '=', 'configuration');
    })
    .where({ 's.account_id': slice.accountId })
    .whereRaw(liveLinkSql('l'))
    .whereNotNull('s.fetched_hash')
    .whereRaw('NOT (s.bms_id = ANY(?::int[]))', [slice.readInPass])
    .where((w) => void w.whereNull('l.last_pulled_at').orWhere('l.last_pulled_at', '<', db('sync_runs').where({ id: slice.syncRunId }).select('started_at')))
    .where('s.bms_id', op, after)
    .orderBy('s.bms_id', 'asc')
    .limit(limit)
    .pluck('s.bms_id') as Promise<number[]>;
}
