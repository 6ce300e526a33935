/** Organization ↔ BMS account. Pure: safe to import from workflows. */
import type { BmsAccount, BmsPatchOperation } from '../../bms/types';
import {
  activeFromStatus,
  type CreateDefaults,
  type Lookups,
  lookupId,
  lookupName,
  MappingError,
  statusFromActive,
  text,
} from './common';

export interface OrganizationSynced {
  name: string | null;
  shortName: string | null;
  type: string | null;
  status: string;
  parentId: string | null;
}

export interface PulledOrganization {
  fields: Omit<OrganizationSynced, 'parentId'>;
  parentBmsId: number | null;
}

export function accountToOrganization(account: BmsAccount, lookups: Lookups): PulledOrganization {
  return {
    fields: {
      name: text(account.accountName),
      shortName: text(account.accountCode),
      type: text(account.accountType) ?? lookupName(lookups.accountTypes, account.accountTypeId),
      status: statusFromActive(account.isActive),
    },
    parentBmsId: account.parentId ?? null,
  };
}

export interface OrganizationPushContext {
  lookups: Lookups;
  defaults: CreateDefaults;
  parentBmsId: number | null;
}

function accountTypeId(type: string | null, lookups: Lookups): number {
  const id = lookupId(lookups.accountTypes, type);
  if (id === null) {
    throw new MappingError(
      type ? `Type '${type}' does not exist in Kaseya BMS` : 'An organization needs a type to be created in Kaseya BMS',
      'type',
    );
  }
  return id;
}

/** A main location for the account create: BMS requires at least one, with at least one address. */
export interface MainLocationInput {
  name: string;
  address1?: string | null;
  address2?: string | null;
  city?: string | null;
  region?: string | null;
  postalCode?: string | null;
  country?: string | null;
  phone?: string | null;
  fax?: string | null;
}

export function organizationToAccountPost(
  org: OrganizationSynced,
  ctx: OrganizationPushContext,
  mainLocation: MainLocationInput,
): Record<string, unknown> {
  if (!org.name) throw new MappingError('An organization needs a name', 'name');
  return {
    AccountName: org.name,
    AccountCode: org.shortName,
    AccountTypeId: accountTypeId(org.type, ctx.lookups),
    BusinessTypeId: ctx.defaults.businessTypeId,
    AccountManagerId: ctx.defaults.accountManagerId,
    ParentId: ctx.parentBmsId,
    IsActive: activeFromStatus(org.status),
    Locations: [
      {
        LocationName: mainLocation.name,
        IsMain: true,
        IsActive: true,
        Addresses: [
          {
            Address1: mainLocation.address1 ?? null,
            Address2: mainLocation.address2 ?? null,
            City: mainLocation.city ?? null,
            State: mainLocation.region ?? null,
            ZipCode: mainLocation.postalCode ?? null,
            Country: mainLocation.country ?? null,
            Phone: mainLocation.phone ?? null,
            Fax: mainLocation.fax ?? null,
            IsMain: true,
            IsBilling: true,
          },
        ],
      },
    ],
  };
}

/** JSON Patch operations for the organization fields that changed (paths name AccountPutInputDto fields). */
export function organizationPatch(
  changed: Partial<OrganizationSynced>,
  ctx: OrganizationPushContext,
): BmsPatchOperation[] {
  const ops: BmsPatchOperation[] = [];
  if ('name' in changed) {
    if (!changed.name) throw new MappingError('An organization needs a name', 'name');
    ops.push({ op: 'replace', path: '/AccountName', value: changed.name });
  }
  if ('shortName' in changed) ops.push({ op: 'replace', path: '/AccountCode', value: changed.shortName ?? null });
  if ('type' in changed) {
    ops.push({ op: 'replace', path: '/AccountTypeId', value: accountTypeId(changed.type ?? null, ctx.lookups) });
  }
  if ('status' in changed) ops.push({ op: 'replace', path: '/IsActive', value: activeFromStatus(changed.status) });
  if ('parentId' in changed) ops.push({ op: 'replace', path: '/ParentId', value: ctx.parentBmsId });
  return ops;
}
