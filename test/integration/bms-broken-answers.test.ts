/**
 * BMS answers that break the contract (an HTML error page, truncated JSON, JSON in no BMS shape) end in a
 * clear, stored error — on the record while a push retries, in the run's log and result for a pull —
 * never a crash, a silent skip or a wrong link.
 */
import assert from 'node:assert/strict';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor, waitForSyncState } from '../helpers/sync';

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
});
