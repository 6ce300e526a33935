/** Organization ↔ BMS account pushes. */
import { mainLocationOf, type StoredRecord } from '../../db/records';
import {
  accountToOrganization,
  type MainLocationInput,
  organizationPatch,
  type OrganizationSynced,
  organizationToAccountPost,
} from '../../domain/mapping';
import { sameNaturalKey } from '../../domain/matching';
import type { RecordFields } from '../../domain/records';
import type { PushContext, Pusher } from './pusher';
import { linkedElsewhere } from './common';
import { linkCreatedMainLocation } from './location';

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

/** The organization's primary location record (else its first), as the account create's main location. */
async function mainLocation(ctx: PushContext): Promise<MainLocationInput & { record?: StoredRecord }> {
  const record = await mainLocationOf(ctx.deps.db, ctx.record.accountId, ctx.record.id);
  if (!record) return { name: 'Main' };
  const text = (name: string) => (record.fields[name] ?? null) as string | null;
  return {
    name: text('name') ?? 'Main',
    address1: text('address1'),
    address2: text('address2'),
    city: text('city'),
    region: text('region'),
    postalCode: text('postalCode'),
    country: text('country'),
    phone: text('phone'),
    fax: text('fax'),
    record,
  };
}

async function createBody(ctx: PushContext) {
  const main = await mainLocation(ctx);
  const body = organizationToAccountPost(
    organizationFields(ctx),
    { lookups: ctx.lookups, defaults: ctx.defaults, parentBmsId: ctx.refs.parentId ?? null },
    main,
  );
  return { main, body };
}

export const organizationPusher: Pusher = {
  async findExisting(ctx) {
    const name = organizationFields(ctx).name;
    if (!name) return null;
    const candidates = (await ctx.client.lookupAccountsByName(name, ctx.signal))
      .filter((a) => sameNaturalKey('organization', { name }, { name: a.name }))
      .sort((a, b) => a.id - b.id);
    for (const candidate of candidates) {
      if (await linkedElsewhere(ctx, candidate.id)) continue;
      const account = await ctx.client.getAccount(candidate.id, ctx.signal);
      const pulled = accountToOrganization(account, ctx.lookups);
      const fields: RecordFields = { ...pulled.fields, parentId: ctx.synced.parentId ?? null };
      return { bmsId: account.id, modifiedOn: account.modifiedOn ?? null, fields };
    }
    return null;
  },

  async checkCreate(ctx) {
    await createBody(ctx);
  },

  async create(ctx) {
    const { main, body } = await createBody(ctx);
    const account = await ctx.client.createAccount(body, ctx.signal);
    // BMS made the main location from that record: link them so a pull does not duplicate it.
    await linkCreatedMainLocation(ctx, main.record, account);
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
