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
import { addRunLog, getPullState, setPullState } from '../../db/runs';
import { alignOrder, bmsContactToContact } from '../../domain/mapping';
import type { ContactEmail, ContactPhone } from '../../domain/records';
import { PAGE_SIZE } from '../../bms/client';
import { BmsNotFoundError } from '../../bms/errors';
import type { BmsContact } from '../../bms/types';
import type { PagePull, PullerContext } from '../pull';
import { laterTime } from '../pull';
import { emptyCounts, type PulledItem, storePulled } from '../pull-store';
import { orphanRecords } from './orphans';
import { nextInRotation } from './rotation';

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
        .filter((l) => l.bmsId !== null && l.state !== 'orphaned' && l.state !== 'disabled' && !l.syncDisabled)
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
    return counts;
  },
};

/** Linked contacts checked per pass: 2 search requests (8 an hour at the default 15-minute interval). */
export const CONTACTS_CHECKED_PER_PASS = 2 * PAGE_SIZE;
/** Contacts missing from the search that one pass reads on their own, at most. */
const CONTACTS_READ_PER_PASS = 20;

/**
 * Checks the next slice of linked contacts (by BMS id, wrapping around) and orphans those BMS no longer
 * has; returns how many. Best effort: a BMS failure here is logged on the run and the slice is checked
 * again next pass, the pull itself goes on.
 */
async function orphanDeleted(ctx: PullerContext): Promise<number> {
  const { deps, accountId, syncRunId } = ctx.store;
  const state = await getPullState(deps.db, accountId, 'contacts');
  const after = typeof state.checkAfter === 'number' ? state.checkAfter : 0;
  const slice = (op: '>' | '<=', n: number) =>
    deps
      .db('sync_links')
      .where({ account_id: accountId, record_type: 'contact', sync_disabled: false })
      .whereNotNull('bms_id')
      .whereNotIn('state', ['orphaned', 'disabled'])
      .where('bms_id', op, after)
      .orderBy('bms_id', 'asc')
      .limit(n)
      .pluck('bms_id') as Promise<number[]>;
  const ids = await nextInRotation(after, CONTACTS_CHECKED_PER_PASS, slice);
  if (ids.length === 0) return 0;

  try {
    const unseen: number[] = [];
    for (let i = 0; i < ids.length; i += PAGE_SIZE) {
      const batch = ids.slice(i, i + PAGE_SIZE);
      const found = new Set((await ctx.client.contactsByIds(batch, ctx.signal)).map((c) => Number(c.id)));
      unseen.push(...batch.filter((id) => !found.has(id)));
      ctx.heartbeat();
    }
    const gone: number[] = [];
    for (const id of unseen.slice(0, CONTACTS_READ_PER_PASS)) {
      try {
        await ctx.client.getContact(id, ctx.signal);
      } catch (err) {
        if (!(err instanceof BmsNotFoundError)) throw err;
        gone.push(id);
      }
    }
    // Ids left unread wait for a later pass: the rotation resumes at the first of them.
    const stop = unseen.length > CONTACTS_READ_PER_PASS ? unseen[CONTACTS_READ_PER_PASS]! - 1 : ids.at(-1)!;
    await setPullState(deps.db, accountId, 'contacts', { ...state, checkAfter: stop });
    if (gone.length === 0) return 0;
    const links = await getLinksByBmsIds(deps.db, accountId, 'contact', gone);
    return await orphanRecords(
      ctx,
      'contact',
      [...links.values()].map((l) => ({ recordId: l.recordId, bmsId: l.bmsId!, reason: 'the contact no longer exists in Kaseya BMS' })),
    );
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const message = err instanceof Error ? err.message : String(err);
    await addRunLog(deps.db, [{ runId: syncRunId, level: 'warn', message: `Checking for contacts deleted in Kaseya BMS failed: ${message}` }]);
    return 0;
  }
}
