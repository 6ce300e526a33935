/**
 * Seed data. `demo` is a small, hand-written MSP client base; generated seeds make any number of
 * accounts with contacts, assets and locations. Both are deterministic: timestamps are fixed dates in
 * 2024 (older than any write the simulator will stamp), and generated values derive from record ids,
 * so the same seed on the same store state gives the same data.
 *
 * Rows are inserted raw (no per-row validation or version bump) because 100,000 accounts must seed in
 * well under a few seconds; the inputs here are valid by construction.
 */
import { ACCOUNT_TYPE, EMPLOYEE_ID, LOOKUP_ID, LOOKUPS } from './lookups';
import { hash32 } from './prng';
import {
  type AccountRow,
  type AddressFields,
  type AddressRow,
  type AssetFields,
  type AssetRow,
  type ContactRow,
  emptyAddressFields,
  emptyAssetFields,
  ID_BASE,
  type LocationRow,
  type Store,
  type StoreCounts,
} from './store';

export interface GeneratedSeed {
  accounts: number;
  contactsPerAccount: number;
  assetsPerAccount: number;
  locationsPerAccount: number;
  /** A total number of assets spread evenly over the accounts (instead of `assetsPerAccount`). */
  assets?: number;
}

export type SeedSpec = 'demo' | 'none' | GeneratedSeed;

export const SEED_LIMITS = {
  accounts: 1_000_000,
  contactsPerAccount: 100,
  assetsPerAccount: 100,
  locationsPerAccount: 20,
  assets: 10_000_000,
} as const;

/** How many of `total` items account `index` (of `accounts`) gets when they are spread evenly. */
function shareOf(total: number, accounts: number, index: number): number {
  return Math.floor(((index + 1) * total) / accounts) - Math.floor((index * total) / accounts);
}

const SEED_EPOCH = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;
const DAY = 86_400_000;

function auditAt(createdOn: number, modifiedOn: number, createdBy: number = EMPLOYEE_ID.accountManager, modifiedBy = createdBy) {
  return { createdBy, createdOn, modifiedBy, modifiedOn };
}

export function applySeed(store: Store, spec: SeedSpec): StoreCounts {
  if (spec === 'demo') seedDemo(store);
  else if (spec !== 'none') seedGenerated(store, spec);
  store.bumpVersion();
  return store.counts();
}

// ---------------------------------------------------------------- demo

interface DemoLocation {
  name: string;
  address1: string;
  address2?: string;
  city: string;
  state: string;
  zip: string;
  countryId: number;
  phone: string;
  fax?: string;
  isActive?: boolean;
}

interface DemoContact {
  first: string;
  last: string;
  title: string;
  poc?: boolean;
  isActive?: boolean;
  /** Index into the account's locations. */
  location?: number;
  emails: [string, number][];
  phones: [string, number][];
}

interface DemoAsset {
  name: string;
  category: string;
  manufacturer: string;
  model: string;
  serial: string;
  mac: string | null;
  ip: string | null;
  os?: [type: string, info: string];
  isActive?: boolean;
  location?: number;
  contact?: number;
  tag?: string;
  warrantyDays?: number;
}

interface DemoAccount {
  name: string;
  code: string;
  typeId: number;
  isActive?: boolean;
  website: string | null;
  description?: string;
  locations: DemoLocation[];
  contacts: DemoContact[];
  assets: DemoAsset[];
}

const { emailWork: WORK, emailPersonal: PERSONAL, emailOther: OTHER, phoneOffice: OFFICE, phoneMobile: MOBILE, phoneHome: HOME, phoneFax: FAX } =
  LOOKUP_ID;

const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  {
    name: 'Happy Frog Ltd',
    code: 'HAPPYFROG',
    typeId: ACCOUNT_TYPE.client,
    website: 'https://happyfrog.example.com',
    description: 'Garden centre chain, managed since 2019.',
    locations: [
      { name: 'Head Office', address1: '1 Main Street', address2: 'Suite 200', city: 'Austin', state: 'TX', zip: '78701', countryId: LOOKUP_ID.countryUs, phone: '+1 512 555 0100', fax: '+1 512 555 0101' },
      { name: 'Warehouse', address1: '88 Industrial Way', city: 'Round Rock', state: 'TX', zip: '78664', countryId: LOOKUP_ID.countryUs, phone: '+1 512 555 0180' },
    ],
    contacts: [
      { first: 'Alice', last: 'Ng', title: 'Office Manager', poc: true, emails: [['alice.ng@happyfrog.example.com', WORK]], phones: [['+1 512 555 0102', OFFICE], ['+1 512 555 7788', MOBILE]] },
      { first: 'Bob', last: 'Martinez', title: 'Warehouse Lead', location: 1, emails: [['bob.martinez@happyfrog.example.com', WORK], ['bobm@mail.example.net', PERSONAL]], phones: [['+1 512 555 0181', OFFICE]] },
      { first: 'Carla', last: 'Jensen', title: 'Finance Director', emails: [['carla.jensen@happyfrog.example.com', WORK]], phones: [['+1 512 555 0103', OFFICE], ['+1 512 555 0199', FAX]] },
      { first: 'Dev', last: 'Okafor', title: 'Seasonal Staff', isActive: false, location: 1, emails: [['dev.okafor@happyfrog.example.com', WORK]], phones: [] },
    ],
    assets: [
      { name: 'HF-DC01', category: 'Server', manufacturer: 'Dell', model: 'PowerEdge R650', serial: 'DL7Q2X3', mac: '00:1A:2B:3C:4D:01', ip: '10.10.0.10', os: ['Windows', 'Windows Server 2022 Standard'], tag: 'HF-0001', warrantyDays: 900 },
      { name: 'HF-FW01', category: 'Firewall', manufacturer: 'Fortinet', model: 'FortiGate 60F', serial: 'FGT60FTK2109', mac: '00:09:0F:AA:10:01', ip: '10.10.0.1' },
      { name: 'HF-LT-ALICE', category: 'Laptop', manufacturer: 'Lenovo', model: 'ThinkPad T14 Gen 3', serial: 'PF3KXY12', mac: '8C:16:45:22:11:0A', ip: '10.10.0.51', os: ['Windows', 'Windows 11 Pro'], contact: 0 },
      { name: 'HF-WH-PRN', category: 'Printer', manufacturer: 'Brother', model: 'HL-L6210DW', serial: 'U64021A3N', mac: '30:05:5C:81:22:9E', ip: '10.20.0.30', location: 1 },
      { name: 'HF-WS-OLD', category: 'Workstation', manufacturer: 'HP', model: 'EliteDesk 800 G3', serial: 'CZC7301ABC', mac: '70:5A:0F:11:22:33', ip: null, os: ['Windows', 'Windows 10 Pro'], isActive: false },
    ],
  },
  {
    name: 'Northwind Traders',
    code: 'NORTHWIND',
    typeId: ACCOUNT_TYPE.client,
    website: 'https://northwind.example.com',
    locations: [
      { name: 'Seattle HQ', address1: '400 Pine Street', city: 'Seattle', state: 'WA', zip: '98101', countryId: LOOKUP_ID.countryUs, phone: '+1 206 555 0140' },
      { name: 'Vancouver Office', address1: '1055 West Georgia Street', address2: 'Floor 14', city: 'Vancouver', state: 'BC', zip: 'V6E 3P3', countryId: LOOKUP_ID.countryCanada, phone: '+1 604 555 0120' },
    ],
    contacts: [
      { first: 'Nancy', last: 'Davolio', title: 'IT Coordinator', poc: true, emails: [['nancy.davolio@northwind.example.com', WORK]], phones: [['+1 206 555 0141', OFFICE], ['+1 206 555 9001', MOBILE]] },
      { first: 'Andrew', last: 'Fuller', title: 'VP Sales', emails: [['andrew.fuller@northwind.example.com', WORK]], phones: [['+1 206 555 0142', OFFICE]] },
      { first: 'Janet', last: 'Leverling', title: 'Sales Representative', location: 1, emails: [['janet.leverling@northwind.example.com', WORK], ['janet.l@mail.example.net', OTHER]], phones: [['+1 604 555 0121', OFFICE]] },
    ],
    assets: [
      { name: 'NW-SRV-FILE', category: 'Server', manufacturer: 'HP', model: 'ProLiant DL380 Gen10', serial: 'MXQ9140XYZ', mac: '94:18:82:00:AA:01', ip: '192.168.10.5', os: ['Windows', 'Windows Server 2019 Standard'], warrantyDays: 200 },
      { name: 'NW-SW-CORE', category: 'Network Device', manufacturer: 'Cisco', model: 'Catalyst 9200L-24P', serial: 'JAE24150ABC', mac: '00:1B:54:AA:BB:01', ip: '192.168.10.2' },
      { name: 'NW-NAS01', category: 'Storage', manufacturer: 'Synology', model: 'RS1221+', serial: '2150RSN123456', mac: '00:11:32:AB:CD:EF', ip: '192.168.10.8' },
      { name: 'NW-LT-NANCY', category: 'Laptop', manufacturer: 'Dell', model: 'Latitude 5440', serial: '7HJ2KL3', mac: 'D4:81:D7:10:20:30', ip: '192.168.10.101', os: ['Windows', 'Windows 11 Pro'], contact: 0 },
      { name: 'NW-VAN-AP1', category: 'Network Device', manufacturer: 'Ubiquiti', model: 'U6 Pro', serial: 'UBNT6PRO0099', mac: '74:83:C2:11:22:33', ip: '192.168.20.3', location: 1 },
      { name: 'NW-PHONE-JL', category: 'Mobile Device', manufacturer: 'Apple', model: 'iPhone 14', serial: 'F2LXK9QWERTY', mac: null, ip: null, os: ['iOS', 'iOS 17.5'], location: 1, contact: 2 },
    ],
  },
  {
    name: 'Contoso Dental Group',
    code: 'CONTOSODENT',
    typeId: ACCOUNT_TYPE.client,
    website: 'https://contosodental.example.com',
    description: 'Three dental practices; HIPAA scope.',
    locations: [
      { name: 'Main Practice', address1: '25 Harbor Road', city: 'Portland', state: 'ME', zip: '04101', countryId: LOOKUP_ID.countryUs, phone: '+1 207 555 0160', fax: '+1 207 555 0161' },
      { name: 'Westbrook Clinic', address1: '310 Main Street', city: 'Westbrook', state: 'ME', zip: '04092', countryId: LOOKUP_ID.countryUs, phone: '+1 207 555 0170' },
      { name: 'Old Falmouth Site', address1: '12 Depot Road', city: 'Falmouth', state: 'ME', zip: '04105', countryId: LOOKUP_ID.countryUs, phone: '+1 207 555 0175', isActive: false },
    ],
    contacts: [
      { first: 'Maria', last: 'Garcia', title: 'Practice Manager', poc: true, emails: [['maria.garcia@contosodental.example.com', WORK]], phones: [['+1 207 555 0162', OFFICE], ['+1 207 555 4455', MOBILE]] },
      { first: 'Tom', last: "O'Brien", title: 'Dentist', emails: [['tom.obrien@contosodental.example.com', WORK]], phones: [['+1 207 555 0163', OFFICE]] },
      { first: 'Lena', last: 'Kowalski', title: 'Receptionist', location: 1, emails: [['lena.k@contosodental.example.com', WORK]], phones: [['+1 207 555 0171', OFFICE], ['+1 207 555 2233', HOME]] },
      { first: 'Sara', last: 'Lindqvist', title: 'Hygienist', location: 1, emails: [['sara.lindqvist@contosodental.example.com', WORK]], phones: [['+1 207 555 0172', OFFICE]] },
      { first: 'Omar', last: 'Haddad', title: 'Billing Specialist', emails: [['billing@contosodental.example.com', WORK], ['omar.haddad@mail.example.net', PERSONAL]], phones: [['+1 207 555 0164', OFFICE]] },
    ],
    assets: [
      { name: 'CD-SRV-PACS', category: 'Server', manufacturer: 'Dell', model: 'PowerEdge T550', serial: 'DT55PACS1', mac: '00:1A:2B:3C:5E:01', ip: '10.40.0.10', os: ['Windows', 'Windows Server 2022 Standard'], warrantyDays: 1200 },
      { name: 'CD-FW01', category: 'Firewall', manufacturer: 'Fortinet', model: 'FortiGate 40F', serial: 'FGT40FTK1811', mac: '00:09:0F:BB:20:01', ip: '10.40.0.1' },
      { name: 'CD-WS-RECEPTION', category: 'Workstation', manufacturer: 'Lenovo', model: 'ThinkCentre M70q', serial: 'MJ0GRCP1', mac: '6C:4B:90:12:34:56', ip: '10.41.0.21', os: ['Windows', 'Windows 11 Pro'], location: 1, contact: 2 },
      { name: 'CD-PRN-FRONT', category: 'Printer', manufacturer: 'HP', model: 'LaserJet Pro M404dn', serial: 'PHBBK12345', mac: '3C:52:82:AA:BB:CC', ip: '10.40.0.40' },
    ],
  },
  {
    name: 'Fabrikam Legal LLP',
    code: 'FABRIKAM',
    typeId: ACCOUNT_TYPE.client,
    website: 'https://fabrikamlegal.example.co.uk',
    locations: [
      { name: 'London Chambers', address1: '17 Fleet Street', city: 'London', state: 'Greater London', zip: 'EC4Y 1AA', countryId: LOOKUP_ID.countryUk, phone: '+44 20 7946 0100' },
    ],
    contacts: [
      { first: 'Oliver', last: 'Bennett', title: 'Managing Partner', poc: true, emails: [['o.bennett@fabrikamlegal.example.co.uk', WORK]], phones: [['+44 20 7946 0101', OFFICE], ['+44 7700 900123', MOBILE]] },
      { first: 'Priya', last: 'Sharma', title: 'Practice Administrator', emails: [['p.sharma@fabrikamlegal.example.co.uk', WORK]], phones: [['+44 20 7946 0102', OFFICE]] },
    ],
    assets: [
      { name: 'FL-M365-TENANT', category: 'Virtual Machine', manufacturer: 'Microsoft', model: 'Azure B2s', serial: 'AZ-VM-7731', mac: '00:0D:3A:11:22:33', ip: '10.60.1.4', os: ['Windows', 'Windows Server 2022 Datacenter'] },
      { name: 'FL-LT-OB', category: 'Laptop', manufacturer: 'Apple', model: 'MacBook Pro 14 M3', serial: 'C02ZK1Q2MD6T', mac: 'A4:83:E7:01:02:03', ip: null, os: ['macOS', 'macOS 14 Sonoma'], contact: 0 },
      { name: 'FL-LT-PS', category: 'Laptop', manufacturer: 'Dell', model: 'XPS 13 9340', serial: '9XPS134', mac: 'D4:81:D7:44:55:66', ip: null, os: ['Windows', 'Windows 11 Pro'], contact: 1 },
    ],
  },
  {
    name: 'Tailspin Toys',
    code: 'TAILSPIN',
    typeId: ACCOUNT_TYPE.client,
    website: null,
    locations: [
      { name: 'Factory', address1: '5 Kiln Lane', city: 'Hamilton', state: 'Waikato', zip: '3204', countryId: 108, phone: '+64 7 555 0190' },
      { name: 'Showroom', address1: '77 Queen Street', city: 'Auckland', state: 'Auckland', zip: '1010', countryId: 108, phone: '+64 9 555 0191' },
    ],
    contacts: [
      { first: 'Mere', last: 'Tawhiri', title: 'Operations Manager', poc: true, emails: [['mere@tailspintoys.example.nz', WORK]], phones: [['+64 7 555 0192', OFFICE]] },
      { first: 'Jack', last: 'Wilson', title: 'Showroom Supervisor', location: 1, emails: [['jack@tailspintoys.example.nz', WORK]], phones: [['+64 21 555 019', MOBILE]] },
      { first: 'Hannah', last: 'Cho', title: 'Designer', emails: [['hannah@tailspintoys.example.nz', WORK]], phones: [] },
    ],
    assets: [
      { name: 'TT-SRV01', category: 'Server', manufacturer: 'Lenovo', model: 'ThinkSystem ST250 V2', serial: 'J30ABCDE', mac: '08:94:EF:01:02:03', ip: '172.16.0.10', os: ['Linux', 'Ubuntu Server 22.04 LTS'] },
      { name: 'TT-SHOW-AP', category: 'Network Device', manufacturer: 'Ubiquiti', model: 'U6 Lite', serial: 'UBNT6LT0456', mac: '74:83:C2:44:55:66', ip: '172.16.1.2', location: 1 },
    ],
  },
  {
    name: 'Blue Yonder Airlines',
    code: 'BLUEYONDER',
    typeId: ACCOUNT_TYPE.prospect,
    website: 'https://blueyonder.example.com',
    description: 'Prospect: proposal sent in Q2.',
    locations: [
      { name: 'Airport Office', address1: '2 Terminal Drive', city: 'Denver', state: 'CO', zip: '80249', countryId: LOOKUP_ID.countryUs, phone: '+1 303 555 0110' },
    ],
    contacts: [
      { first: 'Grace', last: 'Holloway', title: 'CFO', poc: true, emails: [['grace.holloway@blueyonder.example.com', WORK]], phones: [['+1 303 555 0111', OFFICE]] },
      { first: 'Ian', last: 'Price', title: 'IT Manager', emails: [['ian.price@blueyonder.example.com', WORK]], phones: [['+1 303 555 0112', OFFICE], ['+1 303 555 8899', MOBILE]] },
    ],
    assets: [
      { name: 'BY-ASSESS-LT', category: 'Laptop', manufacturer: 'HP', model: 'EliteBook 840 G10', serial: '5CG3301XYZ', mac: 'F8:0D:AC:01:02:03', ip: null, os: ['Windows', 'Windows 11 Pro'] },
      { name: 'BY-ASSESS-PRN', category: 'Printer', manufacturer: 'Brother', model: 'MFC-L8900CDW', serial: 'E78012B9N', mac: '30:05:5C:11:22:33', ip: '10.90.0.50' },
    ],
  },
  {
    name: 'Adatum Supplies',
    code: 'ADATUM',
    typeId: ACCOUNT_TYPE.vendor,
    website: 'https://adatum.example.com',
    description: 'Hardware distributor.',
    locations: [
      { name: 'Distribution Centre', address1: '900 Logistics Parkway', city: 'Columbus', state: 'OH', zip: '43215', countryId: LOOKUP_ID.countryUs, phone: '+1 614 555 0130' },
    ],
    contacts: [
      { first: 'Ken', last: 'Yamada', title: 'Account Executive', poc: true, emails: [['ken.yamada@adatum.example.com', WORK]], phones: [['+1 614 555 0131', OFFICE], ['+1 614 555 7000', MOBILE]] },
      { first: 'Rita', last: 'Moreno', title: 'Returns Desk', emails: [['rma@adatum.example.com', WORK]], phones: [['+1 614 555 0132', OFFICE]] },
    ],
    assets: [
      { name: 'AD-DEMO-SW', category: 'Network Device', manufacturer: 'Cisco', model: 'Meraki MS120-8', serial: 'Q2AB-CDEF-GHIJ', mac: 'E0:55:3D:01:02:03', ip: null },
      { name: 'AD-LOANER-LT', category: 'Laptop', manufacturer: 'Lenovo', model: 'ThinkPad E14', serial: 'PF4LOAN1', mac: '8C:16:45:99:88:77', ip: null, os: ['Windows', 'Windows 11 Pro'], isActive: false },
    ],
  },
  {
    name: 'Litware Inc',
    code: 'LITWARE',
    typeId: ACCOUNT_TYPE.formerClient,
    isActive: false,
    website: 'https://litware.example.com',
    description: 'Contract ended 2023-12.',
    locations: [
      { name: 'Main Office', address1: '60 Elm Street', city: 'Boston', state: 'MA', zip: '02110', countryId: LOOKUP_ID.countryUs, phone: '+1 617 555 0150' },
      { name: 'Lab', address1: '14 Science Park', city: 'Cambridge', state: 'MA', zip: '02139', countryId: LOOKUP_ID.countryUs, phone: '+1 617 555 0155' },
    ],
    contacts: [
      { first: 'Paul', last: 'West', title: 'CEO', poc: true, isActive: false, emails: [['paul.west@litware.example.com', WORK]], phones: [['+1 617 555 0151', OFFICE]] },
      { first: 'Quinn', last: 'Rivera', title: 'Lab Manager', isActive: false, location: 1, emails: [['quinn.rivera@litware.example.com', WORK]], phones: [['+1 617 555 0156', OFFICE]] },
    ],
    assets: [
      { name: 'LW-SRV-LAB', category: 'Server', manufacturer: 'Dell', model: 'PowerEdge R740', serial: 'DLAB740', mac: '00:1A:2B:3C:6F:01', ip: '10.70.0.10', os: ['Linux', 'Rocky Linux 8'], isActive: false, location: 1 },
      { name: 'LW-FW01', category: 'Firewall', manufacturer: 'Fortinet', model: 'FortiGate 60E', serial: 'FGT60ETK1777', mac: '00:09:0F:CC:30:01', ip: '10.70.0.1', isActive: false },
    ],
  },
];

function categoryId(name: string): number {
  const row = LOOKUPS.assetCategory.find((r) => r.name === name);
  if (!row) throw new Error(`demo seed: unknown asset category ${name}`);
  return row.id;
}

function manufacturerId(name: string): number {
  const row = LOOKUPS.manufacturer.find((r) => r.name === name);
  if (!row) throw new Error(`demo seed: unknown manufacturer ${name}`);
  return row.id;
}

function demoAddress(l: DemoLocation): AddressFields {
  return {
    ...emptyAddressFields(),
    address1: l.address1,
    address2: l.address2 ?? null,
    city: l.city,
    state: l.state,
    zipCode: l.zip,
    countryId: l.countryId,
    phone: l.phone,
    fax: l.fax ?? null,
    isMain: true,
    isBilling: true,
    addressTypeId: 191,
  };
}

function seedDemo(store: Store): void {
  DEMO_ACCOUNTS.forEach((demo, n) => {
    const createdOn = Date.UTC(2024, 1, 1 + n * 3, 9, 0, 0);
    const modifiedOn = createdOn + (n + 1) * 7 * DAY;
    const account: AccountRow = {
      id: store.allocateId('account'),
      ...auditAt(createdOn, modifiedOn),
      parentId: null,
      accountCode: demo.code,
      accountTypeId: demo.typeId,
      accountName: demo.name,
      businessTypeId: LOOKUP_ID.businessTypeManaged,
      serviceTypeId: demo.typeId === ACCOUNT_TYPE.client ? 131 : null,
      accountManagerId: n % 2 === 0 ? EMPLOYEE_ID.accountManager : EMPLOYEE_ID.technician,
      currencyId: 141,
      creditLimit: demo.typeId === ACCOUNT_TYPE.client ? 10_000 : null,
      netDays: 30,
      salesTaxItemId: null,
      website: demo.website,
      description: demo.description ?? null,
      classId: 161,
      isActive: demo.isActive ?? true,
      isBilling: true,
      acquiredDate: demo.typeId === ACCOUNT_TYPE.prospect ? null : createdOn,
      routeInvoiceToParent: false,
      locationIds: [],
    };
    store.insertAccount(account);
    const locationIds = demo.locations.map((l, i) => {
      const stamp = createdOn + i * MINUTE;
      const address: AddressRow = { id: store.allocateId('address'), ...auditAt(stamp, stamp), ...demoAddress(l) };
      const loc: LocationRow = {
        id: store.allocateId('location'),
        ...auditAt(stamp, stamp),
        locationName: l.name,
        isMain: i === 0,
        isActive: l.isActive ?? true,
        accountId: account.id,
        timeZoneId: null,
        addresses: [address],
      };
      store.insertLocation(loc);
      return loc.id;
    });
    const contactIds = demo.contacts.map((c, i) => {
      const stamp = createdOn + (10 + i) * MINUTE;
      const edited = stamp + (i + 1) * DAY;
      const contact: ContactRow = {
        id: store.allocateId('contact'),
        ...auditAt(stamp, edited, EMPLOYEE_ID.accountManager, i % 2 === 0 ? EMPLOYEE_ID.accountManager : EMPLOYEE_ID.uiEditor),
        accountId: account.id,
        locationId: locationIds[c.location ?? 0] ?? locationIds[0] ?? 0,
        firstName: c.first,
        middleName: null,
        lastName: c.last,
        jobTitle: c.title,
        isPoc: c.poc ?? false,
        isActive: c.isActive ?? true,
        effectiveDate: null,
        billByContact: false,
        receiveInvoices: c.title.includes('Finance') || c.title.includes('Billing') || c.title === 'CFO',
        hasClientPortalAccess: c.poc ?? false,
        emails: c.emails.map(([emailAddress, emailTypeId], k) => ({
          id: store.allocateId('email'),
          ...auditAt(stamp, stamp),
          emailAddress,
          emailTypeId,
          isDefault: k === 0,
        })),
        phones: c.phones.map(([phone, phoneTypeId], k) => ({
          id: store.allocateId('phone'),
          ...auditAt(stamp, stamp),
          phone,
          phoneTypeId,
          isDefault: k === 0,
        })),
      };
      store.insertContact(contact);
      return contact.id;
    });
    demo.assets.forEach((a, i) => {
      const stamp = createdOn + (30 + i) * MINUTE;
      const fields: AssetFields = {
        ...emptyAssetFields(),
        name: a.name,
        accountId: account.id,
        accountLocationId: locationIds[a.location ?? 0] ?? 0,
        contactId: a.contact === undefined ? null : (contactIds[a.contact] ?? null),
        categoryId: categoryId(a.category),
        brandId: manufacturerId(a.manufacturer),
        manufacturerId: manufacturerId(a.manufacturer),
        serialNumber: a.serial,
        stateId: a.isActive === false ? LOOKUP_ID.stateRetired : LOOKUP_ID.stateInUse,
        businessImpactId: a.category === 'Server' || a.category === 'Firewall' ? 183 : 182,
        assetTag: a.tag ?? null,
        isActive: a.isActive ?? true,
        modelNumber: a.model,
        ipAddress: a.ip,
        subnetMask: a.ip === null ? null : '255.255.255.0',
        defaultGateway: a.ip === null ? null : a.ip.replace(/\.\d+$/, '.1'),
        dnsServers: a.ip === null ? null : `${a.ip.replace(/\.\d+$/, '.1')},1.1.1.1`,
        dhcpEnabled: a.ip !== null && !['Server', 'Firewall', 'Network Device', 'Storage'].includes(a.category),
        macAddress: a.mac,
        osType: a.os?.[0] ?? null,
        osInfo: a.os?.[1] ?? null,
        computerName: a.name,
        purchaseCost: a.category === 'Server' ? 6500 : a.category === 'Laptop' ? 1450 : 600,
        acquisitionDate: createdOn - 90 * DAY,
        warrantyExpirationDate: a.warrantyDays === undefined ? null : createdOn + a.warrantyDays * DAY,
      };
      store.insertAsset({ id: store.allocateId('asset'), ...auditAt(stamp, stamp + 2 * DAY, EMPLOYEE_ID.technician), ...fields });
    });
  });
}

// ---------------------------------------------------------------- generated

const ADJECTIVES = ['Bright', 'Silver', 'Granite', 'Blue', 'Swift', 'Harbor', 'Cedar', 'Summit', 'Maple', 'Golden', 'Iron', 'Coastal', 'Prairie', 'Northern', 'Red', 'Evergreen'];
const NOUNS = ['Ridge', 'Lake', 'Valley', 'Bridge', 'Forge', 'Field', 'Point', 'Grove', 'Peak', 'Bay', 'Creek', 'Mill', 'Stone', 'Harvest', 'Beacon', 'Falcon'];
const SUFFIXES = ['Consulting', 'Dental', 'Logistics', 'Legal', 'Manufacturing', 'Realty', 'Medical', 'Accounting', 'Foods', 'Engineering', 'Retail', 'Labs'];
const FIRST_NAMES = ['James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Aisha', 'Wei', 'Mateo', 'Fatima', 'Noah', 'Yuki', 'Liam', 'Zara'];
const LAST_NAMES = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Nguyen', 'Khan', 'Chen', 'Okafor'];
const TITLES = ['Office Manager', 'IT Coordinator', 'Owner', 'Accountant', 'Operations Lead', 'Receptionist', 'Director', 'Engineer'];
const STREETS = ['Main Street', 'Oak Avenue', 'Pine Road', 'Maple Drive', 'Cedar Lane', 'Elm Street', 'Park Boulevard', 'Lakeview Court'];
const CITIES: readonly (readonly [string, string, string])[] = [
  ['Austin', 'TX', '787'],
  ['Denver', 'CO', '802'],
  ['Portland', 'OR', '972'],
  ['Raleigh', 'NC', '276'],
  ['Madison', 'WI', '537'],
  ['Phoenix', 'AZ', '850'],
  ['Columbus', 'OH', '432'],
  ['Boise', 'ID', '837'],
];
const ASSET_PREFIX: Readonly<Record<string, string>> = {
  Workstation: 'WS',
  Laptop: 'LT',
  Server: 'SRV',
  'Network Device': 'NET',
  Printer: 'PRN',
  'Mobile Device': 'MOB',
  Firewall: 'FW',
  'Virtual Machine': 'VM',
  Storage: 'NAS',
};

function pick<T>(list: readonly T[], n: number): T {
  return list[n % list.length] as T;
}

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, '0').slice(-width);
}

/**
 * V8 keeps a concatenated string as a rope of its parts until something reads it; reading one
 * character flattens it, after which the garbage collector drops the rope. Generated rows keep flat
 * strings, which takes about a third of the memory at 100,000 accounts.
 */
function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

function generatedAccountType(n: number): { typeId: number; isActive: boolean } {
  if (n % 20 === 19) return { typeId: ACCOUNT_TYPE.formerClient, isActive: false };
  const r = n % 10;
  if (r === 7) return { typeId: ACCOUNT_TYPE.prospect, isActive: true };
  if (r === 8) return { typeId: ACCOUNT_TYPE.vendor, isActive: true };
  if (r === 9) return { typeId: ACCOUNT_TYPE.partner, isActive: true };
  return { typeId: ACCOUNT_TYPE.client, isActive: true };
}

function seedGenerated(store: Store, spec: GeneratedSeed): void {
  const locationsPer = Math.max(1, spec.locationsPerAccount);
  const categories = LOOKUPS.assetCategory;
  const manufacturers = LOOKUPS.manufacturer;
  for (let i = 0; i < spec.accounts; i++) {
    const id = store.allocateId('account');
    const n = id - ID_BASE.account;
    const h = hash32(id);
    const name = flat(`${pick(ADJECTIVES, h)} ${pick(NOUNS, h >>> 8)} ${pick(SUFFIXES, h >>> 16)} ${n}`);
    const domain = flat(`acct${n}.example.com`);
    const createdOn = SEED_EPOCH + n * MINUTE;
    const modifiedOn = createdOn + (h % 30) * DAY;
    const type = generatedAccountType(n);
    const account: AccountRow = {
      id,
      ...auditAt(createdOn, modifiedOn),
      parentId: null,
      accountCode: flat(`ACC${String(n).padStart(6, '0')}`),
      accountTypeId: type.typeId,
      accountName: name,
      businessTypeId: LOOKUP_ID.businessTypeManaged,
      serviceTypeId: null,
      accountManagerId: n % 2 === 0 ? EMPLOYEE_ID.accountManager : EMPLOYEE_ID.technician,
      currencyId: 141,
      creditLimit: null,
      netDays: 30,
      salesTaxItemId: null,
      website: flat(`https://${domain}`),
      description: null,
      classId: null,
      isActive: type.isActive,
      isBilling: true,
      acquiredDate: null,
      routeInvoiceToParent: false,
      locationIds: [],
    };
    store.insertAccount(account);
    for (let l = 0; l < locationsPer; l++) {
      const lid = store.allocateId('location');
      const lh = hash32(lid, 1);
      const city = pick(CITIES, lh);
      const address: AddressRow = {
        id: store.allocateId('address'),
        ...auditAt(createdOn, createdOn),
        ...emptyAddressFields(),
        address1: flat(`${100 + (lh % 900)} ${pick(STREETS, lh >>> 10)}`),
        city: city[0],
        state: city[1],
        zipCode: flat(`${city[2]}${String(lh % 100).padStart(2, '0')}`),
        countryId: LOOKUP_ID.countryUs,
        phone: flat(`+1 555 ${String(n % 1000).padStart(3, '0')} ${String(1000 + l).slice(-4)}`),
        isMain: true,
        isBilling: l === 0,
      };
      store.insertLocation({
        id: lid,
        ...auditAt(createdOn, createdOn),
        locationName: l === 0 ? 'Main Office' : flat(`Branch ${l + 1}`),
        isMain: l === 0,
        isActive: true,
        accountId: id,
        timeZoneId: null,
        addresses: [address],
      });
    }
    const mainLocationId = account.locationIds[0] ?? 0;
    let firstContactId: number | null = null;
    for (let c = 0; c < spec.contactsPerAccount; c++) {
      const cid = store.allocateId('contact');
      const ch = hash32(cid, 2);
      const first = pick(FIRST_NAMES, ch);
      const last = pick(LAST_NAMES, ch >>> 8);
      const stamp = createdOn + (c + 1) * 1000;
      store.insertContact({
        id: cid,
        ...auditAt(stamp, stamp + (ch % 20) * DAY),
        accountId: id,
        locationId: account.locationIds[c % account.locationIds.length] ?? mainLocationId,
        firstName: first,
        middleName: null,
        lastName: last,
        jobTitle: pick(TITLES, ch >>> 16),
        isPoc: c === 0,
        isActive: ch % 17 !== 0,
        effectiveDate: null,
        billByContact: false,
        receiveInvoices: c === 0,
        hasClientPortalAccess: c === 0,
        emails: [
          {
            id: store.allocateId('email'),
            ...auditAt(stamp, stamp),
            emailAddress: flat(`${first}.${last}${c === 0 ? '' : c + 1}@${domain}`.toLowerCase()),
            emailTypeId: LOOKUP_ID.emailWork,
            isDefault: true,
          },
        ],
        phones: [
          {
            id: store.allocateId('phone'),
            ...auditAt(stamp, stamp),
            phone: flat(`+1 555 ${String(cid % 1000).padStart(3, '0')} ${String(ch % 10_000).padStart(4, '0')}`),
            phoneTypeId: c % 3 === 1 ? LOOKUP_ID.phoneMobile : LOOKUP_ID.phoneOffice,
            isDefault: true,
          },
        ],
      });
      firstContactId ??= cid;
    }
    const assetCount = spec.assets === undefined ? spec.assetsPerAccount : shareOf(spec.assets, spec.accounts, i);
    for (let a = 0; a < assetCount; a++) {
      const aid = store.allocateId('asset');
      const ah = hash32(aid, 3);
      const category = pick(categories, ah);
      const manufacturer = pick(manufacturers, ah >>> 8);
      const stamp = createdOn + (a + 1) * 2000;
      const ip = flat(`10.${(n >>> 8) & 255}.${n & 255}.${10 + a}`);
      const row: AssetRow = {
        id: aid,
        ...auditAt(stamp, stamp + (ah % 40) * DAY, EMPLOYEE_ID.technician),
        ...emptyAssetFields(),
        name: flat(`${ASSET_PREFIX[category.name] ?? 'AST'}-${String(n).padStart(6, '0')}-${a + 1}`),
        accountId: id,
        accountLocationId: mainLocationId,
        contactId: a === 0 ? firstContactId : null,
        categoryId: category.id,
        brandId: manufacturer.id,
        manufacturerId: manufacturer.id,
        serialNumber: flat(`SN${hex(ah, 8)}`),
        stateId: ah % 11 === 0 ? LOOKUP_ID.stateRetired : LOOKUP_ID.stateInUse,
        isActive: ah % 11 !== 0,
        modelNumber: flat(`${manufacturer.name} ${category.name} ${100 + (ah % 900)}`),
        ipAddress: ip,
        subnetMask: '255.255.255.0',
        defaultGateway: flat(`10.${(n >>> 8) & 255}.${n & 255}.1`),
        macAddress: flat(`02:${hex(n >>> 16, 2)}:${hex(n >>> 8, 2)}:${hex(n, 2)}:${hex(a >>> 8, 2)}:${hex(a, 2)}`),
        osType: category.name === 'Printer' || category.name === 'Network Device' ? null : 'Windows',
        osInfo: category.name === 'Server' ? 'Windows Server 2022 Standard' : null,
        computerName: null,
      };
      store.insertAsset(row);
    }
  }
}
