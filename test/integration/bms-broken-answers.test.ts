/**
 * BMS answers that break the contract (an HTML error page, truncated JSON, JSON in no BMS shape) end in a
 * clear, stored error — on the record while a push retries, in the run's log and result for a pull —
 * never a crash, a silent skip or a wrong link. And since BMS has no idempotency key, a create whose
 * answer never arrives is not sent again blindly: for every create the product makes (account, V1
 * location, contact, hardware asset) and every way BMS can perform a create and lose its answer (the
 * connection drops, the answer is cut off, the answer comes after the client gave up), the retry finds the
 * record and links it, and BMS holds exactly one.
 */
import assert from 'node:assert/strict';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor, waitForSyncState } from '../helpers/sync';

interface Create {
  collection: string;
  route: string;
  /** The record to save, under `organizationId` (null: the create is the organization itself). */
  body(name: string, organizationId: string | null): Record<string, unknown>;
  /** The names of BMS's records of this kind under the account. */
  held(stack: Stack, accountBmsId: number | null): Promise<string[]>;
}

const CREATES: Create[] = [
  {
    collection: 'organizations',
    route: 'POST /v2/crm/accounts',
    body: (name) => ({ name, type: 'Client', status: 'Active' }),
    held: async (stack) => ((await stack.simAdmin.get('/_sim/accounts')).body as any[]).map((a) => a.accountName),
  },
  {
    collection: 'locations',
    route: 'POST /api/crm/locations',
    body: (name, organizationId) => ({ organizationId, name, address1: '1 Retry Row', city: 'Boston', region: 'MA', country: 'United States' }),
    held: async (stack, account) => ((await stack.simAdmin.get(`/_sim/locations?accountId=${account}`)).body as any[]).map((l) => l.locationName),
  },
  {
    collection: 'contacts',
    route: 'POST /v2/crm/contacts/summary',
    body: (name, organizationId) => ({
      organizationId,
      firstName: name,
      lastName: 'Retry',
      emails: [{ value: 'retry@lost.example', label: 'Work', primary: true }],
      phones: [{ value: '555 0700', label: 'Office', primary: true }],
    }),
    held: async (stack, account) => ((await stack.simAdmin.get(`/_sim/contacts?accountId=${account}`)).body as any[]).map((c) => c.firstName),
  },
  {
    collection: 'configurations',
    route: 'POST /v2/servicedesk/hardwareasset',
    body: (name, organizationId) => ({ organizationId, name, type: 'Workstation', status: 'Active', serialNumber: `SN-${name}` }),
    held: async (stack, account) => ((await stack.simAdmin.get(`/_sim/assets?accountId=${account}`)).body as any[]).map((a) => a.name),
  },
];

/** Fault rules that let BMS perform the create and lose its answer (the stack's client gives up after 5 s). */
const LOSSES = [
  { mode: 'drop-after-commit' },
  { mode: 'truncated-json' },
  { mode: 'slow', delayMs: 7_000 },
] as const;

describe('broken BMS answers', function () {
  this.timeout(180_000);
  let stack: Stack;
  before(async () => {
    stack = await startStack({ twoWay: true });
  });
  after(async () => stack?.stop());
  afterEach(async () => stack.simAdmin.delete('/_sim/faults'));

  for (const [mode, pattern] of [
    // A page that is not a BMS answer is not echoed: the message carries a reference to the server log.
    ['html', /failed on POST \/v2\/crm\/accounts \(502\): the answer was not from the Kaseya BMS API \(reference /],
    ['truncated-json', /unreadable answer for POST \/v2\/crm\/accounts \(\d+\): the answer was not from the Kaseya BMS API/],
    ['wrong-envelope', /answered POST \/v2\/crm\/accounts without the record/],
  ] as const) {
    it(`keeps a push queued with the error shown while BMS answers ${mode}, then delivers it once`, async () => {
      await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'POST /v2/crm/accounts', mode }] });
      const name = `Broken ${mode} Ltd`;
      const res = await stack.admin.post('/api/v1/organizations', { name, type: 'Client', status: 'Active' });
      const shown = await waitFor(
        async () => {
          const rec = (await stack.admin.get(`/api/v1/organizations/${res.body.data.id}`)).body.data;
          return rec.sync.lastError ? rec : undefined;
        },
        { timeoutMs: 20_000, what: 'the error on the record' },
      );
      assert.equal(shown.sync.state, 'queued', 'still queued: the push keeps trying');
      assert.equal(shown.sync.lastError.retrying, true);
      assert.match(shown.sync.lastError.message, pattern);
      assert.doesNotMatch(shown.sync.lastError.message, /Bad Gateway|proxy server/);
      await stack.simAdmin.delete('/_sim/faults');
      const synced = await waitForSyncState(stack.admin, 'organizations', res.body.data.id, 'synced', 60_000);
      assert.equal(synced.sync.lastError, null);
      const accounts = (await stack.simAdmin.get('/_sim/accounts')).body as any[];
      // truncated-json answers after the create was made: the retry finds it instead of creating twice.
      assert.equal(accounts.filter((a) => a.accountName === name).length, 1);
    });
  }

  it('ends a pull that only ever gets an HTML page as failed, with the reason in the run and its log', async () => {
    await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'GET /v2/crm/accounts/summary', mode: 'html' }] });
    const started = await stack.admin.post('/api/v1/integrations/kaseya-bms/sync');
    assert.equal(started.status, 202);
    const run = await waitFor(
      async () => {
        const runs = (await stack.admin.get('/api/v1/integrations/kaseya-bms/runs?pageSize=1')).body.data as any[];
        return runs[0]?.status === 'failed' ? runs[0] : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: 'the pull to fail' },
    );
    assert.match(run.error, /Kaseya BMS failed on GET \/v2\/crm\/accounts\/summary \(502\)/);
    const detail = (await stack.admin.get(`/api/v1/integrations/kaseya-bms/runs/${run.id}`)).body.data;
    const errors = (detail.logs as any[]).filter((l) => l.level === 'error');
    assert.ok(errors.length >= 2, 'each attempt is logged');
    assert.match(errors[0].message, /Reading accounts failed \(attempt 1\)/);
    // The system is still healthy: once BMS answers again, the next pull completes.
    await stack.simAdmin.delete('/_sim/faults');
    const next = await stack.admin.post('/api/v1/integrations/kaseya-bms/sync');
    assert.equal(next.status, 202);
    await waitFor(
      async () => ((await stack.admin.get('/api/v1/integrations/kaseya-bms/runs?pageSize=1')).body.data as any[])[0]?.status === 'completed',
      { timeoutMs: 60_000, what: 'a healthy pull' },
    );
  });

  let serial = 0;
  for (const create of CREATES) {
    for (const loss of LOSSES) {
      it(`makes exactly one BMS record of ${create.collection} when ${create.route} is performed and its answer ${loss.mode}`, async () => {
        const name = `Lost ${loss.mode} ${++serial}`;
        let organization: { id: string; bmsId: number } | null = null;
        if (create.collection !== 'organizations') {
          const res = await stack.admin.post('/api/v1/organizations', { name: `${name} Ltd`, type: 'Client', status: 'Active' });
          const synced = await waitForSyncState(stack.admin, 'organizations', res.body.data.id, 'synced');
          organization = { id: synced.id, bmsId: synced.sync.bmsId };
        }
        await stack.simAdmin.put('/_sim/faults', { rules: [{ route: create.route, count: 1, ...loss }] });
        const saved = await stack.admin.post(`/api/v1/${create.collection}`, create.body(name, organization?.id ?? null));
        assert.equal(saved.status, 201, JSON.stringify(saved.body));
        const synced = await waitForSyncState(stack.admin, create.collection, saved.body.data.id, 'synced', 60_000);
        assert.equal((await stack.simAdmin.get('/_sim/faults')).body.rules[0].fired, 1, 'the create was performed and its answer lost');
        const held = (await create.held(stack, organization?.bmsId ?? null)).filter((n) => n === name);
        assert.equal(held.length, 1, `BMS holds exactly one (${held.length})`);
        const history = (await stack.admin.get(`/api/v1/${create.collection}/${saved.body.data.id}/history`)).body.data as any[];
        // Linked to the one BMS record: by the retried push's look-up, or by a pull that matched it by natural
        // key first (a scheduled pull may run while the slow answer is awaited).
        assert.ok(
          history.some((h) => /Linked to existing Kaseya BMS record|Matched to Kaseya BMS/.test(h.summary)),
          JSON.stringify(history.map((h) => h.summary)),
        );
        assert.equal(typeof synced.sync.bmsId, 'number');
      });
    }
  }
});
