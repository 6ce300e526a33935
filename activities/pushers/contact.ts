/**
 * Contact ↔ BMS contact pushes.
 * - create: `POST /v2/crm/contacts/summary` (needs a `LocationId`: the contact's location, else the
 *   account's main one from `GET /v2/crm/accounts/{id}/locations/lookup`), then one JSON Patch for what
 *   the create cannot carry (`JobTitle`, `Poc`);
 * - update: `PATCH …/emails` and `…/phones` for list changes computed against the base (the last synced
 *   lists), then one JSON Patch `/v2/crm/contacts/{id}` for the scalar fields that changed;
 * - look-up by natural key: `GET /v2/crm/contacts/search` by account, first and last name, exact match
 *   after trimming, then the full contact.
 */
import { getLink, getLinksByBmsIds } from '../../db/links';
import {
  bmsContactToContact,
  type ContactPushContext,
  type ContactChanges,
  type ContactSynced,
  contactCreateFollowUp,
  contactPatch,
  contactToCreateBody,
  emailOperations,
  MappingError,
  phoneOperations,
} from '../../domain/mapping';
import { keyPart, sameNaturalKey } from '../../domain/matching';
import type { ContactEmail, ContactPhone, RecordFields } from '../../domain/records';
import type { PushContext, Pusher } from './pusher';
import { accountOf, linkedElsewhere, locationOf } from './common';

function contactFields(fields: RecordFields): ContactSynced {
  const s = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : null);
  return {
    firstName: s('firstName'),
    lastName: s('lastName'),
    title: s('title'),
    important: fields.important === true,
    emails: Array.isArray(fields.emails) ? (fields.emails as ContactEmail[]) : [],
    phones: Array.isArray(fields.phones) ? (fields.phones as ContactPhone[]) : [],
  };
}



async function pushContext(ctx: PushContext, withLocation: boolean): Promise<ContactPushContext> {
  const accountBmsId = accountOf(ctx);
  return {
    lookups: ctx.lookups,
    defaults: ctx.integration.settings.contactDefaults,
    accountBmsId,
    locationBmsId: withLocation ? await locationOf(ctx, accountBmsId) : 0,
  };
}


/** The emails and phones BMS holds as of the last sync: the link's base, else BMS itself. */
async function baseLists(ctx: PushContext, bmsId: number): Promise<{ emails: ContactEmail[]; phones: ContactPhone[] }> {
  const link = await getLink(ctx.deps.db, 'contact', ctx.record.id);
  const base = link?.bmsId === bmsId ? link.base : null;
  if (base && Array.isArray(base.emails) && Array.isArray(base.phones)) {
    return { emails: base.emails as ContactEmail[], phones: base.phones as ContactPhone[] };
  }
  const current = bmsContactToContact(await ctx.client.getContact(bmsId, ctx.signal), ctx.lookups);
  return { emails: current.fields.emails, phones: current.fields.phones };
}

export const contactPusher: Pusher = {
  async findExisting(ctx) {
    const accountBmsId = accountOf(ctx);
    const local = contactFields(ctx.synced);
    const firstName = keyPart(local.firstName);
    const lastName = keyPart(local.lastName);
    if (!firstName) return null;
    // Compared in BMS terms: the organization as its account.
    const wanted = { organizationId: accountBmsId, firstName, lastName };
    const candidates = (
      await ctx.client.searchContacts({ accountId: accountBmsId, firstName, lastName: lastName ?? undefined }, ctx.signal)
    )
      .filter(
        (c) =>
          c.isActive !== false &&
          sameNaturalKey('contact', wanted, { organizationId: c.accountId ?? accountBmsId, firstName: c.firstName, lastName: c.lastName }),
      )
      .sort((a, b) => a.id - b.id);
    for (const candidate of candidates) {
      if (await linkedElsewhere(ctx, candidate.id)) continue;
      const contact = await ctx.client.getContact(candidate.id, ctx.signal);
      const pulled = bmsContactToContact(contact, ctx.lookups);
      // The location as the record would name it; a contact without one sits at BMS's default location.
      let locationId: string | null = null;
      if (ctx.synced.locationId !== null && ctx.synced.locationId !== undefined) {
        if (pulled.locationBmsId !== null && pulled.locationBmsId === ctx.refs.locationId) locationId = ctx.synced.locationId as string;
        else if (pulled.locationBmsId !== null) {
          const links = await getLinksByBmsIds(ctx.deps.db, ctx.record.accountId, 'location', [pulled.locationBmsId]);
          locationId = links.get(pulled.locationBmsId)?.recordId ?? null;
        }
      }
      const fields: RecordFields = { ...pulled.fields, organizationId: ctx.synced.organizationId ?? null, locationId };
      return { bmsId: contact.id ?? candidate.id, modifiedOn: contact.modifiedOn ?? null, fields };
    }
    return null;
  },

  async checkCreate(ctx) {
    contactToCreateBody(contactFields(ctx.synced), await pushContext(ctx, true));
  },

  async create(ctx) {
    const local = contactFields(ctx.synced);
    const pc = await pushContext(ctx, true);
    const created = await ctx.client.createContact(contactToCreateBody(local, pc), ctx.signal);
    if (typeof created?.id !== 'number') throw new MappingError('Kaseya BMS answered the contact create without an id', 'id');
    const followUp = contactCreateFollowUp(local);
    let modifiedOn: string | null = null;
    if (followUp.length > 0) modifiedOn = (await ctx.client.patchContact(created.id, followUp, ctx.signal))?.modifiedOn ?? null;
    return { bmsId: created.id, modifiedOn };
  },

  async update(ctx, bmsId, changed) {
    const local = contactFields(ctx.synced);
    const moved = 'organizationId' in changed || 'locationId' in changed;
    const pc = await pushContext(ctx, moved);
    if ('emails' in changed || 'phones' in changed) {
      const base = await baseLists(ctx, bmsId);
      if ('emails' in changed) {
        const ops = emailOperations(base.emails, local.emails, pc);
        if (ops.length > 0) await ctx.client.patchContactEmails(bmsId, ops, ctx.signal);
      }
      if ('phones' in changed) {
        const ops = phoneOperations(base.phones, local.phones, pc);
        if (ops.length > 0) await ctx.client.patchContactPhones(bmsId, ops, ctx.signal);
      }
    }
    // Last, so its answer carries the contact's modifiedOn after every write of this push.
    const ops = contactPatch(changed as ContactChanges, pc);
    if (ops.length === 0) return { modifiedOn: null };
    const updated = await ctx.client.patchContact(bmsId, ops, ctx.signal);
    return { modifiedOn: updated?.modifiedOn ?? null };
  },
};
