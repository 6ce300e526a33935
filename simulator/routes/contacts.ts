/** `/v2/crm/contacts/...` and the account-scoped contact routes. */
import {
  contactCreatedDto,
  contactEmailsDto,
  contactLookupDto,
  contactOutputDto,
  contactPhonesDto,
  contactSearchDto,
  contactSummaryDto,
  contactSummaryInfoDto,
} from '../dto';
import { NotFoundError } from '../errors';
import { fail, ok, okPaged } from '../http';
import { applyJsonPatch } from '../json-patch';
import type { ContactFields, ContactRow, RelatedItemOp, Store } from '../store';
import { formatNullableTimestamp } from '../time';
import {
  asRecord,
  bArray,
  bBool,
  bDate,
  bInt,
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

function contactOf(store: Store, ctx: HandlerContext, name: string): ContactRow {
  return store.getContact(pInt(ctx.params, name));
}

function fullName(c: ContactRow): string {
  return [c.firstName, c.lastName].filter((p) => p !== null && p !== '').join(' ');
}

/** Candidate ids: one account's contacts from the index, else all of them (in id order either way). */
function candidates(store: Store, accountIds: readonly number[] | undefined): Iterable<number> {
  if (accountIds === undefined) return store.contacts.keys();
  return accountIds.flatMap((id) => store.contactIdsOfAccount(id)).sort((a, b) => a - b);
}

function listSummary(ctx: HandlerContext) {
  const { store } = ctx.sim;
  const q = ctx.query;
  const accountId = qInt(q, 'Filter.AccountId');
  const accountName = qStr(q, 'Filter.AccountName');
  const first = qStr(q, 'Filter.FirstName');
  const last = qStr(q, 'Filter.LastName');
  const phone = qStr(q, 'Filter.Phone');
  const email = qStr(q, 'Filter.Email');
  const createdFrom = qInt(q, 'Filter.CreatedOnFrom');
  const createdTo = qInt(q, 'Filter.CreatedOnTo');
  const modifiedFrom = qInt(q, 'Filter.ModifiedOnFrom');
  const modifiedTo = qInt(q, 'Filter.ModifiedOnTo');
  const isActive = qBool(q, 'Filter.IsActive');
  const ids = store.cachedIds(filterKey('contacts/summary', q), () => {
    const out: number[] = [];
    for (const id of candidates(store, accountId === undefined ? undefined : [accountId])) {
      const c = store.contacts.get(id);
      if (!c) continue;
      if (isActive !== undefined && c.isActive !== isActive) continue;
      if (!inRange(c.modifiedOn, modifiedFrom, modifiedTo) || !inRange(c.createdOn, createdFrom, createdTo)) continue;
      if (!contains(c.firstName, first) || !contains(c.lastName, last)) continue;
      if (accountName !== undefined && !contains(store.accounts.get(c.accountId)?.accountName, accountName)) continue;
      if (phone !== undefined && !c.phones.some((p) => contains(p.phone, phone))) continue;
      if (email !== undefined && !c.emails.some((e) => contains(e.emailAddress, email))) continue;
      out.push(id);
    }
    return out;
  });
  return okPaged(
    rowsOf(store.contacts, pageOf(ids, ctx)).map((c) => contactSummaryDto(store, c)),
    ids.length,
  );
}

function search(ctx: HandlerContext) {
  const { store } = ctx.sim;
  const q = ctx.query;
  const wanted = qInts(q, 'Filter.Ids');
  const accountIds = qInts(q, 'Filter.AccountIds');
  const accountName = qStr(q, 'Filter.AccountName');
  const locationId = qInt(q, 'Filter.LocationId');
  const locationName = qStr(q, 'Filter.LocationName');
  const first = qStr(q, 'Filter.FirstName');
  const last = qStr(q, 'Filter.LastName');
  const email = qStr(q, 'Filter.EmailAddress');
  const jobTitle = qStr(q, 'Filter.JobTitle');
  const isPoc = qBool(q, 'Filter.IsPoc');
  const portal = qBool(q, 'Filter.HasClientPortalAccess');
  const isActive = qBool(q, 'Filter.IsActive');
  const wantedSet = wanted ? new Set(wanted) : undefined;
  const ids = store.cachedIds(filterKey('contacts/search', q), () => {
    const out: number[] = [];
    for (const id of candidates(store, accountIds)) {
      const c = store.contacts.get(id);
      if (!c || (wantedSet && !wantedSet.has(id))) continue;
      if (isActive !== undefined && c.isActive !== isActive) continue;
      if (isPoc !== undefined && c.isPoc !== isPoc) continue;
      if (portal !== undefined && c.hasClientPortalAccess !== portal) continue;
      if (locationId !== undefined && c.locationId !== locationId) continue;
      if (!contains(c.firstName, first) || !contains(c.lastName, last) || !contains(c.jobTitle, jobTitle)) continue;
      if (accountName !== undefined && !contains(store.accounts.get(c.accountId)?.accountName, accountName)) continue;
      if (locationName !== undefined && !contains(store.locations.get(c.locationId)?.locationName, locationName)) continue;
      if (email !== undefined && !c.emails.some((e) => contains(e.emailAddress, email))) continue;
      out.push(id);
    }
    return out;
  });
  return ok(rowsOf(store.contacts, pageOf(ids, ctx)).map((c) => contactSearchDto(store, c)));
}

function accountContacts(ctx: HandlerContext) {
  const { store } = ctx.sim;
  const account = store.getAccount(pInt(ctx.params, 'accountId'));
  const name = qStr(ctx.query, 'Filter.Name');
  const locationId = qInt(ctx.query, 'Filter.LocationId');
  const rows = rowsOf(store.contacts, store.contactIdsOfAccount(account.id)).filter(
    (c) => contains(fullName(c), name) && (locationId === undefined || c.locationId === locationId),
  );
  return ok(pageOf(rows, ctx).map((c) => contactLookupDto(store, c)));
}

function summaryInfo(ctx: HandlerContext) {
  const { store } = ctx.sim;
  const accountId = pInt(ctx.params, 'accountId');
  const contact = contactOf(store, ctx, 'contactId');
  if (contact.accountId !== accountId) throw new NotFoundError(`Contact ${contact.id} was not found on account ${accountId}.`);
  return ok(contactSummaryInfoDto(store, contact));
}

/**
 * Create. The document marks nothing required; the simulator requires a non-empty `FirstName`
 * (IT Glue's own push rule), an existing `AccountId` and a `LocationId` of that account. An email or
 * phone without a type id fails, as a missing non-nullable int binds to 0.
 */
function createContact(ctx: HandlerContext) {
  const b = asRecord(ctx.body);
  const row = ctx.sim.store.createContact(
    {
      accountId: bInt(b, 'AccountId') ?? 0,
      locationId: bInt(b, 'LocationId') ?? 0,
      firstName: bStr(b, 'FirstName') ?? '',
      middleName: null,
      lastName: bStr(b, 'LastName'),
      jobTitle: null,
      isPoc: false,
      isActive: true,
      effectiveDate: null,
      billByContact: false,
      receiveInvoices: false,
      hasClientPortalAccess: false,
      emails: bArray(b, 'Emails').map((e) => ({
        emailAddress: bStr(e, 'EmailAddress') ?? '',
        emailTypeId: bInt(e, 'EmailTypeId') ?? 0,
        isDefault: bBool(e, 'IsDefault') ?? false,
      })),
      phones: bArray(b, 'Phones').map((p) => ({
        phone: bStr(p, 'PhoneNumber') ?? '',
        phoneTypeId: bInt(p, 'PhoneTypeId') ?? 0,
        isDefault: bBool(p, 'IsDefault') ?? false,
      })),
    },
    ctx.userId,
  );
  return ok(contactCreatedDto(ctx.sim.store, row));
}

/**
 * `ContactPutInputDto` is a full replace, and its booleans are non-nullable: a left-out `IsActive`
 * binds to false and deactivates the contact, as it would on ASP.NET. `Poc` feeds `isPoc`.
 */
function contactFieldsFromBody(b: Record<string, unknown>, existing: ContactRow): ContactFields {
  return {
    accountId: bInt(b, 'AccountId') ?? 0,
    locationId: bInt(b, 'LocationId') ?? 0,
    firstName: bStr(b, 'FirstName') ?? '',
    middleName: bStr(b, 'MiddleName'),
    lastName: bStr(b, 'LastName'),
    jobTitle: bStr(b, 'JobTitle'),
    isPoc: bBool(b, 'Poc') ?? false,
    isActive: bBool(b, 'IsActive') ?? false,
    effectiveDate: bDate(b, 'EffectiveDate'),
    billByContact: bBool(b, 'BillByContact') ?? false,
    receiveInvoices: bBool(b, 'ReceiveInvoices') ?? false,
    hasClientPortalAccess: existing.hasClientPortalAccess,
  };
}

function contactPutView(c: ContactRow): Record<string, unknown> {
  return {
    AccountId: c.accountId,
    LocationId: c.locationId,
    FirstName: c.firstName,
    MiddleName: c.middleName,
    LastName: c.lastName,
    JobTitle: c.jobTitle,
    Poc: c.isPoc,
    IsActive: c.isActive,
    ReceiveInvoices: c.receiveInvoices,
    BillByContact: c.billByContact,
    EffectiveDate: formatNullableTimestamp(c.effectiveDate),
  };
}

function replaceContact(ctx: HandlerContext) {
  const { store } = ctx.sim;
  const existing = contactOf(store, ctx, 'id');
  const row = store.replaceContact(existing.id, contactFieldsFromBody(asRecord(ctx.body), existing), ctx.userId);
  return ok(contactOutputDto(store, row));
}

function patchContact(ctx: HandlerContext) {
  const { store, contract } = ctx.sim;
  const existing = contactOf(store, ctx, 'id');
  const patched = applyJsonPatch(contactPutView(existing), ctx.body, 'ContactPutInputDto', new Set(['EffectiveDate']));
  const checked = contract.validateSchema('ContactPutInputDto', patched, 'patch');
  if (checked.problems.length > 0) return fail(400, checked.problems.join('; '), checked.problems);
  const row = store.replaceContact(existing.id, contactFieldsFromBody(asRecord(checked.value), existing), ctx.userId);
  return ok(contactOutputDto(store, row));
}

function relatedOps(body: unknown, keyField: string, newKeyField: string): RelatedItemOp[] {
  return (Array.isArray(body) ? body : []).map((raw) => {
    const o = asRecord(raw);
    return {
      // A missing non-nullable enum binds to 0, which is "add".
      operation: bInt(o, 'Operation') ?? 0,
      key: bStr(o, keyField),
      newValue: bStr(o, newKeyField),
      typeId: bInt(o, 'TypeId'),
      isDefault: bBool(o, 'IsDefault'),
    };
  });
}

function patchEmails(ctx: HandlerContext) {
  const { store } = ctx.sim;
  const contact = contactOf(store, ctx, 'contactId');
  const counts = store.patchContactEmails(contact.id, relatedOps(ctx.body, 'EmailAddress', 'NewEmailAddress'), ctx.userId);
  return ok({ ...counts, emails: contactEmailsDto(store.getContact(contact.id)) });
}

function patchPhones(ctx: HandlerContext) {
  const { store } = ctx.sim;
  const contact = contactOf(store, ctx, 'contactId');
  const counts = store.patchContactPhones(contact.id, relatedOps(ctx.body, 'PhoneNumber', 'NewPhoneNumber'), ctx.userId);
  return ok({ ...counts, phones: contactPhonesDto(store.getContact(contact.id)) });
}

/** The document declares no response body for DELETE, so success is a bare 200. */
function deleteContact(ctx: HandlerContext) {
  ctx.sim.store.deleteContact(pInt(ctx.params, 'Id'), ctx.userId);
  return { status: 200 };
}

export const contactRoutes: RouteTable = {
  'GET /v2/crm/contacts/summary': listSummary,
  'GET /v2/crm/contacts/summary/{id}': (ctx) => ok(contactSummaryDto(ctx.sim.store, contactOf(ctx.sim.store, ctx, 'id'))),
  'GET /v2/crm/contacts/search': search,
  'GET /v2/crm/accounts/{accountId}/contacts/lookup': accountContacts,
  'GET /v2/crm/accounts/{accountId}/contacts/{contactId}/summaryinfo': summaryInfo,
  'POST /v2/crm/contacts/summary': createContact,
  'PUT /v2/crm/contacts/{id}': replaceContact,
  'PATCH /v2/crm/contacts/{id}': patchContact,
  'DELETE /v2/crm/contacts/{Id}': deleteContact,
  'PATCH /v2/crm/contacts/{contactId}/emails': patchEmails,
  'PATCH /v2/crm/contacts/{contactId}/phones': patchPhones,
};
