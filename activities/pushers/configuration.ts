/**
 * Configuration ↔ BMS hardware asset pushes.
 * - create: `POST /v2/servicedesk/hardwareasset` with every mapped field and the required `Name`,
 *   `AccountId`, `AccountLocationId` (the configuration's location, else the account's main one from
 *   `GET /v2/crm/accounts/{id}/locations/lookup`) and `CategoryId`;
 * - update: `GET` the asset, then `PUT` it whole with the changed fields overlaid (PUT replaces the whole
 *   `HardwareAssetInputDto`, so every field BMS holds and we do not map is sent back as it was);
 * - look-up by natural key (account, type, name, serial, MAC): `searchselect` filtered by account, name
 *   and serial, exact comparison of the summaries, then a `GET` per candidate to compare the MAC.
 */
import { getLinksByBmsIds } from '../../db/links';
import {
  type AssetRefs,
  assetToConfiguration,
  type ConfigurationSynced,
  configurationToAssetPost,
  configurationToAssetPut,
  lookupId,
} from '../../domain/mapping';
import { keyPart, sameNaturalKey } from '../../domain/matching';
import type { RecordFields, RecordType } from '../../domain/records';
import { PAGE_SIZE } from '../../bms/client';
import type { BmsAssetSummary } from '../../bms/types';
import type { PushContext, Pusher } from './pusher';
import { accountOf, linkedElsewhere, locationOf } from './common';

function configurationFields(fields: RecordFields): ConfigurationSynced {
  const s = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : null);
  return {
    organizationId: s('organizationId'),
    locationId: s('locationId'),
    contactId: s('contactId'),
    name: s('name'),
    type: s('type'),
    status: s('status') ?? 'Active',
    serialNumber: s('serialNumber'),
    assetTag: s('assetTag'),
    macAddress: s('macAddress'),
    primaryIp: s('primaryIp'),
    defaultGateway: s('defaultGateway'),
    manufacturer: s('manufacturer'),
    model: s('model'),
    operatingSystem: s('operatingSystem'),
    platform: s('platform'),
    position: s('position'),
    purchasedAt: s('purchasedAt'),
    warrantyExpiresAt: s('warrantyExpiresAt'),
    notes: s('notes'),
  };
}




/**
 * The record id a BMS reference stands for, as the record would name it: ours when BMS points where we
 * do, else the record linked to BMS's target, else a placeholder that equals no record id (so the
 * difference is pushed). `ours` null with BMS pointing somewhere counts as agreeing only for the location,
 * since BMS always puts an asset somewhere (a configuration without location sits at the main one).
 */
async function asRecordRef(
  ctx: PushContext,
  field: 'locationId' | 'contactId',
  target: RecordType,
  bmsTarget: number | null,
): Promise<string | null> {
  const ours = (ctx.synced[field] as string | null | undefined) ?? null;
  if (bmsTarget === (ctx.refs[field] ?? null)) return ours;
  if (ours === null && field === 'locationId') return null;
  if (bmsTarget === null) return null;
  const links = await getLinksByBmsIds(ctx.deps.db, ctx.record.accountId, target, [bmsTarget]);
  return links.get(bmsTarget)?.recordId ?? `bms:${target}:${bmsTarget}`;
}

async function createBody(ctx: PushContext) {
  const accountId = accountOf(ctx);
  const refs: AssetRefs = {
    accountId,
    accountLocationId: await locationOf(ctx, accountId),
    contactId: ctx.refs.contactId ?? null,
  };
  return configurationToAssetPost(configurationFields(ctx.synced), ctx.lookups, refs);
}

export const configurationPusher: Pusher = {
  async findExisting(ctx) {
    const accountBmsId = accountOf(ctx);
    const local = configurationFields(ctx.synced);
    const name = keyPart(local.name);
    const categoryId = lookupId(ctx.lookups.assetCategories, local.type);
    if (!name || categoryId === null) return null;
    const serial = keyPart(local.serialNumber);
    // Compared in BMS terms: the organization as its account, the type as its category.
    const wanted = { organizationId: accountBmsId, type: categoryId, name, serialNumber: serial, macAddress: local.macAddress };

    // BMS text filters may match loosely (substring, any case): compare exactly here.
    const candidates: BmsAssetSummary[] = [];
    for (let page = 1; ; page++) {
      const items = await ctx.client.assetsPage(
        { pageNumber: page, accountId: accountBmsId, assetName: name, serialNumber: serial ?? undefined },
        ctx.signal,
      );
      candidates.push(
        ...items.filter(
          (a) =>
            // The summary does not show the MAC address: it is compared once the asset is read.
            sameNaturalKey('configuration', wanted, { ...wanted, organizationId: a.accountId, type: a.categoryId, name: a.assetName, serialNumber: a.serialNumber }),
        ),
      );
      if (items.length < PAGE_SIZE) break;
    }
    candidates.sort((a, b) => a.id - b.id);

    for (const candidate of candidates) {
      if (await linkedElsewhere(ctx, candidate.id)) continue;
      const asset = await ctx.client.getAsset(candidate.id, ctx.signal);
      if (!sameNaturalKey('configuration', wanted, { ...wanted, macAddress: asset.macAddress })) continue;
      const pulled = assetToConfiguration(asset, ctx.lookups);
      const fields: RecordFields = {
        ...pulled.fields,
        organizationId: ctx.synced.organizationId ?? null,
        locationId: await asRecordRef(ctx, 'locationId', 'location', pulled.refs.locationId),
        contactId: await asRecordRef(ctx, 'contactId', 'contact', pulled.refs.contactId),
      };
      return { bmsId: asset.id ?? candidate.id, modifiedOn: asset.modifiedOn ?? null, fields };
    }
    return null;
  },

  async checkCreate(ctx) {
    await createBody(ctx);
  },

  async create(ctx) {
    const asset = await ctx.client.createAsset(await createBody(ctx), ctx.signal);
    return { bmsId: asset.id, modifiedOn: asset.modifiedOn ?? null };
  },

  async update(ctx, bmsId, changed) {
    const current = await ctx.client.getAsset(bmsId, ctx.signal);
    const refs: Partial<AssetRefs> = {};
    if ('organizationId' in changed) refs.accountId = accountOf(ctx);
    if ('organizationId' in changed || 'locationId' in changed) {
      const accountId = refs.accountId ?? current.accountId ?? accountOf(ctx);
      refs.accountLocationId = await locationOf(ctx, accountId);
    }
    if ('contactId' in changed) refs.contactId = ctx.refs.contactId ?? null;
    const fields = configurationFields(ctx.synced);
    const only = Object.fromEntries(Object.keys(changed).map((k) => [k, fields[k as keyof ConfigurationSynced]]));
    const asset = await ctx.client.putAsset(bmsId, configurationToAssetPut(current, only, ctx.lookups, refs), ctx.signal);
    return { modifiedOn: asset?.modifiedOn ?? null };
  },
};
