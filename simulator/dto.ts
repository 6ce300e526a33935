/**
 * Rows to the DTOs the API returns. V2 keys are the .NET camelCase of the vendor document's PascalCase
 * names (a test checks every key set against the document); V1 keys stay PascalCase, as the V1 API sends them.
 * Key order follows the document, so output diffs read naturally.
 */
import { accountTypeRow, lookupName } from './lookups';
import type { V1LocationShape } from './state';
import type {
  AccountRow,
  AddressRow,
  AssetRow,
  ContactRow,
  EmailRow,
  LocationRow,
  PhoneRow,
  Store,
} from './store';
import { formatNullableTimestamp, formatTimestamp } from './time';

export type Dto = Record<string, unknown>;

export function addressDto(a: AddressRow): Dto {
  return {
    id: a.id,
    createdBy: a.createdBy,
    createdOn: formatTimestamp(a.createdOn),
    modifiedBy: a.modifiedBy,
    modifiedOn: formatTimestamp(a.modifiedOn),
    address1: a.address1,
    address2: a.address2,
    city: a.city,
    state: a.state,
    zipCode: a.zipCode,
    countryId: a.countryId,
    country: a.countryId === null ? a.country : lookupName('country', a.countryId),
    phone: a.phone,
    fax: a.fax,
    latitude: a.latitude,
    longitude: a.longitude,
    emailAddress: a.emailAddress,
    isMain: a.isMain,
    isBilling: a.isBilling,
    addressTypeId: a.addressTypeId,
    addressType: a.addressTypeId === null ? a.addressType : lookupName('addressType', a.addressTypeId),
  };
}

export function locationDto(l: LocationRow): Dto {
  return {
    id: l.id,
    createdBy: l.createdBy,
    createdOn: formatTimestamp(l.createdOn),
    modifiedBy: l.modifiedBy,
    modifiedOn: formatTimestamp(l.modifiedOn),
    locationName: l.locationName,
    isMain: l.isMain,
    isActive: l.isActive,
    timeZoneId: l.timeZoneId,
    dateFormatId: null,
    timeFormatId: null,
    addresses: l.addresses.map(addressDto),
  };
}

export function accountSummaryDto(store: Store, a: AccountRow): Dto {
  const locations: Dto[] = [];
  for (const id of a.locationIds) {
    const loc = store.locations.get(id);
    if (loc) locations.push(locationDto(loc));
  }
  return {
    id: a.id,
    createdBy: a.createdBy,
    createdOn: formatTimestamp(a.createdOn),
    modifiedBy: a.modifiedBy,
    modifiedOn: formatTimestamp(a.modifiedOn),
    parentId: a.parentId,
    accountCode: a.accountCode,
    accountTypeId: a.accountTypeId,
    accountType: accountTypeRow(a.accountTypeId)?.name ?? null,
    accountName: a.accountName,
    businessTypeId: a.businessTypeId,
    businessType: lookupName('businessType', a.businessTypeId),
    serviceTypeId: a.serviceTypeId,
    serviceType: lookupName('serviceType', a.serviceTypeId),
    accountManagerId: a.accountManagerId,
    accountManagerUserName: store.employee(a.accountManagerId)?.userName ?? null,
    currencyId: a.currencyId,
    currencyName: lookupName('currency', a.currencyId),
    creditLimit: a.creditLimit,
    netDays: a.netDays,
    salesTaxItemId: a.salesTaxItemId,
    salesTaxItemName: lookupName('salesTaxItem', a.salesTaxItemId),
    website: a.website,
    description: a.description,
    classId: a.classId,
    className: lookupName('class', a.classId),
    isActive: a.isActive,
    isBilling: a.isBilling,
    acquiredDate: formatNullableTimestamp(a.acquiredDate),
    tenantName: store.tenantName,
    locations,
  };
}

export function accountLookupDto(store: Store, a: AccountRow): Dto {
  return { id: a.id, name: a.accountName, tenantName: store.tenantName, isActive: a.isActive };
}

export function accountLocationLookupDto(l: LocationRow): Dto {
  return { id: l.id, name: l.locationName, accountId: l.accountId, isMain: l.isMain };
}

function emailDto(e: EmailRow): Dto {
  return {
    id: e.id,
    createdBy: e.createdBy,
    createdOn: formatTimestamp(e.createdOn),
    modifiedBy: e.modifiedBy,
    modifiedOn: formatTimestamp(e.modifiedOn),
    emailAddress: e.emailAddress,
    emailTypeId: e.emailTypeId,
    emailType: lookupName('emailType', e.emailTypeId),
    isDefault: e.isDefault,
  };
}

function phoneDto(p: PhoneRow): Dto {
  return {
    id: p.id,
    createdBy: p.createdBy,
    createdOn: formatTimestamp(p.createdOn),
    modifiedBy: p.modifiedBy,
    modifiedOn: formatTimestamp(p.modifiedOn),
    phone: p.phone,
    phoneTypeId: p.phoneTypeId,
    phoneType: lookupName('phoneType', p.phoneTypeId),
    isDefault: p.isDefault,
  };
}

export function contactEmailsDto(c: ContactRow): Dto[] {
  return c.emails.map(emailDto);
}

export function contactPhonesDto(c: ContactRow): Dto[] {
  return c.phones.map(phoneDto);
}

function defaultEmail(c: ContactRow): string | null {
  return (c.emails.find((e) => e.isDefault) ?? c.emails[0])?.emailAddress ?? null;
}

function defaultPhone(c: ContactRow): string | null {
  return (c.phones.find((p) => p.isDefault) ?? c.phones[0])?.phone ?? null;
}

function fullName(c: ContactRow): string {
  return [c.firstName, c.lastName].filter((p) => p !== null && p !== '').join(' ');
}

/** `ContactsSummaryOutputDto`: `phone` not `phoneNumber`, `isPoc`, and the misspelt `canRecieveInvoices`. */
export function contactSummaryDto(store: Store, c: ContactRow): Dto {
  return {
    id: c.id,
    createdBy: c.createdBy,
    createdOn: formatTimestamp(c.createdOn),
    modifiedBy: c.modifiedBy,
    modifiedOn: formatTimestamp(c.modifiedOn),
    accountId: c.accountId,
    accountName: store.accounts.get(c.accountId)?.accountName ?? null,
    locationId: c.locationId,
    locationName: store.locations.get(c.locationId)?.locationName ?? null,
    firstName: c.firstName,
    lastName: c.lastName,
    jobTitle: c.jobTitle,
    isPoc: c.isPoc,
    isActive: c.isActive,
    effectiveDate: formatNullableTimestamp(c.effectiveDate),
    isBillable: c.billByContact,
    emails: c.emails.map(emailDto),
    phones: c.phones.map(phoneDto),
    canRecieveInvoices: c.receiveInvoices,
  };
}

/** `ContactOutputDto` (PUT/PATCH answers): `poc` rather than `isPoc`, `recieveInvoices` (sic). */
export function contactOutputDto(store: Store, c: ContactRow): Dto {
  return {
    id: c.id,
    createdBy: c.createdBy,
    createdOn: formatTimestamp(c.createdOn),
    modifiedBy: c.modifiedBy,
    modifiedOn: formatTimestamp(c.modifiedOn),
    accountId: c.accountId,
    accountName: store.accounts.get(c.accountId)?.accountName ?? null,
    locationId: c.locationId,
    locationName: store.locations.get(c.locationId)?.locationName ?? null,
    firstName: c.firstName,
    middleName: c.middleName,
    lastName: c.lastName,
    jobTitle: c.jobTitle,
    poc: c.isPoc,
    isActive: c.isActive,
    billByContact: c.billByContact,
    effectiveDate: formatNullableTimestamp(c.effectiveDate),
    phones: c.phones.map(phoneDto),
    emails: c.emails.map(emailDto),
    recieveInvoices: c.receiveInvoices,
    createdByName: store.employee(c.createdBy)?.fullName ?? null,
    modifiedByName: store.employee(c.modifiedBy)?.fullName ?? null,
  };
}

/** `ContactSummaryOutputDto` (the create answer): flat default phone and email. */
export function contactCreatedDto(store: Store, c: ContactRow): Dto {
  return {
    id: c.id,
    firstName: c.firstName,
    lastName: c.lastName,
    accountId: c.accountId,
    accountName: store.accounts.get(c.accountId)?.accountName ?? null,
    locationId: c.locationId,
    locationName: store.locations.get(c.locationId)?.locationName ?? null,
    phoneNumber: defaultPhone(c),
    emailAddress: defaultEmail(c),
    customFieldsData: [],
  };
}

export function contactSearchDto(store: Store, c: ContactRow): Dto {
  return {
    id: c.id,
    accountId: c.accountId,
    accountName: store.accounts.get(c.accountId)?.accountName ?? null,
    locationId: c.locationId,
    locationName: store.locations.get(c.locationId)?.locationName ?? null,
    firstName: c.firstName,
    lastName: c.lastName,
    jobTitle: c.jobTitle,
    emailAddress: defaultEmail(c),
    isPoc: c.isPoc,
    isActive: c.isActive,
    hasClientPortalAccess: c.hasClientPortalAccess,
  };
}

export function contactLookupDto(store: Store, c: ContactRow): Dto {
  return {
    id: c.id,
    name: fullName(c),
    locationId: c.locationId,
    locationName: store.locations.get(c.locationId)?.locationName ?? null,
    phone: defaultPhone(c),
    emailAddress: defaultEmail(c),
  };
}

export function contactSummaryInfoDto(store: Store, c: ContactRow): Dto {
  const account = store.accounts.get(c.accountId);
  const loc = store.locations.get(c.locationId);
  const address = loc?.addresses.find((a) => a.isMain) ?? loc?.addresses[0];
  return {
    id: c.id,
    contactName: fullName(c),
    contactPhone: defaultPhone(c),
    contactEmailAddress: defaultEmail(c),
    clientName: account?.accountName ?? null,
    locationName: loc?.locationName ?? null,
    locationId: c.locationId,
    accountType: accountTypeRow(account?.accountTypeId)?.name ?? null,
    website: account?.website ?? null,
    phoneNumber: address?.phone ?? null,
    faxNumber: address?.fax ?? null,
    address1: address?.address1 ?? null,
    address2: address?.address2 ?? null,
    city: address?.city ?? null,
    state: address?.state ?? null,
    zipCode: address?.zipCode ?? null,
    country: address ? (address.countryId === null ? address.country : lookupName('country', address.countryId)) : null,
    latitude: address?.latitude ?? null,
    longitude: address?.longitude ?? null,
    tenantId: 0,
    isActive: c.isActive,
    accountId: c.accountId,
  };
}

export function assetSearchSelectDto(store: Store, a: AssetRow): Dto {
  const contact = a.contactId === null ? undefined : store.contacts.get(a.contactId);
  return {
    id: a.id,
    categoryName: lookupName('assetCategory', a.categoryId),
    categoryId: a.categoryId,
    locationName: store.locations.get(a.accountLocationId)?.locationName ?? null,
    assetName: a.name,
    serialNumber: a.serialNumber,
    machineGroupId: a.machineGroupId,
    ipAddress: a.ipAddress,
    // Declared as a non-nullable int32, so an asset without a contact shows 0, as .NET would serialise it.
    contactId: a.contactId ?? 0,
    contactName: contact ? fullName(contact) : null,
    accountId: a.accountId,
    accountName: store.accounts.get(a.accountId)?.accountName ?? null,
    isActive: a.isActive,
  };
}

export function assetDto(store: Store, a: AssetRow): Dto {
  const contact = a.contactId === null ? undefined : store.contacts.get(a.contactId);
  return {
    id: a.id,
    name: a.name,
    accountId: a.accountId,
    accountName: store.accounts.get(a.accountId)?.accountName ?? null,
    accountLocationId: a.accountLocationId,
    accountLocation: store.locations.get(a.accountLocationId)?.locationName ?? null,
    contactId: a.contactId,
    contactFirstName: contact?.firstName ?? null,
    contactLastName: contact?.lastName ?? null,
    categoryId: a.categoryId,
    category: lookupName('assetCategory', a.categoryId),
    brandId: a.brandId,
    brand: lookupName('manufacturer', a.brandId),
    serialNumber: a.serialNumber,
    businessImpactId: a.businessImpactId,
    businessImpact: lookupName('businessImpact', a.businessImpactId),
    stateId: a.stateId,
    state: lookupName('assetState', a.stateId),
    locationInfo: a.locationInfo,
    description: a.description,
    barCode: a.barCode,
    assetTag: a.assetTag,
    vendorId: a.vendorId,
    webRemoteUrl: null,
    vendor: a.vendorId === null ? null : (store.accounts.get(a.vendorId)?.accountName ?? null),
    isActive: a.isActive,
    modelNumber: a.modelNumber,
    machineGroupId: a.machineGroupId,
    ipAddress: a.ipAddress,
    subnetMask: a.subnetMask,
    defaultGateway: a.defaultGateway,
    dnsServers: a.dnsServers,
    dhcpEnabled: a.dhcpEnabled,
    dhcpServer: a.dhcpServer,
    winsEnabled: a.winsEnabled,
    secondaryWinsServer: a.secondaryWinsServer,
    connectionGatewayIp: a.connectionGatewayIp,
    osType: a.osType,
    osInfo: a.osInfo,
    majorVersion: a.majorVersion,
    minorVersion: a.minorVersion,
    macAddress: a.macAddress,
    loginName: a.loginName,
    lastLoginname: a.lastLoginname,
    currentUser: a.currentUser,
    productName: a.productName,
    machineVersion: a.machineVersion,
    motherboardManufacturerId: a.motherboardManufacturerId,
    motherboardManufacturer: lookupName('manufacturer', a.motherboardManufacturerId),
    motherboardProductCode: a.motherboardProductCode,
    motherboardSerialNumber: a.motherboardSerialNumber,
    motherboardVersion: a.motherboardVersion,
    chassisAssetTag: a.chassisAssetTag,
    chassisManufacturerId: a.chassisManufacturerId,
    chassisManufacturer: lookupName('manufacturer', a.chassisManufacturerId),
    chassisSerialNumber: a.chassisSerialNumber,
    chassisType: a.chassisType,
    chassisVersion: a.chassisVersion,
    busSpeed: a.busSpeed,
    manufacturerId: a.manufacturerId,
    manufacturer: lookupName('manufacturer', a.manufacturerId),
    maxMemorySize: a.maxMemorySize,
    maxMemorySlots: a.maxMemorySlots,
    primaryWinsServer: a.primaryWinsServer,
    purchaseCost: a.purchaseCost,
    warrantyExpirationDate: formatNullableTimestamp(a.warrantyExpirationDate),
    expirationDate: formatNullableTimestamp(a.expirationDate),
    acquisitionDate: formatNullableTimestamp(a.acquisitionDate),
    firstCheckIn: formatNullableTimestamp(a.firstCheckIn),
    lastCheckIn: formatNullableTimestamp(a.lastCheckIn),
    lastReboot: formatNullableTimestamp(a.lastReboot),
    createdById: a.createdBy,
    createdBy: store.employee(a.createdBy)?.fullName ?? null,
    modifiedById: a.modifiedBy,
    modifiedBy: store.employee(a.modifiedBy)?.fullName ?? null,
    createdOn: formatTimestamp(a.createdOn),
    modifiedOn: formatTimestamp(a.modifiedOn),
    contactEmailAddress: contact ? defaultEmail(contact) : null,
    contactPhoneNumber: contact ? defaultPhone(contact) : null,
    agentId: null,
    diskVolumes: [],
    integrationTypeId: null,
    statuses: [],
  };
}

// ---- V1 (PascalCase) ----

function v1AddressDto(a: AddressRow): Dto {
  return {
    Id: a.id,
    Address1: a.address1,
    Address2: a.address2,
    City: a.city,
    State: a.state,
    ZipCode: a.zipCode,
    Country: a.countryId === null ? a.country : lookupName('country', a.countryId),
    CountryId: a.countryId,
    Phone: a.phone,
    Fax: a.fax,
    IsMain: a.isMain,
    IsBilling: a.isBilling,
    CreatedOn: formatTimestamp(a.createdOn),
    ModifiedOn: formatTimestamp(a.modifiedOn),
  };
}

/**
 * The V1 location. `'flat'` puts the main (else first) address's fields on the location itself instead
 * of an `Addresses` list: V1's answer shapes are not documented and clients must read either.
 */
export function v1LocationDto(store: Store, l: LocationRow, shape: V1LocationShape = 'nested'): Dto {
  const header: Dto = {
    Id: l.id,
    AccountId: l.accountId,
    AccountName: store.accounts.get(l.accountId)?.accountName ?? null,
    LocationName: l.locationName,
    IsMain: l.isMain,
    IsActive: l.isActive,
    CreatedBy: l.createdBy,
    CreatedOn: formatTimestamp(l.createdOn),
    ModifiedBy: l.modifiedBy,
    ModifiedOn: formatTimestamp(l.modifiedOn),
  };
  if (shape === 'nested') return { ...header, Addresses: l.addresses.map(v1AddressDto) };
  const main = l.addresses.find((a) => a.isMain) ?? l.addresses[0];
  if (!main) return header;
  const { Address1, Address2, City, State, ZipCode, Country, CountryId, Phone, Fax } = v1AddressDto(main);
  return { ...header, Address1, Address2, City, State, ZipCode, Country, CountryId, Phone, Fax };
}
