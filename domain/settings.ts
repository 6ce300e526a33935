/**
 * Sync Settings: what syncs (R1), the two-way switch lives beside them on the integration (R2), the pull
 * schedule (R8), and the BMS lookup table names (unknown in the real API, so configurable).
 * Pure: safe to import from workflows.
 */
import { z } from 'zod';

const ids = z.array(z.number().int().positive()).max(500);
const statuses = z.array(z.enum(['Active', 'Inactive'])).max(2);

/**
 * What a pull does with a BMS record that matches no documentation record by natural key: create one
 * (IT Glue's behaviour, the default) or hold it for a person to review (match, create or exclude).
 */
export const UNMATCHED_CHOICES = ['create', 'hold'] as const;
export type Unmatched = (typeof UNMATCHED_CHOICES)[number];
const unmatched = z
  .enum(UNMATCHED_CHOICES)
  .default('create')
  .describe('A BMS record matching no documentation record by natural key: create it, or hold it for review');

export const LookupTablesSchema = z
  .object({
    businessType: z.string().min(1).max(100).default('BusinessType'),
    assetCategory: z.string().min(1).max(100).default('AssetCategory'),
    emailType: z.string().min(1).max(100).default('EmailType'),
    phoneType: z.string().min(1).max(100).default('PhoneType'),
    manufacturer: z.string().min(1).max(100).default('Manufacturer'),
    country: z.string().min(1).max(100).default('Country'),
  })
  .strict();

/** A record kind that syncs by BMS type and status (R1): organizations and configurations. */
function typeAndStatusSection(typesMeaning: string) {
  return z
    .object({
      enabled: z.boolean().default(true),
      types: ids.default([]).describe(typesMeaning),
      statuses: statuses.default(['Active']),
      unmatched,
    })
    .strict()
    .default({ enabled: true, types: [], statuses: ['Active'], unmatched: 'create' });
}

export const SyncSettingsSchema = z
  .object({
    organizations: typeAndStatusSection('BMS account type ids that sync.'),
    configurations: typeAndStatusSection('BMS asset category ids that sync.'),
    locations: z.object({ enabled: z.boolean().default(true), unmatched }).strict().default({ enabled: true, unmatched: 'create' }),
    contacts: z.object({ enabled: z.boolean().default(true), unmatched }).strict().default({ enabled: true, unmatched: 'create' }),
    pull: z
      .object({
        /** Minutes between scheduled pulls (ignored when `cron` is set). */
        intervalMinutes: z.number().int().min(1).max(24 * 60).default(15),
        /** A cron expression instead of an interval, e.g. "0 * * * *" (minute hour day month weekday). */
        cron: z
          .string()
          .trim()
          .max(100)
          .regex(/^(\S+\s+){4}\S+$/, 'must be a cron expression of 5 fields, e.g. "*/30 * * * *"')
          .regex(/^[\d*/,\-A-Za-z?#\s]+$/, 'must be a cron expression of 5 fields, e.g. "*/30 * * * *"')
          .nullable()
          .default(null),
        /** How far back each incremental pull re-reads, to absorb clock and timezone skew. */
        overlapMinutes: z.number().int().min(0).max(24 * 60).default(10),
        /**
         * After this many consecutive failed pulls with the same cause the sync pauses itself and says why
         * (domain/notifications.ts); 0: never.
         */
        pauseAfterFailures: z.number().int().min(0).max(100).default(3),
      })
      .strict()
      .default({ intervalMinutes: 15, cron: null, overlapMinutes: 10, pauseAfterFailures: 3 }),
    /** Email/phone types given to contacts pushed to BMS (BMS will not take a contact without them). */
    contactDefaults: z
      .object({ emailType: z.string().max(100).nullable().default(null), phoneType: z.string().max(100).nullable().default(null) })
      .strict()
      .default({ emailType: null, phoneType: null }),
    lookupTables: LookupTablesSchema.default(LookupTablesSchema.parse({})),
    /** Required BMS fields documentation records do not carry; filled from the lookups when null. */
    createDefaults: z
      .object({
        businessTypeId: z.number().int().positive().nullable().default(null),
        accountManagerId: z.number().int().positive().nullable().default(null),
      })
      .strict()
      .default({ businessTypeId: null, accountManagerId: null }),
  })
  .strict();

export type SyncSettings = z.infer<typeof SyncSettingsSchema>;
export type SyncSettingsInput = z.input<typeof SyncSettingsSchema>;

export function defaultSyncSettings(): SyncSettings {
  return SyncSettingsSchema.parse({});
}

/** Reads stored settings leniently: unknown keys dropped, missing keys defaulted. */
export function readStoredSettings(stored: unknown): SyncSettings {
  const parsed = SyncSettingsSchema.safeParse(stored ?? {});
  if (parsed.success) return parsed.data;
  return defaultSyncSettings();
}

/**
 * `schema` as a change to it: every field optional, no defaults filled in (a field left out keeps its
 * stored value), nested objects likewise; strict objects stay strict.
 */
function changeOf(schema: z.ZodType): z.ZodType {
  let inner = schema;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
  if (!(inner instanceof z.ZodObject)) return inner;
  const shape: Record<string, z.ZodType> = {};
  for (const [name, field] of Object.entries(inner.shape as Record<string, z.ZodType>)) shape[name] = changeOf(field).optional();
  return inner.def.catchall instanceof z.ZodNever ? z.strictObject(shape) : z.object(shape);
}

/** A change to Sync Settings: any section, and in it any field. */
export type SyncSettingsChange = { [K in keyof SyncSettings]?: Partial<SyncSettings[K]> };

/** A Sync Settings change as sent: only the sections and fields to change, merged into the stored settings. */
export const SyncSettingsChangeSchema = changeOf(SyncSettingsSchema) as z.ZodType<SyncSettingsChange, SyncSettingsChange>;

/** The Sync Settings section of a record type. */
export function sectionOf(settings: SyncSettings, type: 'organization' | 'contact' | 'location' | 'configuration') {
  return { organization: settings.organizations, contact: settings.contacts, location: settings.locations, configuration: settings.configurations }[type];
}
