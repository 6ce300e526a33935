/**
 * Location ↔ BMS account location pushes, through the V1 location routes (V2 has no location writes):
 * create with `POST /api/crm/locations`, update with `PUT /api/crm/locations/{id}` (a replace of the
 * name and main address, so every mapped field is sent), and look-ups by natural key through
 * `GET /api/crm/accounts/{id}/locations` so a create whose answer was lost is never repeated.
 * Also: linking the location an organization create made in BMS (`linkCreatedMainLocation`).
 */
import { addHistory } from '../../db/history';
import { applyLinkEvent, getLink, updateLink } from '../../db/links';
import { hasOtherPrimaryLocation, type StoredRecord, updateRecord } from '../../db/records';
import {
  accountLocationToLocation,
  canonicalCountry,
  type LocationPushContext,
  type LocationSynced,
  locationModifiedOn,
  locationToV1Body,
  MappingError,
} from '../../domain/mapping';
import { naturalKey } from '../../domain/matching';
import { type RecordFields, syncedFieldNames } from '../../domain/records';
import { canTransition } from '../../domain/sync-state';
import { recordPushWorkflowId } from '../../workflows/definitions';
import type { BmsAccount } from '../../bms/types';
import type { PushContext, Pusher } from './pusher';
import { linkedElsewhere } from './common';

function locationFields(fields: RecordFields): LocationSynced {
  const s = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : null);
  return {
    name: s('name'),
    primary: fields.primary === true,
    address1: s('address1'),
    address2: s('address2'),
    city: s('city'),
    region: s('region'),
    postalCode: s('postalCode'),
    country: s('country'),
    phone: s('phone'),
    fax: s('fax'),
  };
}

function pushContext(ctx: PushContext): LocationPushContext {
  const accountBmsId = ctx.refs.organizationId;
  // The generic flow waits until the organization is in BMS, so this is a bug guard.
  if (!accountBmsId) throw new MappingError('The location’s organization is not in Kaseya BMS yet', 'organizationId');
  return { lookups: ctx.lookups, accountBmsId };
}

/** The natural key (organization, name, address) with the country spelt as BMS will show it. */
function matchKey(fields: LocationSynced, organizationId: unknown, ctx: PushContext): string | null {
  return naturalKey('location', { ...fields, organizationId: organizationId as string, country: canonicalCountry(fields.country, ctx.lookups) });
}

export const locationPusher: Pusher = {
  async findExisting(ctx) {
    const { accountBmsId } = pushContext(ctx);
    const local = locationFields(ctx.synced);
    const wanted = matchKey(local, ctx.synced.organizationId, ctx);
    if (!wanted) return null;
    const candidates = (await ctx.client.v1AccountLocations(accountBmsId, ctx.signal)).sort((a, b) => a.id - b.id);
    for (const candidate of candidates) {
      const pulled = accountLocationToLocation(candidate, ctx.lookups);
      if (matchKey(pulled.fields, ctx.synced.organizationId, ctx) !== wanted) continue;
      if (await linkedElsewhere(ctx, candidate.id)) continue;
      const fields: RecordFields = { ...pulled.fields, organizationId: ctx.synced.organizationId ?? null };
      return { bmsId: candidate.id, modifiedOn: locationModifiedOn(candidate), fields };
    }
    return null;
  },

  checkCreate(ctx) {
    locationToV1Body(locationFields(ctx.synced), pushContext(ctx), { mode: 'create' });
    return Promise.resolve();
  },

  async create(ctx) {
    const body = locationToV1Body(locationFields(ctx.synced), pushContext(ctx), { mode: 'create' });
    const created = await ctx.client.v1CreateLocation(body, ctx.signal);
    return { bmsId: created.id, modifiedOn: locationModifiedOn(created) };
  },

  async update(ctx, bmsId, changed) {
    const body = locationToV1Body(locationFields(ctx.synced), pushContext(ctx), {
      mode: 'update',
      primaryChanged: 'primary' in changed,
    });
    const updated = await ctx.client.v1UpdateLocation(bmsId, body, ctx.signal);
    return { modifiedOn: updated ? locationModifiedOn(updated) : null };
  },
};

/**
 * An organization create makes the account's main location in BMS from the organization's primary
 * location record (BMS requires one). Links that record to the BMS location the create answer carries,
 * as synced with its fields as the base, so a later pull updates it instead of making a second
 * location. Does nothing when locations do not sync, when there was no record, or when the record is
 * already linked; a record whose own push is queued stays queued (that push then finds it linked).
 */
export async function linkCreatedMainLocation(ctx: PushContext, record: StoredRecord | undefined, account: BmsAccount): Promise<void> {
  if (!record || !ctx.integration.settings.locations.enabled) return;
  const locations = Array.isArray(account.locations) ? account.locations : [];
  const created = locations.find((l) => l.isMain === true) ?? locations[0];
  if (!created || typeof created.id !== 'number') return;
  const key = { accountId: record.accountId, type: 'location' as const, recordId: record.id };
  await ctx.deps.db.transaction(async (trx) => {
    const link = await getLink(trx, 'location', record.id, true);
    if (link?.bmsId || link?.state === 'disabled') return;
    // BMS made it the account's main location; say so here too, unless another location is primary.
    const bmsMain = created.isMain === true;
    let fields = record.fields;
    if (bmsMain && record.fields.primary !== true) {
      if (!(await hasOtherPrimaryLocation(trx, record.accountId, record.fields.organizationId, record.id))) fields = (await updateRecord(trx, record.accountId, 'location', record.id, { primary: true }, { origin: 'system' }))!.fields;
    }
    const changes = {
      bmsId: created.id,
      base: Object.fromEntries(syncedFieldNames('location').map((f) => [f, f === 'primary' ? bmsMain : (fields[f] ?? null)])) as RecordFields,
      bmsModifiedOn: locationModifiedOn(created),
      remoteRefs: { organizationId: account.id },
      lastPushedAt: new Date(),
      lastError: null,
    };
    if (link?.state === 'queued' || (link && !canTransition(link.state, 'push_succeeded'))) {
      await updateLink(trx, 'location', record.id, changes);
    } else {
      await applyLinkEvent(trx, key, 'push_succeeded', { ...changes, stateReason: null, pushedVersion: record.version });
    }
    await addHistory(trx, {
      accountId: record.accountId,
      recordType: 'location',
      recordId: record.id,
      kind: 'linked',
      origin: 'push',
      summary: `Created in Kaseya BMS as location ${created.id} with its organization's account ${account.id}`,
      workflowId: recordPushWorkflowId(ctx.record.accountId, ctx.record.type, ctx.record.id),
    });
  });
}
