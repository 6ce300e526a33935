/**
 * First-sync matching: the exact natural keys that link an existing documentation record to a BMS record
 * instead of creating a duplicate (IT Glue's rules: organization by name; contact by organization and
 * first + last name; location by organization, name and address; configuration by organization, type,
 * name, serial and MAC). Exact after trimming; no fuzzy matching. Pure: safe to import from workflows.
 */
import { text } from './mapping';
import type { RecordType } from './records';

export const NATURAL_KEYS: Record<RecordType, readonly string[]> = {
  organization: ['name'],
  contact: ['organizationId', 'firstName', 'lastName'],
  location: ['organizationId', 'name', 'address1', 'address2', 'city', 'region', 'country'],
  configuration: ['organizationId', 'type', 'name', 'serialNumber', 'macAddress'],
};

/** A natural-key part as compared: trimmed text, or null. */
export function keyPart(value: unknown): string | null {
  return text(value)?.trim() ?? null;
}

/** The record's natural key, or null when its first key field is empty (such records never match). */
export function naturalKey(type: RecordType, fields: Readonly<Record<string, unknown>>): string | null {
  const parts = NATURAL_KEYS[type].map((f) => keyPart(fields[f]));
  if (parts[0] === null) return null;
  return JSON.stringify(parts);
}

/**
 * Whether `candidate` has the natural key of `local` (both in the same terms: record ids, or BMS ids, for
 * references). A record without a key matches nothing.
 */
export function sameNaturalKey(type: RecordType, local: Readonly<Record<string, unknown>>, candidate: Readonly<Record<string, unknown>>): boolean {
  const key = naturalKey(type, local);
  return key !== null && key === naturalKey(type, candidate);
}
