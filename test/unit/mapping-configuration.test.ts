/** Configuration ↔ BMS hardware asset mapping, field by field, both directions. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BmsAsset } from '../../bms/types';
import { dotnetCamelCase, normalizeKeys } from '../../bms/wire';
import {
  ASSET_INPUT_FIELDS,
  assetInputFromOutput,
  assetSummaryToConfiguration,
  assetToConfiguration,
  type ConfigurationSynced,
  configurationAssetInput,
  configurationToAssetPost,
  configurationToAssetPut,
  dateFromBms,
  dateToBms,
  EMPTY_LOOKUPS,
  type Lookups,
  MappingError,
} from '../../domain/mapping';
import { checkRequest } from '../../simulator/contract';

const lookups: Lookups = {
  ...EMPTY_LOOKUPS,
  assetCategories: [
    { id: 21, name: 'Workstation' },
    { id: 23, name: 'Server' },
    { id: 27, name: 'Firewall' },
  ],
  manufacturers: [
    { id: 71, name: 'Dell' },
    { id: 72, name: 'HP' },
    { id: 75, name: 'Cisco' },
  ],
};

const vendor = JSON.parse(readFileSync(path.join(__dirname, '../../simulator/openapi/kaseya-bms-v2.json'), 'utf8')) as {
  components: { schemas: Record<string, { properties: Record<string, unknown> }> };
};

/** An output DTO as BMS sends it (camelCase), with every unmapped field set. */
function asset(overrides: Record<string, unknown> = {}): BmsAsset {
  return {
    id: 7000001,
    name: 'HF-DC01',
    accountId: 1001,
    accountName: 'Happy Frog Ltd',
    accountLocationId: 2000001,
    accountLocation: 'Head Office',
    contactId: 4000001,
    contactFirstName: 'Alice',
    contactLastName: 'Ng',
    categoryId: 23,
    category: 'Server',
    brandId: 71,
    brand: 'Dell',
    serialNumber: 'DL7Q2X3',
    businessImpactId: 182,
    businessImpact: 'Medium',
    stateId: 171,
    state: 'In Use',
    locationInfo: 'Rack 2, U14',
    description: 'Domain controller',
    barCode: 'BC-0001',
    assetTag: 'HF-0001',
    vendorId: 1007,
    webRemoteUrl: null,
    vendor: 'Adatum Supplies',
    isActive: true,
    modelNumber: 'PowerEdge R650',
    machineGroupId: 'hf.servers',
    ipAddress: '10.10.0.10',
    subnetMask: '255.255.255.0',
    defaultGateway: '10.10.0.1',
    dnsServers: '10.10.0.10,1.1.1.1',
    dhcpEnabled: true,
    dhcpServer: '10.10.0.1',
    winsEnabled: true,
    secondaryWinsServer: '10.10.0.12',
    connectionGatewayIp: '203.0.113.7',
    osType: 'Windows',
    osInfo: 'Windows Server 2022 Standard',
    majorVersion: '10',
    minorVersion: '0',
    macAddress: '00:1A:2B:3C:4D:01',
    loginName: 'admin',
    lastLoginname: 'alice',
    currentUser: 'alice',
    productName: 'PowerEdge',
    machineVersion: '1.2',
    motherboardManufacturerId: 71,
    motherboardManufacturer: 'Dell',
    motherboardProductCode: 'MB-1',
    motherboardSerialNumber: 'MBSN',
    motherboardVersion: 'A01',
    chassisAssetTag: 'CH-1',
    chassisManufacturerId: 71,
    chassisManufacturer: 'Dell',
    chassisSerialNumber: 'CHSN',
    chassisType: 'Rack',
    chassisVersion: '2',
    busSpeed: '100',
    manufacturerId: 71,
    manufacturer: 'Dell',
    maxMemorySize: '512GB',
    maxMemorySlots: '16',
    primaryWinsServer: '10.10.0.11',
    purchaseCost: 4321.5,
    warrantyExpirationDate: '2027-06-30T00:00:00',
    expirationDate: '2029-01-01T00:00:00',
    acquisitionDate: '2024-06-30T00:00:00.000',
    firstCheckIn: '2024-07-01T08:00:00',
    lastCheckIn: '2025-01-01T08:00:00',
    lastReboot: '2025-01-01T07:00:00',
    createdById: 502,
    createdBy: 'Jo Tech',
    modifiedById: 503,
    modifiedBy: 'Sam Taylor',
    createdOn: '2024-06-30T10:00:00.000',
    modifiedOn: '2025-01-02T10:00:00.000',
    contactEmailAddress: 'alice@example.com',
    contactPhoneNumber: null,
    agentId: 'agent-1',
    diskVolumes: [],
    integrationTypeId: null,
    statuses: [],
    ...overrides,
  };
}

function configuration(overrides: Partial<ConfigurationSynced> = {}): ConfigurationSynced {
  return {
    organizationId: 'org-1',
    locationId: null,
    contactId: null,
    name: 'NEW-SRV',
    type: 'Server',
    status: 'Active',
    serialNumber: 'SN1',
    assetTag: 'TAG1',
    macAddress: 'AA:BB:CC:DD:EE:FF',
    primaryIp: '10.0.0.5',
    defaultGateway: '10.0.0.1',
    manufacturer: 'HP',
    model: 'ProLiant',
    operatingSystem: 'Windows Server 2022',
    platform: 'Windows',
    position: 'Rack 1',
    purchasedAt: '2025-02-28',
    warrantyExpiresAt: '2028-02-29',
    notes: 'Notes here',
    ...overrides,
  };
}

function violations(method: 'POST' | 'PUT', body: unknown): string[] {
  const p = method === 'POST' ? '/v2/servicedesk/hardwareasset' : '/v2/servicedesk/hardwareasset/7000001';
  return checkRequest({ method, path: p, contentType: 'application/json', body }).map((v) => v.message);
}

function throwsMapping(fn: () => unknown, field: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof MappingError, `expected a MappingError, got ${String(err)}`);
    assert.equal(err.field, field);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('configuration ↔ hardware asset mapping', () => {
  describe('pull (asset → configuration)', () => {
    it('maps every synced field from its asset field', () => {
      const pulled = assetToConfiguration(asset(), lookups);
      assert.deepEqual(pulled.fields, {
        name: 'HF-DC01',
        type: 'Server',
        status: 'Active',
        serialNumber: 'DL7Q2X3',
        assetTag: 'HF-0001',
        macAddress: '00:1A:2B:3C:4D:01',
        primaryIp: '10.10.0.10',
        defaultGateway: '10.10.0.1',
        manufacturer: 'Dell',
        model: 'PowerEdge R650',
        operatingSystem: 'Windows Server 2022 Standard',
        platform: 'Windows',
        position: 'Rack 2, U14',
        purchasedAt: '2024-06-30',
        warrantyExpiresAt: '2027-06-30',
        notes: 'Domain controller',
      });
      assert.deepEqual(pulled.refs, { organizationId: 1001, locationId: 2000001, contactId: 4000001 });
    });

    it('maps isActive to the Active/Inactive status (missing reads as Active)', () => {
      assert.equal(assetToConfiguration(asset({ isActive: false }), lookups).fields.status, 'Inactive');
      assert.equal(assetToConfiguration(asset({ isActive: true }), lookups).fields.status, 'Active');
      assert.equal(assetToConfiguration(asset({ isActive: undefined }), lookups).fields.status, 'Active');
    });

    it('reads null, empty and whitespace-only values as null', () => {
      const blank = asset({
        serialNumber: null,
        assetTag: '',
        macAddress: '   ',
        ipAddress: undefined,
        defaultGateway: '\t',
        modelNumber: null,
        osInfo: '',
        osType: null,
        locationInfo: ' ',
        description: '',
        acquisitionDate: null,
        warrantyExpirationDate: '',
        contactId: null,
        manufacturer: null,
        manufacturerId: null,
      });
      const pulled = assetToConfiguration(blank, lookups);
      for (const field of ['serialNumber', 'assetTag', 'macAddress', 'primaryIp', 'defaultGateway', 'model', 'operatingSystem', 'platform', 'position', 'notes', 'purchasedAt', 'warrantyExpiresAt', 'manufacturer'] as const) {
        assert.equal(pulled.fields[field], null, field);
      }
      assert.equal(pulled.refs.contactId, null);
    });

    it('treats 0 and negative ids as no reference (searchselect shows a missing contact as 0)', () => {
      const pulled = assetToConfiguration(asset({ contactId: 0, accountLocationId: -1 }), lookups);
      assert.equal(pulled.refs.contactId, null);
      assert.equal(pulled.refs.locationId, null);
      const summary = assetSummaryToConfiguration({ id: 1, accountId: 1001, categoryId: 23, categoryName: 'Server', contactId: 0, isActive: false }, lookups);
      assert.deepEqual(summary.refs, { organizationId: 1001, contactId: null });
      assert.equal(summary.fields.status, 'Inactive');
    });

    it('takes the category and manufacturer names, falling back to the lookups by id, else null', () => {
      const byId = assetToConfiguration(asset({ category: null, categoryId: 27, manufacturer: undefined, manufacturerId: 75 }), lookups);
      assert.equal(byId.fields.type, 'Firewall');
      assert.equal(byId.fields.manufacturer, 'Cisco');
      const unknown = assetToConfiguration(asset({ category: null, categoryId: 999, manufacturer: null, manufacturerId: 999 }), lookups);
      assert.equal(unknown.fields.type, null, 'an unknown category has no type (so the asset does not sync)');
      assert.equal(unknown.fields.manufacturer, null);
      const named = assetToConfiguration(asset({ category: 'Custom Category', categoryId: 999 }), lookups);
      assert.equal(named.fields.type, 'Custom Category', 'the name BMS sends wins over the cached lookup');
    });

    it('maps a PascalCase answer, normalised by the client, exactly like the camelCase one', () => {
      const camel = asset();
      const pascal = Object.fromEntries(
        Object.entries(camel).map(([k, v]) => [k === 'dnsServers' ? 'DNSServers' : k === 'dhcpEnabled' ? 'DHCPEnabled' : k === 'dhcpServer' ? 'DHCPServer' : k[0]!.toUpperCase() + k.slice(1), v]),
      );
      assert.ok('DNSServers' in pascal && 'IpAddress' in pascal);
      const normalised = normalizeKeys(pascal) as BmsAsset;
      assert.deepEqual(assetToConfiguration(normalised, lookups), assetToConfiguration(camel, lookups));
      assert.deepEqual(assetInputFromOutput(normalised), assetInputFromOutput(camel));
      const input = assetInputFromOutput(normalised);
      assert.equal(input.DnsServers, '10.10.0.10,1.1.1.1');
      assert.equal(input.DhcpEnabled, true);
      assert.equal(input.DhcpServer, '10.10.0.1');
      assert.ok(!('DNSServers' in input) && !('DHCPEnabled' in input) && !('DHCPServer' in input), 'input names, not output names');
    });

    it('keeps huge and odd strings exactly as BMS holds them (no trimming, no truncation)', () => {
      const huge = 'x'.repeat(100_000);
      const odd = '  Ünïcødé 🖥️ "quoted" <b>&amp;</b>\n\tnull  ';
      const pulled = assetToConfiguration(asset({ description: huge, name: odd, serialNumber: 12345, assetTag: 'null' }), lookups);
      assert.equal(pulled.fields.notes, huge);
      assert.equal(pulled.fields.name, odd);
      assert.equal(pulled.fields.serialNumber, '12345', 'a number where text was expected reads as its text');
      assert.equal(pulled.fields.assetTag, 'null', "the string 'null' is a value, not a null");
    });
  });

  describe('dates', () => {
    it('reads the calendar date a BMS date-time names, with or without zone, time or separator', () => {
      const cases: Array<[unknown, string | null]> = [
        ['2025-03-04T00:00:00', '2025-03-04'],
        ['2025-03-04T00:00:00.000', '2025-03-04'],
        ['2025-03-04T00:00:00Z', '2025-03-04'],
        ['2025-03-04T00:00:00+05:30', '2025-03-04'],
        ['2025-03-04T23:30:00-08:00', '2025-03-04'],
        ['2025-03-04', '2025-03-04'],
        ['2025-03-04 10:00:00', '2025-03-04'],
        [' 2025-03-04T00:00:00 ', '2025-03-04'],
        ['2024-02-29T00:00:00', '2024-02-29'],
        ['2025-02-29T00:00:00', null],
        ['2025-13-01', null],
        ['0001-01-01T00:00:00', null],
        ['20250304', null],
        ['not a date', null],
        ['', null],
        [null, null],
        [undefined, null],
        [1741046400000, null],
      ];
      for (const [input, expected] of cases) assert.equal(dateFromBms(input), expected, JSON.stringify(input));
    });

    it('writes our YYYY-MM-DD as a zone-less BMS date-time, and refuses anything else', () => {
      assert.equal(dateToBms('2025-03-04', 'purchasedAt'), '2025-03-04T00:00:00');
      assert.equal(dateToBms(null, 'purchasedAt'), null);
      assert.equal(dateToBms('', 'purchasedAt'), null);
      throwsMapping(() => dateToBms('2025-02-30', 'warrantyExpiresAt'), 'warrantyExpiresAt');
      throwsMapping(() => dateToBms('04/03/2025', 'purchasedAt'), 'purchasedAt');
    });

    it('round-trips a date through BMS unchanged', () => {
      for (const date of ['2025-01-01', '2024-02-29', '1999-12-31']) {
        assert.equal(dateFromBms(dateToBms(date, 'purchasedAt')), date);
      }
    });
  });

  describe('push (configuration → asset input)', () => {
    it('maps each synced field to its HardwareAssetInputDto field', () => {
      assert.deepEqual(configurationAssetInput(configuration(), lookups), {
        Name: 'NEW-SRV',
        CategoryId: 23,
        IsActive: true,
        ManufacturerId: 72,
        SerialNumber: 'SN1',
        AssetTag: 'TAG1',
        MacAddress: 'AA:BB:CC:DD:EE:FF',
        IpAddress: '10.0.0.5',
        DefaultGateway: '10.0.0.1',
        ModelNumber: 'ProLiant',
        OsInfo: 'Windows Server 2022',
        OsType: 'Windows',
        LocationInfo: 'Rack 1',
        Description: 'Notes here',
        AcquisitionDate: '2025-02-28T00:00:00',
        WarrantyExpirationDate: '2028-02-29T00:00:00',
      });
    });

    it('maps only the fields given (an update sends what changed)', () => {
      assert.deepEqual(configurationAssetInput({ status: 'Inactive' }, lookups), { IsActive: false });
      assert.deepEqual(configurationAssetInput({ notes: null, purchasedAt: null }, lookups), { Description: null, AcquisitionDate: null });
      assert.deepEqual(configurationAssetInput({ serialNumber: '   ' }, lookups), { SerialNumber: null });
    });

    it('finds the category and manufacturer ids by name, ignoring case', () => {
      assert.deepEqual(configurationAssetInput({ type: 'firewall', manufacturer: 'cisco' }, lookups), { CategoryId: 27, ManufacturerId: 75 });
      assert.deepEqual(configurationAssetInput({ manufacturer: null }, lookups), { ManufacturerId: null });
      assert.deepEqual(configurationAssetInput({ manufacturer: '' }, lookups), { ManufacturerId: null });
    });

    it('refuses a type or manufacturer BMS does not know, and a missing name or type, naming the field', () => {
      throwsMapping(() => configurationAssetInput({ type: 'Toaster' }, lookups), 'type', /Type 'Toaster' does not exist in Kaseya BMS/);
      throwsMapping(() => configurationAssetInput({ type: null }, lookups), 'type', /needs a type/);
      throwsMapping(() => configurationAssetInput({ manufacturer: 'Acme' }, lookups), 'manufacturer', /Manufacturer 'Acme' does not exist in Kaseya BMS/);
      throwsMapping(() => configurationAssetInput({ name: '  ' }, lookups), 'name');
      throwsMapping(() => configurationToAssetPost(configuration({ name: null }), lookups, { accountId: 1, accountLocationId: 2, contactId: null }), 'name');
    });

    it('sends huge and odd strings as they are', () => {
      const huge = 'y'.repeat(70_000);
      const odd = 'Ünïcødé 🖥️ "q" \n\t';
      assert.deepEqual(configurationAssetInput({ notes: huge, name: odd }, lookups), { Name: odd, Description: huge });
    });

    it('builds a create body with the required fields that the vendor document accepts', () => {
      const body = configurationToAssetPost(configuration(), lookups, { accountId: 1001, accountLocationId: 2000001, contactId: null });
      assert.equal(body.Name, 'NEW-SRV');
      assert.equal(body.AccountId, 1001);
      assert.equal(body.AccountLocationId, 2000001);
      assert.equal(body.CategoryId, 23);
      assert.equal(body.ContactId, null);
      assert.deepEqual(violations('POST', body), []);
    });

    it('builds a full-replace PUT that resends every input field BMS holds and overlays only what changed', () => {
      const current = asset();
      const body = configurationToAssetPut(current, { name: 'HF-DC01-renamed', purchasedAt: '2024-07-01', manufacturer: 'HP' }, lookups);
      const untouched = assetInputFromOutput(current);
      for (const [input] of ASSET_INPUT_FIELDS) {
        if (input === 'ComputerName') continue;
        if (['Name', 'AcquisitionDate', 'ManufacturerId'].includes(input)) continue;
        assert.deepEqual(body[input], untouched[input], `${input} is sent back as BMS holds it`);
      }
      assert.equal(body.Name, 'HF-DC01-renamed');
      assert.equal(body.AcquisitionDate, '2024-07-01T00:00:00');
      assert.equal(body.ManufacturerId, 72);
      assert.equal(body.BrandId, 71, 'BrandId is not mapped and keeps its value');
      assert.equal(body.PurchaseCost, 4321.5);
      assert.equal(body.StateId, 171);
      assert.equal(body.WinsEnabled, true);
      assert.ok(!('ComputerName' in body), 'ComputerName is input-only: never invented, never nulled');
      assert.deepEqual(violations('PUT', body), []);
    });

    it('changes references only when told to', () => {
      const kept = configurationToAssetPut(asset(), { notes: 'x' }, lookups);
      assert.equal(kept.AccountId, 1001);
      assert.equal(kept.AccountLocationId, 2000001);
      assert.equal(kept.ContactId, 4000001);
      const moved = configurationToAssetPut(asset(), {}, lookups, { accountId: 1002, accountLocationId: 2000009, contactId: null });
      assert.equal(moved.AccountId, 1002);
      assert.equal(moved.AccountLocationId, 2000009);
      assert.equal(moved.ContactId, null);
    });

    it('sends null, not an omission, for unmapped fields BMS holds as null or leaves out', () => {
      const sparse: BmsAsset = { id: 7000002, name: 'Sparse', accountId: 1001, accountLocationId: 2000001, categoryId: 21, isActive: true };
      const body = configurationToAssetPut(sparse, {}, lookups);
      assert.equal(body.SubnetMask, null);
      assert.equal(body.DhcpEnabled, null);
      assert.equal(Object.keys(body).length, ASSET_INPUT_FIELDS.length - 1);
      assert.deepEqual(violations('PUT', body), []);
    });
  });

  describe('the input field table', () => {
    it('lists exactly the vendor document’s HardwareAssetInputDto fields, each read from an output field', () => {
      const input = Object.keys(vendor.components.schemas.HardwareAssetInputDto!.properties);
      assert.deepEqual(ASSET_INPUT_FIELDS.map(([name]) => name).sort(), [...input].sort());
      const output = new Set(Object.keys(vendor.components.schemas.HardwareAssetOutputDto!.properties).map(dotnetCamelCase));
      for (const [name, key] of ASSET_INPUT_FIELDS) {
        if (key === null) {
          assert.equal(name, 'ComputerName', 'only ComputerName has no output');
          assert.ok(![...output].includes('computerName'));
        } else assert.ok(output.has(key), `${name} is read from output ${key}`);
      }
    });
  });
});
