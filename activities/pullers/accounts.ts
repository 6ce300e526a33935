/**
 * BMS accounts → organizations (and their locations), incremental by `Filter.ModifiedOnFrom`.
 *
 * An account deleted in BMS leaves no trace in a listing by modified date, so each pass also checks a
 * slice of the linked organizations, rotating by BMS id from where the last pass stopped: one
 * `GET /v2/crm/accounts/lookup` with `Filter.Ids` (inactive accounts included) per 100 organizations;
 * an id the lookup does not return is read on its own (`GET /v2/crm/accounts/summary/{id}`), and only a
 * 404 there orphans the organization, and with it its linked locations.
 */
import { liveLocationLinksOf } from '../../db/links';
import { accountToOrganization } from '../../domain/mapping';
import type { SyncState } from '../../domain/sync-state';
import { emptyCounts } from '../../domain/pull-counts';
import { PAGE_SIZE } from '../../bms/client';
import type { BmsAccount } from '../../bms/types';
import type { PagePull, PullerContext } from './puller';
import { laterTime } from './puller';
import type { PulledItem } from '../../domain/pull-plan';
import { storePulled } from '../pull-store';
import { storeAccountLocations } from './locations';
import { findDeleted, orphanRecords, releaseDeletedHeld } from './orphans';

/** Linked organizations checked per pass: 5 lookup requests (20 an hour at the default 15-minute interval). */
export const ACCOUNTS_CHECKED_PER_PASS = 5 * PAGE_SIZE;

export const accountsPull: PagePull = {
  resolves: ['organization'],
  writes: ['organization', 'location'],
  // One page's statements run in PostgreSQL while the worker maps and plans the next.
  pagesInFlight: 2,

  async fetch(ctx, from, page) {
    return ctx.client.accountsPage({ modifiedFrom: from ?? undefined, pageNumber: page }, ctx.signal);
  },

  async store(ctx, raw) {
    const accounts = raw as BmsAccount[];
    let maxModifiedOn: string | null = null;
    const items: PulledItem[] = accounts.map((account) => {
      maxModifiedOn = laterTime(maxModifiedOn, account.modifiedOn);
      const pulled = accountToOrganization(account, ctx.store.lookups);
      return { bmsId: account.id, modifiedOn: account.modifiedOn ?? null, fields: pulled.fields, refs: { parentId: pulled.parentBmsId } };
    });
    const created = new Set<number>();
    const states = new Map<number, SyncState>();
    const counts = await storePulled({ ...ctx.store, type: 'organization' }, items, { created, states });
    // The summaries carry each account's locations: store them now that their organizations are.
    await storeAccountLocations(ctx, accounts, { created, states });
    return { counts, maxModifiedOn };
  },

  async finish(ctx) {
    const counts = emptyCounts();
    counts.orphaned += await orphanDeleted(ctx);
    await releaseDeletedHeld(ctx, 'organization');
    return counts;
  },
};

/** Orphans the organizations of the next slice whose account BMS no longer has, and their locations; returns how many organizations. */
async function orphanDeleted(ctx: PullerContext): Promise<number> {
  const gone = await findDeleted(ctx, 'organization', ACCOUNTS_CHECKED_PER_PASS);
  if (gone.length === 0) return 0;
  const orphaned = await orphanRecords(
    ctx,
    'organization',
    gone.map((l) => ({ ...l, reason: 'the account no longer exists in Kaseya BMS' })),
  );
  // A deleted account takes its locations with it; their links are orphaned whatever the settings.
  const locations = await liveLocationLinksOf(
    ctx.deps.db,
    ctx.store.accountId,
    gone.map((g) => g.recordId),
  );
  const orphanedLocations = await orphanRecords(
    ctx,
    'location',
    locations.map((l) => ({ ...l, reason: 'its account no longer exists in Kaseya BMS' })),
  );
  if (orphanedLocations > 0) ctx.addRunCounts('locations', { ...emptyCounts(), orphaned: orphanedLocations });
  return orphaned;
}
