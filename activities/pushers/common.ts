/** What several pushers need: the record's BMS account, a location to put things in, link checks. */
import { linkedToOtherRecord } from '../../db/links';
import { MappingError } from '../../domain/mapping';
import type { PushContext } from './pusher';

/** The BMS account of the record's organization (the push flow waits until it is in BMS). */
export function accountOf(ctx: PushContext): number {
  const accountBmsId = ctx.refs.organizationId;
  if (!accountBmsId) throw new MappingError(`The ${ctx.record.type}’s organization is not in Kaseya BMS yet`, 'organizationId');
  return accountBmsId;
}

/** The record's own BMS location, else the account's main location (one lookup request). */
export async function locationOf(ctx: PushContext, accountBmsId: number): Promise<number> {
  if (ctx.refs.locationId) return ctx.refs.locationId;
  const locations = await ctx.client.accountLocationIds(accountBmsId, ctx.signal);
  const main = locations.find((l) => l.isMain === true) ?? locations[0];
  if (!main) throw new MappingError(`The organization has no location in Kaseya BMS to put the ${ctx.record.type} in`, 'locationId');
  return main.id;
}

/** Whether another record of the account is already linked to this BMS record (so it is not this one's twin). */
export function linkedElsewhere(ctx: PushContext, bmsId: number): Promise<boolean> {
  return linkedToOtherRecord(ctx.deps.db, { accountId: ctx.record.accountId, type: ctx.record.type, recordId: ctx.record.id }, bmsId);
}
