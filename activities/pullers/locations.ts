/**
 * BMS account locations → locations, read from the account summaries the accounts pull already has
 * (each carries its full `locations[]` with `addresses[]`), so locations cost no request of their own.
 * Called by the accounts puller once a page's organizations are stored. Only accounts whose
 * organization is synced are considered. A linked location that is gone from its account's list, or
 * inactive in BMS, is orphaned; an unlinked inactive one is not created. The linked locations of an
 * organization the page orphaned (its account is inactive or no longer matches the Sync Settings) are
 * orphaned with it, as a deleted account's are.
 */
import { getLinksByBmsIds, liveLocationLinksOfAccounts } from '../../db/links';
import { accountLocationToLocation, locationModifiedOn } from '../../domain/mapping';
import { isLive, type SyncState } from '../../domain/sync-state';
import { emptyCounts, type PullCounts } from '../../domain/pull-counts';
import type { BmsAccount } from '../../bms/types';
import { parseBmsTime } from '../../bms/wire';
import type { PullerContext } from './puller';
import type { PulledItem } from '../../domain/pull-plan';
import { storePulled } from '../pull-store';
import { orphanRecords } from './orphans';

const GONE = 'the location no longer exists in Kaseya BMS';
const INACTIVE = 'the location is inactive in Kaseya BMS';
const ORGANIZATION_ORPHANED = 'its organization no longer syncs with Kaseya BMS';

/** Stores the locations of a page of accounts; counts them on the run as `locations` (with the chunk's counts). */
export async function storeAccountLocations(
  ctx: PullerContext,
  accounts: BmsAccount[],
  organizations: {
    /** BMS ids of the organizations this page created. */
    created: ReadonlySet<number>;
    /** Link states of the page's organizations as just stored (those left out are read). */
    states: ReadonlyMap<number, SyncState>;
  } = { created: new Set(), states: new Map() },
): Promise<PullCounts | null> {
  if (!ctx.integration.settings.locations.enabled) return null;
  const db = ctx.deps.db;
  const accountId = ctx.store.accountId;

  // Accounts whose organization syncs; the others' locations are not ours to store.
  const withList = accounts.filter((a) => typeof a?.id === 'number' && Array.isArray(a.locations));
  if (withList.length === 0) return null;
  const states = new Map(organizations.states);
  const unknown = withList.map((a) => a.id).filter((id) => !states.has(id));
  if (unknown.length > 0) {
    for (const link of (await getLinksByBmsIds(db, accountId, 'organization', unknown)).values()) {
      states.set(link.bmsId!, link.state);
    }
  }
  const synced = new Set([...states].filter(([bmsId, state]) => isLive({ bmsId, state })).map(([id]) => id));
  const withOrganization = await orphanWithOrganizations(
    ctx,
    withList.map((a) => a.id).filter((id) => states.get(id) === 'orphaned'),
  );

  const items: PulledItem[] = [];
  const inactive = new Set<number>();
  const listed = new Map<number, { present: Set<number>; modifiedOn: string | null }>();
  for (const account of withList) {
    if (!synced.has(account.id)) continue;
    const present = new Set<number>();
    for (const location of account.locations ?? []) {
      if (!location || typeof location.id !== 'number') continue;
      present.add(location.id);
      const pulled = accountLocationToLocation(location, ctx.store.lookups);
      if (!pulled.isActive) {
        inactive.add(location.id);
        continue;
      }
      items.push({
        bmsId: location.id,
        modifiedOn: locationModifiedOn(location),
        fields: { ...pulled.fields },
        refs: { organizationId: account.id },
      });
    }
    listed.set(account.id, { present, modifiedOn: account.modifiedOn ?? null });
  }
  if (listed.size === 0) {
    if (withOrganization === 0) return null;
    const counts = { ...emptyCounts(), orphaned: withOrganization };
    ctx.addRunCounts('locations', counts);
    return counts;
  }

  const counts = items.length > 0 ? await storePulled({ ...ctx.store, type: 'location' }, items) : emptyCounts();
  // An organization this page created has no location linked before this page: none can have vanished.
  const known = new Map([...listed].filter(([bmsId]) => !organizations.created.has(bmsId)));
  const orphaned = known.size > 0 ? await orphanVanished(ctx, known, inactive) : { total: 0, inactive: 0 };
  counts.seen += inactive.size;
  counts.orphaned += orphaned.total + withOrganization;
  counts.skipped += inactive.size - orphaned.inactive;
  ctx.addRunCounts('locations', counts);
  return counts;
}

/** Orphans the live linked locations of these accounts, whose organizations are orphaned; returns how many. */
async function orphanWithOrganizations(ctx: PullerContext, accountBmsIds: number[]): Promise<number> {
  if (accountBmsIds.length === 0) return 0;
  const rows = await liveLocationLinksOfAccounts(ctx.deps.db, ctx.store.accountId, accountBmsIds, []);
  return orphanRecords(
    ctx,
    'location',
    rows.map((r) => ({ recordId: r.recordId, bmsId: r.bmsId, reason: ORGANIZATION_ORPHANED })),
  );
}

/**
 * Orphans linked locations of the listed accounts that are missing from their account's list or
 * inactive. A location is judged missing only when its last known BMS change is not newer than the
 * account's `modifiedOn` in the page (BMS stamps the account on every location write), so a location
 * created after the page was read (e.g. by a push) is never orphaned by that stale list.
 */
async function orphanVanished(
  ctx: PullerContext,
  listed: Map<number, { present: Set<number>; modifiedOn: string | null }>,
  inactive: Set<number>,
): Promise<{ total: number; inactive: number }> {
  // The locations listed active are left out (they stay as they are).
  const listedActive: number[] = [];
  for (const { present } of listed.values()) for (const id of present) if (!inactive.has(id)) listedActive.push(id);
  const rows = await liveLocationLinksOfAccounts(ctx.deps.db, ctx.store.accountId, [...listed.keys()], listedActive);
  const gone: Array<{ recordId: string; bmsId: number; reason: string }> = [];
  const deactivated: typeof gone = [];
  for (const row of rows) {
    const bmsId = row.bmsId;
    const account = listed.get(row.accountBmsId);
    if (!account) continue;
    if (inactive.has(bmsId)) {
      deactivated.push({ recordId: row.recordId, bmsId, reason: INACTIVE });
      continue;
    }
    if (account.present.has(bmsId)) continue;
    const listedAt = parseBmsTime(account.modifiedOn);
    const seenAt = parseBmsTime(row.bmsModifiedOn);
    if (!Number.isFinite(listedAt)) continue;
    if (Number.isFinite(seenAt) && seenAt > listedAt) continue;
    gone.push({ recordId: row.recordId, bmsId, reason: GONE });
  }
  const fromInactive = await orphanRecords(ctx, 'location', deactivated);
  const fromGone = await orphanRecords(ctx, 'location', gone);
  return { total: fromInactive + fromGone, inactive: fromInactive };
}
