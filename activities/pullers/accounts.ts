/** BMS accounts → organizations (and their locations), incremental by `Filter.ModifiedOnFrom`. */
import { accountToOrganization } from '../../domain/mapping';
import type { BmsAccount } from '../bms/types';
import type { PagePull } from '../pull';
import { laterTime } from '../pull';
import { type PulledItem, storePulled } from '../pull-store';
import { storeAccountLocations } from './locations';

export const accountsPull: PagePull = {
  resolves: ['organization'],

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
    const counts = await storePulled({ ...ctx.store, type: 'organization' }, items);
    // The summaries carry each account's locations: store them now that their organizations are.
    await storeAccountLocations(ctx, accounts);
    return { counts, maxModifiedOn };
  },
};
