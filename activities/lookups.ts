/**
 * The BMS lookups cached on the integration for the mapping. Refreshed when older than an hour, so a
 * pull or push costs no extra requests most of the time.
 */
import type { Db } from '../db';
import { type Integration, updateIntegration } from '../db/integrations';
import type { BmsClient } from '../bms/client';
import { type BmsLookups, fetchLookups } from '../bms/lookups';

const MAX_AGE_MS = 60 * 60_000;

/** The integration's lookups, fetched again when stale (or when `force`). */
export async function ensureLookups(
  db: Db,
  client: BmsClient,
  integration: Integration,
  options: { force?: boolean; signal?: AbortSignal } = {},
): Promise<BmsLookups> {
  const fetchedAt = integration.lookups.fetchedAt ? Date.parse(integration.lookups.fetchedAt) : 0;
  if (!options.force && Date.now() - fetchedAt < MAX_AGE_MS) return integration.lookups;
  const lookups = await fetchLookups(client, integration.settings.lookupTables, options.signal);
  await updateIntegration(db, integration.accountId, { lookups });
  integration.lookups = lookups;
  return lookups;
}
