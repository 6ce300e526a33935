/**
 * Acceptance tests for the product rules R1–R10 (DESIGN.md §2), against the real Temporal dev server,
 * real PostgreSQL and the BMS simulator over HTTP.
 */
import assert from 'node:assert/strict';
import { WorkflowNotFoundError } from '@temporalio/client';
import { MESSAGE_NOT_YET_PUSHED, MESSAGE_QUEUED } from '../../domain/sync-state';
import { pullScheduleId } from '../../workflows/definitions';
import { pullOffsetSeconds } from '../../lib/temporal';
import type { HttpClient } from '../helpers/api-client';
import { startStack, type Stack } from '../helpers/stack';
import { served, simRequests, syncNowAndWait, waitFor, waitForSyncState } from '../helpers/sync';

const SETTINGS = '/api/v1/integrations/kaseya-bms/sync-settings';

async function lookups(stack: Stack) {
  return (await stack.admin.get('/api/v1/integrations/kaseya-bms/lookups')).body.data as {
    accountTypes: Array<{ id: number; name: string }>;
  };
}

async function typeId(stack: Stack, name: string): Promise<number> {
  const found = (await lookups(stack)).accountTypes.find((t) => t.name === name);
  assert.ok(found, `account type ${name}`);
  return found.id;
}

async function createOrg(api: HttpClient, name: string, extra: Record<string, unknown> = {}) {
  const res = await api.post('/api/v1/organizations', { name, type: 'Client', status: 'Active', ...extra });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.data;
}

const COLLECTIONS = ['organizations', 'locations', 'contacts', 'configurations'] as const;
type Collection = (typeof COLLECTIONS)[number];

/** A minimal record of each type that BMS would take, under `orgId` (ignored for organizations). */
function recordBody(collection: Collection, name: string, orgId: string): Record<string, unknown> {
  switch (collection) {
    case 'organizations':
      return { name, type: 'Client', status: 'Active' };
    case 'locations':
      return { organizationId: orgId, name, address1: '1 Test Street', city: 'Austin' };
    case 'contacts':
      return {
        organizationId: orgId,
        firstName: name,
        lastName: 'Tester',
        emails: [{ value: `${name.replace(/\W+/g, '.').toLowerCase()}@example.com`, label: 'Work', primary: true }],
        phones: [{ value: '+1 512 555 0100', label: 'Office', primary: true }],
      };
    case 'configurations':
      return { organizationId: orgId, name, type: 'Workstation', status: 'Active', serialNumber: `SN-${name}` };
  }
}

/** A synced field and an unsynced field of each type, with values to write. */
const FIELDS: Record<Collection, { synced: [string, unknown]; unsynced: [string, unknown] }> = {
  organizations: { synced: ['shortName', 'R3'], unsynced: ['quickNotes', 'ours'] },
  locations: { synced: ['city', 'Elsewhere'], unsynced: ['notes', 'ours'] },
  contacts: { synced: ['title', 'Boss'], unsynced: ['notes', 'ours'] },
  configurations: { synced: ['serialNumber', 'CHANGED'], unsynced: ['hostname', 'ours-host'] },
};

/** True when no push workflow was ever started for the record (nothing was queued to Temporal). */
async function neverQueued(stack: Stack, workflowId: string): Promise<boolean> {
  try {
    await stack.temporal.workflow.getHandle(workflowId).describe();
    return false;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return true;
    throw err;
  }
}

async function bmsAccountsNamed(stack: Stack, name: string) {
  const accounts = (await stack.simAdmin.get('/_sim/accounts')).body as Array<{ id: number; accountName: string }>;
  return accounts.filter((a) => a.accountName === name);
}

describe('rules', function () {
  this.timeout(180_000);

  describe('one-way account (two-way off)', () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack();
    });
    after(async () => stack?.stop());

    it('R2: two-way sync is off by default, and nothing is pushed', async () => {
      const settings = await stack.admin.get(SETTINGS);
      assert.equal(settings.body.data.twoWayEnabled, false);
      const before = await simRequests(stack.simAdmin);
      const org = await createOrg(stack.admin, 'R2 Local Only Ltd');
      assert.equal(org.sync.state, 'not_pushed');
      assert.match(org.sync.message, /two-way sync is off/);
      assert.ok(await neverQueued(stack, org.sync.workflowId));
      const orgs = (await stack.admin.get('/api/v1/organizations?syncState=synced&pageSize=1')).body.data;
      const synced = orgs[0];
      const res = await stack.admin.patch(`/api/v1/organizations/${synced.id}`, { quickNotes: 'an unmapped note' });
      assert.equal(res.status, 200);
      assert.ok(await neverQueued(stack, synced.sync.workflowId));
      const after = await simRequests(stack.simAdmin);
      for (const route of ['POST /v2/crm/accounts', 'PATCH /v2/crm/accounts/{id}', 'PUT /v2/crm/accounts/{id}']) {
        assert.equal(served(after, route), served(before, route), `${route} was not called`);
      }
      assert.equal((await bmsAccountsNamed(stack, 'R2 Local Only Ltd')).length, 0);
      for (const collection of COLLECTIONS.slice(1)) {
        const res = await stack.admin.post(`/api/v1/${collection}`, recordBody(collection, `R2 ${collection}`, org.id));
        assert.equal(res.status, 201, JSON.stringify(res.body));
        assert.equal(res.body.data.sync.state, 'not_pushed', collection);
        assert.ok(await neverQueued(stack, res.body.data.sync.workflowId), collection);
      }
      const afterAll = await simRequests(stack.simAdmin);
      const writes = Object.entries(afterAll).filter(([route]) => !route.startsWith('GET ') && !route.includes('/security/') && !route.includes('/api/token'));
      for (const [route, counts] of writes) assert.equal(counts.served, before[route]?.served ?? 0, `${route} was not called`);
    });

    it('R3: synced fields of a synced record are read-only, naming the field; unmapped fields stay editable', async () => {
      const synced = (await stack.admin.get('/api/v1/organizations?syncState=synced&pageSize=1')).body.data[0];
      const refused = await stack.admin.patch(`/api/v1/organizations/${synced.id}`, { name: 'Edited in docs', shortName: 'EDIT' });
      assert.equal(refused.status, 422);
      assert.equal(refused.body.error.code, 'read_only_field');
      assert.deepEqual(refused.body.error.details.fields, ['name', 'shortName']);
      assert.match(refused.body.error.message, /name, shortName are synced from Kaseya BMS/);
      const unchanged = await stack.admin.get(`/api/v1/organizations/${synced.id}`);
      assert.equal(unchanged.body.data.name, synced.name, 'nothing stored');
      const allowed = await stack.admin.patch(`/api/v1/organizations/${synced.id}`, { description: 'ours', quickNotes: 'q', alert: 'a' });
      assert.equal(allowed.status, 200);
      assert.equal(allowed.body.data.description, 'ours');
      const sameValue = await stack.admin.patch(`/api/v1/organizations/${synced.id}`, { name: synced.name });
      assert.equal(sameValue.status, 200, 'sending a synced field unchanged is not an edit');
      for (const collection of COLLECTIONS.slice(1)) {
        const record = (await stack.admin.get(`/api/v1/${collection}?syncState=synced&pageSize=1`)).body.data[0];
        assert.ok(record, `a synced ${collection} record (pulled from the demo data)`);
        const [field, value] = FIELDS[collection].synced;
        const locked = await stack.admin.patch(`/api/v1/${collection}/${record.id}`, { [field]: value });
        assert.equal(locked.status, 422, `${collection}.${field}`);
        assert.deepEqual(locked.body.error.details.fields, [field]);
        const [free, freeValue] = FIELDS[collection].unsynced;
        const ok = await stack.admin.patch(`/api/v1/${collection}/${record.id}`, { [free]: freeValue });
        assert.equal(ok.status, 200, `${collection}.${free}: ${JSON.stringify(ok.body)}`);
      }
    });

    it('R9: only administrators and managers change the integration or Sync Settings or start a sync', async () => {
      const readOnly = await stack.userWithRole('read-only');
      const editor = await stack.userWithRole('editor');
      const manager = await stack.userWithRole('manager');
      for (const user of [readOnly, editor]) {
        assert.equal((await user.patch(SETTINGS, { settings: { pull: { intervalMinutes: 30 } } })).status, 403);
        assert.equal((await user.post('/api/v1/integrations/kaseya-bms/sync')).status, 403);
        const put = await user.put('/api/v1/integrations/kaseya-bms', { apiUrl: stack.sim.url, tenant: 'x', username: 'y', password: 'z' });
        assert.equal(put.status, 403);
        assert.equal(put.body.error.code, 'forbidden');
        assert.equal((await user.get(SETTINGS)).status, 200, 'reading the settings is allowed');
      }
      const ok = await manager.patch(SETTINGS, { settings: { pull: { intervalMinutes: 20 } } });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal((await manager.post('/api/v1/integrations/kaseya-bms/sync')).status, 202);
      const key = await stack.apiKey('read-only');
      assert.equal((await key.patch(SETTINGS, { settings: { pull: { intervalMinutes: 30 } } })).status, 403);
    });

    it('R8: pulls run on the Schedule from the settings; changing the interval updates it; Sync now runs one at once', async () => {
      const handle = stack.temporal.schedule.getHandle(pullScheduleId(stack.accountId));
      const res = await stack.admin.patch(SETTINGS, { settings: { pull: { intervalMinutes: 45 } } });
      assert.equal(res.status, 200);
      const described = await handle.describe();
      assert.equal(described.spec.intervals?.[0]?.every, 45 * 60_000);
      assert.equal(described.spec.intervals?.[0]?.offset, pullOffsetSeconds(stack.accountId, 45) * 1000, 'the account keeps its own place in the interval');
      assert.equal(described.action.priority?.fairnessKey, stack.accountId, 'pulls are dispatched fairly per account');
      const cron = await stack.admin.patch(SETTINGS, { settings: { pull: { cron: '*/30 * * * *' } } });
      assert.equal(cron.status, 200, JSON.stringify(cron.body));
      assert.ok((await handle.describe()).spec.calendars?.length, 'the cron expression became the schedule');
      const bad = await stack.admin.patch(SETTINGS, { settings: { pull: { cron: 'every day' } } });
      assert.equal(bad.status, 422);
      assert.equal(bad.body.error.details.field, 'settings.pull.cron');
      const back = await stack.admin.patch(SETTINGS, { settings: { pull: { cron: null, intervalMinutes: 15 } } });
      assert.equal(back.status, 200);
      const run = await syncNowAndWait(stack.admin);
      assert.equal(run.status, 'completed');
    });

    it('R10: two-way sync needs the Select or Enterprise plan', async () => {
      const basic = await stack.otherAccount('basic');
      const connected = await basic.admin.put('/api/v1/integrations/kaseya-bms', {
        apiUrl: stack.sim.url,
        v1Url: stack.sim.url,
        tenant: 'Demo MSP',
        username: 'api.user',
        password: 'demo-password',
      });
      assert.equal(connected.status, 200, JSON.stringify(connected.body));
      const refused = await basic.admin.patch(SETTINGS, { twoWayEnabled: true });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'plan_required');
      assert.match(refused.body.error.message, /Select and Enterprise/);
      assert.equal((await basic.admin.get(SETTINGS)).body.data.twoWayEnabled, false);
      const select = await stack.otherAccount('select');
      await select.admin.put('/api/v1/integrations/kaseya-bms', {
        apiUrl: stack.sim.url,
        v1Url: stack.sim.url,
        tenant: 'Demo MSP',
        username: 'api.user',
        password: 'demo-password',
      });
      assert.equal((await select.admin.patch(SETTINGS, { twoWayEnabled: true })).status, 200);
    });
  });

  describe('two-way account', () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({ twoWay: true });
    });
    after(async () => stack?.stop());

    it('R4: a person’s save of a new or changed record is pushed immediately', async () => {
      const org = await createOrg(stack.admin, 'R4 New Ltd');
      assert.equal(org.sync.message, MESSAGE_QUEUED);
      const synced = await waitForSyncState(stack.admin, 'organizations', org.id, 'synced');
      await stack.admin.patch(`/api/v1/organizations/${org.id}`, { shortName: 'R4NEW' });
      await waitFor(async () => (await stack.simAdmin.get(`/_sim/accounts/${synced.sync.bmsId}`)).body.accountCode === 'R4NEW', {
        timeoutMs: 20_000,
        what: 'the change in BMS',
      });
      const simPath: Record<Collection, string> = { organizations: 'accounts', locations: 'locations', contacts: 'contacts', configurations: 'assets' };
      for (const collection of COLLECTIONS.slice(1)) {
        const res = await stack.admin.post(`/api/v1/${collection}`, recordBody(collection, `R4 ${collection}`, org.id));
        assert.equal(res.status, 201, JSON.stringify(res.body));
        assert.equal(res.body.data.sync.message, MESSAGE_QUEUED, collection);
        const done = await waitForSyncState(stack.admin, collection, res.body.data.id, 'synced');
        const [field, value] = FIELDS[collection].synced;
        await stack.admin.patch(`/api/v1/${collection}/${done.id}`, { [field]: value });
        await waitForSyncState(stack.admin, collection, done.id, 'synced');
        const inBms = await stack.simAdmin.get(`/_sim/${simPath[collection]}/${done.sync.bmsId}`);
        assert.equal(inBms.status, 200, `${collection} in BMS`);
        assert.ok(JSON.stringify(inBms.body).includes(String(value)), `${collection}.${field} reached BMS`);
      }
    });

    it('R1 and R7: only types and statuses set to sync are pulled or pushed; others are not queued and say why', async () => {
      const client = await typeId(stack, 'Client');
      const res = await stack.admin.patch(SETTINGS, { settings: { organizations: { types: [client], statuses: ['Active'] } } });
      assert.equal(res.status, 200);
      const vendor = await createOrg(stack.admin, 'R7 Vendor Ltd', { type: 'Vendor' });
      assert.equal(vendor.sync.state, 'excluded');
      assert.match(vendor.sync.message, /type 'Vendor' is not set to sync/);
      assert.ok(await neverQueued(stack, vendor.sync.workflowId));
      const inactive = await createOrg(stack.admin, 'R7 Inactive Ltd', { status: 'Inactive' });
      assert.equal(inactive.sync.state, 'excluded');
      assert.match(inactive.sync.message, /status 'Inactive' is not set to sync/);

      // Configurations sync by asset category and status the same way.
      const categories = (await stack.admin.get('/api/v1/integrations/kaseya-bms/lookups')).body.data.assetCategories as Array<{ id: number; name: string }>;
      const workstation = categories.find((c) => c.name === 'Workstation')!.id;
      await stack.admin.patch(SETTINGS, { settings: { configurations: { types: [workstation] } } });
      const host = await createOrg(stack.admin, 'R7 Host Ltd');
      await waitForSyncState(stack.admin, 'organizations', host.id, 'synced');
      const printer = await stack.admin.post('/api/v1/configurations', { ...recordBody('configurations', 'R7 Printer', host.id), type: 'Printer' });
      assert.equal(printer.body.data.sync.state, 'excluded');
      assert.match(printer.body.data.sync.message, /type 'Printer' is not set to sync/);
      assert.ok(await neverQueued(stack, printer.body.data.sync.workflowId));
      // A contact of an organization that does not sync does not sync either, and says why.
      const contact = await stack.admin.post('/api/v1/contacts', recordBody('contacts', 'R7 Vendor Contact', vendor.id));
      const excluded = await waitForSyncState(stack.admin, 'contacts', contact.body.data.id, 'excluded');
      assert.match(excluded.sync.message, /its organization is not synced/);
      await stack.admin.patch(SETTINGS, { settings: { configurations: { types: categories.map((c) => c.id) } } });

      // A new BMS account of a type that does not sync is not pulled; one that does is.
      await stack.simAdmin.post('/_sim/accounts', { accountName: 'R1 Partner in BMS', accountTypeId: await typeId(stack, 'Partner') });
      await stack.simAdmin.post('/_sim/accounts', { accountName: 'R1 Client in BMS', accountTypeId: client });
      await syncNowAndWait(stack.admin);
      const names = ((await stack.admin.get('/api/v1/organizations?pageSize=200')).body.data as any[]).map((o) => o.name);
      assert.ok(names.includes('R1 Client in BMS'));
      assert.ok(!names.includes('R1 Partner in BMS'));
      assert.equal((await bmsAccountsNamed(stack, 'R7 Vendor Ltd')).length, 0);
      await stack.admin.patch(SETTINGS, { settings: { organizations: { types: (await lookups(stack)).accountTypes.map((t) => t.id) } } });
    });

    it('R5: turning two-way on pushes nothing that exists; a save queues it', async () => {
      const off = await stack.admin.patch(SETTINGS, { twoWayEnabled: false });
      assert.equal(off.status, 200);
      const existing = await createOrg(stack.admin, 'R5 Existing Ltd');
      // Records of the other types, under an organization that is in BMS already (pulled).
      const parent = (await stack.admin.get('/api/v1/organizations?syncState=synced&pageSize=1')).body.data[0];
      const children: Array<[Collection, string]> = [];
      for (const collection of COLLECTIONS.slice(1)) {
        const res = await stack.admin.post(`/api/v1/${collection}`, recordBody(collection, `R5 ${collection}`, parent.id));
        children.push([collection, res.body.data.id]);
      }
      const on = await stack.admin.patch(SETTINGS, { twoWayEnabled: true });
      assert.equal(on.body.data.twoWayEnabled, true);
      const shown = (await stack.admin.get(`/api/v1/organizations/${existing.id}`)).body.data;
      assert.equal(shown.sync.message, MESSAGE_NOT_YET_PUSHED);
      assert.ok(await neverQueued(stack, shown.sync.workflowId));
      assert.equal((await bmsAccountsNamed(stack, 'R5 Existing Ltd')).length, 0);
      const saved = await stack.admin.patch(`/api/v1/organizations/${existing.id}`, { quickNotes: 'touch' });
      assert.equal(saved.body.data.sync.message, MESSAGE_QUEUED);
      await waitForSyncState(stack.admin, 'organizations', existing.id, 'synced');
      assert.equal((await bmsAccountsNamed(stack, 'R5 Existing Ltd')).length, 1);
      for (const [collection, id] of children) {
        const before = (await stack.admin.get(`/api/v1/${collection}/${id}`)).body.data;
        assert.equal(before.sync.message, MESSAGE_NOT_YET_PUSHED, collection);
        assert.ok(await neverQueued(stack, before.sync.workflowId), collection);
        const [free, value] = FIELDS[collection].unsynced;
        const saved = await stack.admin.patch(`/api/v1/${collection}/${id}`, { [free]: value });
        assert.equal(saved.body.data.sync.message, MESSAGE_QUEUED, collection);
        await waitForSyncState(stack.admin, collection, id, 'synced');
      }
    });

    it('R6: API-key writes and imports are stored but never pushed until a person saves them', async () => {
      const key = await stack.apiKey('editor');
      const viaApi = await key.post('/api/v1/organizations', { name: 'R6 Via API Ltd', type: 'Client', status: 'Active' });
      assert.equal(viaApi.status, 201);
      assert.equal(viaApi.body.data.sync.message, MESSAGE_NOT_YET_PUSHED);
      const imported = await stack.admin.call(
        'POST',
        '/api/v1/organizations/import',
        'name,shortName,type,status\nR6 Imported One,IMP1,Client,Active\nR6 Imported Two,,Client,Active\n',
        { 'content-type': 'text/csv' },
      );
      assert.equal(imported.status, 201, JSON.stringify(imported.body));
      assert.equal(imported.body.data.created, 2);
      const json = await key.post('/api/v1/organizations/import', { records: [{ name: 'R6 Imported Three', type: 'Client', status: 'Active' }] });
      assert.equal(json.status, 201);
      for (const id of [viaApi.body.data.id, ...imported.body.data.ids, ...json.body.data.ids]) {
        const rec = (await stack.admin.get(`/api/v1/organizations/${id}`)).body.data;
        assert.equal(rec.sync.message, MESSAGE_NOT_YET_PUSHED);
        assert.ok(await neverQueued(stack, rec.sync.workflowId));
      }
      for (const name of ['R6 Via API Ltd', 'R6 Imported One', 'R6 Imported Two', 'R6 Imported Three']) {
        assert.equal((await bmsAccountsNamed(stack, name)).length, 0, name);
      }
      const host = await createOrg(stack.admin, 'R6 Host Ltd');
      await waitForSyncState(stack.admin, 'organizations', host.id, 'synced');
      for (const collection of COLLECTIONS.slice(1)) {
        const byKey = await key.post(`/api/v1/${collection}`, recordBody(collection, `R6 ${collection}`, host.id));
        assert.equal(byKey.status, 201, JSON.stringify(byKey.body));
        assert.equal(byKey.body.data.sync.message, MESSAGE_NOT_YET_PUSHED, collection);
        const batch = await key.post(`/api/v1/${collection}/import`, { records: [recordBody(collection, `R6 imported ${collection}`, host.id)] });
        assert.equal(batch.status, 201, JSON.stringify(batch.body));
        for (const id of [byKey.body.data.id, ...batch.body.data.ids]) {
          const rec = (await stack.admin.get(`/api/v1/${collection}/${id}`)).body.data;
          assert.equal(rec.sync.message, MESSAGE_NOT_YET_PUSHED, collection);
          assert.ok(await neverQueued(stack, rec.sync.workflowId), collection);
        }
      }
      // An API-key update of a synced record is not pushed either; it waits for a person.
      const synced = await createOrg(stack.admin, 'R6 Synced Ltd');
      await waitForSyncState(stack.admin, 'organizations', synced.id, 'synced');
      const update = await key.patch(`/api/v1/organizations/${synced.id}`, { shortName: 'BYKEY' });
      assert.equal(update.body.data.sync.message, MESSAGE_NOT_YET_PUSHED);
      // The push action is a person's save; automation may not use it.
      assert.equal((await key.post(`/api/v1/organizations/${viaApi.body.data.id}/push`)).status, 403);
      const pushed = await stack.admin.post(`/api/v1/organizations/${viaApi.body.data.id}/push`);
      assert.equal(pushed.status, 202);
      assert.equal(pushed.body.data.sync.message, MESSAGE_QUEUED);
      await waitForSyncState(stack.admin, 'organizations', viaApi.body.data.id, 'synced');
      assert.equal((await bmsAccountsNamed(stack, 'R6 Via API Ltd')).length, 1);
    });
  });
});
