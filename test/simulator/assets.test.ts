import assert from 'node:assert/strict';
import { asUtcMs, type Dto, envelope, useSimulator } from './helpers';

const NEW_ASSET = {
  Name: 'HF-LT-NEW',
  AccountId: 1001,
  AccountLocationId: 2000001,
  CategoryId: 22,
  ManufacturerId: 73,
  SerialNumber: 'PF9NEW01',
  IpAddress: '10.10.0.77',
  MacAddress: 'AA:BB:CC:DD:EE:FF',
  DnsServers: '10.10.0.1',
  DhcpEnabled: true,
  DhcpServer: '10.10.0.1',
  WarrantyExpirationDate: '2027-01-31T00:00:00',
  ComputerName: 'HF-LT-NEW',
};

describe('simulator: hardware assets', () => {
  const bms = useSimulator();

  it('searchselect pages without totalRecords; the client pages until a short page', async () => {
    const seen: Dto[] = [];
    for (let page = 1; ; page++) {
      const res = await bms.client.get('/v2/servicedesk/hardwareasset/searchselect', { PageSize: 10, PageNumber: page });
      const env = envelope<Dto[]>(res);
      assert.deepEqual(Object.keys(env), ['success', 'error', 'result']);
      seen.push(...env.result);
      if (env.result.length < 10) break;
    }
    assert.equal(seen.length, 26);
    assert.deepEqual(Object.keys(seen[0]!), [
      'id',
      'categoryName',
      'categoryId',
      'locationName',
      'assetName',
      'serialNumber',
      'machineGroupId',
      'ipAddress',
      'contactId',
      'contactName',
      'accountId',
      'accountName',
      'isActive',
    ]);
  });

  it('filters by CSV category ids, account, active flag and name; refuses a modified filter', async () => {
    const servers = await bms.client.result<Dto[]>(bms.client.get('/v2/servicedesk/hardwareasset/searchselect', { 'Filter.CategoryIds': '23, 27' }));
    assert.ok(servers.length > 0 && servers.every((a) => a.categoryName === 'Server' || a.categoryName === 'Firewall'));
    const mine = await bms.client.result<Dto[]>(
      bms.client.get('/v2/servicedesk/hardwareasset/searchselect', { 'Filter.AccountId': 1001, 'Filter.IsActive': true }),
    );
    assert.equal(mine.length, 4);
    const byName = await bms.client.result<Dto[]>(bms.client.get('/v2/servicedesk/hardwareasset/searchselect', { 'Filter.AssetName': 'fw01' }));
    assert.equal(byName.length, 3);
    const badCsv = await bms.client.get('/v2/servicedesk/hardwareasset/searchselect', { 'Filter.CategoryIds': '23;27' });
    assert.equal(badCsv.status, 400);
    const modified = await bms.client.get('/v2/servicedesk/hardwareasset/searchselect', { 'Filter.ModifiedOnFrom': '2024-01-01' });
    assert.equal(modified.status, 400);
    assert.match(envelope(modified).error?.message ?? '', /Filter.ModifiedOnFrom is not declared/);
  });

  it('GET answers HardwareAssetOutputDto with .NET camelCase names (dnsServers, dhcpEnabled, ipAddress)', async () => {
    const asset = await bms.client.result(bms.client.get('/v2/servicedesk/hardwareasset/7000001'));
    assert.equal(asset.name, 'HF-DC01');
    assert.equal(asset.category, 'Server');
    assert.equal(asset.manufacturer, 'Dell');
    assert.equal(asset.accountLocation, 'Head Office');
    for (const key of ['dnsServers', 'dhcpEnabled', 'dhcpServer', 'ipAddress', 'macAddress', 'lastLoginname', 'createdById']) {
      assert.ok(key in asset, `${key} is present`);
    }
    for (const key of ['DNSServers', 'dNSServers', 'iPAddress', 'computerName']) assert.equal(key in asset, false, `${key} is absent`);
    assert.equal(typeof asset.createdBy, 'string', 'asset audit names are strings');
  });

  it('creates an asset; required fields are named when missing or wrong', async () => {
    const created = await bms.client.result(bms.client.post('/v2/servicedesk/hardwareasset', NEW_ASSET));
    assert.equal(created.name, 'HF-LT-NEW');
    assert.equal(created.category, 'Laptop');
    assert.equal(created.dnsServers, '10.10.0.1');
    assert.equal(created.dhcpEnabled, true);
    assert.equal(created.warrantyExpirationDate, '2027-01-31T00:00:00.000');
    assert.equal(created.isActive, true);

    const { Name: _n, ...noName } = NEW_ASSET;
    const missing = await bms.client.post('/v2/servicedesk/hardwareasset', noName);
    assert.match(envelope(missing).error?.message ?? '', /body\/Name is required/);
    const zero = await bms.client.post('/v2/servicedesk/hardwareasset', { ...NEW_ASSET, CategoryId: 0 });
    assert.match(envelope(zero).error?.message ?? '', /body\/CategoryId must be >= 1/);
    const unknownCategory = await bms.client.post('/v2/servicedesk/hardwareasset', { ...NEW_ASSET, CategoryId: 999 });
    assert.deepEqual(envelope(unknownCategory).error?.subErrors, ['CategoryId']);
    const foreignLocation = await bms.client.post('/v2/servicedesk/hardwareasset', { ...NEW_ASSET, AccountLocationId: 2000003 });
    assert.deepEqual(envelope(foreignLocation).error?.subErrors, ['AccountLocationId']);
    const outputName = await bms.client.post('/v2/servicedesk/hardwareasset', { ...NEW_ASSET, DNSServers: 'x', DnsServers: undefined });
    assert.equal(outputName.status, 200, 'DNSServers matches DnsServers case-insensitively');
  });

  it('PUT replaces every input field (left-out fields become null) and bumps modifiedOn', async () => {
    const before = await bms.client.result(bms.client.get('/v2/servicedesk/hardwareasset/7000001'));
    const updated = await bms.client.result(
      bms.client.put('/v2/servicedesk/hardwareasset/7000001', { Name: 'HF-DC01', AccountId: 1001, AccountLocationId: 2000001, CategoryId: 23, SerialNumber: 'NEW-SN' }),
    );
    assert.equal(updated.serialNumber, 'NEW-SN');
    assert.equal(updated.ipAddress, null);
    assert.equal(updated.manufacturerId, null);
    assert.equal(updated.isActive, true);
    assert.equal(updated.modifiedById, 501);
    assert.ok(asUtcMs(updated.modifiedOn) > asUtcMs(before.modifiedOn));
  });

  it('DELETE answers 200 with no body', async () => {
    const res = await bms.client.delete('/v2/servicedesk/hardwareasset/7000002');
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    assert.equal((await bms.client.get('/v2/servicedesk/hardwareasset/7000002')).status, 404);
    assert.equal((await bms.admin.get('/assets/7000002')).status, 404);
  });
});
