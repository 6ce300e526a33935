/**
 * Organization pushes through the real stack: a UI save → signal-with-start → record push workflow →
 * activity → BMS client → simulator over HTTP.
 */
import assert from 'node:assert/strict';
import { startStack, type Stack } from '../helpers/stack';
import { served, simRequests, waitFor, waitForSyncState } from '../helpers/sync';

describe('organization push', function () {
  this.timeout(120_000);
  let stack: Stack;

  before(async () => {
    stack = await startStack({ twoWay: true, settings: { organizations: { statuses: ['Active', 'Inactive'] } } });
  });
  after(async () => stack?.stop());

  async function createOrg(name: string, extra: Record<string, unknown> = {}) {
    const res = await stack.admin.post('/api/v1/organizations', { name, type: 'Client', status: 'Active', ...extra });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data as { id: string; sync: { state: string; message: string } };
  }

  it('creates the BMS account when a person saves a new organization', async () => {
    const org = await createOrg('Push Create Ltd', { shortName: 'PCL' });
    assert.equal(org.sync.state, 'queued');
    assert.equal(org.sync.message, 'Queued for push to Kaseya BMS');
    const synced = await waitForSyncState(stack.admin, 'organizations', org.id, 'synced');
    assert.ok(synced.sync.bmsId > 0);
    const account = await stack.simAdmin.get(`/_sim/accounts/${synced.sync.bmsId}`);
    assert.equal(account.status, 200);
    assert.equal(account.body.accountName, 'Push Create Ltd');
    assert.equal(account.body.accountCode, 'PCL');
    assert.equal(account.body.accountType, 'Client');
    assert.equal(account.body.isActive, true);
  });

  it('updates the BMS account when a person edits the organization', async () => {
    const org = await createOrg('Push Update Ltd');
    const { sync } = await waitForSyncState(stack.admin, 'organizations', org.id, 'synced');
    const res = await stack.admin.patch(`/api/v1/organizations/${org.id}`, { name: 'Push Update Ltd (renamed)', status: 'Inactive' });
    assert.equal(res.status, 200);
    await waitFor(
      async () => {
        const account = await stack.simAdmin.get(`/_sim/accounts/${sync.bmsId}`);
        return account.body.accountName === 'Push Update Ltd (renamed)' && account.body.isActive === false;
      },
      { timeoutMs: 20_000, what: 'the rename to reach BMS' },
    );
    await waitForSyncState(stack.admin, 'organizations', org.id, 'synced');
  });

  it('folds 10 rapid saves into at most 2 BMS writes carrying the final value', async () => {
    const org = await createOrg('Coalesce Ltd');
    const { sync } = await waitForSyncState(stack.admin, 'organizations', org.id, 'synced');
    const before = await simRequests(stack.simAdmin);
    for (let i = 1; i <= 10; i++) {
      const res = await stack.admin.patch(`/api/v1/organizations/${org.id}`, { name: `Coalesce Ltd v${i}` });
      assert.equal(res.status, 200);
    }
    await waitFor(
      async () => (await stack.simAdmin.get(`/_sim/accounts/${sync.bmsId}`)).body.accountName === 'Coalesce Ltd v10',
      { timeoutMs: 20_000, what: 'the final name to reach BMS' },
    );
    await waitForSyncState(stack.admin, 'organizations', org.id, 'synced');
    const after = await simRequests(stack.simAdmin);
    const writes =
      served(after, 'PATCH /v2/crm/accounts/{id}') - served(before, 'PATCH /v2/crm/accounts/{id}') +
      (served(after, 'PUT /v2/crm/accounts/{id}') - served(before, 'PUT /v2/crm/accounts/{id}'));
    assert.ok(writes >= 1 && writes <= 2, `expected 1–2 BMS writes, saw ${writes}`);
  });

  it('ends a push refused by BMS as failed with the reason stored, without retrying, and pushes again on the next save', async () => {
    await stack.simAdmin.put('/_sim/faults', {
      rules: [{ route: 'POST /v2/crm/accounts', mode: 'problem-details', count: 1 }],
    });
    const org = await createOrg('Refused Ltd');
    const failed = await waitForSyncState(stack.admin, 'organizations', org.id, 'failed');
    assert.match(failed.sync.message, /^Push to Kaseya BMS failed: /);
    assert.ok(failed.sync.lastError?.message, 'the BMS message is stored');
    const faults = await stack.simAdmin.get('/_sim/faults');
    assert.equal(faults.body.rules[0].fired, 1, 'BMS saw the create exactly once: no endless retry');
    await stack.simAdmin.delete('/_sim/faults');

    const res = await stack.admin.patch(`/api/v1/organizations/${org.id}`, { quickNotes: 'try again' });
    assert.equal(res.status, 200);
    const synced = await waitForSyncState(stack.admin, 'organizations', org.id, 'synced');
    assert.ok(synced.sync.bmsId > 0);
  });

  it('logs in again when the BMS token expires between pushes', async () => {
    const org = await createOrg('Token Expiry Ltd');
    const { sync } = await waitForSyncState(stack.admin, 'organizations', org.id, 'synced');
    const expired = await stack.simAdmin.post('/_sim/tokens/expire');
    assert.equal(expired.status, 200);
    const before = await simRequests(stack.simAdmin);
    await stack.admin.patch(`/api/v1/organizations/${org.id}`, { name: 'Token Expiry Ltd (after expiry)' });
    await waitFor(
      async () => (await stack.simAdmin.get(`/_sim/accounts/${sync.bmsId}`)).body.accountName === 'Token Expiry Ltd (after expiry)',
      { timeoutMs: 20_000, what: 'the push after token expiry' },
    );
    const after = await simRequests(stack.simAdmin);
    const logins =
      served(after, 'POST /v2/security/authenticate') +
      served(after, 'POST /v2/security/refreshtoken') -
      served(before, 'POST /v2/security/authenticate') -
      served(before, 'POST /v2/security/refreshtoken');
    assert.ok(logins >= 1, 'the client logged in again');
  });

  it('makes each record workflow findable in Temporal by its record id', async () => {
    const org = await createOrg('Findable Ltd');
    const synced = await waitForSyncState(stack.admin, 'organizations', org.id, 'synced');
    assert.match(synced.sync.workflowUrl, /record-push/);
    const found = await waitFor(
      async () => {
        for await (const wf of stack.temporal.workflow.list({ query: `RecordId = "${org.id}" AND RecordType = "organization"` })) {
          return wf;
        }
        return undefined;
      },
      { timeoutMs: 20_000, what: 'the workflow to be indexed' },
    );
    assert.equal(found.workflowId, synced.sync.workflowId);
  });
});

describe('organization push: safe creates', function () {
  this.timeout(120_000);
  let stack: Stack;

  before(async () => {
    stack = await startStack({ twoWay: true });
  });
  after(async () => stack?.stop());

  it('never makes a second BMS account when the answer to a create was lost', async () => {
    await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'POST /v2/crm/accounts', mode: 'drop-after-commit', count: 1 }] });
    const res = await stack.admin.post('/api/v1/organizations', { name: 'Lost Answer Ltd', type: 'Client', status: 'Active' });
    assert.equal(res.status, 201);
    const synced = await waitForSyncState(stack.admin, 'organizations', res.body.data.id, 'synced', 30_000);
    const faults = await stack.simAdmin.get('/_sim/faults');
    assert.equal(faults.body.rules[0].fired, 1, 'the create was performed and its answer dropped');
    const accounts = (await stack.simAdmin.get('/_sim/accounts')).body as Array<{ id: number; accountName: string }>;
    const matching = accounts.filter((a) => a.accountName === 'Lost Answer Ltd');
    assert.equal(matching.length, 1, 'BMS holds exactly one');
    assert.equal(synced.sync.bmsId, matching[0]!.id);
    assert.deepEqual((await stack.simAdmin.get('/_sim/violations')).body, []);
  });
});
