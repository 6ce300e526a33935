/**
 * What users rely on around the rules: first-sync matching without duplicates, echo suppression, conflicts
 * resolved with history, and accounts that never see each other's data.
 */
import assert from 'node:assert/strict';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createApiKey } from '../../services/accounts';
import { startStack, SIM_CREDENTIALS, type Stack } from '../helpers/stack';
import { served, simRequests, syncNowAndWait, waitFor, waitForIdlePulls, waitForSyncState } from '../helpers/sync';

const WRITES = ['POST /v2/crm/accounts', 'PATCH /v2/crm/accounts/{id}', 'PUT /v2/crm/accounts/{id}'];

async function writeCount(stack: Stack): Promise<number> {
  const counts = await simRequests(stack.simAdmin);
  return WRITES.reduce((n, route) => n + served(counts, route), 0);
}

describe('sync behaviour', function () {
  this.timeout(180_000);

  describe('first sync over existing documentation', () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({ connect: false });
    });
    after(async () => stack?.stop());

    it('links records that match by natural key instead of duplicating them, on both sides', async () => {
      const bmsAccounts = (await stack.simAdmin.get('/_sim/accounts')).body as Array<{ id: number; accountName: string; isActive: boolean }>;
      const existing = bmsAccounts.filter((a) => a.isActive).slice(0, 3);
      const created: Record<string, string> = {};
      for (const account of existing) {
        const res = await stack.admin.post('/api/v1/organizations', { name: account.accountName, type: 'Client', status: 'Active', quickNotes: 'ours' });
        assert.equal(res.status, 201);
        created[account.accountName] = res.body.data.id;
      }
      const connected = await stack.admin.put('/api/v1/integrations/kaseya-bms', { apiUrl: stack.sim.url, v1Url: stack.sim.url, ...SIM_CREDENTIALS });
      assert.equal(connected.status, 200);
      await waitForIdlePulls(stack.admin);

      const orgs = (await stack.admin.get('/api/v1/organizations?pageSize=200')).body.data as any[];
      for (const account of existing) {
        const same = orgs.filter((o) => o.name === account.accountName);
        assert.equal(same.length, 1, `one organization named ${account.accountName}`);
        assert.equal(same[0].id, created[account.accountName], 'the existing record was linked');
        assert.equal(same[0].sync.bmsId, account.id);
        assert.equal(same[0].quickNotes, 'ours', 'unmapped fields are kept');
        const history = (await stack.admin.get(`/api/v1/organizations/${same[0].id}/history`)).body.data as any[];
        assert.ok(history.some((h) => h.kind === 'linked'));
      }
      const after = (await stack.simAdmin.get('/_sim/accounts')).body as any[];
      assert.equal(after.length, bmsAccounts.length, 'nothing created in BMS');
      assert.equal(new Set(orgs.map((o) => o.name)).size, orgs.length, 'no duplicate organizations');
    });

    it('links a pushed record to the BMS account of the same name instead of creating another', async () => {
      await stack.admin.patch('/api/v1/integrations/kaseya-bms/sync-settings', { twoWayEnabled: true });
      const name = 'Only In BMS Yet Ltd';
      const made = await stack.simAdmin.post('/_sim/accounts', { accountName: name, accountTypeId: 1, isActive: true });
      assert.equal(made.status, 201);
      const org = await stack.admin.post('/api/v1/organizations', { name, type: 'Client', status: 'Active' });
      const synced = await waitForSyncState(stack.admin, 'organizations', org.body.data.id, 'synced');
      assert.equal(synced.sync.bmsId, made.body.id);
      const accounts = (await stack.simAdmin.get('/_sim/accounts')).body as any[];
      assert.equal(accounts.filter((a) => a.accountName === name).length, 1);
    });
  });

  describe('two-way changes', () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({ twoWay: true });
    });
    after(async () => stack?.stop());

    it('never pushes a change that came from a pull', async () => {
      const org = (await stack.admin.get('/api/v1/organizations?syncState=synced&pageSize=1')).body.data[0];
      const writesBefore = await writeCount(stack);
      await stack.simAdmin.patch(`/_sim/accounts/${org.sync.bmsId}`, { accountName: `${org.name} (BMS edit)`, accountCode: 'BMSEDIT' });
      await syncNowAndWait(stack.admin);
      const pulled = (await stack.admin.get(`/api/v1/organizations/${org.id}`)).body.data;
      assert.equal(pulled.name, `${org.name} (BMS edit)`);
      assert.equal(pulled.sync.state, 'synced');
      await assert.rejects(stack.temporal.workflow.getHandle(pulled.sync.workflowId).describe(), WorkflowNotFoundError);
      // A pull after that sees the same BMS record and writes nothing either.
      await syncNowAndWait(stack.admin);
      assert.equal(await writeCount(stack), writesBefore, 'no BMS write');
      assert.equal((await stack.admin.get(`/api/v1/organizations/${org.id}`)).body.data.version, pulled.version);
    });

    it('does not bring a value just pushed back as a change', async () => {
      const res = await stack.admin.post('/api/v1/organizations', { name: 'Echo Ltd', type: 'Client', status: 'Active' });
      const synced = await waitForSyncState(stack.admin, 'organizations', res.body.data.id, 'synced');
      const push = await stack.temporal.workflow.getHandle(synced.sync.workflowId).describe();
      assert.equal(push.priority?.fairnessKey, stack.accountId, 'pushes are dispatched fairly per account');
      await syncNowAndWait(stack.admin);
      const after = (await stack.admin.get(`/api/v1/organizations/${synced.id}`)).body.data;
      assert.equal(after.version, synced.version, 'the pull did not rewrite the record');
      const history = (await stack.admin.get(`/api/v1/organizations/${synced.id}/history`)).body.data as any[];
      assert.ok(!history.some((h) => h.kind === 'pulled' || h.kind === 'conflict'));
    });

    it('resolves a field changed on both sides by the newer change and records the conflict with both values', async () => {
      const key = await stack.apiKey('editor');
      const orgs = (await stack.admin.get('/api/v1/organizations?syncState=synced&pageSize=3')).body.data as any[];
      const [remoteWins, localWins] = orgs;

      // Documentation first, BMS later: BMS is newer and wins.
      await key.patch(`/api/v1/organizations/${remoteWins.id}`, { shortName: 'DOCS' });
      await stack.simAdmin.patch(`/_sim/accounts/${remoteWins.sync.bmsId}`, { accountCode: 'BMS' });
      // BMS first, documentation later: the documentation is newer and wins.
      await stack.simAdmin.patch(`/_sim/accounts/${localWins.sync.bmsId}`, { accountCode: 'BMS2' });
      await waitFor(async () => Date.now() > Date.parse((await stack.simAdmin.get(`/_sim/accounts/${localWins.sync.bmsId}`)).body.modifiedOn + 'Z'), {
        what: 'the clock to move past the BMS edit',
      });
      await key.patch(`/api/v1/organizations/${localWins.id}`, { shortName: 'DOCS2' });

      await syncNowAndWait(stack.admin);

      const r = (await stack.admin.get(`/api/v1/organizations/${remoteWins.id}`)).body.data;
      assert.equal(r.shortName, 'BMS');
      const rConflict = ((await stack.admin.get(`/api/v1/organizations/${remoteWins.id}/history`)).body.data as any[]).find((h) => h.kind === 'conflict');
      assert.ok(rConflict, 'conflict recorded');
      assert.equal(rConflict.changes.field, 'shortName');
      assert.equal(rConflict.changes.local, 'DOCS');
      assert.equal(rConflict.changes.remote, 'BMS');
      assert.equal(rConflict.changes.winner, 'remote');
      assert.ok(rConflict.changes.localChangedAt && rConflict.changes.remoteChangedAt);

      const l = (await stack.admin.get(`/api/v1/organizations/${localWins.id}`)).body.data;
      assert.equal(l.shortName, 'DOCS2');
      const lConflict = ((await stack.admin.get(`/api/v1/organizations/${localWins.id}/history`)).body.data as any[]).find((h) => h.kind === 'conflict');
      assert.equal(lConflict.changes.winner, 'local');
      assert.equal(lConflict.changes.remote, 'BMS2');
      // The winning documentation value still has to reach BMS: a person's save sends it.
      assert.equal(l.sync.state, 'not_pushed');
      await stack.admin.post(`/api/v1/organizations/${localWins.id}/push`);
      await waitFor(async () => (await stack.simAdmin.get(`/_sim/accounts/${localWins.sync.bmsId}`)).body.accountCode === 'DOCS2', {
        timeoutMs: 20_000,
        what: 'the winning value in BMS',
      });
    });
  });

  describe('accounts are isolated', () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack();
    });
    after(async () => stack?.stop());

    it("never lets one account's API key or users see or touch another account's records", async () => {
      const other = await stack.otherAccount();
      const mine = (await stack.admin.get('/api/v1/organizations?pageSize=1')).body.data[0];
      const theirs = await other.admin.post('/api/v1/organizations', { name: 'Other Tenant Ltd', type: 'Client', status: 'Active' });
      assert.equal(theirs.status, 201);
      const { key } = await createApiKey(stack.env.db, { accountId: other.accountId, name: 'B key', role: 'administrator', createdBy: null });
      const b = stack.anonymous.withToken(key);
      assert.equal((await b.get(`/api/v1/organizations/${mine.id}`)).status, 404);
      assert.equal((await b.patch(`/api/v1/organizations/${mine.id}`, { quickNotes: 'x' })).status, 404);
      assert.equal((await b.delete(`/api/v1/organizations/${mine.id}`)).status, 404);
      assert.equal((await b.get(`/api/v1/organizations/${mine.id}/history`)).status, 404);
      assert.equal((await b.post(`/api/v1/organizations/${mine.id}/sync/disable`)).status, 404);
      const list = (await b.get('/api/v1/organizations?pageSize=200')).body.data as any[];
      assert.deepEqual(list.map((o) => o.name), ['Other Tenant Ltd']);
      const borrowed = await b.post('/api/v1/locations', { organizationId: mine.id, name: 'Sneaky' });
      assert.equal(borrowed.status, 422);
      assert.equal(borrowed.body.error.code, 'invalid_reference');
      assert.equal((await stack.admin.get(`/api/v1/organizations/${theirs.body.data.id}`)).status, 404);
      const manage = await b.post('/api/v1/integrations/kaseya-bms/manage', { action: 'delete', records: [{ recordType: 'organization', id: mine.id }] });
      assert.equal(manage.body.data[0].ok, false);
      assert.equal(manage.body.data[0].error.code, 'not_found');
      assert.equal((await stack.admin.get(`/api/v1/organizations/${mine.id}`)).status, 200, 'untouched');
    });
  });
});
