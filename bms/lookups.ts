/**
 * The BMS lookup tables the mapping needs (account types, asset categories, email/phone types, …) and
 * the API user's id, read in one go. Which named tables hold them differs between tenants, so the
 * caller passes the names (the Sync Settings' lookup tables).
 */
import type { LookupEntry, Lookups } from '../domain/mapping';
import type { SyncSettings } from '../domain/settings';
import type { BmsClient } from './client';
import type { BmsLookupItem } from './types';

export interface BmsLookups extends Lookups {
  /** The BMS user id of the API user (a valid account manager). */
  userId: number | null;
  fetchedAt: string | null;
}

function entries(items: BmsLookupItem[]): LookupEntry[] {
  return items
    .filter((i) => typeof i.id === 'number' && typeof i.name === 'string')
    .map((i) => ({ id: i.id, name: i.name!, isActive: i.isActive }));
}

export async function fetchLookups(client: BmsClient, tables: SyncSettings['lookupTables'], signal?: AbortSignal): Promise<BmsLookups> {
  const t = tables;
  const [accountTypes, businessTypes, assetCategories, emailTypes, phoneTypes, manufacturers, countries, user] =
    await Promise.all([
      client.accountTypes(signal),
      client.lookup(t.businessType, signal),
      client.lookup(t.assetCategory, signal),
      client.lookup(t.emailType, signal),
      client.lookup(t.phoneType, signal),
      client.lookup(t.manufacturer, signal),
      client.lookup(t.country, signal),
      client.userInfo(signal),
    ]);
  return {
    accountTypes: entries(accountTypes),
    businessTypes: entries(businessTypes),
    assetCategories: entries(assetCategories),
    emailTypes: entries(emailTypes),
    phoneTypes: entries(phoneTypes),
    manufacturers: entries(manufacturers),
    countries: entries(countries),
    userId: typeof user.userId === 'number' ? user.userId : null,
    fetchedAt: new Date().toISOString(),
  };
}
