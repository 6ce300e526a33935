/**
 * Which records sync, by the Sync Settings (R1) and for pushes (R7): one answer for pulls and pushes.
 * Pure: safe to import from workflows.
 */
import { activeFromStatus, type Lookups, lookupId, STATUS_ACTIVE, STATUS_INACTIVE } from './mapping';
import type { RecordFields, RecordType } from './records';
import type { SyncSettings } from './settings';

function statusName(status: unknown): 'Active' | 'Inactive' {
  return activeFromStatus(typeof status === 'string' ? status : null) ? STATUS_ACTIVE : STATUS_INACTIVE;
}

/**
 * Why a record of this type, type name and status does not sync; null when it does.
 * `fields` are the record's synced fields in documentation form (type by name, status by name).
 */
export function syncExclusion(
  type: RecordType,
  fields: RecordFields,
  settings: SyncSettings,
  lookups: Lookups,
): string | null {
  switch (type) {
    case 'organization':
    case 'configuration': {
      const section = type === 'organization' ? settings.organizations : settings.configurations;
      const label = type === 'organization' ? 'Organizations' : 'Configurations';
      if (!section.enabled) return `${label} are not set to sync`;
      const table = type === 'organization' ? lookups.accountTypes : lookups.assetCategories;
      const typeName = typeof fields.type === 'string' ? fields.type : null;
      if (!typeName) return 'it has no type, and only records of a type set to sync are synced';
      const typeId = lookupId(table, typeName);
      if (typeId === null) return `type '${typeName}' does not exist in Kaseya BMS`;
      if (!section.types.includes(typeId)) return `type '${typeName}' is not set to sync`;
      const status = statusName(fields.status);
      if (!section.statuses.includes(status)) return `status '${status}' is not set to sync`;
      return null;
    }
    case 'location':
      return settings.locations.enabled ? null : 'Locations are not set to sync';
    case 'contact':
      return settings.contacts.enabled ? null : 'Contacts are not set to sync';
  }
}
