/**
 * Benchmark-sized data: seeding 100,000 accounts and 100,000 contacts, then paging all of them over
 * HTTP. Timings are printed, not asserted (machines differ); the counts are asserted.
 */
import assert from 'node:assert/strict';
import { type Dto, envelope, useSimulator } from './helpers';

const N = 100_000;

describe('simulator: 100k records', function () {
  this.timeout(120_000);
  const bms = useSimulator({ seed: 'none', rateLimit: null }, { login: false });

  it(`seeds ${N.toLocaleString('en-US')} accounts and ${N.toLocaleString('en-US')} contacts`, async () => {
    const started = performance.now();
    const res = await bms.admin.json<{ counts: { accounts: number; contacts: number }; elapsedMs: number }>(
      bms.admin.post('/seed', { accounts: N, contactsPerAccount: 1, assetsPerAccount: 0, locationsPerAccount: 1 }),
    );
    const wall = performance.now() - started;
    assert.equal(res.counts.accounts, N);
    assert.equal(res.counts.contacts, N);
    const heapMb = process.memoryUsage().heapUsed / 1024 / 1024;
    console.log(`      seed: ${res.elapsedMs} ms in the simulator, ${wall.toFixed(0)} ms over HTTP; heap now ${heapMb.toFixed(0)} MB`);
    await bms.client.login();
  });

  async function pageAll(path: string): Promise<{ records: number; ms: number }> {
    const started = performance.now();
    let records = 0;
    let total = Infinity;
    let lastId = 0;
    for (let page = 1; records < total; page++) {
      const env = envelope<Dto[]>(await bms.client.get(path, { PageSize: 100, PageNumber: page }));
      total = env.totalRecords ?? 0;
      if (env.result.length === 0) break;
      const firstId = env.result[0]!.id as number;
      assert.ok(firstId > lastId, 'pages are in id order without overlap');
      lastId = env.result[env.result.length - 1]!.id as number;
      records += env.result.length;
    }
    return { records, ms: performance.now() - started };
  }

  it('pages through every account and contact (printed records/s)', async () => {
    for (const path of ['/v2/crm/accounts/summary', '/v2/crm/contacts/summary']) {
      const { records, ms } = await pageAll(path);
      assert.equal(records, N);
      console.log(`      ${path}: ${records} records in ${ms.toFixed(0)} ms = ${Math.round((records * 1000) / ms)} records/s`);
    }
  });

  it('answers an incremental pull over 100k accounts quickly (printed)', async () => {
    await bms.admin.patch('/accounts/50000', { description: 'changed' });
    const changed = await bms.admin.json(bms.admin.get('/accounts/50000'));
    const started = performance.now();
    const env = envelope<Dto[]>(
      await bms.client.get('/v2/crm/accounts/summary', { 'Filter.ModifiedOnFrom': String(changed.modifiedOn), PageSize: 100 }),
    );
    assert.deepEqual(
      env.result.map((a) => a.id),
      [50000],
    );
    console.log(`      incremental pull over ${N} accounts: ${(performance.now() - started).toFixed(1)} ms`);
  });
});
