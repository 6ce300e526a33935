/**
 * In-memory data of one simulated BMS tenant, and every rule that a write must pass.
 *
 * Rows are kept in Maps keyed by id. Ids only grow, so Map insertion order is id order and a full
 * listing needs no sort. Rows hold raw values (timestamps as epoch ms, lookup ids rather than names);
 * `dto.ts` turns them into what the API returns, so a renamed lookup or account shows everywhere at once.
 * Both the API routes and the `/_sim` admin routes write through the methods here, so the two cannot drift.
 */
import { NotFoundError, ValidationError } from './errors';
import {
  accountTypeRow,
  defaultLookupId,
  type Employee,
  lookupRow,
  type LookupTableKey,
} from './lookups';
import { WriteClock } from './time';

export interface Audit {
  createdBy: number;
  createdOn: number;
  modifiedBy: number;
  modifiedOn: number;
}

export interface AccountFields {
  parentId: number | null;
  accountCode: string | null;
  accountTypeId: number;
  accountName: string;
  businessTypeId: number;
  serviceTypeId: number | null;
  accountManagerId: number;
  currencyId: number | null;
  creditLimit: number | null;
  netDays: number | null;
  salesTaxItemId: number | null;
  website: string | null;
  description: string | null;
  classId: number | null;
  isActive: boolean;
  isBilling: boolean;
  acquiredDate: number | null;
  routeInvoiceToParent: boolean;
}

export interface AccountRow extends Audit, AccountFields {
  id: number;
  /** In id order. */
  locationIds: number[];
}

export interface AddressFields {
  address1: string | null;
  address2: string | null;
  city: string | null;
  state: string | null;
  zipCode: string | null;
  countryId: number | null;
  /** Free text, used only when `countryId` is null; otherwise the country lookup name is served. */
  country: string | null;
  phone: string | null;
  fax: string | null;
  latitude: number | null;
  longitude: number | null;
  emailAddress: string | null;
  isMain: boolean;
  isBilling: boolean;
  addressTypeId: number | null;
  addressType: string | null;
}

export interface AddressRow extends Audit, AddressFields {
  id: number;
}

export interface LocationFields {
  locationName: string;
  isMain: boolean;
  isActive: boolean;
}

export interface LocationRow extends Audit, LocationFields {
  id: number;
  accountId: number;
  timeZoneId: number | null;
  addresses: AddressRow[];
}

export interface LocationInput extends LocationFields {
  addresses: AddressFields[];
}

export interface ContactFields {
  accountId: number;
  locationId: number;
  firstName: string;
  middleName: string | null;
  lastName: string | null;
  jobTitle: string | null;
  isPoc: boolean;
  isActive: boolean;
  effectiveDate: number | null;
  billByContact: boolean;
  receiveInvoices: boolean;
  hasClientPortalAccess: boolean;
}

export interface EmailFields {
  emailAddress: string;
  emailTypeId: number;
  isDefault: boolean;
}

export interface PhoneFields {
  phone: string;
  phoneTypeId: number;
  isDefault: boolean;
}

export interface EmailRow extends Audit, EmailFields {
  id: number;
}

export interface PhoneRow extends Audit, PhoneFields {
  id: number;
}

export interface ContactRow extends Audit, ContactFields {
  id: number;
  emails: EmailRow[];
  phones: PhoneRow[];
}

export interface ContactInput extends ContactFields {
  emails: EmailFields[];
  phones: PhoneFields[];
}

export interface AssetFields {
  name: string;
  accountId: number;
  accountLocationId: number;
  contactId: number | null;
  categoryId: number;
  brandId: number | null;
  serialNumber: string | null;
  businessImpactId: number | null;
  stateId: number | null;
  locationInfo: string | null;
  description: string | null;
  barCode: string | null;
  assetTag: string | null;
  vendorId: number | null;
  isActive: boolean;
  modelNumber: string | null;
  machineGroupId: string | null;
  ipAddress: string | null;
  subnetMask: string | null;
  defaultGateway: string | null;
  dnsServers: string | null;
  dhcpEnabled: boolean;
  dhcpServer: string | null;
  winsEnabled: boolean;
  secondaryWinsServer: string | null;
  connectionGatewayIp: string | null;
  osType: string | null;
  osInfo: string | null;
  majorVersion: string | null;
  minorVersion: string | null;
  macAddress: string | null;
  loginName: string | null;
  lastLoginname: string | null;
  currentUser: string | null;
  productName: string | null;
  machineVersion: string | null;
  motherboardManufacturerId: number | null;
  motherboardProductCode: string | null;
  motherboardSerialNumber: string | null;
  motherboardVersion: string | null;
  chassisAssetTag: string | null;
  chassisManufacturerId: number | null;
  chassisSerialNumber: string | null;
  chassisType: string | null;
  chassisVersion: string | null;
  busSpeed: string | null;
  manufacturerId: number | null;
  maxMemorySize: string | null;
  maxMemorySlots: string | null;
  primaryWinsServer: string | null;
  computerName: string | null;
  purchaseCost: number | null;
  warrantyExpirationDate: number | null;
  expirationDate: number | null;
  acquisitionDate: number | null;
  firstCheckIn: number | null;
  lastCheckIn: number | null;
  lastReboot: number | null;
}

export interface AssetRow extends Audit, AssetFields {
  id: number;
}

export type FieldKind = 'string' | 'int' | 'bool' | 'double' | 'date';

/**
 * `HardwareAssetInputDto` field by field: input name, row key, kind. Row keys are the output DTO's
 * camelCase names where the output has the field (`DnsServers` in, `dnsServers` out from `DNSServers`).
 */
export const ASSET_INPUT_FIELDS: readonly (readonly [string, keyof AssetFields, FieldKind])[] = [
  ['Name', 'name', 'string'],
  ['AccountId', 'accountId', 'int'],
  ['AccountLocationId', 'accountLocationId', 'int'],
  ['ContactId', 'contactId', 'int'],
  ['CategoryId', 'categoryId', 'int'],
  ['BrandId', 'brandId', 'int'],
  ['SerialNumber', 'serialNumber', 'string'],
  ['BusinessImpactId', 'businessImpactId', 'int'],
  ['StateId', 'stateId', 'int'],
  ['LocationInfo', 'locationInfo', 'string'],
  ['Description', 'description', 'string'],
  ['BarCode', 'barCode', 'string'],
  ['AssetTag', 'assetTag', 'string'],
  ['VendorId', 'vendorId', 'int'],
  ['IsActive', 'isActive', 'bool'],
  ['ModelNumber', 'modelNumber', 'string'],
  ['MachineGroupId', 'machineGroupId', 'string'],
  ['IpAddress', 'ipAddress', 'string'],
  ['SubnetMask', 'subnetMask', 'string'],
  ['DefaultGateway', 'defaultGateway', 'string'],
  ['DnsServers', 'dnsServers', 'string'],
  ['DhcpEnabled', 'dhcpEnabled', 'bool'],
  ['DhcpServer', 'dhcpServer', 'string'],
  ['WinsEnabled', 'winsEnabled', 'bool'],
  ['SecondaryWinsServer', 'secondaryWinsServer', 'string'],
  ['ConnectionGatewayIp', 'connectionGatewayIp', 'string'],
  ['OsType', 'osType', 'string'],
  ['OsInfo', 'osInfo', 'string'],
  ['MajorVersion', 'majorVersion', 'string'],
  ['MinorVersion', 'minorVersion', 'string'],
  ['MacAddress', 'macAddress', 'string'],
  ['LoginName', 'loginName', 'string'],
  ['LastLoginname', 'lastLoginname', 'string'],
  ['CurrentUser', 'currentUser', 'string'],
  ['ProductName', 'productName', 'string'],
  ['MachineVersion', 'machineVersion', 'string'],
  ['MotherboardManufacturerId', 'motherboardManufacturerId', 'int'],
  ['MotherboardProductCode', 'motherboardProductCode', 'string'],
  ['MotherboardSerialNumber', 'motherboardSerialNumber', 'string'],
  ['MotherboardVersion', 'motherboardVersion', 'string'],
  ['ChassisAssetTag', 'chassisAssetTag', 'string'],
  ['ChassisManufacturerId', 'chassisManufacturerId', 'int'],
  ['ChassisSerialNumber', 'chassisSerialNumber', 'string'],
  ['ChassisType', 'chassisType', 'string'],
  ['ChassisVersion', 'chassisVersion', 'string'],
  ['BusSpeed', 'busSpeed', 'string'],
  ['ManufacturerId', 'manufacturerId', 'int'],
  ['MaxMemorySize', 'maxMemorySize', 'string'],
  ['MaxMemorySlots', 'maxMemorySlots', 'string'],
  ['PrimaryWinsServer', 'primaryWinsServer', 'string'],
  ['ComputerName', 'computerName', 'string'],
  ['PurchaseCost', 'purchaseCost', 'double'],
  ['WarrantyExpirationDate', 'warrantyExpirationDate', 'date'],
  ['ExpirationDate', 'expirationDate', 'date'],
  ['AcquisitionDate', 'acquisitionDate', 'date'],
  ['FirstCheckIn', 'firstCheckIn', 'date'],
  ['LastCheckIn', 'lastCheckIn', 'date'],
  ['LastReboot', 'lastReboot', 'date'],
];

export function emptyAssetFields(): AssetFields {
  return {
    name: '',
    accountId: 0,
    accountLocationId: 0,
    contactId: null,
    categoryId: 0,
    brandId: null,
    serialNumber: null,
    businessImpactId: null,
    stateId: null,
    locationInfo: null,
    description: null,
    barCode: null,
    assetTag: null,
    vendorId: null,
    isActive: true,
    modelNumber: null,
    machineGroupId: null,
    ipAddress: null,
    subnetMask: null,
    defaultGateway: null,
    dnsServers: null,
    dhcpEnabled: false,
    dhcpServer: null,
    winsEnabled: false,
    secondaryWinsServer: null,
    connectionGatewayIp: null,
    osType: null,
    osInfo: null,
    majorVersion: null,
    minorVersion: null,
    macAddress: null,
    loginName: null,
    lastLoginname: null,
    currentUser: null,
    productName: null,
    machineVersion: null,
    motherboardManufacturerId: null,
    motherboardProductCode: null,
    motherboardSerialNumber: null,
    motherboardVersion: null,
    chassisAssetTag: null,
    chassisManufacturerId: null,
    chassisSerialNumber: null,
    chassisType: null,
    chassisVersion: null,
    busSpeed: null,
    manufacturerId: null,
    maxMemorySize: null,
    maxMemorySlots: null,
    primaryWinsServer: null,
    computerName: null,
    purchaseCost: null,
    warrantyExpirationDate: null,
    expirationDate: null,
    acquisitionDate: null,
    firstCheckIn: null,
    lastCheckIn: null,
    lastReboot: null,
  };
}

export function emptyAddressFields(): AddressFields {
  return {
    address1: null,
    address2: null,
    city: null,
    state: null,
    zipCode: null,
    countryId: null,
    country: null,
    phone: null,
    fax: null,
    latitude: null,
    longitude: null,
    emailAddress: null,
    isMain: false,
    isBilling: false,
    addressTypeId: null,
    addressType: null,
  };
}

/** One related-item operation of `PATCH /contacts/{id}/emails` or `/phones`: 0 add, 1 update, 2 delete. */
export interface RelatedItemOp {
  operation: number;
  /** The address or number that identifies the item (the new item's value for an add). */
  key: string | null;
  newValue: string | null;
  typeId: number | null;
  isDefault: boolean | null;
}

export interface RelatedItemResult {
  added: number;
  updated: number;
  deleted: number;
}

export const RELATED_ITEM_OPERATION = { add: 0, update: 1, delete: 2 } as const;

/**
 * Ids start in separate ranges per entity, so a client that sends an account id where a location id
 * belongs gets "not found" instead of silently hitting another record.
 */
export const ID_BASE = {
  account: 1000,
  location: 2_000_000,
  address: 3_000_000,
  contact: 4_000_000,
  email: 5_000_000,
  phone: 6_000_000,
  asset: 7_000_000,
} as const;

export type IdKind = keyof typeof ID_BASE;

export interface StoreSnapshot {
  nextIds: Record<IdKind, number>;
  accounts: AccountRow[];
  locations: LocationRow[];
  contacts: ContactRow[];
  assets: AssetRow[];
}

export interface StoreCounts {
  accounts: number;
  contacts: number;
  assets: number;
  locations: number;
}

const LIST_CACHE_LIMIT = 64;

function sortedIds(ids: Iterable<number>): number[] {
  return Array.from(ids).sort((a, b) => a - b);
}

function blank(text: string | null | undefined): boolean {
  return text === null || text === undefined || text.trim() === '';
}

export class Store {
  readonly accounts = new Map<number, AccountRow>();
  readonly locations = new Map<number, LocationRow>();
  readonly contacts = new Map<number, ContactRow>();
  readonly assets = new Map<number, AssetRow>();
  readonly clock = new WriteClock();
  /** Bumped by every change; list caches are valid for one version. */
  version = 0;

  /** Ids per account, kept as small exact-size arrays: a Set per account costs several times the memory at 100k accounts. */
  private readonly contactsByAccount = new Map<number, number[]>();
  private readonly assetsByAccount = new Map<number, number[]>();
  private readonly listCache = new Map<string, { version: number; ids: number[] }>();
  private readonly nextIds: Record<IdKind, number> = { ...ID_BASE };
  private readonly employeesById: Map<number, Employee>;

  constructor(
    readonly tenantName: string,
    readonly employees: readonly Employee[],
  ) {
    this.employeesById = new Map(employees.map((e) => [e.id, e]));
  }

  reset(): void {
    this.accounts.clear();
    this.locations.clear();
    this.contacts.clear();
    this.assets.clear();
    this.contactsByAccount.clear();
    this.assetsByAccount.clear();
    this.listCache.clear();
    Object.assign(this.nextIds, ID_BASE);
    this.clock.reset();
    this.version++;
  }

  counts(): StoreCounts {
    return { accounts: this.accounts.size, contacts: this.contacts.size, assets: this.assets.size, locations: this.locations.size };
  }

  employee(id: number | null | undefined): Employee | undefined {
    return id === null || id === undefined ? undefined : this.employeesById.get(id);
  }

  allocateId(kind: IdKind): number {
    this.nextIds[kind] += 1;
    return this.nextIds[kind];
  }

  /**
   * The ids that match a filter, computed once per (filter, data version). Paging through a large
   * result then costs one scan, not one scan per page.
   */
  cachedIds(key: string, compute: () => number[]): number[] {
    const hit = this.listCache.get(key);
    if (hit && hit.version === this.version) return hit.ids;
    const ids = compute();
    this.listCache.delete(key);
    this.listCache.set(key, { version: this.version, ids });
    if (this.listCache.size > LIST_CACHE_LIMIT) {
      const oldest = this.listCache.keys().next();
      if (!oldest.done) this.listCache.delete(oldest.value);
    }
    return ids;
  }

  contactIdsOfAccount(accountId: number): number[] {
    return sortedIds(this.contactsByAccount.get(accountId) ?? []);
  }

  assetIdsOfAccount(accountId: number): number[] {
    return sortedIds(this.assetsByAccount.get(accountId) ?? []);
  }

  /** Everything needed to rebuild the data (for `--state-file`); rows are plain JSON values. */
  snapshot(): StoreSnapshot {
    return {
      nextIds: { ...this.nextIds },
      accounts: [...this.accounts.values()],
      locations: [...this.locations.values()],
      contacts: [...this.contacts.values()],
      assets: [...this.assets.values()],
    };
  }

  restore(snapshot: StoreSnapshot): void {
    this.reset();
    // Locations re-attach themselves to their account, so accounts start without them.
    for (const a of snapshot.accounts) this.insertAccount({ ...a, locationIds: [] });
    for (const l of snapshot.locations) this.insertLocation(l);
    for (const c of snapshot.contacts) this.insertContact(c);
    for (const a of snapshot.assets) this.insertAsset(a);
    Object.assign(this.nextIds, snapshot.nextIds);
    this.version++;
  }

  // ---- raw inserts (seeding; no validation, no version bump per row) ----

  insertAccount(row: AccountRow): void {
    this.accounts.set(row.id, row);
  }

  insertLocation(row: LocationRow): void {
    this.locations.set(row.id, row);
    const account = this.accounts.get(row.accountId);
    // A fresh exact-size array rather than push(), which reserves room for 16 more ids on every account.
    if (account) account.locationIds = [...account.locationIds, row.id];
  }

  insertContact(row: ContactRow): void {
    this.contacts.set(row.id, row);
    addToIndex(this.contactsByAccount, row.accountId, row.id);
  }

  insertAsset(row: AssetRow): void {
    this.assets.set(row.id, row);
    addToIndex(this.assetsByAccount, row.accountId, row.id);
  }

  /** Marks the end of a batch of raw inserts. */
  bumpVersion(): void {
    this.version++;
  }

  // ---- reads ----

  getAccount(id: number): AccountRow {
    const row = this.accounts.get(id);
    if (!row) throw new NotFoundError(`Account ${id} was not found.`);
    return row;
  }

  getLocation(id: number): LocationRow {
    const row = this.locations.get(id);
    if (!row) throw new NotFoundError(`Location ${id} was not found.`);
    return row;
  }

  getContact(id: number): ContactRow {
    const row = this.contacts.get(id);
    if (!row) throw new NotFoundError(`Contact ${id} was not found.`);
    return row;
  }

  getAsset(id: number): AssetRow {
    const row = this.assets.get(id);
    if (!row) throw new NotFoundError(`Hardware asset ${id} was not found.`);
    return row;
  }

  mainLocation(account: AccountRow): LocationRow | undefined {
    let first: LocationRow | undefined;
    for (const id of account.locationIds) {
      const loc = this.locations.get(id);
      if (!loc) continue;
      if (loc.isMain) return loc;
      first ??= loc;
    }
    return first;
  }

  // ---- accounts ----

  createAccount(fields: AccountFields, locations: LocationInput[], actor: number): AccountRow {
    this.validateAccount(fields, null);
    if (locations.length === 0) throw new ValidationError('An account needs at least one location.', 'Locations');
    locations.forEach((loc, i) => this.validateLocation(loc, `Locations[${i}]`));
    const stamp = this.clock.stamp();
    const row: AccountRow = { id: this.allocateId('account'), ...this.audit(actor, stamp), ...fields, locationIds: [] };
    this.accounts.set(row.id, row);
    const mainIndex = Math.max(0, locations.findIndex((l) => l.isMain));
    locations.forEach((loc, i) => {
      this.insertLocation(this.buildLocation(row.id, { ...loc, isMain: i === mainIndex }, actor, stamp));
    });
    this.version++;
    return row;
  }

  /** Replaces the header fields (not the locations). */
  replaceAccount(id: number, fields: AccountFields, actor: number): AccountRow {
    const row = this.getAccount(id);
    this.validateAccount(fields, id);
    Object.assign(row, fields);
    this.touch(row, actor, this.clock.stamp());
    this.version++;
    return row;
  }

  /**
   * Deletes an account as a BMS user can: with its locations, contacts and assets. Accounts that named it
   * as their parent lose the link, and that is a write to them (their `ModifiedOn` moves).
   */
  deleteAccount(id: number, actor: number): void {
    const row = this.getAccount(id);
    const stamp = this.clock.stamp();
    for (const child of this.accounts.values()) {
      if (child.parentId === id) {
        child.parentId = null;
        this.touch(child, actor, stamp);
      }
    }
    for (const locationId of row.locationIds) this.locations.delete(locationId);
    for (const contactId of this.contactsByAccount.get(id) ?? []) this.contacts.delete(contactId);
    for (const assetId of this.assetsByAccount.get(id) ?? []) this.assets.delete(assetId);
    this.contactsByAccount.delete(id);
    this.assetsByAccount.delete(id);
    this.accounts.delete(id);
    this.version++;
  }

  // ---- locations ----

  createLocation(accountId: number, input: LocationInput, actor: number): LocationRow {
    const account = this.getAccountAs(accountId, 'AccountId');
    this.validateLocation(input, '');
    const stamp = this.clock.stamp();
    const first = account.locationIds.length === 0;
    const loc = this.buildLocation(accountId, { ...input, isMain: input.isMain || first }, actor, stamp);
    if (loc.isMain) this.clearOtherMains(account, loc.id, actor, stamp);
    this.insertLocation(loc);
    this.touch(account, actor, stamp);
    this.version++;
    return loc;
  }

  /**
   * Changes a location's own fields and, when given, its main address. A location write also bumps
   * the account's `ModifiedOn`: locations have no change filter of their own, so this is what makes
   * them visible to an incremental account pull.
   */
  updateLocation(
    id: number,
    changes: Partial<LocationFields> & { mainAddress?: Partial<AddressFields> },
    actor: number,
  ): LocationRow {
    const loc = this.getLocation(id);
    const account = this.getAccount(loc.accountId);
    if (changes.locationName !== undefined && blank(changes.locationName)) {
      throw new ValidationError('LocationName must not be empty.', 'LocationName');
    }
    if (changes.mainAddress) this.validateAddress(changes.mainAddress, 'Addresses[0]');
    const stamp = this.clock.stamp();
    if (changes.locationName !== undefined) loc.locationName = changes.locationName;
    if (changes.isActive !== undefined) loc.isActive = changes.isActive;
    if (changes.isMain !== undefined) {
      loc.isMain = changes.isMain;
      if (changes.isMain) this.clearOtherMains(account, loc.id, actor, stamp);
    }
    if (changes.mainAddress) {
      const main = loc.addresses.find((a) => a.isMain) ?? loc.addresses[0];
      if (main) {
        Object.assign(main, changes.mainAddress, { isMain: true });
        this.touch(main, actor, stamp);
      } else {
        loc.addresses.push({
          id: this.allocateId('address'),
          ...this.audit(actor, stamp),
          ...emptyAddressFields(),
          ...changes.mainAddress,
          isMain: true,
        });
      }
    }
    this.touch(loc, actor, stamp);
    this.touch(account, actor, stamp);
    this.version++;
    return loc;
  }

  deleteLocation(id: number, actor: number): void {
    const loc = this.getLocation(id);
    const account = this.getAccount(loc.accountId);
    if (account.locationIds.length <= 1) {
      throw new ValidationError(`Location ${id} is the account's only location and cannot be deleted.`);
    }
    for (const contactId of this.contactsByAccount.get(account.id) ?? []) {
      if (this.contacts.get(contactId)?.locationId === id) {
        throw new ValidationError(`Location ${id} is in use by contact ${contactId}.`);
      }
    }
    for (const assetId of this.assetsByAccount.get(account.id) ?? []) {
      if (this.assets.get(assetId)?.accountLocationId === id) {
        throw new ValidationError(`Location ${id} is in use by hardware asset ${assetId}.`);
      }
    }
    const stamp = this.clock.stamp();
    this.locations.delete(id);
    account.locationIds = account.locationIds.filter((l) => l !== id);
    if (loc.isMain) {
      const next = this.locations.get(account.locationIds[0] ?? -1);
      if (next) {
        next.isMain = true;
        this.touch(next, actor, stamp);
      }
    }
    this.touch(account, actor, stamp);
    this.version++;
  }

  // ---- contacts ----

  createContact(input: ContactInput, actor: number): ContactRow {
    const { emails, phones, ...fields } = input;
    this.validateContact(fields);
    this.validateEmails(emails);
    this.validatePhones(phones);
    const stamp = this.clock.stamp();
    const row: ContactRow = {
      id: this.allocateId('contact'),
      ...this.audit(actor, stamp),
      ...fields,
      emails: normalizeDefault(emails).map((e) => ({ id: this.allocateId('email'), ...this.audit(actor, stamp), ...e })),
      phones: normalizeDefault(phones).map((p) => ({ id: this.allocateId('phone'), ...this.audit(actor, stamp), ...p })),
    };
    this.insertContact(row);
    this.version++;
    return row;
  }

  /** Replaces the contact's own fields; emails and phones are untouched (they have their own PATCH routes). */
  replaceContact(id: number, fields: ContactFields, actor: number): ContactRow {
    const row = this.getContact(id);
    this.validateContact(fields);
    if (fields.accountId !== row.accountId) {
      removeFromIndex(this.contactsByAccount, row.accountId, id);
      addToIndex(this.contactsByAccount, fields.accountId, id);
    }
    Object.assign(row, fields);
    this.touch(row, actor, this.clock.stamp());
    this.version++;
    return row;
  }

  /** Replaces emails and/or phones wholesale (admin edits). */
  replaceContactItems(id: number, emails: EmailFields[] | undefined, phones: PhoneFields[] | undefined, actor: number): void {
    const row = this.getContact(id);
    if (emails) this.validateEmails(emails);
    if (phones) this.validatePhones(phones);
    const stamp = this.clock.stamp();
    if (emails) row.emails = normalizeDefault(emails).map((e) => ({ id: this.allocateId('email'), ...this.audit(actor, stamp), ...e }));
    if (phones) row.phones = normalizeDefault(phones).map((p) => ({ id: this.allocateId('phone'), ...this.audit(actor, stamp), ...p }));
    this.touch(row, actor, stamp);
    this.version++;
  }

  patchContactEmails(id: number, ops: RelatedItemOp[], actor: number): RelatedItemResult {
    const row = this.getContact(id);
    const result = this.applyRelatedOps(
      row.emails.map((e) => ({ ...e })),
      ops,
      {
        noun: 'email address',
        keyField: 'EmailAddress',
        newKeyField: 'NewEmailAddress',
        table: 'emailType',
        getKey: (e) => e.emailAddress,
        setKey: (e, v) => (e.emailAddress = v),
        getType: (e) => e.emailTypeId,
        setType: (e, v) => (e.emailTypeId = v),
        make: (key, typeId, isDefault, stamp) => ({
          id: this.allocateId('email'),
          ...this.audit(actor, stamp),
          emailAddress: key,
          emailTypeId: typeId,
          isDefault,
        }),
      },
      actor,
    );
    if (result) {
      row.emails = result.items;
      this.touch(row, actor, result.stamp);
      this.version++;
    }
    return result?.counts ?? { added: 0, updated: 0, deleted: 0 };
  }

  patchContactPhones(id: number, ops: RelatedItemOp[], actor: number): RelatedItemResult {
    const row = this.getContact(id);
    const result = this.applyRelatedOps(
      row.phones.map((p) => ({ ...p })),
      ops,
      {
        noun: 'phone number',
        keyField: 'PhoneNumber',
        newKeyField: 'NewPhoneNumber',
        table: 'phoneType',
        getKey: (p) => p.phone,
        setKey: (p, v) => (p.phone = v),
        getType: (p) => p.phoneTypeId,
        setType: (p, v) => (p.phoneTypeId = v),
        make: (key, typeId, isDefault, stamp) => ({
          id: this.allocateId('phone'),
          ...this.audit(actor, stamp),
          phone: key,
          phoneTypeId: typeId,
          isDefault,
        }),
      },
      actor,
    );
    if (result) {
      row.phones = result.items;
      this.touch(row, actor, result.stamp);
      this.version++;
    }
    return result?.counts ?? { added: 0, updated: 0, deleted: 0 };
  }

  /**
   * Deletes a contact. Assets that named it as their contact lose the link, and that is a write to
   * the asset (its `ModifiedOn` moves), since its output changes.
   */
  deleteContact(id: number, actor: number): void {
    const row = this.getContact(id);
    const stamp = this.clock.stamp();
    for (const assetId of this.assetsByAccount.get(row.accountId) ?? []) {
      const asset = this.assets.get(assetId);
      if (asset?.contactId === id) {
        asset.contactId = null;
        this.touch(asset, actor, stamp);
      }
    }
    this.contacts.delete(id);
    removeFromIndex(this.contactsByAccount, row.accountId, id);
    this.version++;
  }

  // ---- hardware assets ----

  createAsset(fields: AssetFields, actor: number): AssetRow {
    this.validateAsset(fields);
    const row: AssetRow = { id: this.allocateId('asset'), ...this.audit(actor, this.clock.stamp()), ...fields };
    this.insertAsset(row);
    this.version++;
    return row;
  }

  replaceAsset(id: number, fields: AssetFields, actor: number): AssetRow {
    const row = this.getAsset(id);
    this.validateAsset(fields);
    if (fields.accountId !== row.accountId) {
      removeFromIndex(this.assetsByAccount, row.accountId, id);
      addToIndex(this.assetsByAccount, fields.accountId, id);
    }
    Object.assign(row, fields);
    this.touch(row, actor, this.clock.stamp());
    this.version++;
    return row;
  }

  deleteAsset(id: number): void {
    const row = this.getAsset(id);
    this.assets.delete(id);
    removeFromIndex(this.assetsByAccount, row.accountId, id);
    this.version++;
  }

  // ---- validation ----

  private validateAccount(fields: AccountFields, selfId: number | null): void {
    if (blank(fields.accountName)) throw new ValidationError('AccountName must not be empty.', 'AccountName');
    if (!accountTypeRow(fields.accountTypeId)) {
      throw new ValidationError(`AccountTypeId ${fields.accountTypeId} does not exist.`, 'AccountTypeId');
    }
    this.requireLookup('businessType', fields.businessTypeId, 'BusinessTypeId', false);
    if (!this.employee(fields.accountManagerId)) {
      throw new ValidationError(`AccountManagerId ${fields.accountManagerId} is not an employee.`, 'AccountManagerId');
    }
    this.requireLookup('serviceType', fields.serviceTypeId, 'ServiceTypeId');
    this.requireLookup('currency', fields.currencyId, 'CurrencyId');
    this.requireLookup('salesTaxItem', fields.salesTaxItemId, 'SalesTaxItemId');
    this.requireLookup('class', fields.classId, 'ClassId');
    if (fields.parentId !== null) {
      let cursor: number | null = fields.parentId;
      for (let depth = 0; cursor !== null; depth++) {
        if (cursor === selfId || depth > 100) {
          throw new ValidationError('ParentId would make the account its own ancestor.', 'ParentId');
        }
        const parent = this.accounts.get(cursor);
        if (!parent) throw new ValidationError(`ParentId ${cursor} does not exist.`, 'ParentId');
        cursor = parent.parentId;
      }
    }
  }

  private validateLocation(loc: LocationInput, prefix: string): void {
    const at = (field: string) => (prefix === '' ? field : `${prefix}.${field}`);
    if (blank(loc.locationName)) throw new ValidationError(`${at('LocationName')} must not be empty.`, at('LocationName'));
    loc.addresses.forEach((a, i) => this.validateAddress(a, at(`Addresses[${i}]`)));
  }

  private validateAddress(a: Partial<AddressFields>, prefix: string): void {
    this.requireLookup('country', a.countryId ?? null, `${prefix}.CountryId`);
    this.requireLookup('addressType', a.addressTypeId ?? null, `${prefix}.AddressTypeId`);
  }

  private validateContact(fields: ContactFields): void {
    if (blank(fields.firstName)) throw new ValidationError('FirstName is required.', 'FirstName');
    const account = this.getAccountAs(fields.accountId, 'AccountId');
    if (!account.locationIds.includes(fields.locationId)) {
      throw new ValidationError(
        `LocationId ${fields.locationId} is not a location of account ${fields.accountId}.`,
        'LocationId',
      );
    }
  }

  private validateEmails(emails: EmailFields[]): void {
    const seen = new Set<string>();
    emails.forEach((e, i) => {
      if (blank(e.emailAddress)) throw new ValidationError(`Emails[${i}].EmailAddress is required.`, `Emails[${i}].EmailAddress`);
      this.requireLookup('emailType', e.emailTypeId, `Emails[${i}].EmailTypeId`, false);
      const key = e.emailAddress.trim().toLowerCase();
      if (seen.has(key)) throw new ValidationError(`Email address ${e.emailAddress} is given twice.`, `Emails[${i}].EmailAddress`);
      seen.add(key);
    });
  }

  private validatePhones(phones: PhoneFields[]): void {
    const seen = new Set<string>();
    phones.forEach((p, i) => {
      if (blank(p.phone)) throw new ValidationError(`Phones[${i}].PhoneNumber is required.`, `Phones[${i}].PhoneNumber`);
      this.requireLookup('phoneType', p.phoneTypeId, `Phones[${i}].PhoneTypeId`, false);
      if (seen.has(p.phone.trim())) throw new ValidationError(`Phone number ${p.phone} is given twice.`, `Phones[${i}].PhoneNumber`);
      seen.add(p.phone.trim());
    });
  }

  private validateAsset(f: AssetFields): void {
    if (blank(f.name)) throw new ValidationError('Name must not be empty.', 'Name');
    const account = this.getAccountAs(f.accountId, 'AccountId');
    if (!account.locationIds.includes(f.accountLocationId)) {
      throw new ValidationError(
        `AccountLocationId ${f.accountLocationId} is not a location of account ${f.accountId}.`,
        'AccountLocationId',
      );
    }
    this.requireLookup('assetCategory', f.categoryId, 'CategoryId', false);
    if (f.contactId !== null) {
      const contact = this.contacts.get(f.contactId);
      if (!contact || contact.accountId !== f.accountId) {
        throw new ValidationError(`ContactId ${f.contactId} is not a contact of account ${f.accountId}.`, 'ContactId');
      }
    }
    this.requireLookup('manufacturer', f.brandId, 'BrandId');
    this.requireLookup('businessImpact', f.businessImpactId, 'BusinessImpactId');
    this.requireLookup('assetState', f.stateId, 'StateId');
    this.requireLookup('manufacturer', f.manufacturerId, 'ManufacturerId');
    this.requireLookup('manufacturer', f.motherboardManufacturerId, 'MotherboardManufacturerId');
    this.requireLookup('manufacturer', f.chassisManufacturerId, 'ChassisManufacturerId');
    if (f.vendorId !== null && !this.accounts.has(f.vendorId)) {
      throw new ValidationError(`VendorId ${f.vendorId} is not an account.`, 'VendorId');
    }
  }

  private requireLookup(table: LookupTableKey, id: number | null, field: string, nullable = true): void {
    if (id === null && nullable) return;
    if (!lookupRow(table, id)) throw new ValidationError(`${field} ${id ?? 'null'} does not exist.`, field);
  }

  private getAccountAs(id: number, field: string): AccountRow {
    const account = this.accounts.get(id);
    if (!account) throw new ValidationError(`${field} ${id} does not exist.`, field);
    return account;
  }

  // ---- helpers ----

  private audit(actor: number, stamp: number): Audit {
    return { createdBy: actor, createdOn: stamp, modifiedBy: actor, modifiedOn: stamp };
  }

  private touch(row: Audit, actor: number, stamp: number): void {
    row.modifiedBy = actor;
    row.modifiedOn = stamp;
  }

  private buildLocation(accountId: number, input: LocationInput, actor: number, stamp: number): LocationRow {
    const mainIndex = Math.max(0, input.addresses.findIndex((a) => a.isMain));
    return {
      id: this.allocateId('location'),
      ...this.audit(actor, stamp),
      locationName: input.locationName,
      isMain: input.isMain,
      isActive: input.isActive,
      accountId,
      timeZoneId: null,
      addresses: input.addresses.map((a, i) => ({
        id: this.allocateId('address'),
        ...this.audit(actor, stamp),
        ...a,
        isMain: i === mainIndex,
      })),
    };
  }

  private clearOtherMains(account: AccountRow, keepId: number, actor: number, stamp: number): void {
    for (const id of account.locationIds) {
      const other = this.locations.get(id);
      if (other && other.id !== keepId && other.isMain) {
        other.isMain = false;
        this.touch(other, actor, stamp);
      }
    }
  }

  /**
   * Applies related-item operations to a copy, all or nothing. Items are keyed by their value
   * (address or number, case-insensitive), which is how the real API identifies them.
   */
  private applyRelatedOps<T extends Audit & { isDefault: boolean }>(
    items: T[],
    ops: RelatedItemOp[],
    how: {
      noun: string;
      keyField: string;
      newKeyField: string;
      table: LookupTableKey;
      getKey: (item: T) => string;
      setKey: (item: T, value: string) => void;
      getType: (item: T) => number;
      setType: (item: T, value: number) => void;
      make: (key: string, typeId: number, isDefault: boolean, stamp: number) => T;
    },
    actor: number,
  ): { items: T[]; counts: RelatedItemResult; stamp: number } | undefined {
    if (ops.length === 0) return undefined;
    const stamp = this.clock.stamp();
    const counts: RelatedItemResult = { added: 0, updated: 0, deleted: 0 };
    const before = new Map(items.map((i) => [i, JSON.stringify(i)]));
    const find = (key: string) => items.findIndex((i) => how.getKey(i).toLowerCase() === key.trim().toLowerCase());
    ops.forEach((op, n) => {
      const where = `[${n}]`;
      if (op.typeId !== null) this.requireLookup(how.table, op.typeId, `${where}.TypeId`);
      if (blank(op.key)) throw new ValidationError(`${where}.${how.keyField} is required.`, `${where}.${how.keyField}`);
      const key = (op.key ?? '').trim();
      const at = find(key);
      switch (op.operation) {
        case RELATED_ITEM_OPERATION.add: {
          if (at >= 0) throw new ValidationError(`${where}: ${how.noun} ${key} already exists.`, `${where}.${how.keyField}`);
          const item = how.make(key, op.typeId ?? defaultLookupId(how.table), op.isDefault ?? false, stamp);
          if (item.isDefault) items.forEach((i) => (i.isDefault = false));
          items.push(item);
          counts.added++;
          break;
        }
        case RELATED_ITEM_OPERATION.update: {
          const item = items[at];
          if (!item) throw new ValidationError(`${where}: ${how.noun} ${key} was not found.`, `${where}.${how.keyField}`);
          if (!blank(op.newValue)) {
            const next = (op.newValue ?? '').trim();
            const clash = find(next);
            if (clash >= 0 && clash !== at) {
              throw new ValidationError(`${where}: ${how.noun} ${next} already exists.`, `${where}.${how.newKeyField}`);
            }
            how.setKey(item, next);
          }
          if (op.typeId !== null) how.setType(item, op.typeId);
          if (op.isDefault === true) items.forEach((i) => (i.isDefault = i === item));
          if (op.isDefault === false) item.isDefault = false;
          counts.updated++;
          break;
        }
        case RELATED_ITEM_OPERATION.delete: {
          if (at < 0) throw new ValidationError(`${where}: ${how.noun} ${key} was not found.`, `${where}.${how.keyField}`);
          items.splice(at, 1);
          counts.deleted++;
          break;
        }
        default:
          throw new ValidationError(`${where}.Operation ${op.operation} is not 0 (add), 1 (update) or 2 (delete).`, `${where}.Operation`);
      }
    });
    normalizeDefault(items);
    for (const item of items) {
      const was = before.get(item);
      if (was !== undefined && was !== JSON.stringify(item)) this.touch(item, actor, stamp);
    }
    return { items, counts, stamp };
  }
}

function addToIndex(index: Map<number, number[]>, key: number, id: number): void {
  const ids = index.get(key);
  index.set(key, ids ? [...ids, id] : [id]);
}

function removeFromIndex(index: Map<number, number[]>, key: number, id: number): void {
  const ids = index.get(key);
  if (!ids) return;
  const rest = ids.filter((i) => i !== id);
  if (rest.length === 0) index.delete(key);
  else index.set(key, rest);
}

/** Exactly one default item when there are any: the first flagged one, else the first. Mutates and returns. */
export function normalizeDefault<T extends { isDefault: boolean }>(items: T[]): T[] {
  const chosen = Math.max(0, items.findIndex((i) => i.isDefault));
  items.forEach((item, i) => (item.isDefault = i === chosen));
  return items;
}
