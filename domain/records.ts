/**
 * The documentation records this service holds, declared once: each type's fields, their database
 * columns, their kind, and whether they are synced (mapped to a Kaseya BMS field) or documentation-only.
 * The API schemas, the database mappers, the one-way read-only rule and the mapping module all read this.
 * Pure and deterministic: safe to import from workflows.
 */

export const RECORD_TYPES = ['organization', 'location', 'contact', 'configuration'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export function isRecordType(value: unknown): value is RecordType {
  return typeof value === 'string' && (RECORD_TYPES as readonly string[]).includes(value);
}

/** Plural path segment / table name for each type. */
export const RECORD_COLLECTIONS = {
  organization: 'organizations',
  location: 'locations',
  contact: 'contacts',
  configuration: 'configurations',
} as const satisfies Record<RecordType, string>;
export type RecordCollection = (typeof RECORD_COLLECTIONS)[RecordType];

/** Who last wrote a record: a person (ui), automation (api), an import, a pull from BMS, or the service itself. */
export const WRITE_ORIGINS = ['ui', 'api', 'import', 'pull', 'system'] as const;
export type WriteOrigin = (typeof WRITE_ORIGINS)[number];

/** How a record came to be, as people filter on it, and the write origins of its creation each covers. */
export const RECORD_ORIGINS = ['created', 'imported', 'pulled'] as const;
export type RecordOrigin = (typeof RECORD_ORIGINS)[number];
export const ORIGIN_WRITES: Record<RecordOrigin, WriteOrigin[]> = { created: ['ui', 'api'], imported: ['import'], pulled: ['pull'] };

export const FIELD_KINDS = ['text', 'boolean', 'date', 'ref', 'emails', 'phones'] as const;
export type FieldKind = (typeof FIELD_KINDS)[number];

export interface FieldSpec {
  column: string;
  kind: FieldKind;
  /** Mapped to a Kaseya BMS field: read-only on synced records in one-way mode, pushed in two-way mode. */
  synced: boolean;
  /** For `ref` fields: the record type referred to. */
  ref?: RecordType;
  /** Must be present and non-empty on create. */
  required?: boolean;
  /** Maximum length for text fields. */
  maxLength?: number;
}

const text = (column: string, synced: boolean, extra: Partial<FieldSpec> = {}): FieldSpec => ({
  column,
  kind: 'text',
  synced,
  maxLength: 255,
  ...extra,
});
const longText = (column: string, synced: boolean): FieldSpec => ({ column, kind: 'text', synced, maxLength: 65_535 });
const ref = (column: string, target: RecordType, synced: boolean, required = false): FieldSpec => ({
  column,
  kind: 'ref',
  ref: target,
  synced,
  required,
});

export const RECORD_FIELDS = {
  organization: {
    name: text('name', true, { required: true }),
    shortName: text('short_name', true),
    type: text('type', true),
    status: text('status', true),
    parentId: ref('parent_id', 'organization', true),
    description: longText('description', false),
    quickNotes: longText('quick_notes', false),
    alert: longText('alert', false),
  },
  location: {
    organizationId: ref('organization_id', 'organization', true, true),
    name: text('name', true, { required: true }),
    primary: { column: 'primary', kind: 'boolean', synced: true },
    address1: text('address_1', true),
    address2: text('address_2', true),
    city: text('city', true),
    region: text('region', true),
    postalCode: text('postal_code', true),
    country: text('country', true),
    phone: text('phone', true),
    fax: text('fax', true),
    notes: longText('notes', false),
  },
  contact: {
    organizationId: ref('organization_id', 'organization', true, true),
    locationId: ref('location_id', 'location', true),
    firstName: text('first_name', true, { required: true }),
    lastName: text('last_name', true),
    title: text('title', true),
    important: { column: 'important', kind: 'boolean', synced: true },
    emails: { column: 'emails', kind: 'emails', synced: true },
    phones: { column: 'phones', kind: 'phones', synced: true },
    notes: longText('notes', false),
  },
  configuration: {
    organizationId: ref('organization_id', 'organization', true, true),
    locationId: ref('location_id', 'location', true),
    contactId: ref('contact_id', 'contact', true),
    name: text('name', true, { required: true }),
    type: text('type', true),
    status: text('status', true),
    serialNumber: text('serial_number', true),
    assetTag: text('asset_tag', true),
    macAddress: text('mac_address', true),
    primaryIp: text('primary_ip', true),
    defaultGateway: text('default_gateway', true),
    manufacturer: text('manufacturer', true),
    model: text('model', true),
    operatingSystem: text('operating_system', true),
    platform: text('platform', true),
    position: text('position', true),
    purchasedAt: { column: 'purchased_at', kind: 'date', synced: true },
    warrantyExpiresAt: { column: 'warranty_expires_at', kind: 'date', synced: true },
    notes: longText('notes', true),
    hostname: text('hostname', false),
  },
} as const satisfies Record<RecordType, Record<string, FieldSpec>>;

export type FieldName<T extends RecordType> = keyof (typeof RECORD_FIELDS)[T] & string;

export interface ContactEmail {
  value: string;
  /** BMS email type name, e.g. "Work". */
  label: string | null;
  primary: boolean;
}

export interface ContactPhone {
  value: string;
  /** BMS phone type name, e.g. "Office". */
  label: string | null;
  primary: boolean;
}

/** Field values of one record as the domain sees them (camelCase keys from RECORD_FIELDS). */
export type RecordFields = Record<string, string | boolean | null | ContactEmail[] | ContactPhone[]>;

export function fieldSpecs(type: RecordType): Record<string, FieldSpec> {
  return RECORD_FIELDS[type];
}

export function syncedFieldNames(type: RecordType): string[] {
  return Object.entries(fieldSpecs(type))
    .filter(([, spec]) => spec.synced)
    .map(([name]) => name);
}

/** Organization status values; BMS accounts carry only `isActive` (see docs/mapping.md). */
export const ACTIVE_STATUSES = ['Active', 'Inactive'] as const;
export type ActiveStatus = (typeof ACTIVE_STATUSES)[number];
