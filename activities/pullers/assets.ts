/**
 * BMS hardware assets → configurations. The only asset list (`searchselect`) has no modified filter and
 * no total, and a full asset costs one GET on an endpoint allowed about 1,500 requests an hour, so a pull
 * never reads every asset. Per pass (docs/mapping.md gives the request counts):
 *  1. every page of summaries is listed (⌈n/100⌉ requests) and each summary's hash kept in
 *     `bms_asset_snapshots` (written only when it changed); an asset is read in full (GET) only when its
 *     summary differs from the one its last GET saw, and only if it can sync (it is linked, or its
 *     category, status and account sync). The pass keeps a tally of what it listed (count and a sum of
 *     id hashes, in the cursor), not a mark per row;
 *  2. once the listing is complete (`finish`): when the tally equals that of the snapshot rows, nothing
 *     the pull knew has vanished. Otherwise configurations whose asset is no longer listed are orphaned
 *     (set difference against the ids this worker saw in the pass, or a fresh listing when it did not
 *     see every page, after listing those assets' accounts once more so that a page that shifted under a
 *     concurrent delete cannot orphan a live asset). Then a slice of the linked assets is read again,
 *     rotating by BMS id from where the last pass stopped (one small state row), so changes the summary
 *     does not show (notes, MAC, dates, …) arrive within ⌈n / slice⌉ pulls.
 * GETs are stored in small batches, each batch with its snapshot update, so a pass cut short (timeout,
 * throttling, worker restart) resumes without reading those assets again. A pull that finds nothing
 * changed writes nothing to the data tables.
 */
import { createHash } from 'node:crypto';
import {
  assetSnapshotsNotIn,
  assetSnapshotTally,
  assetsDueForRefresh,
  deleteAssetSnapshots,
  getAssetSnapshots,
  listingDigest,
  markAssetsFetched,
  upsertAssetSummaries,
} from '../../db/asset-snapshots';
import { getLinksByBmsIds, getLinksByKeys, linkKey } from '../../db/links';
import { releaseHeld } from '../../db/review';
import { getPullState, setPullState } from '../../db/runs';
import { assetSummaryToConfiguration, assetToConfiguration } from '../../domain/mapping';
import { syncExclusion } from '../../domain/rules';
import { addCounts, emptyCounts, type PullCounts } from '../../domain/pull-counts';
import { PAGE_SIZE } from '../../bms/client';
import { BmsNotFoundError } from '../../bms/errors';
import type { BmsAsset, BmsAssetSummary } from '../../bms/types';
import type { PullCursor } from '../../workflows/definitions';
import type { PagePull, PullerContext } from './puller';
import type { PulledItem } from '../../domain/pull-plan';
import { storePulled } from '../pull-store';
import { orphanRecords } from './orphans';
import { nextInRotation } from './rotation';

/** Assets stored per batch: the unit of progress that survives a retry. */
const GET_BATCH = 25;
/** GETs in flight at once (the shared rate budget still paces them). */
const GET_CONCURRENCY = 5;
/** Accounts listed again per pass to confirm that assets missing from the listing are gone. */
const VERIFY_ACCOUNTS_PER_PASS = 100;

/** Every listed asset is read again at least this often, when the budget share below allows. */
export const DEEP_REFRESH_CYCLE_MINUTES = 60;

/**
 * How many linked assets a pass reads again although their summary did not move: enough to read each of
 * the `listed` assets once every hour (DEEP_REFRESH_CYCLE_MINUTES), at least 10 (or all of them when
 * fewer), and never more than 6 per minute of the pull interval (at most 200): 360 GETs an hour, about a
 * quarter of BMS's 1,500/hour for the endpoint, leaving the rest for changed assets and pushes. A tenant
 * of 100 assets on a 5-minute interval reads 10 a pass (120 an hour, 8 % of the budget); one of 2,000 on
 * the default 15 minutes reads 90 (the cap).
 */
export function deepRefreshPerPass(intervalMinutes: number, listed: number): number {
  const cap = Math.min(200, Math.max(1, Math.round(intervalMinutes * 6)));
  const cycle = Math.ceil((Math.max(0, listed) * intervalMinutes) / DEEP_REFRESH_CYCLE_MINUTES);
  return Math.min(cap, Math.max(cycle, Math.min(10, Math.max(0, listed))));
}

/**
 * The summary fields that carry mapped data (the location name stands in for the location id, which the
 * summary does not show). Display names of other records (account, contact) and the machine group are
 * left out, so renaming an account does not make every one of its assets read again.
 */
const SUMMARY_KEYS = ['id', 'accountId', 'assetName', 'categoryId', 'categoryName', 'serialNumber', 'ipAddress', 'contactId', 'locationName', 'isActive'] as const;

/**
 * What this worker saw of a pass's listing: the ids of each page it stored and the assets it read. Only
 * a shortcut for the set difference: when a page was stored elsewhere (another worker, or before a
 * restart) it is incomplete and the listing is read again.
 */
interface Listing {
  pages: Map<number, number[]>;
  fetched: Set<number>;
}
const listings = new Map<string, Listing>();
const LISTINGS_KEPT = 16;

function listingOf(ctx: PullerContext): Listing {
  const key = `${ctx.store.accountId}/${ctx.store.syncRunId}`;
  let listing = listings.get(key);
  if (!listing) {
    listing = { pages: new Map(), fetched: new Set() };
    listings.set(key, listing);
    // Passes that never finished here (failed, moved to another worker) are forgotten, oldest first.
    for (const old of listings.keys()) {
      if (listings.size <= LISTINGS_KEPT) break;
      listings.delete(old);
    }
  }
  return listing;
}

/** The ids of every page 1..`pages` of the pass, or null when this worker did not store them all. */
function seenInPass(ctx: PullerContext, pages: number): Set<number> | null {
  const listing = listings.get(`${ctx.store.accountId}/${ctx.store.syncRunId}`);
  if (!listing) return null;
  const seen = new Set<number>();
  for (let page = 1; page <= pages; page++) {
    const ids = listing.pages.get(page);
    if (!ids) return null;
    for (const id of ids) seen.add(id);
  }
  return seen;
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
  const fetched = listingOf(ctx).fetched;
  for (let i = 0; i < ids.length; i += GET_BATCH) {
    const assets = await getAssets(ctx, ids.slice(i, i + GET_BATCH));
    const items: PulledItem[] = assets.map((asset) => {
      const pulled = assetToConfiguration(asset, lookups);
      return { bmsId: asset.id, modifiedOn: asset.modifiedOn ?? null, fields: { ...pulled.fields }, refs: pulled.refs };
    });
    // The listing counted these assets as seen already.
    addCounts(counts, { ...(await storePulled({ ...ctx.store, type: 'configuration' }, items)), seen: 0 });
    if (assets.length > 0) {
      await markAssetsFetched(deps.db, accountId, assets.map((a) => a.id));
    }
    for (const asset of assets) fetched.add(asset.id);
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

/** Lists every asset again (when this worker did not see the whole pass); returns their ids. */
async function listAll(ctx: PullerContext): Promise<Set<number>> {
  const ids = new Set<number>();
  for (let page = 1; ; page++) {
    const items = await ctx.client.assetsPage({ pageNumber: page }, ctx.signal);
    ctx.heartbeat();
    for (const item of items) if (item && typeof item.id === 'number') ids.add(item.id);
    if (items.length < PAGE_SIZE) return ids;
  }
}

/** Orphans the configurations of assets the completed listing no longer shows; returns how many. */
async function orphanMissing(ctx: PullerContext, cursor: PullCursor): Promise<number> {
  const { deps, accountId } = ctx.store;
  // Every listed asset has a snapshot row once its page is stored: equal tallies mean none is missing.
  const tally = await assetSnapshotTally(deps.db, accountId);
  const listed = cursor.listed ?? { count: 0, digest: '0' };
  if (tally.count === listed.count && tally.digest === listed.digest) return 0;

  // Something known was not listed (or a page repeated an id): the set difference.
  const seen = seenInPass(ctx, cursor.page - 1) ?? (await listAll(ctx));
  const missing = await assetSnapshotsNotIn(deps.db, accountId, [...seen]);
  if (missing.length === 0) return 0;

  const accounts = [...new Set(missing.map((m) => m.bms_account_id))].slice(0, VERIFY_ACCOUNTS_PER_PASS);
  const verifiable = missing.filter((m) => accounts.includes(m.bms_account_id)).map((m) => m.bms_id);
  const found = await stillListed(ctx, accounts, new Set(verifiable));
  // Assets of accounts not verified this pass stay as they are until a later pass verifies them.
  const gone = verifiable.filter((id) => !found.has(id));
  if (gone.length === 0) return 0;
  const links = await getLinksByBmsIds(deps.db, accountId, 'configuration', gone);
  const orphaned = await orphanRecords(
    ctx,
    'configuration',
    [...links.values()].map((l) => ({ recordId: l.recordId, bmsId: l.bmsId!, reason: 'the Kaseya BMS asset no longer exists' })),
  );
  await deleteAssetSnapshots(deps.db, accountId, gone);
  // Held assets that are gone leave the review list.
  await releaseHeld(deps.db, accountId, 'configuration', gone);
  return orphaned;
}

/**
 * The next `limit` linked, live, already fetched assets after the rotation's position (by BMS id,
 * wrapping around), leaving out those this pass has read already; and the new position.
 */
async function dueForRefresh(
  ctx: PullerContext,
  limit: number,
): Promise<{ ids: number[]; after: number | null; state: Record<string, unknown> }> {
  const { deps, accountId, syncRunId } = ctx.store;
  const state = await getPullState(deps.db, accountId, 'assets');
  const after = typeof state.refreshAfter === 'number' ? state.refreshAfter : 0;
  const readInPass = [...listingOf(ctx).fetched];
  const slice = (op: '>' | '<=', n: number) => assetsDueForRefresh(deps.db, { accountId, syncRunId, readInPass }, op, after, n);
  const ids = await nextInRotation(after, limit, slice);
  return { ids, after: ids.length > 0 ? ids[ids.length - 1]! : null, state };
}

export const assetsPull: PagePull = {
  resolves: ['configuration'],
  writes: ['configuration'],

  async fetch(ctx, _from, page) {
    return { items: await ctx.client.assetsPage({ pageNumber: page }, ctx.signal), total: undefined };
  },

  async store(ctx, raw, page) {
    const { deps, accountId, integration, lookups } = ctx.store;
    // A page may repeat an id when BMS data moved between requests; the last copy counts.
    const summaries = [...new Map((raw as BmsAssetSummary[]).filter((s) => s && typeof s.id === 'number').map((s) => [s.id, s])).values()];
    const counts = emptyCounts();
    counts.seen = summaries.length;
    const ids = summaries.map((s) => s.id);
    listingOf(ctx).pages.set(page, ids);
    const listed = { count: ids.length, digest: listingDigest(ids) };
    if (summaries.length === 0) return { counts, maxModifiedOn: null, listed };

    const hashes = new Map(summaries.map((s) => [s.id, summaryHash(s)]));
    const snapshots = new Map(
      (await getAssetSnapshots(deps.db, accountId, ids)).map((r) => [Number(r.bms_id), r]),
    );
    const found = await getLinksByKeys(deps.db, accountId, [
      ...ids.map((bmsId) => ({ type: 'configuration' as const, bmsId })),
      ...[...new Set(summaries.map((s) => s.accountId ?? 0))].map((bmsId) => ({ type: 'organization' as const, bmsId })),
    ]);

    // Only new summaries and those that moved are written.
    const moved = summaries.filter((s) => {
      const known = snapshots.get(s.id);
      return !known || known.summary_hash !== hashes.get(s.id) || Number(known.bms_account_id) !== (s.accountId ?? 0);
    });
    if (moved.length > 0) {
      await upsertAssetSummaries(deps.db, accountId, moved.map((s) => ({ bmsId: s.id, bmsAccountId: s.accountId ?? 0, summaryHash: hashes.get(s.id)! })));
    }

    const toGet: number[] = [];
    for (const summary of summaries) {
      const changed = (snapshots.get(summary.id)?.fetched_hash ?? null) !== hashes.get(summary.id);
      const excluded = syncExclusion('configuration', assetSummaryToConfiguration(summary, lookups).fields, integration.settings, lookups) !== null;
      const link = found.get(linkKey('configuration', summary.id));
      let read: boolean;
      if (link) {
        // A linked asset is read when it moved, and when its orphan flag disagrees with the settings
        // (they changed: orphan it, or bring it back).
        read = link.state !== 'disabled' && (changed || (link.state === 'orphaned') !== excluded);
        if (!read) counts.unchanged++;
      } else {
        // An unlinked asset is read only if it would sync; one left out stays "never fetched", so it is
        // read once it qualifies (settings changed, or its organization got linked).
        read = changed && !excluded && found.has(linkKey('organization', summary.accountId ?? 0));
        if (!read) counts.skipped++;
      }
      if (read) toGet.push(summary.id);
    }
    addCounts(counts, await fetchAndStore(ctx, toGet));
    return { counts, maxModifiedOn: null, listed };
  },

  async finish(ctx, cursor) {
    const counts = emptyCounts();
    counts.orphaned += await orphanMissing(ctx, cursor);
    const due = await dueForRefresh(ctx, deepRefreshPerPass(ctx.integration.settings.pull.intervalMinutes, cursor.listed?.count ?? 0));
    addCounts(counts, await fetchAndStore(ctx, due.ids));
    if (due.after !== null) await setPullState(ctx.deps.db, ctx.store.accountId, 'assets', { ...due.state, refreshAfter: due.after });
    listings.delete(`${ctx.store.accountId}/${ctx.store.syncRunId}`);
    return counts;
  },
};
