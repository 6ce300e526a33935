/**
 * Reference data of the simulated tenant: lookup tables, employees and ticket statuses.
 * Lookup table names behind `/v2/system/lookup/{tableName}` are unknown for the real BMS (only
 * `ContactType` is confirmed), so they live in one constant that is easy to change. Each table uses
 * its own id range so that a client mixing up ids of different tables is caught instead of passing by luck.
 */

export interface LookupRow {
  readonly id: number;
  readonly name: string;
  readonly isDefault: boolean;
  readonly isActive: boolean;
}

export interface AccountTypeRow {
  readonly id: number;
  readonly name: string;
  readonly isActive: boolean;
  readonly isClient: boolean;
  readonly isVendor: boolean;
}

export interface Employee {
  readonly id: number;
  readonly userName: string;
  readonly fullName: string;
  readonly emailAddress: string;
}

export const ACCOUNT_TYPE = {
  client: 1,
  prospect: 2,
  vendor: 3,
  partner: 4,
  formerClient: 5,
  competitor: 6,
  unknown: 7,
} as const;

export const ACCOUNT_TYPES: readonly AccountTypeRow[] = [
  { id: ACCOUNT_TYPE.client, name: 'Client', isActive: true, isClient: true, isVendor: false },
  { id: ACCOUNT_TYPE.prospect, name: 'Prospect', isActive: true, isClient: false, isVendor: false },
  { id: ACCOUNT_TYPE.vendor, name: 'Vendor', isActive: true, isClient: false, isVendor: true },
  { id: ACCOUNT_TYPE.partner, name: 'Partner', isActive: true, isClient: false, isVendor: false },
  { id: ACCOUNT_TYPE.formerClient, name: 'Former Client', isActive: true, isClient: false, isVendor: false },
  { id: ACCOUNT_TYPE.competitor, name: 'Competitor', isActive: true, isClient: false, isVendor: false },
  { id: ACCOUNT_TYPE.unknown, name: 'Unknown', isActive: true, isClient: false, isVendor: false },
];

/** Served names of the system lookup tables. Change a value here to rename a table on the wire. */
export const LOOKUP_TABLE = {
  businessType: 'BusinessType',
  assetCategory: 'AssetCategory',
  contactType: 'ContactType',
  emailType: 'EmailType',
  phoneType: 'PhoneType',
  manufacturer: 'Manufacturer',
  country: 'Country',
  serviceType: 'ServiceType',
  currency: 'Currency',
  salesTaxItem: 'SalesTaxItem',
  class: 'Class',
  assetState: 'AssetState',
  businessImpact: 'BusinessImpact',
  addressType: 'AddressType',
} as const;

export type LookupTableKey = keyof typeof LOOKUP_TABLE;

function table(firstId: number, names: readonly string[], defaultIndex = -1): readonly LookupRow[] {
  return names.map((name, i) => ({ id: firstId + i, name, isDefault: i === defaultIndex, isActive: true }));
}

export const LOOKUPS: Readonly<Record<LookupTableKey, readonly LookupRow[]>> = {
  businessType: table(11, ['Managed Services', 'Break/Fix', 'Project', 'Internal'], 0),
  assetCategory: table(21, [
    'Workstation',
    'Laptop',
    'Server',
    'Network Device',
    'Printer',
    'Mobile Device',
    'Firewall',
    'Virtual Machine',
    'Storage',
  ]),
  contactType: table(41, ['Primary', 'Billing', 'Technical', 'End User'], 0),
  emailType: table(51, ['Work', 'Personal', 'Other'], 0),
  phoneType: table(61, ['Office', 'Mobile', 'Home', 'Fax'], 0),
  manufacturer: table(71, ['Dell', 'HP', 'Lenovo', 'Apple', 'Cisco', 'Ubiquiti', 'Fortinet', 'Synology', 'Brother', 'Microsoft']),
  country: table(
    101,
    ['United States', 'Canada', 'United Kingdom', 'Australia', 'Germany', 'Netherlands', 'Ireland', 'New Zealand'],
    0,
  ),
  serviceType: table(131, ['Managed', 'Co-managed', 'Ad hoc'], 0),
  currency: table(141, ['USD', 'EUR', 'GBP', 'CAD', 'AUD'], 0),
  salesTaxItem: table(151, ['Exempt', 'Standard Rate'], 1),
  class: table(161, ['SMB', 'Mid-market', 'Enterprise'], 0),
  assetState: table(171, ['In Use', 'In Stock', 'In Repair', 'Retired'], 0),
  businessImpact: table(181, ['Low', 'Medium', 'High', 'Critical'], 1),
  addressType: table(191, ['Office', 'Billing', 'Shipping'], 0),
};

/** Well-known ids the seeders use. */
export const LOOKUP_ID = {
  businessTypeManaged: 11,
  emailWork: 51,
  emailPersonal: 52,
  emailOther: 53,
  phoneOffice: 61,
  phoneMobile: 62,
  phoneHome: 63,
  phoneFax: 64,
  countryUs: 101,
  countryCanada: 102,
  countryUk: 103,
  stateInUse: 171,
  stateInStock: 172,
  stateRetired: 174,
} as const;

const lookupByTable = new Map<LookupTableKey, Map<number, LookupRow>>(
  (Object.keys(LOOKUPS) as LookupTableKey[]).map((key) => [key, new Map(LOOKUPS[key].map((row) => [row.id, row]))]),
);

const tableByServedName = new Map<string, LookupTableKey>(
  (Object.keys(LOOKUP_TABLE) as LookupTableKey[]).map((key) => [LOOKUP_TABLE[key].toLowerCase(), key]),
);

export function lookupRow(tableKey: LookupTableKey, id: number | null | undefined): LookupRow | undefined {
  if (id === null || id === undefined) return undefined;
  return lookupByTable.get(tableKey)?.get(id);
}

export function lookupName(tableKey: LookupTableKey, id: number | null | undefined): string | null {
  return lookupRow(tableKey, id)?.name ?? null;
}

export function defaultLookupId(tableKey: LookupTableKey): number {
  const rows = LOOKUPS[tableKey];
  return (rows.find((r) => r.isDefault) ?? rows[0])?.id ?? 0;
}

/** Table rows by served name, matched case-insensitively; unknown tables give an empty list, as the real API is expected to. */
export function lookupTableByName(name: string): readonly LookupRow[] {
  const key = tableByServedName.get(name.toLowerCase());
  return key === undefined ? [] : LOOKUPS[key];
}

const accountTypeById = new Map(ACCOUNT_TYPES.map((t) => [t.id, t]));

export function accountTypeRow(id: number | null | undefined): AccountTypeRow | undefined {
  return id === null || id === undefined ? undefined : accountTypeById.get(id);
}

/** Employees of the MSP. The first is the API user (its user name comes from the options). */
export const EMPLOYEE_ID = {
  apiUser: 501,
  accountManager: 502,
  /** The person whose edits `/_sim` write routes simulate, so a sync can tell them from its own API writes. */
  uiEditor: 503,
  technician: 504,
} as const;

export function createEmployees(apiUserName: string): readonly Employee[] {
  return [
    { id: EMPLOYEE_ID.apiUser, userName: apiUserName, fullName: 'API User', emailAddress: 'api.user@demo-msp.example' },
    { id: EMPLOYEE_ID.accountManager, userName: 'jane.doe', fullName: 'Jane Doe', emailAddress: 'jane.doe@demo-msp.example' },
    { id: EMPLOYEE_ID.uiEditor, userName: 'sam.taylor', fullName: 'Sam Taylor', emailAddress: 'sam.taylor@demo-msp.example' },
    { id: EMPLOYEE_ID.technician, userName: 'priya.patel', fullName: 'Priya Patel', emailAddress: 'priya.patel@demo-msp.example' },
  ];
}

export const TENANT_ID = 4321;

/** Ticket statuses (`/v2/system/statuses/lookup`); the sync does not use them, clients may probe them. */
export const TICKET_STATUSES = [
  { id: 1, name: 'New', fontColor: '#FFFFFF', color: '#1E88E5', statusOrder: 1, typeId: 1, isSystemStatus: 1, slaEventId: 1, isActive: true },
  { id: 2, name: 'In Progress', fontColor: '#FFFFFF', color: '#FB8C00', statusOrder: 2, typeId: 1, isSystemStatus: 1, slaEventId: 2, isActive: true },
  { id: 3, name: 'Waiting on Customer', fontColor: '#000000', color: '#FDD835', statusOrder: 3, typeId: 1, isSystemStatus: 0, slaEventId: null, isActive: true },
  { id: 4, name: 'Resolved', fontColor: '#FFFFFF', color: '#43A047', statusOrder: 4, typeId: 2, isSystemStatus: 1, slaEventId: 3, isActive: true },
  { id: 5, name: 'Closed', fontColor: '#FFFFFF', color: '#757575', statusOrder: 5, typeId: 3, isSystemStatus: 1, slaEventId: null, isActive: true },
] as const;

/** The MSP's own offices (`/v2/system/locations/lookup`), not client sites. */
export const MSP_LOCATIONS = [
  { id: 1, name: 'Head Office', isMain: true },
  { id: 2, name: 'Remote Team', isMain: false },
] as const;
