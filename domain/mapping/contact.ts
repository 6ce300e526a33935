/**
 * Contact ↔ BMS contact. Pure: safe to import from workflows.
 *
 * Reads accept `ContactsSummaryOutputDto` (list, single GET) and `ContactOutputDto` (PUT/PATCH answers)
 * once the client has normalised their keys, with their naming traps: the point-of-contact flag is
 * `isPoc` on the summary and `poc` on the output DTO; a phone number is `phone` on read and
 * `phoneNumber` elsewhere. Writes use exactly the document's input names: `ContactInputDto` for the
 * create (`Phones[].PhoneNumber`, `Emails[].EmailAddress`, no title or flag), JSON Patch paths of
 * `ContactPutInputDto` (`/JobTitle`, `/Poc`, …), and the email/phone sub-resource operations.
 * See docs/mapping.md.
 */
import type { BmsContact, BmsEmailPatch, BmsPatchOperation, BmsPhonePatch } from '../../bms/types';
import type { ContactEmail, ContactPhone } from '../records';
import { type LookupEntry, type Lookups, lookupId, lookupName, MappingError, text } from './common';

/** The synced fields of a contact, without its organization and location references. */
export interface ContactSynced {
  firstName: string | null;
  lastName: string | null;
  title: string | null;
  important: boolean;
  emails: ContactEmail[];
  phones: ContactPhone[];
}

export interface PulledContact {
  fields: ContactSynced;
  accountBmsId: number | null;
  locationBmsId: number | null;
  /** Inactive BMS contacts are not synced. */
  isActive: boolean;
}

/** Default items first (BMS keeps exactly one), then the rest in BMS order. */
function defaultFirst<T extends { primary: boolean }>(items: T[]): T[] {
  return [...items.filter((i) => i.primary), ...items.filter((i) => !i.primary)];
}

function positiveId(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : null;
}

export function bmsContactToContact(contact: BmsContact, lookups: Lookups): PulledContact {
  const emails: ContactEmail[] = [];
  for (const e of Array.isArray(contact.emails) ? contact.emails : []) {
    if (!e || typeof e !== 'object') continue;
    const value = text(e.emailAddress);
    if (!value) continue;
    emails.push({
      value,
      label: text(e.emailType) ?? lookupName(lookups.emailTypes, e.emailTypeId),
      primary: e.isDefault === true,
    });
  }
  const phones: ContactPhone[] = [];
  for (const p of Array.isArray(contact.phones) ? contact.phones : []) {
    if (!p || typeof p !== 'object') continue;
    const value = text(p.phone) ?? text(p.phoneNumber);
    if (!value) continue;
    phones.push({
      value,
      label: text(p.phoneType) ?? lookupName(lookups.phoneTypes, p.phoneTypeId),
      primary: p.isDefault === true,
    });
  }
  return {
    fields: {
      firstName: text(contact.firstName),
      lastName: text(contact.lastName),
      title: text(contact.jobTitle),
      important: (contact.isPoc ?? contact.poc) === true,
      emails: defaultFirst(emails),
      phones: defaultFirst(phones),
    },
    accountBmsId: positiveId(contact.accountId),
    locationBmsId: positiveId(contact.locationId),
    isActive: contact.isActive !== false,
  };
}

/**
 * A pulled list in the order of a reference list (the last synced one): items the reference has keep
 * its order, new ones follow in BMS order. BMS has no item order of its own beyond ids and the
 * default flag, so a list that differs only by order is the same list and must not come back as a change.
 */
export function alignOrder<T extends { value: string }>(pulled: T[], reference: unknown): T[] {
  if (!Array.isArray(reference)) return pulled;
  const position = new Map<string, number>();
  reference.forEach((item: unknown, i) => {
    const key = text((item as { value?: unknown } | null)?.value)?.trim().toLowerCase();
    if (key !== undefined && !position.has(key)) position.set(key, i);
  });
  const at = (item: T) => position.get(item.value.trim().toLowerCase()) ?? Number.MAX_SAFE_INTEGER;
  return [...pulled].sort((a, b) => at(a) - at(b));
}

export interface ContactTypeDefaults {
  /** Sync Settings `contactDefaults`: the type names given to items whose label BMS does not know. */
  emailType: string | null;
  phoneType: string | null;
}

export interface ContactPushContext {
  lookups: Lookups;
  defaults: ContactTypeDefaults;
  /** The BMS account of the contact's organization. */
  accountBmsId: number;
  /** The BMS location: the contact's own, else the account's main one. */
  locationBmsId: number;
}

/**
 * The BMS type id for an item: its label's type when BMS knows the label, else the Sync Settings
 * default type, else the first active entry of the lookup table.
 */
function typeId(table: LookupEntry[], label: string | null, fallback: string | null, field: 'emails' | 'phones'): number {
  const id = lookupId(table, label) ?? lookupId(table, fallback) ?? (table.find((e) => e.isActive !== false) ?? table[0])?.id ?? null;
  if (id === null) {
    throw new MappingError(
      `Kaseya BMS has no ${field === 'emails' ? 'email' : 'phone'} types, so the contact's ${field} cannot be pushed`,
      field,
    );
  }
  return id;
}

export function emailTypeId(label: string | null, ctx: Pick<ContactPushContext, 'lookups' | 'defaults'>): number {
  return typeId(ctx.lookups.emailTypes, label, ctx.defaults.emailType, 'emails');
}

export function phoneTypeId(label: string | null, ctx: Pick<ContactPushContext, 'lookups' | 'defaults'>): number {
  return typeId(ctx.lookups.phoneTypes, label, ctx.defaults.phoneType, 'phones');
}

interface Item {
  value: string;
  label: string | null;
  primary: boolean;
}

/**
 * The list as BMS will hold it: blank values dropped, one item per value (compared trimmed and
 * case-insensitively, as BMS keys them), exactly one default (the first flagged, else the first).
 */
export function effectiveItems<T extends Item>(items: readonly T[] | null | undefined): Array<T & { key: string }> {
  const seen = new Set<string>();
  const out: Array<T & { key: string }> = [];
  const list: ReadonlyArray<T | null | undefined> = items ?? [];
  for (const item of list) {
    if (!item || typeof item !== 'object') continue;
    const value = text(item.value)?.trim();
    if (!value) continue;
    const key = value.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...item, value, key });
  }
  const chosen = Math.max(0, out.findIndex((i) => i.primary === true));
  return out.map((item, i) => ({ ...item, primary: i === chosen }));
}

function requireName(contact: ContactSynced): string {
  const first = text(contact.firstName);
  if (!first) throw new MappingError('A contact needs a first name', 'firstName');
  return first;
}

/** A value a contact lacks for Kaseya BMS to take its create, and the field (or setting) it belongs to. */
export interface ContactCreateProblem {
  field: 'firstName' | 'emails' | 'phones';
  message: string;
  /** The problem is in Sync Settings (the chosen email type), not in the contact. */
  inSettings?: boolean;
}

/**
 * What a contact lacks for BMS to take its create. IT Glue pushes a contact to BMS only with a first
 * name, a primary email, a primary phone and a location (the location is the contact's own or the
 * account's main one, so it is always there), and, when Sync Settings choose an email type for pushed
 * contacts, an email of that type: one labelled with it, or one whose label BMS does not know (it is
 * given the chosen type). `lookups` null: not fetched yet, so the lookup-dependent rules wait for the push.
 */
export function contactCreateProblems(contact: ContactSynced, defaults: ContactTypeDefaults, lookups: Lookups | null): ContactCreateProblem[] {
  const problems: ContactCreateProblem[] = [];
  if (!text(contact.firstName)) problems.push({ field: 'firstName', message: 'A contact needs a first name' });
  const emails = effectiveItems(contact.emails);
  if (emails.length === 0) problems.push({ field: 'emails', message: 'A contact needs a primary email to be created in Kaseya BMS' });
  else if (defaults.emailType && lookups && lookups.emailTypes.length > 0) {
    const chosen = lookupId(lookups.emailTypes, defaults.emailType);
    if (chosen === null) {
      problems.push({
        field: 'emails',
        inSettings: true,
        message: `The email type '${defaults.emailType}' chosen in Sync Settings does not exist in Kaseya BMS`,
      });
    } else if (!emails.some((e) => emailTypeId(e.label, { lookups, defaults }) === chosen)) {
      problems.push({
        field: 'emails',
        message: `A contact needs an email of the type '${defaults.emailType}' chosen in Sync Settings to be created in Kaseya BMS`,
      });
    }
  }
  if (effectiveItems(contact.phones).length === 0) {
    problems.push({ field: 'phones', message: 'A contact needs a primary phone to be created in Kaseya BMS' });
  }
  return problems;
}

/** `ContactInputDto` for `POST /v2/crm/contacts/summary`, for a contact `contactCreateProblems` passes. */
export function contactToCreateBody(contact: ContactSynced, ctx: ContactPushContext): Record<string, unknown> {
  const problem = contactCreateProblems(contact, ctx.defaults, ctx.lookups)[0];
  if (problem) throw new MappingError(problem.message, problem.field);
  const firstName = requireName(contact);
  const emails = effectiveItems(contact.emails);
  const phones = effectiveItems(contact.phones);
  return {
    FirstName: firstName,
    LastName: text(contact.lastName),
    AccountId: ctx.accountBmsId,
    LocationId: ctx.locationBmsId,
    Emails: emails.map((e) => ({ EmailAddress: e.value, EmailTypeId: emailTypeId(e.label, ctx), IsDefault: e.primary })),
    Phones: phones.map((p) => ({ PhoneNumber: p.value, PhoneTypeId: phoneTypeId(p.label, ctx), IsDefault: p.primary })),
  };
}

/** What the create cannot carry (`ContactInputDto` has no title or point-of-contact flag), as JSON Patch. */
export function contactCreateFollowUp(contact: ContactSynced): BmsPatchOperation[] {
  const ops: BmsPatchOperation[] = [];
  const title = text(contact.title);
  if (title) ops.push({ op: 'replace', path: '/JobTitle', value: title });
  if (contact.important === true) ops.push({ op: 'replace', path: '/Poc', value: true });
  return ops;
}

export type ContactChanges = Partial<ContactSynced> & { organizationId?: unknown; locationId?: unknown };

/**
 * JSON Patch operations (paths of `ContactPutInputDto`) for the scalar fields that changed. A change of
 * organization or location sends both `AccountId` and `LocationId`, since BMS requires the location to
 * belong to the account. Emails and phones go through their own sub-resources (below).
 */
export function contactPatch(changed: ContactChanges, ctx: Pick<ContactPushContext, 'accountBmsId' | 'locationBmsId'>): BmsPatchOperation[] {
  const ops: BmsPatchOperation[] = [];
  if ('firstName' in changed) ops.push({ op: 'replace', path: '/FirstName', value: requireName(changed as ContactSynced) });
  if ('lastName' in changed) ops.push({ op: 'replace', path: '/LastName', value: text(changed.lastName) });
  if ('title' in changed) ops.push({ op: 'replace', path: '/JobTitle', value: text(changed.title) });
  if ('important' in changed) ops.push({ op: 'replace', path: '/Poc', value: changed.important === true });
  if ('organizationId' in changed || 'locationId' in changed) {
    ops.push({ op: 'replace', path: '/AccountId', value: ctx.accountBmsId });
    ops.push({ op: 'replace', path: '/LocationId', value: ctx.locationBmsId });
  }
  return ops;
}

type RelatedOp = { Operation: 0 | 1 | 2; key: string; newKey?: string; TypeId?: number; IsDefault?: boolean };

/**
 * The add/update/delete operations that turn BMS's list from `base` (the last synced list) into
 * `local`, keyed by value as BMS keys them. Deletes first, then updates, then adds; an update carries
 * only what changed (a new spelling, type or default flag). BMS items added by someone else since the
 * base are left alone.
 */
function relatedOperations(base: readonly Item[], local: readonly Item[], typeOf: (label: string | null) => number): RelatedOp[] {
  const before = new Map(effectiveItems(base).map((i) => [i.key, i]));
  const after = effectiveItems(local);
  const afterKeys = new Set(after.map((i) => i.key));
  const deletes: RelatedOp[] = [];
  const updates: RelatedOp[] = [];
  const adds: RelatedOp[] = [];
  for (const [key, item] of before) if (!afterKeys.has(key)) deletes.push({ Operation: 2, key: item.value });
  for (const item of after) {
    const old = before.get(item.key);
    if (!old) {
      adds.push({ Operation: 0, key: item.value, TypeId: typeOf(item.label), IsDefault: item.primary });
      continue;
    }
    const op: RelatedOp = { Operation: 1, key: old.value };
    if (old.value !== item.value) op.newKey = item.value;
    const newType = typeOf(item.label);
    if (typeOf(old.label) !== newType) op.TypeId = newType;
    if (old.primary !== item.primary) op.IsDefault = item.primary;
    if (op.newKey !== undefined || op.TypeId !== undefined || op.IsDefault !== undefined) updates.push(op);
  }
  return [...deletes, ...updates, ...adds];
}

export function emailOperations(
  base: readonly ContactEmail[],
  local: readonly ContactEmail[],
  ctx: Pick<ContactPushContext, 'lookups' | 'defaults'>,
): BmsEmailPatch[] {
  return relatedOperations(base, local, (label) => emailTypeId(label, ctx)).map((op) => ({
    Operation: op.Operation,
    EmailAddress: op.key,
    ...(op.newKey !== undefined ? { NewEmailAddress: op.newKey } : {}),
    ...(op.TypeId !== undefined ? { TypeId: op.TypeId } : {}),
    ...(op.IsDefault !== undefined ? { IsDefault: op.IsDefault } : {}),
  }));
}

export function phoneOperations(
  base: readonly ContactPhone[],
  local: readonly ContactPhone[],
  ctx: Pick<ContactPushContext, 'lookups' | 'defaults'>,
): BmsPhonePatch[] {
  return relatedOperations(base, local, (label) => phoneTypeId(label, ctx)).map((op) => ({
    Operation: op.Operation,
    PhoneNumber: op.key,
    ...(op.newKey !== undefined ? { NewPhoneNumber: op.newKey } : {}),
    ...(op.TypeId !== undefined ? { TypeId: op.TypeId } : {}),
    ...(op.IsDefault !== undefined ? { IsDefault: op.IsDefault } : {}),
  }));
}
