/**
 * Configurations ↔ BMS hardware assets through the real stack (API → Temporal → activities → simulator
 * over HTTP, real PostgreSQL): pulls, pushes (create; update as GET + full PUT that keeps every field we
 * do not map), dependency order, a create whose answer is lost, and what a pull of 2,000 assets costs.
 */
import assert from 'node:assert/strict';
import { deepRefreshPerPass } from '../../activities/pullers/assets';
import { GiveUpWaiting } from '../../devstack/wait';
import type { HttpClient } from '../helpers/api-client';
import { startStack, type Stack } from '../helpers/stack';
import { served, simRequests, syncNowAndWait, waitFor, waitForSyncState } from '../helpers/sync';

const ASSET_GET = 'GET /v2/servicedesk/hardwareasset/{assetId}';
const ASSET_LIST = 'GET /v2/servicedesk/hardwareasset/searchselect';
const ASSET_POST = 'POST /v2/servicedesk/hardwareasset';
const ASSET_PUT = 'PUT /v2/servicedesk/hardwareasset/{assetId}';

/** Waits until the pull the connection started has finished and nothing runs. */
async function waitForIdle(stack: Stack, timeoutMs = 120_000): Promise<void> {
  await waitFor(
    async () => {
      const runs = (await stack.admin.get('/api/v1/integrations/kaseya-bms/runs?pageSize=5')).body.data as any[];
      const failed = runs.find((r) => r.status === 'failed');
      if (failed) throw new GiveUpWaiting(`pull failed: ${JSON.stringify(failed)}`);
      return runs.length > 0 && runs.every((r) => r.status !== 'running');
    },
    { timeoutMs, intervalMs: 100, what: 'the first pull to finish' },
  );
}

async function all(api: HttpClient, collection: string): Promise<any[]> {
  const out: any[] = [];
  for (let page = 1; ; page++) {
    const res = await api.get(`/api/v1/${collection}?pageSize=200&page=${page}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    out.push(...(res.body.data as any[]));
    if ((res.body.data as any[]).length < 200) return out;
  }
}

async function byBmsId(api: HttpClient, collection: string): Promise<Map<number, any>> {
  return new Map((await all(api, collection)).filter((r) => r.sync?.bmsId).map((r) => [r.sync.bmsId, r]));
}

const day = (value: string | null | undefined) => (value ? value.slice(0, 10) : null);

function assertMapped(cfg: any, asset: any, orgId: string): void {
  const where = `configuration for asset ${asset.id} (${asset.name})`;
  assert.equal(cfg.organizationId, orgId, where);
  assert.equal(cfg.name, asset.name, where);
  assert.equal(cfg.type, asset.category, where);
  assert.equal(cfg.status, asset.isActive ? 'Active' : 'Inactive', where);
  assert.equal(cfg.serialNumber, asset.serialNumber ?? null, where);
  assert.equal(cfg.assetTag, asset.assetTag ?? null, where);
  assert.equal(cfg.macAddress, asset.macAddress ?? null, where);
  assert.equal(cfg.primaryIp, asset.ipAddress ?? null, where);
  assert.equal(cfg.defaultGateway, asset.defaultGateway ?? null, where);
  assert.equal(cfg.manufacturer, asset.manufacturer ?? null, where);
  assert.equal(cfg.model, asset.modelNumber ?? null, where);
  assert.equal(cfg.operatingSystem, asset.osInfo ?? null, where);
  assert.equal(cfg.platform, asset.osType ?? null, where);
  assert.equal(cfg.position, asset.locationInfo ?? null, where);
  assert.equal(cfg.notes, asset.description ?? null, where);
  assert.equal(cfg.purchasedAt, day(asset.acquisitionDate), where);
  assert.equal(cfg.warrantyExpiresAt, day(asset.warrantyExpirationDate), where);
}

describe('configuration sync', function () {
  this.timeout(180_000);
  let stack: Stack;
  let apiKey: HttpClient;

  before(async () => {
    stack = await startStack({ twoWay: true, settings: { configurations: { statuses: ['Active', 'Inactive'] } } });
    apiKey = await stack.apiKey('editor');
    await waitForIdle(stack);
    // The connection's first pull may have started before the settings above were saved.
    await syncNowAndWait(stack.admin);
  });
  after(async () => stack?.stop());

  async function simAsset(id: number): Promise<any> {
    const res = await stack.simAdmin.get(`/_sim/assets/${id}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  }

  async function syncedOrganization(name: string): Promise<{ id: string; bmsId: number }> {
    const res = await stack.admin.post('/api/v1/organizations', { name, type: 'Client', status: 'Active' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const org = await waitForSyncState(stack.admin, 'organizations', res.body.data.id, 'synced');
    return { id: org.id, bmsId: org.sync.bmsId };
  }

  async function createConfiguration(api: HttpClient, fields: Record<string, unknown>): Promise<any> {
    const res = await api.post('/api/v1/configurations', { type: 'Workstation', status: 'Active', ...fields });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data;
  }

  async function happyFrog(): Promise<{ bmsId: number; orgId: string }> {
    const accounts = (await stack.simAdmin.get('/_sim/accounts')).body as any[];
    const account = accounts.find((a) => a.accountName === 'Happy Frog Ltd');
    const orgs = await byBmsId(stack.admin, 'organizations');
    return { bmsId: account.id, orgId: orgs.get(account.id).id };
  }

  it('pulls the assets of synced accounts into configurations, every mapped field', async () => {
    const assets = (await stack.simAdmin.get('/_sim/assets')).body as any[];
    const accounts = (await stack.simAdmin.get('/_sim/accounts')).body as any[];
    const active = new Set(accounts.filter((a) => a.isActive).map((a) => a.id));
    const configs = await byBmsId(stack.admin, 'configurations');
    const orgs = await byBmsId(stack.admin, 'organizations');
    let pulled = 0;
    for (const asset of assets) {
      const cfg = configs.get(asset.id);
      if (!active.has(asset.accountId)) {
        assert.equal(cfg, undefined, `asset ${asset.name} of an inactive (unsynced) account is not pulled`);
        continue;
      }
      assert.ok(cfg, `configuration for ${asset.name}`);
      assert.equal(cfg.sync.state, 'synced');
      assertMapped(cfg, asset, orgs.get(asset.accountId).id);
      pulled++;
    }
    assert.ok(pulled >= 20, `pulled ${pulled}`);
    assert.ok([...configs.values()].some((c) => c.status === 'Inactive'), 'inactive assets sync as Inactive');
    assert.ok([...configs.values()].some((c) => c.warrantyExpiresAt !== null), 'dates arrive');
  });

  it('pulls an asset created in BMS and a change made in BMS, and orphans a configuration whose asset was deleted', async () => {
    const frog = await happyFrog();
    const created = await stack.simAdmin.post('/_sim/assets', {
      name: 'HF-NEW-FROM-BMS',
      accountId: frog.bmsId,
      categoryId: 23,
      serialNumber: 'NEWSN-1',
      macAddress: '02:AA:BB:CC:DD:01',
      ipAddress: '10.10.0.77',
      defaultGateway: '10.10.0.1',
      manufacturerId: 72,
      modelNumber: 'ProLiant DL20',
      osType: 'Linux',
      osInfo: 'Debian 12',
      locationInfo: 'Closet',
      assetTag: 'HF-0077',
      description: 'Made in BMS',
      acquisitionDate: '2025-01-15T00:00:00',
      warrantyExpirationDate: '2028-01-15T00:00:00Z',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const configsBefore = await byBmsId(stack.admin, 'configurations');
    const assets = (await stack.simAdmin.get(`/_sim/assets?accountId=${frog.bmsId}`)).body as any[];
    const [changed, deleted] = assets.filter((a) => configsBefore.has(a.id));
    const patched = await stack.simAdmin.patch(`/_sim/assets/${changed.id}`, { ipAddress: '10.10.0.99', osInfo: 'Windows Server 2025' });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal((await stack.simAdmin.delete(`/_sim/assets/${deleted.id}`)).status, 204);

    await syncNowAndWait(stack.admin);
    const configs = await byBmsId(stack.admin, 'configurations');
    const fresh = configs.get(created.body.id);
    assert.ok(fresh, 'the asset created in BMS is a configuration');
    assertMapped(fresh, await simAsset(created.body.id), frog.orgId);
    assert.equal(fresh.manufacturer, 'HP');
    assert.equal(fresh.purchasedAt, '2025-01-15');
    assert.equal(fresh.warrantyExpiresAt, '2028-01-15');
    assertMapped(configs.get(changed.id), await simAsset(changed.id), frog.orgId);
    assert.equal(configs.get(changed.id).primaryIp, '10.10.0.99');
    const gone = configs.get(deleted.id);
    assert.equal(gone.sync.state, 'orphaned');
    assert.match(gone.sync.message + JSON.stringify(gone.sync), /no longer exists/);
  });

  it('creates the BMS asset when a person saves a new configuration, and a pull brings nothing back', async () => {
    const org = await syncedOrganization('Config Push Ltd');
    const cfg = await createConfiguration(stack.admin, {
      organizationId: org.id,
      name: 'CP-SRV-01',
      type: 'Server',
      serialNumber: 'CPSN-0001',
      assetTag: 'CP-0001',
      macAddress: '02:C0:00:00:00:01',
      primaryIp: '10.50.0.10',
      defaultGateway: '10.50.0.1',
      manufacturer: 'dell',
      model: 'PowerEdge R660',
      operatingSystem: 'Windows Server 2022 Standard',
      platform: 'Windows',
      position: 'Rack 3, U20',
      purchasedAt: '2025-03-01',
      warrantyExpiresAt: '2028-02-29',
      notes: 'Pushed from the documentation\nwith two lines',
    });
    assert.equal(cfg.sync.state, 'queued');
    const synced = await waitForSyncState(stack.admin, 'configurations', cfg.id, 'synced');
    const asset = await simAsset(synced.sync.bmsId);
    const locations = (await stack.simAdmin.get(`/_sim/locations?accountId=${org.bmsId}`)).body as any[];
    assert.equal(asset.accountId, org.bmsId);
    assert.equal(asset.accountLocationId, locations.find((l) => l.isMain).id, 'no location: the account’s main one');
    assert.equal(asset.category, 'Server');
    assert.equal(asset.isActive, true);
    assert.equal(asset.manufacturer, 'Dell');
    assert.equal(asset.acquisitionDate.slice(0, 10), '2025-03-01');
    assert.equal(asset.warrantyExpirationDate.slice(0, 10), '2028-02-29');
    assertMapped({ ...synced, manufacturer: 'Dell' }, asset, org.id);

    const before = await stack.admin.get(`/api/v1/configurations/${cfg.id}`);
    await syncNowAndWait(stack.admin);
    const after = await stack.admin.get(`/api/v1/configurations/${cfg.id}`);
    assert.equal(after.body.data.name, 'CP-SRV-01');
    assert.equal(after.body.data.sync.state, 'synced');
    // BMS spells the manufacturer 'Dell': the pull takes BMS's spelling once, and nothing else moves.
    const moved = Object.keys(before.body.data).filter(
      (k) => !['version', 'updatedAt', 'updatedOrigin', 'sync', 'manufacturer'].includes(k) && JSON.stringify(before.body.data[k]) !== JSON.stringify(after.body.data[k]),
    );
    assert.deepEqual(moved, []);
  });

  it('updates an asset with one GET and one full PUT that keeps every BMS field we do not map', async () => {
    const frog = await happyFrog();
    const created = await stack.simAdmin.post('/_sim/assets', {
      name: 'HF-RICH-01',
      accountId: frog.bmsId,
      categoryId: 21,
      serialNumber: 'RICH-1',
      macAddress: '02:00:00:00:AA:01',
      brandId: 73,
      manufacturerId: 73,
      businessImpactId: 183,
      stateId: 172,
      barCode: 'BAR-1',
      vendorId: (await stack.simAdmin.get('/_sim/accounts')).body.find((a: any) => a.accountName === 'Adatum Supplies').id,
      machineGroupId: 'hf.desks',
      subnetMask: '255.255.0.0',
      dnsServers: '10.10.0.10,9.9.9.9',
      dhcpEnabled: true,
      dhcpServer: '10.10.0.1',
      winsEnabled: true,
      primaryWinsServer: '10.10.0.11',
      secondaryWinsServer: '10.10.0.12',
      connectionGatewayIp: '198.51.100.4',
      majorVersion: '10',
      minorVersion: '0',
      loginName: 'desk',
      lastLoginname: 'alice',
      currentUser: 'alice',
      productName: 'ThinkCentre',
      machineVersion: 'M70q',
      motherboardManufacturerId: 73,
      motherboardProductCode: 'MB-7',
      motherboardSerialNumber: 'MBS-7',
      motherboardVersion: 'v7',
      chassisAssetTag: 'CH-7',
      chassisManufacturerId: 73,
      chassisSerialNumber: 'CHS-7',
      chassisType: 'Mini',
      chassisVersion: '1',
      busSpeed: '100 MHz',
      maxMemorySize: '64 GB',
      maxMemorySlots: '2',
      purchaseCost: 899.99,
      expirationDate: '2030-12-31T00:00:00',
      firstCheckIn: '2025-01-02T03:04:05',
      lastCheckIn: '2025-06-07T08:09:10',
      lastReboot: '2025-06-01T00:00:00',
      description: 'Rich asset',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await syncNowAndWait(stack.admin);
    const cfg = (await byBmsId(stack.admin, 'configurations')).get(created.body.id);
    assert.ok(cfg, 'pulled');

    const before = await simAsset(created.body.id);
    const requestsBefore = await simRequests(stack.simAdmin);
    const res = await stack.admin.patch(`/api/v1/configurations/${cfg.id}`, { name: 'HF-RICH-01 (renamed)', notes: 'Edited in the docs', status: 'Inactive' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await waitFor(async () => (await simAsset(created.body.id)).name === 'HF-RICH-01 (renamed)', { timeoutMs: 20_000, what: 'the rename to reach BMS' });
    await waitForSyncState(stack.admin, 'configurations', cfg.id, 'synced');
    const requestsAfter = await simRequests(stack.simAdmin);

    const after = await simAsset(created.body.id);
    assert.equal(after.description, 'Edited in the docs');
    assert.equal(after.isActive, false);
    const written = new Set(['name', 'description', 'isActive', 'modifiedOn', 'modifiedBy', 'modifiedById']);
    for (const key of Object.keys(before)) {
      if (!written.has(key)) assert.deepEqual(after[key], before[key], `${key} is kept`);
    }
    assert.equal(served(requestsAfter, ASSET_PUT) - served(requestsBefore, ASSET_PUT), 1, 'one PUT');
    assert.equal(served(requestsAfter, ASSET_GET) - served(requestsBefore, ASSET_GET), 1, 'one GET (read before the full replace)');
  });

  it('pushes the organization first when a configuration is saved under one not yet in BMS', async () => {
    const orgRes = await apiKey.post('/api/v1/organizations', { name: 'Dependency First Ltd', type: 'Client', status: 'Active' });
    assert.equal(orgRes.status, 201, JSON.stringify(orgRes.body));
    const orgId = orgRes.body.data.id as string;
    assert.equal(orgRes.body.data.sync.bmsId ?? null, null, 'an API write is not pushed');
    const cfg = await createConfiguration(stack.admin, { organizationId: orgId, name: 'DF-LT-01', type: 'Laptop', serialNumber: 'DF-1' });

    const synced = await waitForSyncState(stack.admin, 'configurations', cfg.id, 'synced', 45_000);
    const org = await waitForSyncState(stack.admin, 'organizations', orgId, 'synced');
    const asset = await simAsset(synced.sync.bmsId);
    assert.equal(asset.accountId, org.sync.bmsId, 'the asset sits under the organization’s new account');
    assert.equal((await stack.simAdmin.get(`/_sim/accounts/${org.sync.bmsId}`)).body.accountName, 'Dependency First Ltd');
  });

  it('never repeats a create whose answer was lost: the retry finds the asset and links it', async () => {
    const org = await syncedOrganization('Lost Answer Ltd');
    const faults = await stack.simAdmin.put('/_sim/faults', { rules: [{ route: ASSET_POST, mode: 'drop-after-commit', count: 1 }] });
    assert.equal(faults.status, 200, JSON.stringify(faults.body));
    try {
      const cfg = await createConfiguration(stack.admin, {
        organizationId: org.id,
        name: 'LA-WS-01',
        serialNumber: 'LA-SN-1',
        macAddress: '02:1A:00:00:00:01',
        manufacturer: 'Lenovo',
      });
      const synced = await waitForSyncState(stack.admin, 'configurations', cfg.id, 'synced', 45_000);
      const fired = (await stack.simAdmin.get('/_sim/faults')).body.rules[0].fired;
      assert.equal(fired, 1, 'the create was processed and its answer dropped');
      const held = ((await stack.simAdmin.get(`/_sim/assets?accountId=${org.bmsId}`)).body as any[]).filter((a) => a.name === 'LA-WS-01');
      assert.equal(held.length, 1, 'BMS holds exactly one asset');
      assert.equal(synced.sync.bmsId, held[0].id, 'and the configuration is linked to it');
      const history = (await stack.admin.get(`/api/v1/configurations/${cfg.id}/history`)).body.data as any[];
      assert.ok(history.some((h) => /Linked to existing Kaseya BMS record/.test(h.summary)), JSON.stringify(history.map((h) => h.summary)));
    } finally {
      await stack.simAdmin.delete('/_sim/faults');
    }
  });

  it('refuses a manufacturer BMS does not know, naming it, instead of dropping it', async () => {
    const org = await syncedOrganization('Unknown Maker Ltd');
    const cfg = await createConfiguration(stack.admin, { organizationId: org.id, name: 'UM-01', manufacturer: 'Acme Robotics' });
    const failed = await waitForSyncState(stack.admin, 'configurations', cfg.id, 'failed');
    assert.match(failed.sync.message, /Manufacturer 'Acme Robotics' does not exist in Kaseya BMS/);
  });

  it('sent BMS nothing its vendor document refuses', async () => {
    const res = await stack.simAdmin.get('/_sim/violations');
    assert.deepEqual(res.body, []);
  });
});

describe('configuration pull over 2,000 assets', function () {
  this.timeout(600_000);
  let stack: Stack;
  /** Linked, live configurations' assets: what the deep refresh rotates over. */
  let linked: number[];
  const slice = deepRefreshPerPass(15, 2000);

  before(async () => {
    stack = await startStack({
      twoWay: true,
      simulator: { rateLimit: null, seed: { accounts: 100, contactsPerAccount: 0, assetsPerAccount: 20, locationsPerAccount: 1 } },
    });
  });
  after(async () => stack?.stop());

  /** One "Sync now"; returns the asset GETs and list requests it made. */
  async function measuredPull(): Promise<{ gets: number; lists: number; run: any }> {
    const before = await simRequests(stack.simAdmin);
    const run = await syncNowAndWait(stack.admin, 120_000);
    const after = await simRequests(stack.simAdmin);
    return { gets: served(after, ASSET_GET) - served(before, ASSET_GET), lists: served(after, ASSET_LIST) - served(before, ASSET_LIST), run };
  }

  it('reads every syncing asset once on the first pull, and none the summary shows excluded', async () => {
    await waitForIdle(stack, 300_000);
    const assets = (await stack.simAdmin.get('/_sim/assets')).body as any[];
    const accounts = (await stack.simAdmin.get('/_sim/accounts')).body as any[];
    assert.equal(assets.length, 2000);
    const active = new Set(accounts.filter((a) => a.isActive).map((a) => a.id));
    // Default settings: every category, Active only; accounts that are inactive do not sync either.
    const syncing = assets.filter((a) => a.isActive && active.has(a.accountId));
    const requests = await simRequests(stack.simAdmin);
    const gets = served(requests, ASSET_GET);
    const lists = served(requests, ASSET_LIST);
    console.log(`      first pull: ${gets} asset GETs and ${lists} list requests for ${assets.length} assets (${syncing.length} can sync)`);
    assert.equal(gets, syncing.length, 'one GET per syncing asset, none for the rest');
    assert.equal(lists, 21);
    const configs = await byBmsId(stack.admin, 'configurations');
    assert.equal(configs.size, syncing.length);
    linked = syncing.map((a) => a.id);
  });

  it('pulls again without changes for the list pages and the deep-refresh slice only', async () => {
    const { gets, lists, run } = await measuredPull();
    console.log(`      unchanged pull: ${gets} asset GETs, ${lists} list requests`);
    assert.equal(lists, 21, '⌈2000/100⌉ pages, plus the empty page that ends a listing of a multiple of 100');
    assert.equal(gets, slice, `the deep-refresh slice (${slice} at a 15-minute interval)`);
    const counts = run.counts.assets;
    assert.equal((counts.created ?? 0) + (counts.updated ?? 0) + (counts.orphaned ?? 0), 0, JSON.stringify(counts));
  });

  it('pulls 10 changed assets with 10 GETs plus the slice, and all 10 changes arrive', async () => {
    // Changes the list summary shows (name) and one it does not (notes, via /_sim/assets/touch).
    const changed = linked.filter((_, i) => i % Math.floor(linked.length / 10) === 5).slice(0, 10);
    assert.equal(changed.length, 10);
    for (const id of changed) {
      const res = await stack.simAdmin.patch(`/_sim/assets/${id}`, { name: `RENAMED-${id}` });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    assert.equal((await stack.simAdmin.post('/_sim/assets/touch', { ids: changed, description: 'Touched in BMS' })).status, 200);

    const { gets } = await measuredPull();
    console.log(`      pull with 10 changed of 2,000: ${gets} asset GETs (bound: 10 changed + ${slice} deep refresh = ${10 + slice})`);
    // Each changed asset costs one GET; the rotating slice costs at most `slice` more (fewer when it
    // overlaps the changed ones). 10 + 90 = 100 is 5% of what reading every asset would cost.
    assert.ok(gets >= 10 && gets <= 10 + slice, `${gets} GETs`);
    const configs = await byBmsId(stack.admin, 'configurations');
    for (const id of changed) {
      const cfg = configs.get(id);
      assert.equal(cfg.name, `RENAMED-${id}`);
      assert.equal(cfg.notes, 'Touched in BMS');
    }
  });

  it('catches changes the summary does not show (touch) through the deep refresh, within ⌈linked / slice⌉ pulls', async () => {
    const touched = linked.filter((_, i) => i % Math.floor(linked.length / 10) === 7).slice(0, 10);
    assert.equal((await stack.simAdmin.post('/_sim/assets/touch', { ids: touched, description: 'Only the notes changed' })).status, 200);
    const maxPulls = Math.ceil(linked.length / slice) + 1;
    const perPull: number[] = [];
    let arrived = 0;
    while (arrived < touched.length) {
      assert.ok(perPull.length < maxPulls, `all ${touched.length} arrived within ${maxPulls} pulls (got ${arrived} after ${perPull.length})`);
      const { gets } = await measuredPull();
      perPull.push(gets);
      assert.ok(gets <= slice, `a pull with no summary change reads only the slice: ${gets}`);
      const configs = await byBmsId(stack.admin, 'configurations');
      arrived = touched.filter((id) => configs.get(id).notes === 'Only the notes changed').length;
    }
    console.log(`      description-only changes: all 10 arrived after ${perPull.length} pulls of ${perPull.join(', ')} asset GETs (bound ${maxPulls} pulls)`);
  });

  it('sent BMS nothing its vendor document refuses', async () => {
    assert.deepEqual((await stack.simAdmin.get('/_sim/violations')).body, []);
  });
});
