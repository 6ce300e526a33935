/** Orphans, per-record sync control, Manage Data bulk actions and deletion rules. */
import assert from 'node:assert/strict';
import { startStack, type Stack } from '../helpers/stack';
import { served, simRequests, syncNowAndWait } from '../helpers/sync';

describe('orphans and managing synced data', function () {
  this.timeout(120_000);
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  const SETTINGS = '/api/v1/integrations/kaseya-bms/sync-settings';

  it('orphans records whose BMS account no longer matches the settings, keeps them, and lists them', async () => {
    const lookups = (await stack.admin.get('/api/v1/integrations/kaseya-bms/lookups')).body.data;
    const client = lookups.accountTypes.find((t: any) => t.name === 'Client').id;
    const before = (await stack.admin.get('/api/v1/organizations?pageSize=200')).body.data as any[];
    const nonClients = before.filter((o) => o.type !== 'Client');
    assert.ok(nonClients.length > 0);
    // Only Client syncs now. Changing what syncs makes the next pull a full one, so the others become
    // orphans although nothing changed in BMS.
    await stack.admin.patch(SETTINGS, { settings: { organizations: { types: [client] } } });
    const run = await syncNowAndWait(stack.admin);
    assert.equal(run.counts.accounts.orphaned, nonClients.length);

    const orphans = (await stack.admin.get('/api/v1/organizations?syncState=orphaned&pageSize=200')).body;
    assert.deepEqual(orphans.data.map((o: any) => o.id).sort(), nonClients.map((o) => o.id).sort());
    assert.match(orphans.data[0].sync.message, /^Orphaned: no longer synced: type '.+' is not set to sync$/);
    const summary = (await stack.admin.get('/api/v1/integrations/kaseya-bms/summary')).body.data;
    assert.equal(summary.organization.orphaned, nonClients.length);
    const total = (await stack.admin.get('/api/v1/organizations?pageSize=1')).body.meta.total;
    assert.equal(total, before.length, 'orphans are kept, never deleted');
  });

  it('refuses to delete a synced record until its sync is disabled; orphans can be deleted', async () => {
    const synced = (await stack.admin.get('/api/v1/organizations?syncState=synced&pageSize=1')).body.data[0];
    const refused = await stack.admin.delete(`/api/v1/organizations/${synced.id}`);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'record_synced');
    assert.equal((await stack.admin.get(`/api/v1/organizations/${synced.id}`)).status, 200, 'still there');

    const disabled = await stack.admin.post(`/api/v1/organizations/${synced.id}/sync/disable`);
    assert.equal(disabled.status, 200);
    assert.equal(disabled.body.data.sync.state, 'disabled');
    const editor = await stack.userWithRole('editor');
    assert.equal((await editor.post(`/api/v1/organizations/${synced.id}/sync/enable`)).status, 403);
    const enabled = await stack.admin.post(`/api/v1/organizations/${synced.id}/sync/enable`);
    assert.equal(enabled.body.data.sync.state, 'synced', 'back in step: nothing changed while it was off');

    const orphan = (await stack.admin.get('/api/v1/organizations?syncState=orphaned&pageSize=1')).body.data[0];
    // Records that still sync under the orphan (e.g. its locations) must have their sync disabled first.
    const first = await stack.admin.delete(`/api/v1/organizations/${orphan.id}`);
    if (first.status === 409) {
      const blocking = first.body.error.details.synced as Array<{ recordType: string; recordId: string }>;
      assert.ok(blocking.every((b) => b.recordId !== orphan.id), 'the orphan itself does not block');
      const off = await stack.admin.post('/api/v1/integrations/kaseya-bms/manage', {
        action: 'disable-sync',
        records: blocking.map((b) => ({ recordType: b.recordType, id: b.recordId })),
      });
      assert.ok(off.body.data.every((r: any) => r.ok));
    } else assert.equal(first.status, 204);
    const results = await stack.admin.post('/api/v1/integrations/kaseya-bms/manage', {
      action: 'delete',
      records: [
        { recordType: 'organization', id: synced.id },
        ...(first.status === 409 ? [{ recordType: 'organization', id: orphan.id }] : []),
      ],
    });
    assert.equal(results.status, 200);
    assert.deepEqual(results.body.data[0], {
      recordType: 'organization',
      id: synced.id,
      ok: false,
      error: { code: 'record_synced', message: 'This record is synced with Kaseya BMS; disable its sync before deleting it' },
    });
    if (first.status === 409) assert.equal(results.body.data[1].ok, true, JSON.stringify(results.body.data[1]));
    assert.equal((await stack.admin.get(`/api/v1/organizations/${orphan.id}`)).status, 404);
  });

  it('disables and re-enables sync in bulk; a disabled record is not pulled over', async () => {
    const synced = (await stack.admin.get('/api/v1/organizations?syncState=synced&pageSize=2')).body.data as any[];
    const records = synced.map((o) => ({ recordType: 'organization', id: o.id }));
    const off = await stack.admin.post('/api/v1/integrations/kaseya-bms/manage', { action: 'disable-sync', records });
    assert.ok(off.body.data.every((r: any) => r.ok));
    await stack.simAdmin.patch(`/_sim/accounts/${synced[0].sync.bmsId}`, { accountName: 'Renamed while disabled' });
    await syncNowAndWait(stack.admin);
    const kept = (await stack.admin.get(`/api/v1/organizations/${synced[0].id}`)).body.data;
    assert.equal(kept.name, synced[0].name, 'a disabled record is not overwritten by a pull');
    assert.equal(kept.sync.state, 'disabled');
    const on = await stack.admin.post('/api/v1/integrations/kaseya-bms/manage', { action: 'enable-sync', records });
    assert.ok(on.body.data.every((r: any) => r.ok));
    const bad = await stack.admin.post('/api/v1/integrations/kaseya-bms/manage', { action: 'explode', records });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details.issues[0].field, 'action');
  });

  it('orphans an organization whose account was deleted in BMS, with its locations, keeps and lists them; never from a throttled check', async () => {
    const organizations = (await stack.admin.get('/api/v1/organizations?syncState=synced&pageSize=200')).body.data as any[];
    const locations = (await stack.admin.get('/api/v1/locations?syncState=synced&pageSize=200')).body.data as any[];
    const organization = organizations.find((o) => locations.some((l) => l.organizationId === o.id));
    assert.ok(organization, 'a synced organization with synced locations');
    const itsLocations = locations.filter((l) => l.organizationId === organization.id);
    assert.equal((await stack.simAdmin.delete(`/_sim/accounts/${organization.sync.bmsId}`)).status, 204);

    // A check BMS throttles concludes nothing: the deletion waits for a pass whose check answers.
    await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'GET /v2/crm/accounts/lookup', mode: 'http-429' }] });
    try {
      const throttled = await syncNowAndWait(stack.admin);
      assert.equal(throttled.status, 'completed', JSON.stringify(throttled));
      assert.equal((await stack.admin.get(`/api/v1/organizations/${organization.id}`)).body.data.sync.state, 'synced');
      const detail = (await stack.admin.get(`/api/v1/integrations/kaseya-bms/runs/${throttled.id}`)).body.data;
      const warnings = (detail.logs as any[]).filter((l) => l.level === 'warn').map((l) => l.message as string);
      assert.ok(warnings.some((m) => /^Checking for accounts deleted in Kaseya BMS failed: .*accounts\/lookup/.test(m)), JSON.stringify(warnings));
    } finally {
      await stack.simAdmin.delete('/_sim/faults');
    }

    const before = await simRequests(stack.simAdmin);
    const run = await syncNowAndWait(stack.admin);
    const after = await simRequests(stack.simAdmin);
    assert.equal(run.counts.accounts.orphaned, 1, JSON.stringify(run.counts));
    assert.equal(run.counts.locations?.orphaned, itsLocations.length, JSON.stringify(run.counts));
    const lookups = served(after, 'GET /v2/crm/accounts/lookup') - served(before, 'GET /v2/crm/accounts/lookup');
    assert.equal(lookups, 1, 'every linked organization fits in one lookup request');
    assert.equal(served(after, 'GET /v2/crm/accounts/summary/{id}') - served(before, 'GET /v2/crm/accounts/summary/{id}'), 1, 'only the missing one read alone');

    const orphan = (await stack.admin.get(`/api/v1/organizations/${organization.id}`)).body.data;
    assert.equal(orphan.sync.state, 'orphaned');
    assert.equal(orphan.sync.message, 'Orphaned: the account no longer exists in Kaseya BMS');
    assert.equal(orphan.name, organization.name, 'kept as it was');
    const listed = (await stack.admin.get('/api/v1/organizations?syncState=orphaned&pageSize=200')).body.data as any[];
    assert.ok(listed.some((o) => o.id === organization.id), 'listed under orphans');
    const orphanLocations = (await stack.admin.get(`/api/v1/locations?organizationId=${organization.id}&pageSize=200`)).body.data as any[];
    assert.deepEqual(
      orphanLocations.map((l) => [l.id, l.sync.state, l.sync.message]).sort(),
      itsLocations.map((l) => [l.id, 'orphaned', 'Orphaned: its account no longer exists in Kaseya BMS']).sort(),
    );
    const others = (await stack.admin.get('/api/v1/organizations?syncState=synced&pageSize=200')).body.data as any[];
    assert.equal(others.length, organizations.length - 1, 'the other organizations were checked and are still synced');
  });

  it('orphans the locations of an organization whose account became inactive in BMS, with it', async () => {
    const organizations = (await stack.admin.get('/api/v1/organizations?syncState=synced&pageSize=200')).body.data as any[];
    const locations = (await stack.admin.get('/api/v1/locations?syncState=synced&pageSize=200')).body.data as any[];
    const organization = organizations.find((o) => locations.some((l) => l.organizationId === o.id));
    assert.ok(organization, 'a synced organization with synced locations');
    const itsLocations = locations.filter((l) => l.organizationId === organization.id);
    assert.equal((await stack.simAdmin.patch(`/_sim/accounts/${organization.sync.bmsId}`, { isActive: false })).status, 200);

    const run = await syncNowAndWait(stack.admin);
    assert.equal(run.counts.accounts.orphaned, 1, JSON.stringify(run.counts));
    assert.equal(run.counts.locations?.orphaned, itsLocations.length, JSON.stringify(run.counts));
    const orphan = (await stack.admin.get(`/api/v1/organizations/${organization.id}`)).body.data;
    assert.equal(orphan.sync.state, 'orphaned');
    const orphanLocations = (await stack.admin.get(`/api/v1/locations?organizationId=${organization.id}&pageSize=200`)).body.data as any[];
    assert.deepEqual(
      orphanLocations.map((l) => [l.id, l.sync.state, l.sync.message]).sort(),
      itsLocations.map((l) => [l.id, 'orphaned', 'Orphaned: its organization no longer syncs with Kaseya BMS']).sort(),
    );
    const stillSynced = (await stack.admin.get('/api/v1/locations?syncState=synced&pageSize=200')).body.data as any[];
    assert.equal(stillSynced.length, locations.length - itsLocations.length, "the other organizations' locations still sync");
  });
});
