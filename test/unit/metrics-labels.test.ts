/**
 * Metric labels stay bounded: per-account and per-tenant gauges keep only the worst series up to the cap,
 * and freshness is the time since the start of the latest completed pull (since connecting, before one).
 */
import assert from 'node:assert/strict';
import { exportDatabaseGauges, freshnessSeconds, type OperationsSnapshot, registry } from '../../lib/metrics';

const minutesAgo = (m: number, now: number) => new Date(now - m * 60_000);

describe('metric labels', () => {
  it('defines freshness from the latest completed pull, else from connecting', () => {
    const now = Date.parse('2026-12-06T10:00:00Z');
    assert.equal(freshnessSeconds({ accountId: 'a', lastCompletedPullStart: minutesAgo(7, now), connectedAt: minutesAgo(600, now) }, now), 420);
    assert.equal(freshnessSeconds({ accountId: 'b', lastCompletedPullStart: null, connectedAt: minutesAgo(2, now) }, now), 120);
  });

  it('keeps at most the cap of account and tenant series, the worst first', async () => {
    const now = Date.now();
    const snapshot: OperationsSnapshot = {
      records: [{ recordType: 'organization', state: 'synced', n: 3 }],
      freshness: [1, 50, 3, 40, 5].map((m, i) => ({ accountId: `account-${i}`, lastCompletedPullStart: minutesAgo(m, now), connectedAt: minutesAgo(999, now) })),
      budget: [10, 1490, 700].map((used, i) => ({ tenant: `host|tenant-${i}`, endpoint: 'GET /v2/crm/accounts/summary', used })),
      reachability: [{ status: 'ok', n: 5 }],
      paused: 1,
    };
    exportDatabaseGauges({ read: () => Promise.resolve(snapshot), budgetLimit: 1500, maxAccountSeries: 2, snapshotTtlMs: 0 });
    const freshness = await registry.getSingleMetric('docsync_pull_freshness_seconds')!.get();
    assert.deepEqual(freshness.values.map((v) => v.labels.account).sort(), ['account-1', 'account-3']);
    const max = await registry.getSingleMetric('docsync_pull_freshness_max_seconds')!.get();
    assert.ok(Math.abs(max.values[0]!.value - 3000) < 5);
    const budget = await registry.getSingleMetric('docsync_bms_rate_budget_remaining')!.get();
    assert.deepEqual(
      budget.values.map((v) => [v.labels.tenant, v.value]).sort(),
      [
        ['host|tenant-1', 10],
        ['host|tenant-2', 800],
      ],
    );
    const reach = await registry.getSingleMetric('docsync_bms_accounts')!.get();
    assert.deepEqual(Object.fromEntries(reach.values.map((v) => [v.labels.reachability, v.value])), { ok: 5, failed: 0, unchecked: 0 });
  });

  it('exports the age of the newest finished retention prune, and nothing before one finished', async () => {
    const base: OperationsSnapshot = { records: [], freshness: [], budget: [], reachability: [], paused: 0 };
    exportDatabaseGauges({ read: () => Promise.resolve(base), budgetLimit: 0, maxAccountSeries: 10, snapshotTtlMs: 0 });
    assert.deepEqual((await registry.getSingleMetric('docsync_retention_last_prune_age_seconds')!.get()).values, []);
    const lastPrune = { finishedAt: new Date(Date.now() - 600_000), failed: false };
    exportDatabaseGauges({ read: () => Promise.resolve({ ...base, lastPrune }), budgetLimit: 0, maxAccountSeries: 10, snapshotTtlMs: 0 });
    const [age] = (await registry.getSingleMetric('docsync_retention_last_prune_age_seconds')!.get()).values;
    assert.equal(age?.labels.failed, 'false');
    assert.ok(Math.abs(age!.value - 600) < 5);
  });
});
