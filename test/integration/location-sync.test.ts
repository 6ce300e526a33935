/**
 * Locations ↔ BMS account locations through the real stack: pulls read them from the account summaries,
 * pushes write them through the V1 location routes, an organization create links the main location it
 * makes, and a create whose answer is lost is found again instead of repeated.
 */
import assert from 'node:assert/strict';
import type { HttpClient } from '../helpers/api-client';
import { startStack, type Stack } from '../helpers/stack';
import { served, simRequests, syncNowAndWait, waitFor, waitForSyncState } from '../helpers/sync';

describe('location sync', function () {
  this.timeout(120_000);
  let stack: Stack;
  let apiKey: HttpClient;

  before(async () => {
    stack = await startStack({ twoWay: true });
    apiKey = await stack.apiKey('editor');
  });
  after(async () => stack?.stop());

  async function locationsOf(organizationId: string): Promise<any[]> {
    const res = await stack.admin.get(`/api/v1/locations?organizationId=${organizationId}&pageSize=200`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.data as any[];
  }

  async function allLocations(): Promise<any[]> {
    const res = await stack.admin.get('/api/v1/locations?pageSize=200');
    assert.equal(res.status, 200);
    return res.body.data as any[];
  }

  async function syncedOrganization(name: string): Promise<{ id: string; bmsId: number }> {
    const res = await stack.admin.post('/api/v1/organizations', { name, type: 'Client', status: 'Active' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const org = await waitForSyncState(stack.admin, 'organizations', res.body.data.id, 'synced');
    return { id: org.id, bmsId: org.sync.bmsId };
  }

  async function simLocation(id: number): Promise<any> {
    const res = await stack.simAdmin.get(`/_sim/locations/${id}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  }

  async function simLocationsOf(accountId: number): Promise<any[]> {
    return (await stack.simAdmin.get(`/_sim/locations?accountId=${accountId}`)).body as any[];
  }

  it('pulls the locations of synced accounts from the account summaries, without requests of their own', async () => {
    const orgs = new Map(((await stack.admin.get('/api/v1/organizations?pageSize=200')).body.data as any[]).map((o) => [o.sync.bmsId, o]));
    const locations = new Map((await allLocations()).map((l) => [l.sync.bmsId, l]));
    const accounts = (await stack.simAdmin.get('/_sim/accounts')).body as any[];
    let checked = 0;
    for (const account of accounts) {
      const org = orgs.get(account.id);
      for (const bms of account.locations as any[]) {
        const local = locations.get(bms.id);
        if (!org || !bms.isActive) {
          assert.equal(local, undefined, `${bms.locationName}: not pulled (its account is not synced, or it is inactive)`);
          continue;
        }
        assert.ok(local, `${bms.locationName} pulled`);
        const address = bms.addresses.find((a: any) => a.isMain) ?? bms.addresses[0];
        assert.equal(local.organizationId, org.id);
        assert.equal(local.name, bms.locationName);
        assert.equal(local.primary, bms.isMain);
        assert.equal(local.address1, address.address1);
        assert.equal(local.address2, address.address2);
        assert.equal(local.city, address.city);
        assert.equal(local.region, address.state);
        assert.equal(local.postalCode, address.zipCode);
        assert.equal(local.country, address.country);
        assert.equal(local.phone, address.phone);
        assert.equal(local.fax, address.fax);
        assert.equal(local.sync.state, 'synced');
        checked++;
      }
    }
    assert.ok(checked >= 10, `checked ${checked} pulled locations`);
    const inactive = accounts.flatMap((a) => a.locations as any[]).find((l) => l.locationName === 'Old Falmouth Site');
    assert.equal(inactive.isActive, false);
    assert.equal(locations.has(inactive.id), false, 'an inactive BMS location is not created');

    const requests = await simRequests(stack.simAdmin);
    for (const [route, counts] of Object.entries(requests)) {
      if (counts.served > 0) assert.doesNotMatch(route, /locations/i, `the pull read locations from the account summaries, not ${route}`);
    }
  });

  it('creates a location in BMS through V1 when a person saves one', async () => {
    const org = await syncedOrganization('Location Create Ltd');
    const before = await simRequests(stack.simAdmin);
    const res = await stack.admin.post('/api/v1/locations', {
      organizationId: org.id,
      name: 'Branch Office',
      primary: false,
      address1: '200 King Street West',
      address2: 'Unit 4',
      city: 'Toronto',
      region: 'ON',
      postalCode: 'M5H 3T4',
      country: 'canada',
      phone: '+1 416 555 0100',
      fax: '+1 416 555 0101',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const synced = await waitForSyncState(stack.admin, 'locations', res.body.data.id, 'synced');
    const bms = await simLocation(synced.sync.bmsId);
    const address = bms.addresses.find((a: any) => a.isMain);
    assert.equal(bms.locationName, 'Branch Office');
    assert.equal(bms.isMain, false, 'the account keeps its main location');
    assert.equal(address.address1, '200 King Street West');
    assert.equal(address.address2, 'Unit 4');
    assert.equal(address.city, 'Toronto');
    assert.equal(address.state, 'ON');
    assert.equal(address.zipCode, 'M5H 3T4');
    assert.equal(address.countryId, 102, 'CountryId from the countries lookup');
    assert.equal(address.country, 'Canada');
    assert.equal(address.phone, '+1 416 555 0100');
    assert.equal(address.fax, '+1 416 555 0101');
    const after = await simRequests(stack.simAdmin);
    assert.equal(served(after, 'POST /api/crm/locations') - served(before, 'POST /api/crm/locations'), 1);
    assert.ok((await simLocationsOf(org.bmsId)).some((l) => l.id === synced.sync.bmsId));
  });

  it('updates the location through a V1 PUT carrying every mapped field, and makes it main when set primary', async () => {
    const org = await syncedOrganization('Location Update Ltd');
    const res = await stack.admin.post('/api/v1/locations', {
      organizationId: org.id,
      name: 'Depot',
      address1: '1 Depot Road',
      city: 'Leeds',
      postalCode: 'LS1 1AA',
      country: 'United Kingdom',
      phone: '+44 113 496 0000',
    });
    assert.equal(res.status, 201);
    const { sync } = await waitForSyncState(stack.admin, 'locations', res.body.data.id, 'synced');
    const before = await simRequests(stack.simAdmin);
    const edit = await stack.admin.patch(`/api/v1/locations/${res.body.data.id}`, { city: 'Bradford', fax: '+44 113 496 0001' });
    assert.equal(edit.status, 200);
    await waitFor(
      async () => {
        const a = (await simLocation(sync.bmsId)).addresses.find((x: any) => x.isMain);
        return a.city === 'Bradford' && a.fax === '+44 113 496 0001';
      },
      { timeoutMs: 20_000, what: 'the edit to reach BMS' },
    );
    const updated = await simLocation(sync.bmsId);
    const address = updated.addresses.find((x: any) => x.isMain);
    assert.equal(address.address1, '1 Depot Road', 'the PUT replaced the main address with every mapped field');
    assert.equal(address.zipCode, 'LS1 1AA');
    assert.equal(address.phone, '+44 113 496 0000');
    assert.equal(address.country, 'United Kingdom');
    assert.equal(updated.isMain, false, 'IsMain untouched while primary did not change');
    await waitForSyncState(stack.admin, 'locations', res.body.data.id, 'synced');
    const after = await simRequests(stack.simAdmin);
    assert.ok(served(after, 'PUT /api/crm/locations/{id}') - served(before, 'PUT /api/crm/locations/{id}') >= 1);

    const primary = await stack.admin.patch(`/api/v1/locations/${res.body.data.id}`, { primary: true });
    assert.equal(primary.status, 200);
    await waitFor(async () => (await simLocation(sync.bmsId)).isMain === true, { timeoutMs: 20_000, what: 'the location to become main' });
    const others = (await simLocationsOf(org.bmsId)).filter((l) => l.id !== sync.bmsId);
    assert.ok(others.every((l) => !l.isMain), 'BMS keeps one main location');
    await waitForSyncState(stack.admin, 'locations', res.body.data.id, 'synced');
    // The next pull brings the demotion of the former main location back.
    await syncNowAndWait(stack.admin);
    const local = await locationsOf(org.id);
    assert.deepEqual(
      local.filter((l) => l.primary).map((l) => l.id),
      [res.body.data.id],
    );
  });

  it('pulls a location changed in BMS, and writes nothing on a second pull', async () => {
    const org = await syncedOrganization('Location Pull Ltd');
    const created = await stack.simAdmin.post('/_sim/locations', {
      accountId: org.bmsId,
      locationName: 'Annex',
      address: { address1: '9 Annex Lane', city: 'Dublin', countryId: 107, phone: '+353 1 555 0100' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await syncNowAndWait(stack.admin);
    const annex = (await locationsOf(org.id)).find((l) => l.sync.bmsId === created.body.id);
    assert.ok(annex, 'the new BMS location was pulled');
    assert.equal(annex.address1, '9 Annex Lane');
    assert.equal(annex.country, 'Ireland');
    assert.equal(annex.sync.state, 'synced');

    const edit = await stack.simAdmin.patch(`/_sim/locations/${created.body.id}`, { locationName: 'Annex (renamed)', address: { city: 'Cork', zipCode: 'T12 X70A' } });
    assert.equal(edit.status, 200, JSON.stringify(edit.body));
    await syncNowAndWait(stack.admin);
    const pulled = (await stack.admin.get(`/api/v1/locations/${annex.id}`)).body.data;
    assert.equal(pulled.name, 'Annex (renamed)');
    assert.equal(pulled.city, 'Cork');
    assert.equal(pulled.postalCode, 'T12 X70A');
    assert.equal(pulled.address1, '9 Annex Lane');
    const history = (await stack.admin.get(`/api/v1/locations/${annex.id}/history`)).body.data as any[];
    assert.ok(history.some((h) => h.kind === 'pulled'));

    const versions = new Map((await allLocations()).map((l) => [l.id, l.version]));
    const run = await syncNowAndWait(stack.admin);
    const counts = run.counts.locations ?? {};
    assert.equal((counts.created ?? 0) + (counts.updated ?? 0) + (counts.linked ?? 0) + (counts.orphaned ?? 0), 0, JSON.stringify(counts));
    assert.deepEqual(new Map((await allLocations()).map((l) => [l.id, l.version])), versions);
  });

  it('orphans a location that disappears from its BMS account, and keeps the record', async () => {
    const org = await syncedOrganization('Location Orphan Ltd');
    const created = await stack.simAdmin.post('/_sim/locations', { accountId: org.bmsId, locationName: 'Closing Site', address: { address1: '3 Last Road' } });
    assert.equal(created.status, 201);
    await syncNowAndWait(stack.admin);
    const local = (await locationsOf(org.id)).find((l) => l.sync.bmsId === created.body.id);
    assert.ok(local);
    assert.equal((await stack.simAdmin.delete(`/_sim/locations/${created.body.id}`)).status, 204);
    const run = await syncNowAndWait(stack.admin);
    assert.ok((run.counts.locations?.orphaned ?? 0) >= 1, JSON.stringify(run.counts));
    const after = (await stack.admin.get(`/api/v1/locations/${local.id}`)).body.data;
    assert.equal(after.sync.state, 'orphaned');
    assert.match(after.sync.message, /no longer exists in Kaseya BMS/);
    assert.equal(after.name, 'Closing Site', 'kept, not deleted');
    const others = (await locationsOf(org.id)).filter((l) => l.id !== local.id);
    assert.ok(others.length > 0 && others.every((l) => l.sync.state === 'synced'), 'the account’s other locations stay synced');
  });

  it('links the main location an organization create makes, so a pull does not duplicate it', async () => {
    // Written through the API (not pushed), then pushed by a person's push action.
    const org = await apiKey.post('/api/v1/organizations', { name: 'Main Link Ltd', type: 'Client', status: 'Active' });
    assert.equal(org.status, 201);
    const loc = await apiKey.post('/api/v1/locations', {
      organizationId: org.body.data.id,
      name: 'Main Link HQ',
      primary: true,
      address1: '5 Link Street',
      city: 'Austin',
      region: 'TX',
      postalCode: '78702',
      country: 'United States',
      phone: '+1 512 555 0900',
    });
    assert.equal(loc.status, 201);
    const before = await simRequests(stack.simAdmin);
    assert.equal((await stack.admin.post(`/api/v1/organizations/${org.body.data.id}/push`)).status, 202);
    const syncedOrg = await waitForSyncState(stack.admin, 'organizations', org.body.data.id, 'synced');
    const linked = await waitForSyncState(stack.admin, 'locations', loc.body.data.id, 'synced');
    const bmsLocations = await simLocationsOf(syncedOrg.sync.bmsId);
    assert.equal(bmsLocations.length, 1);
    assert.equal(linked.sync.bmsId, bmsLocations[0].id);
    assert.equal(bmsLocations[0].locationName, 'Main Link HQ');
    const history = (await stack.admin.get(`/api/v1/locations/${loc.body.data.id}/history`)).body.data as any[];
    assert.ok(history.some((h) => h.kind === 'linked' && h.origin === 'push'), 'linked by the push, before any pull');

    await syncNowAndWait(stack.admin);
    const local = await locationsOf(org.body.data.id);
    assert.equal(local.length, 1, 'no duplicate location after the pull');
    assert.equal(local[0].id, loc.body.data.id);
    assert.equal(local[0].sync.state, 'synced');
    const after = await simRequests(stack.simAdmin);
    assert.equal(served(after, 'POST /api/crm/locations') - served(before, 'POST /api/crm/locations'), 0, 'no separate location create');
  });

  it('pushes a location saved under an organization not yet in BMS after the organization, without a second create', async () => {
    const org = await apiKey.post('/api/v1/organizations', { name: 'Location First Ltd', type: 'Client', status: 'Active' });
    assert.equal(org.status, 201);
    const res = await stack.admin.post('/api/v1/locations', { organizationId: org.body.data.id, name: 'Only Site', address1: '1 Waiting Way' });
    assert.equal(res.status, 201);
    const location = await waitForSyncState(stack.admin, 'locations', res.body.data.id, 'synced', 40_000);
    const organization = await waitForSyncState(stack.admin, 'organizations', org.body.data.id, 'synced');
    const bmsLocations = await simLocationsOf(organization.sync.bmsId);
    assert.deepEqual(
      bmsLocations.map((l) => [l.id, l.locationName]),
      [[location.sync.bmsId, 'Only Site']],
    );
  });

  // V1's answer shapes are undocumented: the address may come nested in `Addresses` or flat on the location.
  for (const shape of ['nested', 'flat'] as const) {
    it(`never makes a second BMS location when the answer to a create was lost (V1 answers ${shape})`, async () => {
      const site = {
        name: 'Lost Answer Site',
        address1: '404 Nowhere Road',
        address2: 'Unit 3',
        city: 'Boston',
        region: 'MA',
        postalCode: '02108',
        country: 'United States',
      };
      const org = await syncedOrganization(`Location Lost Answer ${shape} Ltd`);
      await stack.simAdmin.put('/_sim/config', { v1LocationShape: shape });
      await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'POST /api/crm/locations', mode: 'drop-after-commit', count: 1 }] });
      try {
        const res = await stack.admin.post('/api/v1/locations', { organizationId: org.id, ...site });
        assert.equal(res.status, 201);
        const synced = await waitForSyncState(stack.admin, 'locations', res.body.data.id, 'synced', 40_000);
        const faults = await stack.simAdmin.get('/_sim/faults');
        assert.equal(faults.body.rules[0].fired, 1, 'the create was performed and its answer dropped');
        const matching = (await simLocationsOf(org.bmsId)).filter((l) => l.locationName === 'Lost Answer Site');
        assert.equal(matching.length, 1, 'BMS holds exactly one');
        assert.equal(synced.sync.bmsId, matching[0].id);
        const history = (await stack.admin.get(`/api/v1/locations/${res.body.data.id}/history`)).body.data as any[];
        assert.ok(history.some((h) => /Linked to existing Kaseya BMS record/.test(h.summary)));

        // An update whose answer comes in this shape keeps the fields it sent.
        const updated = await stack.admin.patch(`/api/v1/locations/${res.body.data.id}`, { city: 'Cambridge' });
        assert.equal(updated.status, 200, JSON.stringify(updated.body));
        await waitFor(async () => (await simLocation(matching[0].id)).addresses.find((a: any) => a.isMain)?.city === 'Cambridge', {
          timeoutMs: 20_000,
          what: 'the update to reach BMS',
        });
        const after = await waitForSyncState(stack.admin, 'locations', res.body.data.id, 'synced');
        assert.equal(after.city, 'Cambridge');
        assert.equal(after.address1, '404 Nowhere Road');
        await syncNowAndWait(stack.admin);
        const pulled = (await stack.admin.get(`/api/v1/locations/${res.body.data.id}`)).body.data;
        assert.deepEqual([pulled.address1, pulled.address2, pulled.city, pulled.sync.state], ['404 Nowhere Road', 'Unit 3', 'Cambridge', 'synced']);
      } finally {
        await stack.simAdmin.delete('/_sim/faults');
        await stack.simAdmin.put('/_sim/config', { v1LocationShape: 'nested' });
      }
    });
  }

  it('sent nothing the vendor contract does not declare', async () => {
    const violations = await stack.simAdmin.get('/_sim/violations');
    assert.deepEqual(violations.body, []);
  });
});
