/** Orphans, per-record sync control, Manage Data bulk actions and deletion rules. */
import assert from 'node:assert/strict';
import { startStack, type Stack } from '../helpers/stack';
import { syncNowAndWait } from '../helpers/sync';

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
});
