/** Words the UI shows for the API's names: record types, fields, sync states, roles and plans. */
import type { ListItem, Plan, RecordJson, RecordType, Role, SyncState } from './types';

export const TYPE_LABELS: Record<RecordType, { one: string; many: string; path: string }> = {
  organization: { one: 'Organization', many: 'Organizations', path: 'organizations' },
  configuration: { one: 'Configuration', many: 'Configurations', path: 'configurations' },
  contact: { one: 'Contact', many: 'Contacts', path: 'contacts' },
  location: { one: 'Location', many: 'Locations', path: 'locations' },
};

/** Menu and list order. */
export const TYPE_ORDER: RecordType[] = ['organization', 'configuration', 'contact', 'location'];

export function typeFromPath(segment: string): RecordType | undefined {
  return TYPE_ORDER.find((t) => TYPE_LABELS[t].path === segment);
}

const FIELD_LABELS: Record<string, string> = {
  shortName: 'Short name',
  parentId: 'Parent organization',
  organizationId: 'Organization',
  locationId: 'Location',
  contactId: 'Contact',
  quickNotes: 'Quick notes',
  primary: 'Primary location',
  address1: 'Address line 1',
  address2: 'Address line 2',
  postalCode: 'Postal code',
  firstName: 'First name',
  lastName: 'Last name',
  serialNumber: 'Serial number',
  assetTag: 'Asset tag',
  macAddress: 'MAC address',
  primaryIp: 'Primary IP',
  defaultGateway: 'Default gateway',
  operatingSystem: 'Operating system',
  purchasedAt: 'Purchased on',
  warrantyExpiresAt: 'Warranty expires on',
};

export function fieldLabel(name: string): string {
  const known = FIELD_LABELS[name];
  if (known) return known;
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Columns of each list besides the sync state, in order. */
export const LIST_COLUMNS: Record<RecordType, string[]> = {
  organization: ['name', 'shortName', 'type', 'status'],
  configuration: ['name', 'type', 'status', 'organizationId', 'serialNumber'],
  contact: ['firstName', 'organizationId', 'title', 'emails', 'phones'],
  location: ['name', 'organizationId', 'city', 'country', 'primary'],
};

export const STATE_LABELS: Record<SyncState, string> = {
  synced: 'Synced',
  not_pushed: 'Not yet pushed',
  queued: 'Queued',
  failed: 'Failed',
  excluded: 'Not set to sync',
  orphaned: 'Orphaned',
  disabled: 'Sync disabled',
};

export function stateLabel(state: string): string {
  return (STATE_LABELS as Record<string, string>)[state] ?? state;
}

export const ROLE_LABELS: Record<Role, string> = {
  administrator: 'Administrator',
  manager: 'Manager',
  editor: 'Editor',
  'read-only': 'Read-only',
};

export const PLAN_LABELS: Record<Plan, string> = { basic: 'Basic', select: 'Select', enterprise: 'Enterprise' };

/** The name a record is known by. */
export function recordTitle(record: RecordJson | undefined | null): string {
  if (!record) return '';
  if (record.recordType === 'contact') {
    const name = [record.firstName, record.lastName].filter((v) => typeof v === 'string' && v).join(' ');
    return name || '(no name)';
  }
  return typeof record.name === 'string' && record.name ? record.name : '(no name)';
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function formatDuration(from: string, to: string | null): string {
  if (!to) return '—';
  const ms = new Date(to).getTime() - new Date(from).getTime();
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export const ENTITY_LABELS: Record<string, string> = {
  accounts: 'Organizations',
  organizations: 'Organizations',
  organization: 'Organizations',
  assets: 'Configurations',
  configurations: 'Configurations',
  configuration: 'Configurations',
  contacts: 'Contacts',
  contact: 'Contacts',
  locations: 'Locations',
  location: 'Locations',
};

export function entityLabel(entity: string): string {
  return ENTITY_LABELS[entity] ?? fieldLabel(entity);
}

/** A field value as text (lists by their values, booleans as Yes/No, nothing as a dash). */
export function displayValue(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (Array.isArray(value)) {
    return value.map((v) => (v && typeof v === 'object' && 'value' in v ? String((v as ListItem).value) : JSON.stringify(v))).join(', ') || '—';
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value as string | number);
}
