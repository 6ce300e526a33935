/**
 * The legacy V1 API, for what V2 cannot do: writing locations. V1 speaks PascalCase in its own
 * envelope `{ResponseCode, Status, Error, Result, TotalRecords}` and takes OData query options.
 * Its exact location DTO is unknown; the shape here mirrors the V2 one in PascalCase.
 */
import { TOKEN_KIND } from '../auth';
import { v1LocationDto } from '../dto';
import { ValidationError } from '../errors';
import { type ApiResponse, v1Ok } from '../http';
import { EMPLOYEE_ID } from '../lookups';
import { type AddressFields, emptyAddressFields, type LocationInput } from '../store';
import { asRecord, bArray, bBool, bInt, bStr, type HandlerContext, pInt, qInt, qStr, type RouteTable, rowsOf } from './common';

function token(ctx: HandlerContext): ApiResponse {
  const form = asRecord(ctx.body);
  if ((bStr(form, 'grant_type') ?? '').toLowerCase() !== 'password') {
    return { status: 400, json: { error: 'unsupported_grant_type', error_description: "grant_type must be 'password'." } };
  }
  const accepted = ctx.sim.auth.checkCredentials({
    tenant: bStr(form, 'tenant') ?? '',
    username: bStr(form, 'username') ?? '',
    password: bStr(form, 'password') ?? '',
  });
  if (!accepted) {
    return { status: 400, json: { error: 'invalid_grant', error_description: 'The user name, password or tenant is incorrect.' } };
  }
  const pair = ctx.sim.auth.issue(TOKEN_KIND.v1, EMPLOYEE_ID.apiUser);
  return {
    status: 200,
    json: { access_token: pair.accessToken, token_type: 'bearer', expires_in: ctx.sim.auth.tokenTtlSeconds },
  };
}

type Clause = { field: string; value: unknown };

/** The subset of OData `$filter` the simulator understands: `Field eq value [and Field eq value ...]`. */
function parseODataFilter(text: string | undefined): Clause[] {
  if (text === undefined) return [];
  return text.split(/\s+and\s+/i).map((part) => {
    const m = /^\s*(\w+)\s+eq\s+(.+?)\s*$/i.exec(part);
    if (!m?.[1] || m[2] === undefined) throw new ValidationError(`$filter clause '${part}' is not supported (use 'Field eq value').`);
    const raw = m[2];
    let value: unknown;
    if (/^(true|false)$/i.test(raw)) value = raw.toLowerCase() === 'true';
    else if (/^-?\d+(\.\d+)?$/.test(raw)) value = Number(raw);
    else if (/^'.*'$/.test(raw)) value = raw.slice(1, -1).replace(/''/g, "'");
    else if (raw.toLowerCase() === 'null') value = null;
    else throw new ValidationError(`$filter value '${raw}' is not supported.`);
    return { field: m[1], value };
  });
}

function accountLocations(ctx: HandlerContext): ApiResponse {
  const { store } = ctx.sim;
  const account = store.getAccount(pInt(ctx.params, 'id'));
  const clauses = parseODataFilter(qStr(ctx.query, '$filter'));
  let rows = rowsOf(store.locations, account.locationIds).map((l) => v1LocationDto(store, l, ctx.sim.v1LocationShape));
  for (const clause of clauses) {
    const key = Object.keys(rows[0] ?? { Id: 0 }).find((k) => k.toLowerCase() === clause.field.toLowerCase());
    if (key === undefined) throw new ValidationError(`$filter field '${clause.field}' is not a location property.`);
    rows = rows.filter((r) => r[key] === clause.value);
  }
  const total = rows.length;
  const skip = qInt(ctx.query, '$skip') ?? 0;
  const top = qInt(ctx.query, '$top');
  rows = rows.slice(skip, top === undefined ? undefined : skip + top);
  return v1Ok(rows, total);
}

function addressFromV1(b: Record<string, unknown>): Partial<AddressFields> {
  return {
    address1: bStr(b, 'Address1'),
    address2: bStr(b, 'Address2'),
    city: bStr(b, 'City'),
    state: bStr(b, 'State'),
    zipCode: bStr(b, 'ZipCode'),
    country: bStr(b, 'Country'),
    countryId: bInt(b, 'CountryId'),
    phone: bStr(b, 'Phone'),
    fax: bStr(b, 'Fax'),
    isMain: bBool(b, 'IsMain') ?? false,
  };
}

function createLocation(ctx: HandlerContext): ApiResponse {
  const { store } = ctx.sim;
  const b = asRecord(ctx.body);
  const input: LocationInput = {
    locationName: bStr(b, 'LocationName') ?? '',
    isMain: bBool(b, 'IsMain') ?? false,
    isActive: bBool(b, 'IsActive') ?? true,
    addresses: bArray(b, 'Addresses').map((a) => ({ ...emptyAddressFields(), ...addressFromV1(a) })),
  };
  const loc = store.createLocation(bInt(b, 'AccountId') ?? 0, input, ctx.userId);
  return v1Ok(v1LocationDto(store, loc, ctx.sim.v1LocationShape));
}

/**
 * Replaces the location's name, and its flags when given, and the fields of its main address from the
 * body's main (or first) address. A body without addresses leaves the addresses alone. The location
 * cannot move to another account.
 */
function updateLocation(ctx: HandlerContext): ApiResponse {
  const { store } = ctx.sim;
  const b = asRecord(ctx.body);
  const loc = store.getLocation(pInt(ctx.params, 'id'));
  const accountId = bInt(b, 'AccountId');
  if (accountId !== loc.accountId) {
    throw new ValidationError(`AccountId ${accountId ?? 'null'} does not match the location's account ${loc.accountId}.`, 'AccountId');
  }
  const addresses = bArray(b, 'Addresses');
  const main = addresses.find((a) => bBool(a, 'IsMain') === true) ?? addresses[0];
  const updated = store.updateLocation(
    loc.id,
    {
      locationName: bStr(b, 'LocationName') ?? '',
      isMain: bBool(b, 'IsMain') ?? undefined,
      isActive: bBool(b, 'IsActive') ?? undefined,
      mainAddress: main ? addressFromV1(main) : undefined,
    },
    ctx.userId,
  );
  return v1Ok(v1LocationDto(store, updated, ctx.sim.v1LocationShape));
}

function deleteLocation(ctx: HandlerContext): ApiResponse {
  ctx.sim.store.deleteLocation(pInt(ctx.params, 'id'), ctx.userId);
  return v1Ok(null);
}

export const v1Routes: RouteTable = {
  'POST /api/token': token,
  'GET /api/crm/accounts/{id}/locations': accountLocations,
  'GET /api/crm/locations/{id}': (ctx) => v1Ok(v1LocationDto(ctx.sim.store, ctx.sim.store.getLocation(pInt(ctx.params, 'id')), ctx.sim.v1LocationShape)),
  'POST /api/crm/locations': createLocation,
  'PUT /api/crm/locations/{id}': updateLocation,
  'DELETE /api/crm/locations/{id}': deleteLocation,
};
