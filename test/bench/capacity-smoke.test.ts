/**
 * The capacity run at its smallest (2 tenants of a few records, 1 minute of steady state, a 1-minute pull
 * interval) as a child process, so it cannot rot: it must set up both tenants on a multi-tenant simulator,
 * run the steady state and write every figure. Values are not asserted (it is not a timed test); only that
 * each figure was produced from real events.
 */
import assert from 'node:assert/strict';
import { BenchChild } from './run-bench';

const TENANTS = 2;

interface CapacityReport {
  mode: string;
  figures: { byTenants: Record<string, Record<string, Record<string, unknown> | undefined>> };
  table: Array<{ figure: string; value: string; pass: boolean | null }>;
  details: { runs: Array<{ tenants: number; setup?: { simulator: string }; steady?: { push: { sent: number }; freshness: { edits: number } } }> };
  errors: Array<{ stage: string; error: string }>;
}

describe('bench: capacity smoke run', function () {
  this.timeout(240_000);
  const bench = new BenchChild();
  after(() => bench.stop());

  it(`runs ${TENANTS} tenants at steady state and writes every figure`, async () => {
    const args = ['--capacity', '--tenants', String(TENANTS), '--minutes', '1', '--interval', '1'];
    args.push('--accounts', '20', '--contacts', '20', '--locations', '20', '--assets', '5', '--bms-edits-per-min', '2', '--saves-per-min', '2');
    const report = await bench.run<CapacityReport>(args, 'the capacity run');
    const output = bench.output;
    assert.equal(report.mode, 'capacity');
    assert.deepEqual(report.errors, []);
    const run = report.details.runs[0];
    assert.equal(run?.tenants, TENANTS);
    assert.ok(run.steady && run.steady.push.sent > 0 && run.steady.freshness.edits > 0, `no saves or edits were made:\n${output}`);
    const f = report.figures.byTenants[String(TENANTS)];
    assert.ok(f, `no figures for ${TENANTS} tenants:\n${output}`);
    const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
    for (const [name, value] of [
      ['push latency p99', f.pushLatency?.p99Ms],
      ['freshness p99', f.freshness?.p99Seconds],
      ['Schedule lateness p99', f.lateness?.p99Ms],
      ['pull duration p50', f.pullDuration?.p50Seconds],
      ['failed runs', f.failedRuns?.count],
      ['worker CPU per tenant-hour', f.cpuSecondsPerTenantHour?.worker],
      ['worker peak RSS', f.peakRssMb?.worker],
      ['product storage per tenant-day', (f.storagePerTenantDayBytes?.product as Record<string, number> | undefined)?.total],
    ] as const) {
      assert.ok(finite(value), `${name} is not a number (${String(value)}):\n${output}`);
    }
    for (const name of ['pushLatency', 'freshness', 'failedRuns', 'requests']) {
      assert.equal(typeof f[name]?.pass, 'boolean', `figure ${name} has no verdict`);
    }
    assert.ok(report.table.length > 0, 'the table is empty');
  });
});
