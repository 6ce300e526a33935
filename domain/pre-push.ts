/**
 * The pre-push check: the values Kaseya BMS requires that a record lacks, found before anything is sent
 * (the vendor document's required input fields, and IT Glue's rules for contacts). One answer for the
 * save that would queue the push, the push activity itself, and the list of records that need a person;
 * the per-type rules live with the mapping of that type. Pure: safe to import from workflows.
 */
import { type ContactSynced, contactCreateProblems, type Lookups, lookupId, MappingError, text } from './mapping';
import type { RecordFields, RecordType } from './records';
import type { SyncSettings } from './settings';

/** The Sync Settings section a problem is fixed in (the web UI's anchor for it). */
export const SETTINGS_SECTIONS = ['contact-defaults', 'create-defaults'] as const;
export type SettingsSection = (typeof SETTINGS_SECTIONS)[number];

export interface PrePushProblem {
  /** The record's field at fault, or the field the setting is about. */
  field: string;
  /** In plain words, for the person who fixes it. */
  message: string;
  /** Set when the fix is in Sync Settings rather than in the record. */
  settings?: SettingsSection;
}

/**
 * A push stopped by the pre-push check. Its name is the failure type stored on the refused record, which
 * tells a missing value (a person fills it in) from BMS's own refusals.
 */
export class MissingValueError extends MappingError {
  override readonly name = 'MissingValueError';
}
export const MISSING_VALUE_ERROR = 'MissingValueError';

export interface PrePushInput {
  type: RecordType;
  /** The record's synced fields in documentation form. */
  fields: RecordFields;
  settings: SyncSettings;
  /** The cached BMS lookups; null before they were first fetched (lookup rules then wait for the push). */
  lookups: Lookups | null;
  /** The record is linked to a BMS record already, so a push updates it rather than creating one. */
  inBms: boolean;
}

/**
 * Why BMS would refuse this record's push for a missing required value; empty when nothing is missing.
 * Whether the record syncs at all (type and status, R7) is `syncExclusion`'s question, asked first.
 */
export function prePushProblems(input: PrePushInput): PrePushProblem[] {
  const { fields, lookups, inBms } = input;
  const problems: PrePushProblem[] = [];
  const needsName = (field: string, what: string) => {
    if (!text(fields[field])) problems.push({ field, message: `A${what === 'organization' ? 'n' : ''} ${what} needs a name` });
  };
  switch (input.type) {
    case 'organization': {
      needsName('name', 'organization');
      if (!inBms) {
        // AccountPostInputDto requires BusinessTypeId, which documentation records do not carry.
        const businessType = input.settings.createDefaults.businessTypeId ?? lookups?.businessTypes[0]?.id ?? null;
        if (lookups && businessType === null) {
          problems.push({
            field: 'businessTypeId',
            settings: 'create-defaults',
            message: 'Kaseya BMS has no business type to give new accounts; choose one in Sync Settings',
          });
        }
      }
      break;
    }
    case 'location':
      needsName('name', 'location');
      break;
    case 'configuration': {
      needsName('name', 'configuration');
      if (lookups) {
        // HardwareAssetInputDto requires CategoryId: the type must be an asset category BMS knows.
        const type = text(fields.type);
        if (!type) problems.push({ field: 'type', message: 'A configuration needs a type (a Kaseya BMS asset category)' });
        else if (lookupId(lookups.assetCategories, type) === null) {
          problems.push({ field: 'type', message: `Type '${type}' is not an asset category Kaseya BMS knows` });
        }
        const manufacturer = text(fields.manufacturer);
        if (manufacturer && lookupId(lookups.manufacturers, manufacturer) === null) {
          problems.push({ field: 'manufacturer', message: `Manufacturer '${manufacturer}' does not exist in Kaseya BMS; choose one of its manufacturers or clear the field` });
        }
      }
      break;
    }
    case 'contact': {
      if (inBms) {
        if (!text(fields.firstName)) problems.push({ field: 'firstName', message: 'A contact needs a first name' });
        break;
      }
      for (const p of contactCreateProblems(fields as unknown as ContactSynced, input.settings.contactDefaults, lookups)) {
        problems.push({ field: p.field, message: p.message, ...(p.inSettings ? { settings: 'contact-defaults' as const } : {}) });
      }
      break;
    }
  }
  return problems;
}
