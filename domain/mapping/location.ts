/**
 * Location ↔ BMS account location (+ its main address). Pure: safe to import from workflows.
 *
 * A BMS location is a named site with one or more addresses; a documentation location is flat. The
 * flat fields map to the location's main address (the `isMain` one, else the first). Reads accept the
 * V2 `AccountLocationOutputDto` (embedded in account summaries) and the V1 location DTO alike, once
 * the client has normalised their keys. Writes go through V1 (`POST /api/crm/locations`,
 * `PUT /api/crm/locations/{id}`), since V2 has no location writes. See docs/mapping.md.
 */
import type { BmsAccountLocation, BmsAddress, BmsFlatAddress } from '../../bms/types';
import { type Lookups, lookupId, lookupName, MappingError, text } from './common';

/** The synced fields of a location, without its organization reference. */
export interface LocationSynced {
  name: string | null;
  primary: boolean;
  address1: string | null;
  address2: string | null;
  city: string | null;
  region: string | null;
  postalCode: string | null;
  country: string | null;
  phone: string | null;
  fax: string | null;
}

export interface PulledLocation {
  fields: LocationSynced;
  /** Whether BMS says the location is active (inactive locations are not synced). */
  isActive: boolean;
}

/**
 * A location as read (V2 account location or V1 location; only the shared fields are used). A V1
 * location may carry its address flat on itself instead of in `addresses`.
 */
export type BmsLocationLike = Pick<BmsAccountLocation, 'id' | 'locationName' | 'isMain' | 'isActive' | 'modifiedOn'> &
  BmsFlatAddress & {
    addresses?: BmsAddress[] | null;
  };

const FLAT_ADDRESS_KEYS = ['address1', 'address2', 'city', 'state', 'zipCode', 'countryId', 'country', 'phone', 'fax'] as const;

/**
 * The address a flat location maps to: the main one of `addresses`, else the first; else the address
 * the location carries flat on itself (a V1 answer shape); undefined when there is none.
 */
export function mainAddress(location: BmsLocationLike): BmsAddress | undefined {
  const addresses = Array.isArray(location.addresses) ? location.addresses.filter((a) => a !== null && typeof a === 'object') : [];
  const nested = addresses.find((a) => a.isMain === true) ?? addresses[0];
  if (nested) return nested;
  if (!FLAT_ADDRESS_KEYS.some((key) => key in location)) return undefined;
  const flat: BmsAddress = { id: location.id, isMain: true, modifiedOn: location.modifiedOn };
  for (const key of FLAT_ADDRESS_KEYS) if (key in location) Object.assign(flat, { [key]: location[key] });
  return flat;
}

/** The country name: BMS's text, else the countries lookup's name for its id. */
function countryOf(address: BmsAddress | undefined, lookups: Lookups): string | null {
  if (!address) return null;
  return text(address.country) ?? lookupName(lookups.countries, address.countryId);
}

export function accountLocationToLocation(location: BmsLocationLike, lookups: Lookups): PulledLocation {
  const a = mainAddress(location);
  return {
    fields: {
      name: text(location.locationName),
      primary: location.isMain === true,
      address1: text(a?.address1),
      address2: text(a?.address2),
      city: text(a?.city),
      region: text(a?.state),
      postalCode: text(a?.zipCode),
      country: countryOf(a, lookups),
      phone: text(a?.phone),
      fax: text(a?.fax),
    },
    isActive: location.isActive !== false,
  };
}

const ZONED = /(Z|[+-]\d{2}:?\d{2})$/i;
function instant(value: string | null | undefined): number {
  if (!value) return Number.NaN;
  const v = value.trim();
  return Date.parse(ZONED.test(v) ? v : `${v}Z`);
}

/**
 * The location's change time as BMS shows it: the later of the location's and its main address's
 * `modifiedOn` (BMS stamps both; which one moves on an address edit is not documented).
 */
export function locationModifiedOn(location: BmsLocationLike): string | null {
  const own = text(location.modifiedOn);
  const address = text(mainAddress(location)?.modifiedOn);
  if (!own) return address;
  if (!address) return own;
  return instant(address) > instant(own) ? address : own;
}

/** The country as BMS will show it after a write: the lookup's own spelling when it knows the name. */
export function canonicalCountry(country: string | null | undefined, lookups: Lookups): string | null {
  const id = lookupId(lookups.countries, country);
  return id === null ? text(country) : (lookupName(lookups.countries, id) ?? text(country));
}

export interface LocationPushContext {
  lookups: Lookups;
  /** The BMS account id of the location's organization. */
  accountBmsId: number;
}

/**
 * The V1 location body (`AccountId`, `LocationName`, `IsMain`, `IsActive`, `Addresses[]`) for a create,
 * or for a PUT, which replaces the name and the main address (so every mapped field is sent).
 * `IsMain` is sent on create, and on update only when `primary` changed: BMS keeps exactly one main
 * location per account, and a PUT that always carried `IsMain: false` would demote a location BMS made
 * main (e.g. the one an account create made) whenever another field is edited.
 */
export function locationToV1Body(
  location: LocationSynced,
  ctx: LocationPushContext,
  options: { mode: 'create' | 'update'; primaryChanged?: boolean },
): Record<string, unknown> {
  const name = text(location.name);
  if (!name) throw new MappingError('A location needs a name', 'name');
  const countryId = lookupId(ctx.lookups.countries, location.country);
  const address: Record<string, unknown> = {
    Address1: text(location.address1),
    Address2: text(location.address2),
    City: text(location.city),
    State: text(location.region),
    ZipCode: text(location.postalCode),
    Country: canonicalCountry(location.country, ctx.lookups),
    ...(countryId === null ? {} : { CountryId: countryId }),
    Phone: text(location.phone),
    Fax: text(location.fax),
    IsMain: true,
  };
  const body: Record<string, unknown> = { AccountId: ctx.accountBmsId, LocationName: name };
  if (options.mode === 'create') {
    body.IsMain = location.primary === true;
    body.IsActive = true;
  } else if (options.primaryChanged) {
    body.IsMain = location.primary === true;
  }
  body.Addresses = [address];
  return body;
}
