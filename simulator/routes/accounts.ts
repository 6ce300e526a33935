/** `/v2/crm/accounts/...`: accounts and their locations. */
import { accountLocationLookupDto, accountLookupDto, accountSummaryDto, locationDto } from '../dto';
import { NotFoundError } from '../errors';
import { fail, ok, okPaged } from '../http';
import { applyJsonPatch } from '../json-patch';
import { accountTypeRow } from '../lookups';
import {
  type AccountFields,
  type AccountRow,
  type AddressFields,
  emptyAddressFields,
  type LocationInput,
  type Store,
} from '../store';
import { formatNullableTimestamp } from '../time';
import {
  asRecord,
  bArray,
  bBool,
  bDate,
  bInt,
  bNum,
  bStr,
  contains,
  filterKey,
  type HandlerContext,
  inRange,
  pageOf,
  pInt,
  qBool,
  qInt,
  qInts,
  qStr,
  type RouteTable,
  rowsOf,
} from './common';

/**
 * Header fields from an `AccountPostInputDto`/`AccountPutInputDto`. PUT is a full replace: a field left
 * out becomes null, a left-out `IsActive` becomes true (the default of a new account) and a left-out
 * `RouteInvoiceToParent` false. `IsBilling` is not an input and keeps its value.
 */
export function accountFieldsFromBody(b: Record<string, unknown>, existing?: AccountRow): AccountFields {
  return {
    parentId: bInt(b, 'ParentId'),
    accountCode: bStr(b, 'AccountCode'),
    accountTypeId: bInt(b, 'AccountTypeId') ?? 0,
    accountName: bStr(b, 'AccountName') ?? '',
    businessTypeId: bInt(b, 'BusinessTypeId') ?? 0,
    serviceTypeId: bInt(b, 'ServiceTypeId'),
    accountManagerId: bInt(b, 'AccountManagerId') ?? 0,
    currencyId: bInt(b, 'CurrencyId'),
    creditLimit: bNum(b, 'CreditLimit'),
    netDays: bNum(b, 'NetDays'),
    salesTaxItemId: bInt(b, 'SalesTaxItemId'),
    website: bStr(b, 'Website'),
    description: bStr(b, 'Description'),
    classId: bInt(b, 'ClassId'),
    isActive: bBool(b, 'IsActive') ?? true,
    isBilling: existing?.isBilling ?? true,
    acquiredDate: bDate(b, 'AcquiredDate'),
    routeInvoiceToParent: bBool(b, 'RouteInvoiceToParent') ?? false,
  };
}

export function addressFromBody(b: Record<string, unknown>): AddressFields {
  return {
    ...emptyAddressFields(),
    address1: bStr(b, 'Address1'),
    address2: bStr(b, 'Address2'),
    city: bStr(b, 'City'),
    state: bStr(b, 'State'),
    zipCode: bStr(b, 'ZipCode'),
    countryId: bInt(b, 'CountryId'),
    country: bStr(b, 'Country'),
    phone: bStr(b, 'Phone'),
    fax: bStr(b, 'Fax'),
    latitude: bNum(b, 'Latitude'),
    longitude: bNum(b, 'Longitude'),
    emailAddress: bStr(b, 'EmailAddress'),
    isMain: bBool(b, 'IsMain') ?? false,
    isBilling: bBool(b, 'IsBilling') ?? false,
    addressTypeId: bInt(b, 'AddressTypeId'),
    addressType: bStr(b, 'AddressType'),
  };
}

function locationFromBody(b: Record<string, unknown>): LocationInput {
  return {
    locationName: bStr(b, 'LocationName') ?? '',
    isMain: bBool(b, 'IsMain') ?? false,
    isActive: bBool(b, 'IsActive') ?? true,
    addresses: bArray(b, 'Addresses').map(addressFromBody),
  };
}

/** The account as an `AccountPutInputDto`, which is what a JSON Patch applies to. */
function accountPutView(a: AccountRow): Record<string, unknown> {
  return {
    ParentId: a.parentId,
    AccountCode: a.accountCode,
    AccountTypeId: a.accountTypeId,
    AccountName: a.accountName,
    Description: a.description,
    Website: a.website,
    BusinessTypeId: a.businessTypeId,
    ServiceTypeId: a.serviceTypeId,
    CurrencyId: a.currencyId,
    SalesTaxItemId: a.salesTaxItemId,
    ClassId: a.classId,
    AccountManagerId: a.accountManagerId,
    IsActive: a.isActive,
    AcquiredDate: formatNullableTimestamp(a.acquiredDate),
    CreditLimit: a.creditLimit,
    NetDays: a.netDays,
    RouteInvoiceToParent: a.routeInvoiceToParent,
  };
}

function accountOf(store: Store, ctx: HandlerContext, name: string): AccountRow {
  return store.getAccount(pInt(ctx.params, name));
}

function listSummary(ctx: HandlerContext) {
  const { store } = ctx.sim;
  const q = ctx.query;
  const name = qStr(q, 'Filter.AccountName');
  const code = qStr(q, 'Filter.AccountCode');
  const typeId = qInt(q, 'Filter.AccountTypeId');
  const typeName = qStr(q, 'Filter.AccountTypeName')?.toLowerCase();
  const createdFrom = qInt(q, 'Filter.CreatedOnFrom');
  const createdTo = qInt(q, 'Filter.CreatedOnTo');
  const modifiedFrom = qInt(q, 'Filter.ModifiedOnFrom');
  const modifiedTo = qInt(q, 'Filter.ModifiedOnTo');
  const isActive = qBool(q, 'Filter.IsActive');
  const ids = store.cachedIds(filterKey('accounts/summary', q), () => {
    const out: number[] = [];
    for (const a of store.accounts.values()) {
      if (isActive !== undefined && a.isActive !== isActive) continue;
      if (typeId !== undefined && a.accountTypeId !== typeId) continue;
      if (typeName !== undefined && accountTypeRow(a.accountTypeId)?.name.toLowerCase() !== typeName) continue;
      if (!inRange(a.modifiedOn, modifiedFrom, modifiedTo) || !inRange(a.createdOn, createdFrom, createdTo)) continue;
      if (!contains(a.accountName, name) || !contains(a.accountCode, code)) continue;
      out.push(a.id);
    }
    return out;
  });
  const rows = rowsOf(store.accounts, pageOf(ids, ctx));
  return okPaged(
    rows.map((a) => accountSummaryDto(store, a)),
    ids.length,
  );
}

function lookup(ctx: HandlerContext) {
  const { store } = ctx.sim;
  const q = ctx.query;
  const name = qStr(q, 'Filter.Name')?.trim().toLowerCase();
  const wanted = qInts(q, 'Filter.Ids');
  const withInactive = qBool(q, 'Filter.WithInactiveAccounts') ?? false;
  const ids = store.cachedIds(filterKey('accounts/lookup', q), () => {
    const source = wanted ? [...new Set(wanted)].sort((a, b) => a - b) : [...store.accounts.keys()];
    const out: number[] = [];
    for (const id of source) {
      const a = store.accounts.get(id);
      if (!a || (!withInactive && !a.isActive)) continue;
      if (name !== undefined && a.accountName.trim().toLowerCase() !== name) continue;
      out.push(id);
    }
    return out;
  });
  return ok(rowsOf(store.accounts, pageOf(ids, ctx)).map((a) => accountLookupDto(store, a)));
}

function createAccount(ctx: HandlerContext) {
  const b = asRecord(ctx.body);
  const locations = bArray(b, 'Locations').map(locationFromBody);
  const row = ctx.sim.store.createAccount(accountFieldsFromBody(b), locations, ctx.userId);
  return ok(accountSummaryDto(ctx.sim.store, row));
}

function replaceAccount(ctx: HandlerContext) {
  const { store } = ctx.sim;
  const existing = accountOf(store, ctx, 'id');
  const row = store.replaceAccount(existing.id, accountFieldsFromBody(asRecord(ctx.body), existing), ctx.userId);
  return ok(accountSummaryDto(store, row));
}

function patchAccount(ctx: HandlerContext) {
  const { store, contract } = ctx.sim;
  const existing = accountOf(store, ctx, 'id');
  const patched = applyJsonPatch(accountPutView(existing), ctx.body, 'AccountPutInputDto', new Set(['AcquiredDate']));
  const checked = contract.validateSchema('AccountPutInputDto', dropNulls(patched), 'patch');
  if (checked.problems.length > 0) return fail(400, checked.problems.join('; '), checked.problems);
  const row = store.replaceAccount(existing.id, accountFieldsFromBody(asRecord(checked.value), existing), ctx.userId);
  return ok(accountSummaryDto(store, row));
}

/**
 * Non-nullable DTO properties that a patch set to null are dropped before validation, so that
 * `remove /AccountName` reports "AccountName is required" rather than a type error.
 */
function dropNulls(doc: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(doc).filter(([, v]) => v !== null));
}

function accountLocations(ctx: HandlerContext) {
  const { store } = ctx.sim;
  const account = accountOf(store, ctx, 'accountId');
  return ok(rowsOf(store.locations, account.locationIds).map(accountLocationLookupDto));
}

function accountLocation(ctx: HandlerContext) {
  const { store } = ctx.sim;
  const account = accountOf(store, ctx, 'accountId');
  const locationId = pInt(ctx.params, 'locationId');
  const loc = store.locations.get(locationId);
  if (!loc || loc.accountId !== account.id) {
    throw new NotFoundError(`Location ${locationId} was not found on account ${account.id}.`);
  }
  return ok(locationDto(loc));
}

export const accountRoutes: RouteTable = {
  'GET /v2/crm/accounts/summary': listSummary,
  'GET /v2/crm/accounts/summary/{id}': (ctx) => ok(accountSummaryDto(ctx.sim.store, accountOf(ctx.sim.store, ctx, 'id'))),
  'GET /v2/crm/accounts/lookup': lookup,
  'POST /v2/crm/accounts': createAccount,
  'PUT /v2/crm/accounts/{id}': replaceAccount,
  'PATCH /v2/crm/accounts/{id}': patchAccount,
  'GET /v2/crm/accounts/{accountId}/locations/lookup': accountLocations,
  'GET /v2/crm/accounts/{accountId}/locations/{locationId}': accountLocation,
};
