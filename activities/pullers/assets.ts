/**
 * BMS hardware assets → configurations. The only asset list (`searchselect`) has no modified filter and
 * no total, and a full asset costs one GET on an endpoint allowed about 1,500 requests an hour, so a pull
 * never reads every asset. Per pass (docs/mapping.md gives the request counts):
 *  1. every page of summaries is listed (⌈n/100⌉ requests) and each summary's hash kept in
 *     `bms_asset_snapshots`; an asset is read in full (GET) only when its summary differs from the one its
 *     last GET saw, and only if it can sync (it is linked, or its category, status and account sync);
 *  2. once the listing is complete (`finish`), configurations whose asset is no longer listed are
 *     orphaned (set difference, after listing those assets' accounts once more so that a page that
 *     shifted under a concurrent delete cannot orphan a live asset), and a bounded slice of the linked
 *     assets read least recently is read again, so changes the summary does not show (notes, MAC,
 *     dates, …) arrive within ⌈n / slice⌉ pulls.
 * GETs are stored in small batches, each batch with its snapshot update, so a pass cut short (timeout,
 * throttling, worker restart) resumes without reading those assets again.
 */
import { createHash } from 'node:crypto';
import { getLinksByBmsIds } from '../../db/links';
import { assetSummaryToConfiguration, assetToConfiguration } from '../../domain/mapping';
import { syncExclusion } from '../../domain/rules';
import type { PullCounts } from '../../workflows/definitions';
import { PAGE_SIZE } from '../bms/client';
import { BmsNotFoundError } from '../bms/errors';
import type { BmsAsset, BmsAssetSummary } from '../bms/types';
import type { PagePull, PullerContext } from '../pull';
import { emptyCounts, type PulledItem, storePulled } from '../pull-store';
import { orphanRecords } from './orphans';

const SNAPSHOTS = 'bms_asset_snapshots';
/** Assets stored per batch: the unit of progress that survives a retry. */
const GET_BATCH = 25;
/** GETs in flight at once (the shared rate budget still paces them). */
const GET_CONCURRENCY = 5;
/** Accounts listed again per pass to confirm that assets missing from the listing are gone. */
const VERIFY_ACCOUNTS_PER_PASS = 100;

/**
 * How many linked assets a pass reads again although their summary did not move: 6 per minute of the
 * pull interval (90 at the default 15 minutes, i.e. 360 GETs an hour, about a quarter of BMS's
 * 1,500/hour for the endpoint, leaving the rest for changed assets and pushes), at least 10, at most 200.
 */
export function deepRefreshPerPass(intervalMinutes: number): number {
  return Math.min(200, Math.max(10, Math.round(intervalMinutes * 6)));
}

/**
 * The summary fields that carry mapped data (the location name stands in for the location id, which the
 * summary does not show). Display names of other records (account, contact) and the machine group are
 * left out, so renaming an account does not make every one of its assets read again.
 */
const SUMMARY_KEYS = ['id', 'accountId', 'assetName', 'categoryId', 'categoryName', 'serialNumber', 'ipAddress', 'contactId', 'locationName', 'isActive'] as const;

/** Adds counts (as pull.ts does; imported from there at runtime it would close an import cycle). */
function addInto(into: PullCounts, add: PullCounts): void {
  for (const k of Object.keys(add) as Array<keyof PullCounts>) into[k] += add[k];
}

/** A hash of what the summary shows of the asset's mapped data. */
export function summaryHash(summary: BmsAssetSummary): string {
  return createHash('sha1')
    .update(JSON.stringify(SUMMARY_KEYS.map((k) => summary[k] ?? null)))
    .digest('hex');
}

/** Runs `fn` over `items`, at most `limit` at a time; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Reads the assets (an asset deleted since it was listed is left for the next set difference). */
async function getAssets(ctx: PullerContext, ids: number[]): Promise<BmsAsset[]> {
  // Heartbeat while requests wait on the rate budget, not only when they come back.
  const ticker = setInterval(() => ctx.heartbeat(), 10_000);
  try {
    const assets = await mapLimit(ids, GET_CONCURRENCY, async (id) => {
      try {
        return await ctx.client.getAsset(id, ctx.signal);
      } catch (err) {
        if (err instanceof BmsNotFoundError) return null;
        throw err;
      } finally {
        ctx.heartbeat();
      }
    });
    return assets.filter((a): a is BmsAsset => a !== null);
  } finally {
    clearInterval(ticker);
  }
}

/** GETs the assets and stores them as configurations, batch by batch, marking each batch fetched. */
async function fetchAndStore(ctx: PullerContext, ids: number[]): Promise<PullCounts> {
  const { deps, accountId, lookups } = ctx.store;
  const counts = emptyCounts();
  for (let i = 0; i < ids.length; i += GET_BATCH) {
    const assets = await getAssets(ctx, ids.slice(i, i + GET_BATCH));
    const items: PulledItem[] = assets.map((asset) => {
      const pulled = assetToConfiguration(asset, lookups);
      return { bmsId: asset.id, modifiedOn: asset.modifiedOn ?? null, fields: { ...pulled.fields }, refs: pulled.refs };
    });
    // The listing counted these assets as seen already.
    addInto(counts, { ...(await storePulled({ ...ctx.store, type: 'configuration' }, items)), seen: 0 });
    await deps
      .db(SNAPSHOTS)
      .where({ account_id: accountId })
      .whereIn('bms_id', assets.map((a) => a.id))
      .update({ fetched_hash: deps.db.ref('summary_hash'), fetched_at: deps.db.fn.now() });
  }
  return counts;
}

/** Lists the accounts' assets once more; returns the ids among `missing` that are still there. */
async function stillListed(ctx: PullerContext, accountIds: number[], missing: Set<number>): Promise<Set<number>> {
  const found = new Set<number>();
  for (const accountId of accountIds) {
    for (let page = 1; ; page++) {
      const items = await ctx.client.assetsPage({ accountId, pageNumber: page }, ctx.signal);
      ctx.heartbeat();
      for (const item of items) if (missing.has(item.id)) found.add(item.id);
      if (items.length < PAGE_SIZE) break;
    }
  }
  return found;
}

/** Orphans the configurations of assets the completed listing no longer shows; returns how many. */
async function orphanMissing(ctx: PullerContext): Promise<number> {
  const { deps, accountId, syncRunId } = ctx.store;
  const missing = (await deps
    .db(SNAPSHOTS)
    .where({ account_id: accountId })
    .andWhere((q) => void q.whereNull('seen_run').orWhereNot('seen_run', syncRunId))
    .select('bms_id', 'bms_account_id')) as Array<{ bms_id: number; bms_account_id: number }>;
  if (missing.length === 0) return 0;

  const accounts = [...new Set(missing.map((m) => m.bms_account_id))].slice(0, VERIFY_ACCOUNTS_PER_PASS);
  const verifiable = missing.filter((m) => accounts.includes(m.bms_account_id)).map((m) => m.bms_id);
  const found = await stillListed(ctx, accounts, new Set(verifiable));
  if (found.size > 0) {
    await deps.db(SNAPSHOTS).where({ account_id: accountId }).whereIn('bms_id', [...found]).update({ seen_run: syncRunId });
  }
  // Assets of accounts not verified this pass stay as they are until a later pass verifies them.
  const gone = verifiable.filter((id) => !found.has(id));
  if (gone.length === 0) return 0;
  const links = await getLinksByBmsIds(deps.db, accountId, 'configuration', gone);
  const orphaned = await orphanRecords(
    ctx,
    'configuration',
    [...links.values()].map((l) => ({ recordId: l.recordId, bmsId: l.bmsId!, reason: 'the Kaseya BMS asset no longer exists' })),
  );
  await deps.db(SNAPSHOTS).where({ account_id: accountId }).whereIn('bms_id', gone).delete();
  return orphaned;
}

/** The linked, live assets of this listing read least recently (not yet in this pass). */
async function dueForRefresh(ctx: PullerContext, limit: number): Promise<number[]> {
  const { deps, accountId, syncRunId } = ctx.store;
  return (await deps
    .db(`${SNAPSHOTS} as s`)
    .join('sync_links as l', function join() {
      this.on('l.account_id', '=', 's.account_id').andOn('l.bms_id', '=', 's.bms_id').andOnVal('l.record_type', '=', 'configuration');
    })
    .where({ 's.account_id': accountId, 's.seen_run': syncRunId, 'l.sync_disabled': false })
    .whereNotIn('l.state', ['orphaned', 'disabled'])
    .whereNotNull('s.fetched_at')
    .where('s.fetched_at', '<', deps.db('sync_runs').where({ id: syncRunId }).select('started_at'))
    .orderBy([{ column: 's.fetched_at', order: 'asc' }, { column: 's.bms_id', order: 'asc' }])
    .limit(limit)
    .pluck('s.bms_id')) as number[];
}

export const assetsPull: PagePull = {
  resolves: ['configuration'],

  async fetch(ctx, _from, page) {
    return { items: await ctx.client.assetsPage({ pageNumber: page }, ctx.signal), total: undefined };
  },

  async store(ctx, raw) {
    const summaries = raw as BmsAssetSummary[];
    const { deps, accountId, integration, lookups, syncRunId } = ctx.store;
    const counts = emptyCounts();
    counts.seen = summaries.length;
    if (summaries.length === 0) return { counts, maxModifiedOn: null };

    const ids = summaries.map((s) => s.id);
    const hashes = new Map(summaries.map((s) => [s.id, summaryHash(s)]));
    const fetchedHashes = new Map(
      ((await deps.db(SNAPSHOTS).where({ account_id: accountId }).whereIn('bms_id', ids).select('bms_id', 'fetched_hash')) as Array<{
        bms_id: number;
        fetched_hash: string | null;
      }>).map((r) => [r.bms_id, r.fetched_hash]),
    );
    const links = await getLinksByBmsIds(deps.db, accountId, 'configuration', ids);
    const accounts = await getLinksByBmsIds(deps.db, accountId, 'organization', [...new Set(summaries.map((s) => s.accountId ?? 0))]);

    await deps
      .db(SNAPSHOTS)
      .insert(
        summaries.map((s) => ({
          account_id: accountId,
          bms_id: s.id,
          bms_account_id: s.accountId ?? 0,
          summary_hash: hashes.get(s.id),
          seen_run: syncRunId,
        })),
      )
      .onConflict(['account_id', 'bms_id'])
      .merge(['bms_account_id', 'summary_hash', 'seen_run']);

    const toGet: number[] = [];
    for (const summary of summaries) {
      const moved = fetchedHashes.get(summary.id) !== hashes.get(summary.id);
      const excluded = syncExclusion('configuration', assetSummaryToConfiguration(summary, lookups).fields, integration.settings, lookups) !== null;
      const link = links.get(summary.id);
      let read: boolean;
      if (link) {
        // A linked asset is read when it moved, and when its orphan flag disagrees with the settings
        // (they changed: orphan it, or bring it back).
        read = !link.syncDisabled && link.state !== 'disabled' && (moved || (link.state === 'orphaned') !== excluded);
        if (!read) counts.unchanged++;
      } else {
        // An unlinked asset is read only if it would sync; one left out stays "never fetched", so it is
        // read once it qualifies (settings changed, or its organization got linked).
        read = moved && !excluded && accounts.has(summary.accountId ?? 0);
        if (!read) counts.skipped++;
      }
      if (read) toGet.push(summary.id);
    }
    addInto(counts, await fetchAndStore(ctx, toGet));
    return { counts, maxModifiedOn: null };
  },

  async finish(ctx) {
    const counts = emptyCounts();
    counts.orphaned += await orphanMissing(ctx);
    const due = await dueForRefresh(ctx, deepRefreshPerPass(ctx.integration.settings.pull.intervalMinutes));
    addInto(counts, await fetchAndStore(ctx, due));
    return counts;
  },
};
