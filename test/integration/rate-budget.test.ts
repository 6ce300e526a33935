/**
 * The shared BMS request budget: two worker processes push 300 organizations at once against a
 * simulator that allows N requests per window per endpoint. The simulator must never see more than N in
 * any window on any endpoint, and every record must arrive.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { ServiceProcess } from '../../devstack/service-process';
import { startStack, type Stack } from '../helpers/stack';
import { simRequests, waitFor, waitForIdlePulls } from '../helpers/sync';

const LIMIT = 40;
const WINDOW_SECONDS = 3;
const RECORDS = 300;

describe('BMS rate budget across worker processes', function () {
  this.timeout(300_000);
  let stack: Stack;
  const workers: ServiceProcess[] = [];

  before(async () => {
    stack = await startStack({
      twoWay: true,
      simulator: { rateLimit: { limit: LIMIT, windowSeconds: WINDOW_SECONDS } },
      env: { BMS_RATE_LIMIT_PER_WINDOW: String(LIMIT), BMS_RATE_WINDOW_SECONDS: String(WINDOW_SECONDS) },
      worker: false,
    });
    for (const name of ['worker-a', 'worker-b']) {
      const worker = new ServiceProcess(name, path.join(__dirname, '..', '..', 'worker', 'main.ts'), stack.processEnv, {
        output: { file: path.join(stack.env.tmpDir, `${name}.log`) },
      });
      worker.start();
      workers.push(worker);
    }
  });

  after(async () => {
    for (const w of workers) await w.stop();
    await stack?.stop();
  });

  it(`keeps every endpoint at or under ${LIMIT} requests per ${WINDOW_SECONDS} s and delivers all ${RECORDS} records`, async () => {
    // The first pull (run by these workers) must settle before counting starts.
    await waitForIdlePulls(stack.admin);
    await stack.simAdmin.delete('/_sim/requests');

    const names = Array.from({ length: RECORDS }, (_, i) => `Budget Org ${String(i).padStart(3, '0')}`);
    const ids: string[] = [];
    for (let i = 0; i < names.length; i += 25) {
      const batch = await Promise.all(
        names.slice(i, i + 25).map((name) => stack.admin.post('/api/v1/organizations', { name, type: 'Client', status: 'Active' })),
      );
      for (const res of batch) {
        assert.equal(res.status, 201, JSON.stringify(res.body));
        ids.push(res.body.data.id);
      }
    }

    const started = Date.now();
    await waitFor(
      async () => {
        const res = await stack.admin.get('/api/v1/organizations?syncState=synced&search=Budget%20Org&pageSize=1');
        return res.body.meta.total === RECORDS;
      },
      { timeoutMs: 240_000, intervalMs: 500, what: `all ${RECORDS} organizations to be synced` },
    );
    const seconds = (Date.now() - started) / 1000;

    const accounts = (await stack.simAdmin.get('/_sim/accounts')).body as Array<{ accountName: string }>;
    const inBms = accounts.filter((a) => a.accountName.startsWith('Budget Org '));
    assert.equal(inBms.length, RECORDS, 'each record exactly once in BMS');
    assert.equal(new Set(inBms.map((a) => a.accountName)).size, RECORDS);

    const byRoute = await simRequests(stack.simAdmin);
    const table = Object.entries(byRoute).map(([route, c]) => ({ route, served: c.served, maxInWindow: c.maxInWindow, rejected429: c.rejected429 }));
    console.log(`      ${RECORDS} records delivered in ${seconds.toFixed(1)} s by 2 worker processes`);
    console.table(table);
    for (const row of table) {
      assert.ok(row.maxInWindow <= LIMIT, `${row.route}: ${row.maxInWindow} requests in one ${WINDOW_SECONDS} s window (limit ${LIMIT})`);
    }
    assert.ok(table.some((r) => r.maxInWindow === LIMIT || r.served > LIMIT), 'the budget was actually exercised');
  });
});
