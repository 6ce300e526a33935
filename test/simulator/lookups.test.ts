import assert from 'node:assert/strict';
import { LOOKUP_TABLE } from '../../simulator/lookups';
import { type Dto, useSimulator } from './helpers';

describe('simulator: lookups', () => {
  const bms = useSimulator();

  it('serves the account types', async () => {
    const types = await bms.client.result<Dto[]>(bms.client.get('/v2/system/accounttypes/lookup'));
    assert.deepEqual(
      types.map((t) => t.name),
      ['Client', 'Prospect', 'Vendor', 'Partner', 'Former Client', 'Competitor', 'Unknown'],
    );
    assert.deepEqual(types[0], { id: 1, name: 'Client', isActive: true, isClient: true, isVendor: false });
  });

  it('serves system lookup tables by case-insensitive name; an unknown table is an empty list', async () => {
    for (const name of Object.values(LOOKUP_TABLE)) {
      const rows = await bms.client.result<Dto[]>(bms.client.get(`/v2/system/lookup/${name.toLowerCase()}`));
      assert.ok(rows.length > 0, `${name} has rows`);
    }
    const categories = await bms.client.result<Dto[]>(bms.client.get('/v2/system/lookup/AssetCategory'));
    for (const name of ['Workstation', 'Laptop', 'Server', 'Network Device', 'Printer', 'Mobile Device']) {
      assert.ok(categories.some((c) => c.name === name), name);
    }
    const emailTypes = await bms.client.result<Dto[]>(bms.client.get('/v2/system/lookup/EmailType'));
    assert.deepEqual(
      emailTypes.map((t) => [t.name, t.isDefault]),
      [
        ['Work', true],
        ['Personal', false],
        ['Other', false],
      ],
    );
    const phoneTypes = await bms.client.result<Dto[]>(bms.client.get('/v2/system/lookup/PHONETYPE'));
    assert.deepEqual(
      phoneTypes.map((t) => t.name),
      ['Office', 'Mobile', 'Home', 'Fax'],
    );
    assert.deepEqual(await bms.client.result(bms.client.get('/v2/system/lookup/NoSuchTable')), []);
  });

  it('serves empty tenant lookups, ticket statuses and the MSP\'s own locations', async () => {
    assert.deepEqual(await bms.client.result(bms.client.get('/v2/system/tenantlookup/AssetStatus')), []);
    const statuses = await bms.client.result<Dto[]>(bms.client.get('/v2/system/statuses/lookup'));
    assert.ok(statuses.length >= 3);
    const own = await bms.client.result<Dto[]>(bms.client.get('/v2/system/locations/lookup'));
    assert.equal(own[0]?.isMain, true);
  });
});
