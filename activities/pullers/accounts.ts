/** BMS accounts → organizations (and their locations), incremental by `Filter.ModifiedOnFrom`. */
import { accountToOrganization } from '../../domain/mapping';
import type { SyncState } from '../../domain/sync-state';
import type { BmsAccount } from '../../bms/types';
import type { PagePull } from '../pull';
import { laterTime } from '../pull';
import { type PulledItem, storePulled } from '../pull-store';
import { storeAccountLocations } from './locations';

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
    const states = new Map<number, { state: SyncState; syncDisabled: boolean }>();
    const counts = await storePulled({ ...ctx.store, type: 'organization' }, items, { created, states });
    // The summaries carry each account's locations: store them now that their organizations are.
    await storeAccountLocations(ctx, accounts, { created, states });
    return { counts, maxModifiedOn };
  },
};
