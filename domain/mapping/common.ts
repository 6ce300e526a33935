/**
 * What every record type's mapping shares: lookup tables (id ↔ name), value normalisation, the
 * status ↔ isActive rule, and the mapping error. Pure: safe to import from workflows.
 */

/** A BMS lookup table as cached for mapping: id ↔ name. */
export interface LookupEntry {
  id: number;
  name: string;
  isActive?: boolean;
}

export interface Lookups {
  accountTypes: LookupEntry[];
  businessTypes: LookupEntry[];
  assetCategories: LookupEntry[];
  emailTypes: LookupEntry[];
  phoneTypes: LookupEntry[];
  manufacturers: LookupEntry[];
  countries: LookupEntry[];
}

export const EMPTY_LOOKUPS: Lookups = {
  accountTypes: [],
  businessTypes: [],
  assetCategories: [],
  emailTypes: [],
  phoneTypes: [],
  manufacturers: [],
  countries: [],
};

/** Values BMS requires on create that documentation records do not carry. */
export interface CreateDefaults {
  businessTypeId: number;
  accountManagerId: number;
}

export class MappingError extends Error {
  override readonly name: string = 'MappingError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

export function lookupName(table: LookupEntry[], id: number | null | undefined): string | null {
  if (id === null || id === undefined) return null;
  return table.find((e) => e.id === id)?.name ?? null;
}

/** Exact, case-insensitive name match (BMS names are what people typed). */
export function lookupId(table: LookupEntry[], name: string | null | undefined): number | null {
  if (!name) return null;
  const wanted = name.trim().toLowerCase();
  return table.find((e) => e.name.trim().toLowerCase() === wanted)?.id ?? null;
}

/** Empty and whitespace-only strings read as null, so '' from one side equals null from the other. */
export function text(value: unknown): string | null {
  const s = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
  return s === null || s.trim() === '' ? null : s;
}

export const STATUS_ACTIVE = 'Active';
export const STATUS_INACTIVE = 'Inactive';

/** Organization and configuration status ↔ BMS `isActive` (BMS has no other status for either). */
export function statusFromActive(isActive: boolean | null | undefined): string {
  return isActive === false ? STATUS_INACTIVE : STATUS_ACTIVE;
}

export function activeFromStatus(status: string | null | undefined): boolean {
  return (status ?? STATUS_ACTIVE).trim().toLowerCase() !== STATUS_INACTIVE.toLowerCase();
}

