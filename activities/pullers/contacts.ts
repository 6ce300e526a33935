/**
 * BMS contacts → contacts, incremental by `Filter.ModifiedOnFrom` (with the pull's overlap window),
 * one `GET /v2/crm/contacts/summary` per page of 100. References: organization = the contact's
 * account, location = its location; a contact whose account is not synced is skipped by the generic
 * store (its required reference is unresolved). Inactive BMS contacts are not created; a linked one
 * that becomes inactive is orphaned.
 *
 * A contact deleted in BMS leaves no trace in a listing by modified date, so each pass also checks a
 * slice of the linked contacts, rotating by BMS id from where the last pass stopped: one
 * `GET /v2/crm/contacts/search` with `Filter.Ids` per 100 contacts; an id the search does not return is
 * read on its own (`GET /v2/crm/contacts/summary/{id}`), and only a 404 there orphans its record.
 */
import { getLinksByBmsIds } from '../../db/links';
import { mayOrphan } from '../../domain/sync-state';
import { alignOrder, bmsContactToContact } from '../../domain/mapping';
import type { ContactEmail, ContactPhone } from '../../domain/records';
import { emptyCounts } from '../../domain/pull-counts';
import { PAGE_SIZE } from '../../bms/client';
import type { BmsContact } from '../../bms/types';
import type { PagePull, PullerContext } from './puller';
import { laterTime } from './puller';
import type { PulledItem } from '../../domain/pull-plan';
import { storePulled } from '../pull-store';
import { findDeleted, orphanRecords, releaseDeletedHeld } from './orphans';

export const contactsPull: PagePull = {
  resolves: ['contact'],
  writes: ['contact'],
  // One page's statements run in PostgreSQL while the worker maps and plans the next.
  pagesInFlight: 2,

  async fetch(ctx, from, page) {
    return ctx.client.contactsPage({ modifiedFrom: from ?? undefined, pageNumber: page }, ctx.signal);
  },

  async store(ctx, raw) {
    const contacts = (raw as BmsContact[]).filter((c) => c && typeof c.id === 'number');
    let maxModifiedOn: string | null = null;
    const items: PulledItem[] = [];
    const inactive: number[] = [];
    for (const contact of contacts) {
      maxModifiedOn = laterTime(maxModifiedOn, contact.modifiedOn);
      const pulled = bmsContactToContact(contact, ctx.store.lookups);
      if (!pulled.isActive) {
        inactive.push(contact.id);
        continue;
      }
      items.push({
        bmsId: contact.id,
        modifiedOn: contact.modifiedOn ?? null,
        fields: { ...pulled.fields },
        refs: { organizationId: pulled.accountBmsId, locationId: pulled.locationBmsId },
      });
    }
    // Lists that differ from the last synced ones only by order are unchanged. The links of the inactive
    // ones are read meanwhile.
    const [counts, inactiveLinks] = await Promise.all([
      storePulled({ ...ctx.store, type: 'contact' }, items, {
        adjust(item, link) {
          const base = link?.base;
          if (!base) return;
          item.fields.emails = alignOrder(item.fields.emails as ContactEmail[], base.emails);
          item.fields.phones = alignOrder(item.fields.phones as ContactPhone[], base.phones);
        },
      }),
      getLinksByBmsIds(ctx.deps.db, ctx.store.accountId, 'contact', inactive),
    ]);
    if (inactive.length > 0) {
      const targets = [...inactiveLinks.values()]
        .filter(mayOrphan)
        .map((l) => ({ recordId: l.recordId, bmsId: l.bmsId!, reason: 'the contact is inactive in Kaseya BMS' }));
      const orphaned = await orphanRecords(ctx, 'contact', targets);
      counts.seen += inactive.length;
      counts.orphaned += orphaned;
      counts.skipped += inactive.length - orphaned;
    }
    return { counts, maxModifiedOn };
  },

  async finish(ctx) {
    const counts = emptyCounts();
    counts.orphaned += await orphanDeleted(ctx);
    await releaseDeletedHeld(ctx, 'contact');
    return counts;
  },
};

/** Linked contacts checked per pass: 2 search requests (8 an hour at the default 15-minute interval). */
export const CONTACTS_CHECKED_PER_PASS = 2 * PAGE_SIZE;

/** Orphans the contacts of the next slice that BMS no longer has; returns how many. */
async function orphanDeleted(ctx: PullerContext): Promise<number> {
  const gone = await findDeleted(ctx, 'contact', CONTACTS_CHECKED_PER_PASS);
  return orphanRecords(
    ctx,
    'contact',
    gone.map((l) => ({ ...l, reason: 'the contact no longer exists in Kaseya BMS' })),
  );
}
