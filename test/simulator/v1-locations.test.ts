import assert from 'node:assert/strict';
import { asUtcMs, BmsTestClient, type Dto, envelope, useSimulator } from './helpers';

interface V1Envelope<T = unknown> {
  ResponseCode: number;
  Status: string;
  Error: string;
  Result: T;
  TotalRecords?: number;
}

function v1<T = Dto>(body: unknown): V1Envelope<T> {
  return body as V1Envelope<T>;
}

describe('simulator: V1 locations', () => {
  const bms = useSimulator();
  let v1Client: BmsTestClient;

  before(async () => {
    v1Client = await new BmsTestClient(bms.sim.url).loginV1();
  });

  it('lists an account\'s locations in the V1 envelope, PascalCase, with OData $filter/$top', async () => {
    const res = await v1Client.get('/api/crm/accounts/1003/locations');
    assert.equal(res.status, 200);
    const env = v1<Dto[]>(res.body);
    assert.equal(env.ResponseCode, 0);
    assert.equal(env.Status, 'OK');
    assert.equal(env.Error, 'None');
    assert.equal(env.TotalRecords, 3);
    assert.deepEqual(
      env.Result.map((l) => l.LocationName),
      ['Main Practice', 'Westbrook Clinic', 'Old Falmouth Site'],
    );
    const main = v1<Dto[]>((await v1Client.get('/api/crm/accounts/1003/locations', { $filter: 'IsMain eq true', $top: 1 })).body);
    assert.deepEqual(
      main.Result.map((l) => l.LocationName),
      ['Main Practice'],
    );
  });

  it('creates a location, bumping the account\'s modifiedOn so an incremental V2 pull sees it', async () => {
    const accountBefore = await bms.client.result(bms.client.get('/v2/crm/accounts/summary/1004'));
    const res = await v1Client.post('/api/crm/locations', {
      AccountId: 1004,
      LocationName: 'Manchester Office',
      IsMain: true,
      Addresses: [{ Address1: '1 Piccadilly', City: 'Manchester', State: 'Greater Manchester', ZipCode: 'M1 1AA', CountryId: 103, Phone: '+44 161 555 0100', IsMain: true }],
    });
    assert.equal(res.status, 200, res.text);
    const created = v1(res.body).Result;
    assert.equal(created.LocationName, 'Manchester Office');
    assert.equal(created.IsMain, true);

    const account = await bms.client.result(bms.client.get('/v2/crm/accounts/summary/1004'));
    assert.ok(asUtcMs(account.modifiedOn) > asUtcMs(accountBefore.modifiedOn));
    const locations = account.locations as Dto[];
    assert.deepEqual(
      locations.map((l) => [l.locationName, l.isMain]),
      [
        ['London Chambers', false],
        ['Manchester Office', true],
      ],
      'the new main location clears the old one',
    );

    const pulled = envelope<Dto[]>(await bms.client.get('/v2/crm/accounts/summary', { 'Filter.ModifiedOnFrom': String(account.modifiedOn) }));
    assert.deepEqual(
      pulled.result.map((a) => a.id),
      [1004],
    );
  });

  it('PUT replaces the location\'s fields and its main address, and bumps location, address and account', async () => {
    const before = v1((await v1Client.get('/api/crm/locations/2000001')).body).Result;
    const accountBefore = await bms.client.result(bms.client.get('/v2/crm/accounts/summary/1001'));
    const res = await v1Client.put('/api/crm/locations/2000001', {
      AccountId: 1001,
      LocationName: 'Head Office (moved)',
      Addresses: [{ Address1: '2 New Street', City: 'Austin', State: 'TX', ZipCode: '78702', CountryId: 101, IsMain: true }],
    });
    assert.equal(res.status, 200, res.text);
    const after = v1(res.body).Result;
    assert.equal(after.LocationName, 'Head Office (moved)');
    assert.equal(after.IsMain, true, 'IsMain left out keeps its value');
    const address = (after.Addresses as Dto[])[0]!;
    assert.equal(address.Address1, '2 New Street');
    assert.equal(address.Address2, null, 'the main address is replaced, not merged');
    assert.ok(asUtcMs(after.ModifiedOn) > asUtcMs(before.ModifiedOn));
    assert.ok(asUtcMs(address.ModifiedOn) > asUtcMs((before.Addresses as Dto[])[0]!.ModifiedOn));
    const account = await bms.client.result(bms.client.get('/v2/crm/accounts/summary/1001'));
    assert.ok(asUtcMs(account.modifiedOn) > asUtcMs(accountBefore.modifiedOn));
    assert.equal(account.modifiedOn, after.ModifiedOn);
  });

  it('answers errors as HTTP 4xx with the V1 error envelope', async () => {
    const missing = await v1Client.post('/api/crm/locations', { AccountId: 1001 });
    assert.equal(missing.status, 400);
    const env = v1(missing.body);
    assert.notEqual(env.ResponseCode, 0);
    assert.equal(env.Status, 'Error');
    assert.match(env.Error, /body\/LocationName is required/);
    assert.equal(env.Result, null);

    const unknownAccount = await v1Client.post('/api/crm/locations', { AccountId: 99, LocationName: 'X' });
    assert.equal(unknownAccount.status, 400);
    const notFound = await v1Client.get('/api/crm/locations/1');
    assert.equal(notFound.status, 404);
    assert.equal(v1(notFound.body).Status, 'Error');
    const moved = await v1Client.put('/api/crm/locations/2000001', { AccountId: 1002, LocationName: 'X' });
    assert.equal(moved.status, 400);
    const undeclared = await v1Client.post('/api/crm/locations', { AccountId: 1001, LocationName: 'X', Notes: 'n' });
    assert.match(v1(undeclared.body).Error, /body\/Notes is not a declared property/);
  });

  it('deletes a location not in use; refuses one that contacts or assets use', async () => {
    const created = v1(
      (await v1Client.post('/api/crm/locations', { AccountId: 1005, LocationName: 'Pop-up Store', Addresses: [] })).body,
    ).Result;
    const res = await v1Client.delete(`/api/crm/locations/${String(created.Id)}`);
    assert.equal(res.status, 200);
    assert.equal(v1(res.body).ResponseCode, 0);
    assert.equal((await bms.admin.get(`/locations/${String(created.Id)}`)).status, 404);
    const inUse = await v1Client.delete('/api/crm/locations/2000002');
    assert.equal(inUse.status, 400);
    assert.match(v1(inUse.body).Error, /in use/);
  });

  it('answers with the address flat on the location when v1LocationShape is flat, in every V1 answer', async () => {
    assert.equal((await bms.admin.put('/config', { v1LocationShape: 'flat' })).status, 200);
    try {
      const list = v1<Dto[]>((await v1Client.get('/api/crm/accounts/1003/locations')).body).Result;
      const main = list.find((l) => l.LocationName === 'Main Practice')!;
      const nested = await bms.admin.json(bms.admin.get(`/locations/${String(main.Id)}`));
      const address = (nested.addresses as Dto[]).find((a) => a.isMain)!;
      assert.equal('Addresses' in main, false);
      assert.equal(main.Address1, address.address1);
      assert.equal(main.City, address.city);
      assert.equal(main.ZipCode, address.zipCode);
      assert.equal(main.CountryId, address.countryId);
      const created = v1((await v1Client.post('/api/crm/locations', {
        AccountId: 1004,
        LocationName: 'Flat Answer Office',
        Addresses: [{ Address1: '2 Flat Street', City: 'Leeds', IsMain: true }],
      })).body).Result;
      assert.equal(created.Address1, '2 Flat Street');
      assert.equal('Addresses' in created, false);
      const read = v1((await v1Client.get(`/api/crm/locations/${String(created.Id)}`)).body).Result;
      assert.equal(read.City, 'Leeds');
      const updated = v1((await v1Client.put(`/api/crm/locations/${String(created.Id)}`, {
        AccountId: 1004,
        LocationName: 'Flat Answer Office',
        Addresses: [{ Address1: '3 Flat Street', City: 'Leeds', IsMain: true }],
      })).body).Result;
      assert.equal(updated.Address1, '3 Flat Street');
      assert.equal((await bms.admin.put('/config', { v1LocationShape: 'sideways' })).status, 400);
    } finally {
      await bms.admin.put('/config', { v1LocationShape: 'nested' });
    }
    const back = v1<Dto[]>((await v1Client.get('/api/crm/accounts/1003/locations')).body).Result;
    assert.ok(Array.isArray(back[0]!.Addresses));
  });
});
