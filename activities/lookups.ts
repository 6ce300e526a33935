/**
 * BMS lookup tables (account types, asset categories, email/phone types, …) cached on the integration
 * for the mapping. Refreshed when older than an hour, so a pull costs no extra requests most of the time.
 */
import type { Db } from '../db';
import { type CachedLookups, type Integration, updateIntegration } from '../db/integrations';
import type { LookupEntry } from '../domain/mapping';
import type { SyncSettings } from '../domain/settings';
import type { BmsClient } from './bms/client';
import type { BmsLookupItem } from './bms/types';

const MAX_AGE_MS = 60 * 60_000;

function entries(items: BmsLookupItem[]): LookupEntry[] {
  return items
    .filter((i) => typeof i.id === 'number' && typeof i.name === 'string')
    .map((i) => ({ id: i.id, name: i.name!, isActive: i.isActive }));
}

export async function fetchLookups(client: BmsClient, tables: SyncSettings['lookupTables'], signal?: AbortSignal): Promise<CachedLookups> {
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

/** The integration's lookups, fetched again when stale (or when `force`). */
export async function ensureLookups(
  db: Db,
  client: BmsClient,
  integration: Integration,
  options: { force?: boolean; signal?: AbortSignal } = {},
): Promise<CachedLookups> {
  const fetchedAt = integration.lookups.fetchedAt ? Date.parse(integration.lookups.fetchedAt) : 0;
  if (!options.force && Date.now() - fetchedAt < MAX_AGE_MS) return integration.lookups;
  const lookups = await fetchLookups(client, integration.settings.lookupTables, options.signal);
  await updateIntegration(db, integration.accountId, { lookups });
  integration.lookups = lookups;
  return lookups;
}
