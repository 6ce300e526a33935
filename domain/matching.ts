/**
 * First-sync matching: the exact natural keys that link an existing documentation record to a BMS record
 * instead of creating a duplicate (IT Glue's rules: organization by name; contact by organization and
 * first + last name; location by organization, name and address; configuration by organization, type,
 * name, serial and MAC). Text is compared after trimming; serial numbers and MAC addresses on their
 * letters and digits only, in any case, and a MAC field holding several addresses (separated by commas,
 * semicolons, spaces or new lines) matches when any one of them does. No fuzzy matching here: ranked
 * suggestions for a person are `domain/match-suggest.ts`. Pure: safe to import from workflows.
 */
import { text } from './mapping';
import type { RecordType } from './records';

export const NATURAL_KEYS: Record<RecordType, readonly string[]> = {
  organization: ['name'],
  contact: ['organizationId', 'firstName', 'lastName'],
  location: ['organizationId', 'name', 'address1', 'address2', 'city', 'region', 'country'],
  configuration: ['organizationId', 'type', 'name', 'serialNumber', 'macAddress'],
};

/** Key fields compared on letters and digits only, case-insensitive. */
const CODE_FIELDS = new Set(['serialNumber', 'macAddress']);

/** A natural-key part as compared: trimmed text, or null. */
export function keyPart(value: unknown): string | null {
  return text(value)?.trim() ?? null;
}

/** A serial number (or one MAC address) as compared: its letters and digits, lower case; null when none. */
export function normalisedCode(value: unknown): string | null {
  const s = text(value);
  if (s === null) return null;
  const out = s.normalize('NFKD').replace(/[^\p{L}\p{N}]/gu, '').toLowerCase();
  return out === '' ? null : out;
}

/** The addresses of a MAC field (several may be separated by commas, semicolons, spaces or new lines), normalised, sorted, unique. */
export function macAddresses(value: unknown): string[] {
  const s = text(value);
  if (!s) return [];
  const out = new Set<string>();
  for (const part of s.split(/[\s,;|]+/)) {
    const code = normalisedCode(part);
    if (code) out.add(code);
  }
  return [...out].sort();
}

function parts(type: RecordType, fields: Readonly<Record<string, unknown>>, mac: string | null | undefined): Array<string | null> {
  return NATURAL_KEYS[type].map((f) => {
    if (f === 'macAddress') return mac ?? null;
    return CODE_FIELDS.has(f) ? normalisedCode(fields[f]) : keyPart(fields[f]);
  });
}

/**
 * The record's natural keys: one, or for a configuration whose MAC field holds several addresses, one
 * per address (two records match when they share any key). Empty when its first key field is empty
 * (such records never match).
 */
export function naturalKeys(type: RecordType, fields: Readonly<Record<string, unknown>>): string[] {
  const macs = NATURAL_KEYS[type].includes('macAddress') ? macAddresses(fields.macAddress) : [];
  const variants: Array<string | null> = macs.length > 0 ? macs : [null];
  const out: string[] = [];
  for (const mac of variants) {
    const p = parts(type, fields, mac);
    if (p[0] === null) return [];
    out.push(JSON.stringify(p));
  }
  return out;
}

/** The record's natural key as one string (every MAC address in it), or null when its first key field is empty. */
export function naturalKey(type: RecordType, fields: Readonly<Record<string, unknown>>): string | null {
  const macs = NATURAL_KEYS[type].includes('macAddress') ? macAddresses(fields.macAddress) : [];
  const p = parts(type, fields, macs.length > 0 ? macs.join(',') : null);
  if (p[0] === null) return null;
  return JSON.stringify(p);
}

/**
 * Whether `candidate` has the natural key of `local` (both in the same terms: record ids, or BMS ids, for
 * references): any key of one is a key of the other. A record without a key matches nothing.
 */
export function sameNaturalKey(type: RecordType, local: Readonly<Record<string, unknown>>, candidate: Readonly<Record<string, unknown>>): boolean {
  const mine = new Set(naturalKeys(type, local));
  return mine.size > 0 && naturalKeys(type, candidate).some((k) => mine.has(k));
}
