/**
 * What a Sync Settings change would do, decided by domain/rules.ts under the settings before and after:
 * which stored records would become orphans on the next pull, whose pushes would stop, and which BMS
 * selections would start to sync. Works on groups of records that share what the rules look at (type
 * name, status, link state), so an account of any size is judged from a handful of rows.
 * Pure: safe to import from workflows.
 */
import type { Lookups } from './mapping';
import type { RecordType } from './records';
import { syncExclusion } from './rules';
import type { SyncSettings } from './settings';
import { isLive, type SyncState } from './sync-state';

/** Asset pages read at most to count a selection (BMS's asset search reports no total). */
export const ASSET_COUNT_MAX_PAGES = 10;

/** Records of one type that the rules cannot tell apart. */
export interface RecordGroup {
  recordType: RecordType;
  /** The record's own type name and status (organizations and configurations; null otherwise). */
  type: string | null;
  status: string | null;
  state: SyncState;
  linked: boolean;
  /** The type name and status BMS was last seen to hold (the link's base), for linked records. */
  baseType: string | null;
  baseStatus: string | null;
  count: number;
}

/** Whether a pull reads this record type at all under the settings (activities/pull.ts reads the same switches). */
export function pulledUnder(type: RecordType, settings: SyncSettings): boolean {
  switch (type) {
    case 'organization':
      return true;
    case 'location':
      return settings.locations.enabled;
    case 'contact':
      return settings.contacts.enabled;
    case 'configuration':
      return settings.configurations.enabled;
  }
}

function exclusion(group: RecordGroup, fields: { type: string | null; status: string | null }, settings: SyncSettings, lookups: Lookups) {
  return syncExclusion(group.recordType, { type: fields.type, status: fields.status }, settings, lookups);
}

/**
 * A linked record becomes an orphan on the next pull when the pull still reads its type and BMS's side of
 * it (the base) stops matching the settings; one already orphaned or switched off stays as it is.
 */
export function wouldOrphan(group: RecordGroup, before: SyncSettings, after: SyncSettings, lookups: Lookups): boolean {
  if (!isLive({ bmsId: group.linked ? 1 : null, state: group.state })) return false;
  if (!pulledUnder(group.recordType, after)) return false;
  const remote = { type: group.baseType ?? group.type, status: group.baseStatus ?? group.status };
  return exclusion(group, remote, after, lookups) !== null && exclusion(group, remote, before, lookups) === null;
}

/** A record's saves stop being pushed when its type and status sync now and would not after the change. */
export function wouldStopPushing(group: RecordGroup, before: SyncSettings, after: SyncSettings, lookups: Lookups): boolean {
  if (group.state === 'disabled' || group.state === 'orphaned') return false;
  const own = { type: group.type, status: group.status };
  return exclusion(group, own, after, lookups) !== null && exclusion(group, own, before, lookups) === null;
}

/** A selection of BMS records the change would start to pull, to be counted in BMS. */
export type StartSelection =
  | { recordType: 'organization'; typeId: number; typeName: string; status: 'Active' | 'Inactive' }
  | { recordType: 'configuration'; typeId: number; typeName: string; status: 'Active' | 'Inactive' }
  | { recordType: 'contact' }
  | { recordType: 'location' };

/** The BMS selections that sync after the change and did not before. */
export function startSelections(before: SyncSettings, after: SyncSettings, lookups: Lookups): StartSelection[] {
  const out: StartSelection[] = [];
  for (const recordType of ['organization', 'configuration'] as const) {
    const [was, will] = recordType === 'organization' ? [before.organizations, after.organizations] : [before.configurations, after.configurations];
    const table = recordType === 'organization' ? lookups.accountTypes : lookups.assetCategories;
    if (!will.enabled) continue;
    for (const typeId of will.types) {
      for (const status of will.statuses) {
        if (was.enabled && was.types.includes(typeId) && was.statuses.includes(status)) continue;
        const typeName = table.find((t) => t.id === typeId)?.name ?? String(typeId);
        out.push({ recordType, typeId, typeName, status });
      }
    }
  }
  if (after.contacts.enabled && !before.contacts.enabled) out.push({ recordType: 'contact' });
  if (after.locations.enabled && !before.locations.enabled) out.push({ recordType: 'location' });
  return out;
}
