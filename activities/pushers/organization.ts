/** Organization ↔ BMS account pushes. */
import { tableOf } from '../../db/records';
import {
  accountToOrganization,
  type MainLocationInput,
  organizationPatch,
  type OrganizationSynced,
  organizationToAccountPost,
} from '../../domain/mapping';
import type { RecordFields } from '../../domain/records';
import type { Pusher, PushContext } from '../push';

function organizationFields(ctx: PushContext): OrganizationSynced {
  const f = ctx.synced;
  return {
    name: (f.name as string | null) ?? null,
    shortName: (f.shortName as string | null) ?? null,
    type: (f.type as string | null) ?? null,
    status: (f.status as string | null) ?? 'Active',
    parentId: (f.parentId as string | null) ?? null,
  };
}

async function mainLocation(ctx: PushContext): Promise<MainLocationInput> {
  const row = (await ctx.deps
    .db(tableOf('location'))
    .where({ account_id: ctx.record.accountId, organization_id: ctx.record.id })
    .orderBy([{ column: 'primary', order: 'desc' }, { column: 'created_at', order: 'asc' }])
    .first()) as Record<string, string | null> | undefined;
  if (!row) return { name: 'Main' };
  return {
    name: row.name ?? 'Main',
    address1: row.address_1,
    address2: row.address_2,
    city: row.city,
    region: row.region,
    postalCode: row.postal_code,
    country: row.country,
    phone: row.phone,
    fax: row.fax,
  };
}

export const organizationPusher: Pusher = {
  async findExisting(ctx) {
    const name = organizationFields(ctx).name;
    if (!name) return null;
    const candidates = (await ctx.client.lookupAccountsByName(name, ctx.signal))
      .filter((a) => (a.name ?? '').trim() === name.trim())
      .sort((a, b) => a.id - b.id);
    for (const candidate of candidates) {
      const taken = (await ctx.deps
        .db('sync_links')
        .where({ account_id: ctx.record.accountId, record_type: 'organization', bms_id: candidate.id })
        .whereNot({ record_id: ctx.record.id })
        .first('record_id')) as { record_id: string } | undefined;
      if (taken) continue;
      const account = await ctx.client.getAccount(candidate.id, ctx.signal);
      const pulled = accountToOrganization(account, ctx.lookups);
      const fields: RecordFields = { ...pulled.fields, parentId: ctx.synced.parentId ?? null };
      return { bmsId: account.id, modifiedOn: account.modifiedOn ?? null, fields };
    }
    return null;
  },

  async create(ctx) {
    const body = organizationToAccountPost(
      organizationFields(ctx),
      { lookups: ctx.lookups, defaults: ctx.defaults, parentBmsId: ctx.refs.parentId ?? null },
      await mainLocation(ctx),
    );
    const account = await ctx.client.createAccount(body, ctx.signal);
    return { bmsId: account.id, modifiedOn: account.modifiedOn ?? null };
  },

  async update(ctx, bmsId, changed) {
    const ops = organizationPatch(changed as Partial<OrganizationSynced>, {
      lookups: ctx.lookups,
      defaults: ctx.defaults,
      parentBmsId: ctx.refs.parentId ?? null,
    });
    const account = await ctx.client.patchAccount(bmsId, ops, ctx.signal);
    return { modifiedOn: account?.modifiedOn ?? null };
  },
};
