import assert from 'node:assert/strict';
import { asUtcMs, type Dto, envelope, list, useSimulator, ZONELESS_TIMESTAMP } from './helpers';

const NEW_ACCOUNT = {
  AccountName: 'Happy Frog Ltd',
  AccountCode: 'HF2',
  AccountTypeId: 1,
  BusinessTypeId: 11,
  AccountManagerId: 502,
  IsActive: true,
  Locations: [
    {
      LocationName: 'HQ',
      IsMain: true,
      IsActive: true,
      Addresses: [{ Address1: '1 Main St', City: 'Austin', State: 'TX', ZipCode: '78701', CountryId: 101, Phone: '5125550100', IsMain: true }],
    },
    { LocationName: 'Depot', Addresses: [] },
  ],
};

describe('simulator: accounts', () => {
  const bms = useSimulator({ rateLimit: null }, { login: false });

  /** A reset also drops every token, so each reset is followed by a fresh login. */
  async function reset(seed: unknown): Promise<void> {
    const res = await bms.admin.post('/reset', { seed });
    assert.equal(res.status, 200, res.text);
    await bms.client.login();
  }

  describe('listing', () => {
    before(async () => {
      await reset({ accounts: 250, contactsPerAccount: 0, assetsPerAccount: 0, locationsPerAccount: 2 });
    });

    it('wraps results in the camelCase envelope with totalRecords, zone-less timestamps, locations and addresses', async () => {
      const res = await bms.client.get('/v2/crm/accounts/summary', { PageSize: 2, PageNumber: 1 });
      assert.equal(res.status, 200);
      const env = envelope<Dto[]>(res);
      assert.deepEqual(Object.keys(env), ['success', 'error', 'result', 'totalRecords']);
      assert.equal(env.totalRecords, 250);
      const first = env.result[0]!;
      assert.equal(typeof first.accountName, 'string');
      assert.match(String(first.modifiedOn), ZONELESS_TIMESTAMP);
      const locations = list(first.locations);
      assert.equal(locations.length, 2);
      assert.equal(list(locations[0]!.addresses).length, 1);
      assert.equal(locations.filter((l) => l.isMain === true).length, 1);
    });

    it('pages 1-based by id, with a short last page and an empty page past the end', async () => {
      const seen: number[] = [];
      for (let page = 1; page <= 4; page++) {
        const env = envelope<Dto[]>(await bms.client.get('/v2/crm/accounts/summary', { PageSize: 100, PageNumber: page }));
        assert.equal(env.totalRecords, 250);
        assert.equal(env.result.length, [100, 100, 50, 0][page - 1]);
        seen.push(...env.result.map((a) => a.id as number));
      }
      assert.equal(new Set(seen).size, 250);
      assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
    });

    it('defaults PageSize to 50, clamps it to maxPageSize, refuses PageNumber < 1', async () => {
      assert.equal(envelope<Dto[]>(await bms.client.get('/v2/crm/accounts/summary')).result.length, 50);
      assert.equal(envelope<Dto[]>(await bms.client.get('/v2/crm/accounts/summary', { PageSize: 500 })).result.length, 100);
      const zero = await bms.client.get('/v2/crm/accounts/summary', { PageNumber: 0 });
      assert.equal(zero.status, 400);
      assert.match(envelope(zero).error?.message ?? '', /PageNumber/);
    });

    it('accepts and ignores Sort and Exclude', async () => {
      const res = await bms.client.get('/v2/crm/accounts/summary', { Sort: 'AccountName desc', Exclude: 'Locations', PageSize: 3 });
      assert.equal(res.status, 200);
      assert.deepEqual(
        envelope<Dto[]>(res).result.map((a) => a.id),
        [1001, 1002, 1003],
      );
    });

    it('filters by Filter.IsActive, Filter.AccountTypeId, Filter.AccountTypeName and Filter.AccountName (contains)', async () => {
      const inactive = envelope<Dto[]>(await bms.client.get('/v2/crm/accounts/summary', { 'Filter.IsActive': false, PageSize: 100 }));
      assert.ok((inactive.totalRecords ?? 0) > 0);
      assert.ok(inactive.result.every((a) => a.isActive === false));
      const vendors = envelope<Dto[]>(await bms.client.get('/v2/crm/accounts/summary', { 'Filter.AccountTypeId': 3, PageSize: 100 }));
      assert.ok(vendors.result.length > 0 && vendors.result.every((a) => a.accountType === 'Vendor'));
      const byName = envelope<Dto[]>(await bms.client.get('/v2/crm/accounts/summary', { 'Filter.AccountTypeName': 'vendor', PageSize: 100 }));
      assert.equal(byName.totalRecords, vendors.totalRecords);
      const some = envelope<Dto[]>(await bms.client.get('/v2/crm/accounts/summary', { 'Filter.AccountName': ' 12', PageSize: 100 }));
      assert.ok(some.result.length > 0 && some.result.every((a) => String(a.accountName).includes(' 12')));
    });
  });

  describe('Filter.ModifiedOnFrom / To', () => {
    let changedId: number;
    let changedAt: string;

    before(async () => {
      await reset('demo');
      const accounts = await bms.admin.json<Dto[]>(bms.admin.get('/accounts'));
      changedId = accounts[2]!.id as number;
      const changed = await bms.admin.json(bms.admin.patch(`/accounts/${changedId}`, { description: 'edited in the BMS UI' }));
      changedAt = String(changed.modifiedOn);
    });

    it('returns only accounts modified at or after a zone-less UTC time (inclusive)', async () => {
      const env = envelope<Dto[]>(await bms.client.get('/v2/crm/accounts/summary', { 'Filter.ModifiedOnFrom': changedAt }));
      assert.deepEqual(
        env.result.map((a) => a.id),
        [changedId],
      );
      assert.equal(env.totalRecords, 1);
      assert.equal(env.result[0]!.modifiedBy, 503, 'a UI edit is made by the UI user');
    });

    it('reads a value with a zone offset as that instant', async () => {
      const at = new Date(asUtcMs(changedAt) - 1);
      const local = new Date(at.getTime() + 2 * 3600_000).toISOString().slice(0, 23);
      const env = envelope<Dto[]>(await bms.client.get('/v2/crm/accounts/summary', { 'Filter.ModifiedOnFrom': `${local}+02:00` }));
      assert.deepEqual(
        env.result.map((a) => a.id),
        [changedId],
      );
      const withZ = envelope<Dto[]>(await bms.client.get('/v2/crm/accounts/summary', { 'Filter.ModifiedOnFrom': `${changedAt}Z` }));
      assert.equal(withZ.totalRecords, 1);
    });

    it('filters by Filter.CreatedOnFrom / To (date-only values are midnight UTC)', async () => {
      const env = envelope<Dto[]>(
        await bms.client.get('/v2/crm/accounts/summary', { 'Filter.CreatedOnFrom': '2024-02-04', 'Filter.CreatedOnTo': '2024-02-07T09:00:00' }),
      );
      assert.deepEqual(
        env.result.map((a) => a.createdOn),
        ['2024-02-04T09:00:00.000', '2024-02-07T09:00:00.000'],
      );
    });

    it('excludes later changes with Filter.ModifiedOnTo and refuses a malformed date', async () => {
      const before = new Date(asUtcMs(changedAt) - 1).toISOString().slice(0, 23);
      const env = envelope<Dto[]>(await bms.client.get('/v2/crm/accounts/summary', { 'Filter.ModifiedOnTo': before, PageSize: 100 }));
      assert.equal(env.totalRecords, 7);
      const bad = await bms.client.get('/v2/crm/accounts/summary', { 'Filter.ModifiedOnFrom': 'yesterday' });
      assert.equal(bad.status, 400);
    });
  });

  describe('lookup and single records', () => {
    before(async () => {
      await reset('demo');
    });

    it('GET summary/{id} is wrapped; a missing id is 404 in the envelope', async () => {
      const one = await bms.client.result(bms.client.get('/v2/crm/accounts/summary/1001'));
      assert.equal(one.accountName, 'Happy Frog Ltd');
      const missing = await bms.client.get('/v2/crm/accounts/summary/999999');
      assert.equal(missing.status, 404);
      assert.equal(envelope(missing).success, false);
    });

    it('lookup matches Filter.Name exactly (case-insensitive), takes repeated Filter.Ids, hides inactive accounts by default', async () => {
      const byName = await bms.client.result<Dto[]>(bms.client.get('/v2/crm/accounts/lookup', { 'Filter.Name': 'happy frog ltd' }));
      assert.deepEqual(byName, [{ id: 1001, name: 'Happy Frog Ltd', tenantName: 'Demo MSP', isActive: true }]);
      assert.deepEqual(await bms.client.result<Dto[]>(bms.client.get('/v2/crm/accounts/lookup', { 'Filter.Name': 'Happy Frog' })), []);
      const byIds = await bms.client.result<Dto[]>(bms.client.get('/v2/crm/accounts/lookup', { 'Filter.Ids': [1002, 1008, 1001] }));
      assert.deepEqual(
        byIds.map((a) => a.id),
        [1001, 1002],
      );
      const withInactive = await bms.client.result<Dto[]>(
        bms.client.get('/v2/crm/accounts/lookup', { 'Filter.Ids': [1002, 1008], 'Filter.WithInactiveAccounts': true }),
      );
      assert.deepEqual(
        withInactive.map((a) => a.id),
        [1002, 1008],
      );
    });

    it('lists and reads an account location (404 when it belongs to another account)', async () => {
      const locations = await bms.client.result<Dto[]>(bms.client.get('/v2/crm/accounts/1001/locations/lookup'));
      assert.deepEqual(locations[0], { id: 2000001, name: 'Head Office', accountId: 1001, isMain: true });
      const loc = await bms.client.result(bms.client.get('/v2/crm/accounts/1001/locations/2000002'));
      assert.equal(loc.locationName, 'Warehouse');
      assert.equal((await bms.client.get('/v2/crm/accounts/1002/locations/2000002')).status, 404);
    });
  });

  describe('writes', () => {
    before(async () => {
      await reset('demo');
    });

    it('creates an account with its locations; one main location and main address', async () => {
      const created = await bms.client.result(bms.client.post('/v2/crm/accounts', NEW_ACCOUNT));
      assert.ok((created.id as number) > 1008);
      assert.equal(created.accountType, 'Client');
      assert.equal(created.modifiedBy, 501);
      const locations = list(created.locations);
      assert.deepEqual(
        locations.map((l) => [l.locationName, l.isMain]),
        [
          ['HQ', true],
          ['Depot', false],
        ],
      );
      assert.equal(list(locations[0]!.addresses)[0]!.country, 'United States');
      const stored = await bms.admin.json(bms.admin.get(`/accounts/${String(created.id)}`));
      assert.deepEqual(stored, created);
    });

    it('names the field when a required one is missing or an id does not exist', async () => {
      const { AccountName: _name, ...withoutName } = NEW_ACCOUNT;
      const noName = await bms.client.post('/v2/crm/accounts', withoutName);
      assert.equal(noName.status, 400);
      assert.match(envelope(noName).error?.message ?? '', /body\/AccountName is required/);

      const emptyName = await bms.client.post('/v2/crm/accounts', { ...NEW_ACCOUNT, AccountName: '' });
      assert.match(envelope(emptyName).error?.message ?? '', /body\/AccountName must not be empty/);

      const badType = await bms.client.post('/v2/crm/accounts', { ...NEW_ACCOUNT, AccountTypeId: 99 });
      assert.equal(badType.status, 400);
      assert.deepEqual(envelope(badType).error?.subErrors, ['AccountTypeId']);

      const badManager = await bms.client.post('/v2/crm/accounts', { ...NEW_ACCOUNT, AccountManagerId: 1 });
      assert.deepEqual(envelope(badManager).error?.subErrors, ['AccountManagerId']);

      const noLocation = await bms.client.post('/v2/crm/accounts', { ...NEW_ACCOUNT, Locations: [{ LocationName: 'X' }] });
      assert.match(envelope(noLocation).error?.message ?? '', /body\/Locations\/0\/Addresses is required/);
    });

    it('accepts camelCase body names (ASP.NET binds case-insensitively)', async () => {
      const res = await bms.client.post('/v2/crm/accounts', {
        accountName: 'Camel Case Ltd',
        accountTypeId: 2,
        businessTypeId: 11,
        accountManagerId: 502,
        locations: [{ locationName: 'Main', addresses: [{ city: 'Leeds' }] }],
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(envelope<Dto>(res).result.accountType, 'Prospect');
    });

    it('PUT replaces the header fields; left-out fields become null', async () => {
      const before = await bms.client.result(bms.client.get('/v2/crm/accounts/summary/1001'));
      const updated = await bms.client.result(
        bms.client.put('/v2/crm/accounts/1001', { AccountName: 'Happy Frog Limited', AccountTypeId: 1, BusinessTypeId: 12, AccountManagerId: 502 }),
      );
      assert.equal(updated.accountName, 'Happy Frog Limited');
      assert.equal(updated.businessType, 'Break/Fix');
      assert.equal(updated.accountCode, null);
      assert.equal(updated.website, null);
      assert.equal(updated.isActive, true);
      assert.deepEqual(updated.locations, before.locations, 'PUT leaves locations alone');
      assert.ok(asUtcMs(updated.modifiedOn) > asUtcMs(before.modifiedOn));
    });

    it('PATCH applies replace/add/remove/test to AccountPutInputDto paths (case-insensitive)', async () => {
      const patched = await bms.client.result(
        bms.client.patch('/v2/crm/accounts/1002', [
          { op: 'test', path: '/AccountName', value: 'Northwind Traders' },
          { op: 'replace', path: '/accountname', value: 'Northwind Traders Inc' },
          { op: 'add', path: '/Website', value: 'https://nw.example.org' },
          { op: 'remove', path: '/AccountCode' },
          { op: 'replace', path: '/IsActive', value: false },
        ]),
      );
      assert.equal(patched.accountName, 'Northwind Traders Inc');
      assert.equal(patched.website, 'https://nw.example.org');
      assert.equal(patched.accountCode, null);
      assert.equal(patched.isActive, false);
      assert.equal(patched.modifiedBy, 501);

      const failedTest = await bms.client.patch('/v2/crm/accounts/1002', [{ op: 'test', path: '/AccountName', value: 'Wrong' }]);
      assert.equal(failedTest.status, 400);
      const unknownPath = await bms.client.patch('/v2/crm/accounts/1002', [{ op: 'replace', path: '/ModifiedOn', value: 'x' }]);
      assert.equal(unknownPath.status, 400);
      assert.match(envelope(unknownPath).error?.message ?? '', /not a property of AccountPutInputDto/);
      const wrongType = await bms.client.patch('/v2/crm/accounts/1002', [{ op: 'replace', path: '/AccountTypeId', value: 'three' }]);
      assert.equal(wrongType.status, 400);
      const removeRequired = await bms.client.patch('/v2/crm/accounts/1002', [{ op: 'remove', path: '/AccountName' }]);
      assert.match(envelope(removeRequired).error?.message ?? '', /AccountName is required/);
      const after = await bms.client.result(bms.client.get('/v2/crm/accounts/summary/1002'));
      assert.equal(after.accountName, 'Northwind Traders Inc', 'refused patches change nothing');
    });

    it('bumps modifiedOn strictly on every write, even within one millisecond', async () => {
      const stamps: number[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await bms.client.result(bms.client.patch('/v2/crm/accounts/1003', [{ op: 'replace', path: '/Description', value: `v${i}` }]));
        stamps.push(asUtcMs(r.modifiedOn));
      }
      for (let i = 1; i < stamps.length; i++) assert.ok(stamps[i]! > stamps[i - 1]!, `write ${i} is later than write ${i - 1}`);
      const direct = [bms.sim.store.clock.stamp(), bms.sim.store.clock.stamp(), bms.sim.store.clock.stamp()];
      assert.ok(direct[0]! < direct[1]! && direct[1]! < direct[2]!);
    });

    it('has no DELETE for accounts', async () => {
      const res = await bms.client.delete('/v2/crm/accounts/1001');
      assert.equal(res.status, 405);
    });

    it('deletes an account through /_sim with its locations, contacts and assets; children lose the parent', async () => {
      const parent = await bms.admin.json(bms.admin.post('/accounts', { accountName: 'Doomed Parent Ltd' }));
      const child = await bms.admin.json(bms.admin.post('/accounts', { accountName: 'Surviving Child Ltd', parentId: parent.id }));
      const contact = await bms.admin.json(bms.admin.post('/contacts', { accountId: parent.id, firstName: 'Gone' }));
      const location = (parent.locations as Dto[])[0]!;
      assert.equal((await bms.admin.delete(`/accounts/${String(parent.id)}`)).status, 204);
      assert.equal((await bms.client.get(`/v2/crm/accounts/summary/${String(parent.id)}`)).status, 404);
      const lookup = await bms.client.result<Dto[]>(
        bms.client.get('/v2/crm/accounts/lookup', { 'Filter.Ids': [parent.id as number, child.id as number], 'Filter.WithInactiveAccounts': true }),
      );
      assert.deepEqual(lookup.map((a) => a.id), [child.id]);
      assert.equal((await bms.admin.get(`/contacts/${String(contact.id)}`)).status, 404);
      assert.equal((await bms.admin.get(`/locations/${String(location.id)}`)).status, 404);
      const orphan = await bms.admin.json(bms.admin.get(`/accounts/${String(child.id)}`));
      assert.equal(orphan.parentId, null);
      assert.ok(asUtcMs(orphan.modifiedOn as string) > asUtcMs(child.modifiedOn as string), 'losing the parent is a write');
      assert.equal((await bms.admin.delete(`/accounts/${String(parent.id)}`)).status, 404);
    });
  });
});
