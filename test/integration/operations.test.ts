/**
 * Operations on the real stack: /metrics scraped over HTTP after known actions (a save pushed, a pull run,
 * a push refused, a pull refused) and parsed as Prometheus text; health per dependency (Temporal down
 * beside a live database); the run and history logs filtered and exported.
 *
 * Counters and gauges are read from the scraped text with parse-prometheus-text-format. That parser drops
 * the labels, `_sum` and `_count` of labelled histograms, so histograms are read from prom-client's
 * registry in-process (the same registry the endpoint serves).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { request } from 'undici';
import { createApp } from '../../api/app';
import { createLogger } from '../../lib/logger';
import { type MetricsServer, pullDurationSeconds, pushLatencySeconds, startMetricsServer } from '../../lib/metrics';
import { SecretBox } from '../../lib/secrets';
import { exportOperationsGauges } from '../../services/operations';
import getPort from '../helpers/ports';
import { HttpClient } from '../helpers/api-client';
import { startStack, type Stack } from '../helpers/stack';
import { syncNowAndWait, waitFor, waitForIdlePulls, waitForSyncState } from '../helpers/sync';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => Array<{
  name: string;
  type: string;
  metrics: Array<{ value?: string; labels?: Record<string, string> }>;
}>;

type Parsed = ReturnType<typeof parsePrometheus>;

/** The value of `name` with exactly these labels among those given (0 when the series is absent). */
function sample(parsed: Parsed, name: string, labels: Record<string, string> = {}): number {
  const family = parsed.find((f) => f.name === name);
  const series = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return series?.value === undefined ? 0 : Number(series.value);
}

async function histogramCount(metric: typeof pushLatencySeconds | typeof pullDurationSeconds, labels: Record<string, string>): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter((v) => v.metricName?.endsWith('_count') && Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l))
    .reduce((sum, v) => sum + v.value, 0);
}

describe('operations: metrics, health, logs', function () {
  this.timeout(180_000);
  let stack: Stack;
  let metrics: MetricsServer;

  async function scrape(): Promise<{ text: string; parsed: Parsed; contentType: string }> {
    const res = await request(metrics.url);
    assert.equal(res.statusCode, 200);
    const text = await res.body.text();
    return { text, parsed: parsePrometheus(text), contentType: String(res.headers['content-type']) };
  }

  before(async () => {
    // The database is shared with the other test files' accounts: no cap hides this one's series.
    stack = await startStack({ twoWay: true, settings: { organizations: { statuses: ['Active', 'Inactive'] } }, env: { METRICS_MAX_ACCOUNT_SERIES: '10000' } });
    exportOperationsGauges({ db: stack.env.db, config: stack.config }, { snapshotTtlMs: 0 });
    metrics = await startMetricsServer({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await metrics?.close();
    await stack?.stop();
  });
  afterEach(async () => stack.simAdmin.delete('/_sim/faults'));

  async function createOrg(name: string) {
    const res = await stack.admin.post('/api/v1/organizations', { name, type: 'Client', status: 'Active' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.data as { id: string };
  }

  describe('GET /metrics', () => {
    it('serves Prometheus text on its own listener, only at /metrics, with no login', async () => {
      const { parsed, contentType } = await scrape();
      assert.match(contentType, /^text\/plain; version=0\.0\.4/);
      for (const name of [
        'docsync_pushes_total',
        'docsync_push_latency_seconds',
        'docsync_pull_runs_total',
        'docsync_pull_duration_seconds',
        'docsync_pull_freshness_seconds',
        'docsync_records',
        'docsync_bms_requests_total',
        'docsync_bms_auth_calls_total',
        'docsync_bms_accounts',
        'docsync_sync_paused_accounts',
      ]) {
        assert.ok(parsed.some((f) => f.name === name), `${name} is exported`);
      }
      const other = await request(metrics.url.replace('/metrics', '/api/v1/health'));
      assert.equal(other.statusCode, 404);
      await other.body.dump();
    });

    it('counts a save pushed: push by type and outcome, save → push latency, BMS requests by endpoint template, records by state', async () => {
      const before = await scrape();
      const latencyBefore = await histogramCount(pushLatencySeconds, { record_type: 'organization' });
      const org = await createOrg('Metrics Push Ltd');
      await waitForSyncState(stack.admin, 'organizations', org.id, 'synced');
      const after = await scrape();

      const created = (p: Parsed) => sample(p, 'docsync_pushes_total', { record_type: 'organization', outcome: 'created' });
      assert.equal(created(after.parsed) - created(before.parsed), 1);
      assert.equal((await histogramCount(pushLatencySeconds, { record_type: 'organization' })) - latencyBefore, 1);
      const creates = (p: Parsed) => sample(p, 'docsync_bms_requests_total', { endpoint: 'POST /v2/crm/accounts', status: '200' });
      assert.ok(creates(after.parsed) - creates(before.parsed) >= 1, 'the create is counted under its endpoint');
      assert.ok(!after.text.includes(org.id), 'no record id in any label');
      assert.ok(!/endpoint="[^"]*\/\d+/.test(after.text), 'endpoints are templates, never filled-in paths');
      const synced = (p: Parsed) => sample(p, 'docsync_records', { record_type: 'organization', sync_state: 'synced' });
      assert.equal(synced(after.parsed) - synced(before.parsed), 1);
      assert.ok(sample(after.parsed, 'docsync_bms_auth_calls_total', { kind: 'v2_login', outcome: 'success' }) >= 1);
    });

    it('counts a pull run by status and trigger, its duration, and the account\'s freshness', async () => {
      const before = await scrape();
      const durationBefore = await histogramCount(pullDurationSeconds, { status: 'completed' });
      const run = await syncNowAndWait(stack.admin);
      assert.equal(run.status, 'completed');
      const after = await scrape();
      const manual = (p: Parsed) => sample(p, 'docsync_pull_runs_total', { status: 'completed', trigger: 'manual' });
      assert.equal(manual(after.parsed) - manual(before.parsed), 1);
      assert.equal((await histogramCount(pullDurationSeconds, { status: 'completed' })) - durationBefore, 1);
      const freshness = sample(after.parsed, 'docsync_pull_freshness_seconds', { account: stack.accountId });
      const sinceRunStart = (Date.now() - Date.parse(run.startedAt)) / 1000;
      assert.ok(freshness > 0 && freshness <= sinceRunStart + 1, `freshness ${freshness}s is the time since the run started (${sinceRunStart}s)`);
      const reachable = (p: Parsed) => sample(p, 'docsync_bms_accounts', { reachability: 'ok' });
      assert.ok(reachable(after.parsed) >= 1, 'this account reaches its BMS');
      assert.equal((await stack.admin.get('/api/v1/health')).body.data.checks.bms.account.checkedBy, 'pull');
    });

    it('counts a push BMS refuses as failed, once', async () => {
      const before = await scrape();
      await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'POST /v2/crm/accounts', mode: 'problem-details', count: 1 }] });
      const org = await createOrg('Metrics Refused Ltd');
      await waitForSyncState(stack.admin, 'organizations', org.id, 'failed');
      const after = await scrape();
      const failed = (p: Parsed) => sample(p, 'docsync_pushes_total', { record_type: 'organization', outcome: 'failed' });
      assert.equal(failed(after.parsed) - failed(before.parsed), 1);
      const refused = (p: Parsed) => sample(p, 'docsync_bms_requests_total', { endpoint: 'POST /v2/crm/accounts', status: '400' });
      assert.equal(refused(after.parsed) - refused(before.parsed), 1);
      const failedState = (p: Parsed) => sample(p, 'docsync_records', { record_type: 'organization', sync_state: 'failed' });
      assert.equal(failedState(after.parsed) - failedState(before.parsed), 1);
    });
  });

  describe('GET /api/v1/health', () => {
    it('reports the database, Temporal and BMS reachability; an administrator also sees their account', async () => {
      const anonymous = await stack.anonymous.get('/api/v1/health');
      assert.equal(anonymous.status, 200, JSON.stringify(anonymous.body));
      const health = anonymous.body.data;
      assert.equal(health.checks.database.status, 'up');
      assert.equal(health.checks.temporal.status, 'up');
      assert.ok(health.checks.bms.accounts.ok >= 1);
      assert.equal(health.checks.bms.account, undefined, 'no account detail without a credential');
      assert.ok(!JSON.stringify(health).includes(stack.accountId));

      const editor = await stack.userWithRole('editor');
      assert.equal((await editor.get('/api/v1/health')).body.data.checks.bms.account, undefined, 'an editor sees counts only');
      const admin = await stack.admin.get('/api/v1/health');
      assert.equal(admin.body.data.checks.bms.account.status, 'ok');
      assert.ok(['pull', 'push', 'connection_test'].includes(admin.body.data.checks.bms.account.checkedBy));
    });

    it('shows an account whose BMS refuses the credentials as failed, from the pull that met it, with no live call per probe', async () => {
      const before = await scrape();
      await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'GET /v2/crm/accounts/summary', mode: 'unauthorized' }] });
      await stack.admin.post('/api/v1/integrations/kaseya-bms/sync');
      await waitFor(
        async () => {
          const res = await stack.admin.get('/api/v1/health');
          // The counts are shared by probes within a second; the caller's own account is read each time.
          return res.body.data.checks.bms.account?.status === 'failed' && res.body.data.status === 'degraded' ? res.body.data : undefined;
        },
        { timeoutMs: 60_000, what: 'the refused pull to show in health' },
      );
      await waitForIdlePulls(stack.admin);
      const admin = (await stack.admin.get('/api/v1/health')).body.data;
      assert.equal(admin.status, 'degraded');
      assert.equal(admin.checks.bms.account.checkedBy, 'pull');
      assert.match(admin.checks.bms.account.error, /refused the credentials/);
      const anonymous = (await stack.anonymous.get('/api/v1/health')).body.data;
      assert.ok(anonymous.checks.bms.accounts.failed >= 1);
      assert.equal(anonymous.checks.bms.account, undefined);
      assert.ok(!JSON.stringify(anonymous).includes('refused'), 'no account\'s error is shown to anonymous callers');

      const requestsBefore = (await stack.simAdmin.get('/_sim/requests')).body.total;
      for (let i = 0; i < 5; i++) await stack.anonymous.get('/api/v1/health');
      assert.equal((await stack.simAdmin.get('/_sim/requests')).body.total, requestsBefore, 'probes call no BMS');

      const after = await scrape();
      const failedRuns = (p: Parsed) => sample(p, 'docsync_pull_runs_total', { status: 'failed', trigger: 'manual' });
      assert.equal(failedRuns(after.parsed) - failedRuns(before.parsed), 1);
      assert.ok(sample(after.parsed, 'docsync_bms_accounts', { reachability: 'failed' }) >= 1);

      // Fixed: the next pull shows BMS reachable again.
      await stack.simAdmin.delete('/_sim/faults');
      await syncNowAndWait(stack.admin);
      assert.equal((await stack.admin.get('/api/v1/health')).body.data.checks.bms.account.status, 'ok');
    });

    it('answers 503 with Temporal down and the database up when Temporal does not answer', async () => {
      const closedPort = await getPort();
      // No retry interceptor: the check must fail by its own deadline, and nothing may retry after the close.
      const temporal = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${closedPort}`, interceptors: [] }) });
      const app = createApp({ config: stack.config, db: stack.env.db, temporal, secrets: new SecretBox('unused'), logger: createLogger('health-test', 'silent') });
      const server: Server = app.listen(0, '127.0.0.1');
      await once(server, 'listening');
      try {
        const { port } = server.address() as { port: number };
        const res = await new HttpClient(`http://127.0.0.1:${port}`).get('/api/v1/health');
        assert.equal(res.status, 503, JSON.stringify(res.body));
        assert.equal(res.body.data.status, 'down');
        assert.equal(res.body.data.checks.temporal.status, 'down');
        assert.equal(res.body.data.checks.database.status, 'up');
        assert.ok(res.body.data.checks.temporal.latencyMs <= 5_000);
      } finally {
        server.closeAllConnections();
        server.close();
        await temporal.connection.close().catch(() => undefined);
      }
    });
  });

  describe('logs', () => {
    it('filters runs by status, trigger and date range, and refuses a bad filter naming the field', async () => {
      const all = (await stack.admin.get('/api/v1/integrations/kaseya-bms/runs?pageSize=200')).body.data as Array<{ status: string; trigger: string; startedAt: string }>;
      assert.ok(all.some((r) => r.status === 'failed') && all.some((r) => r.status === 'completed'));

      const failed = await stack.admin.get('/api/v1/integrations/kaseya-bms/runs?status=failed');
      assert.equal(failed.status, 200);
      assert.ok(failed.body.data.length >= 1 && failed.body.data.every((r: any) => r.status === 'failed'));
      assert.equal(failed.body.meta.total, all.filter((r) => r.status === 'failed').length);

      const manual = await stack.admin.get('/api/v1/integrations/kaseya-bms/runs?trigger=manual&status=completed');
      assert.ok(manual.body.data.every((r: any) => r.trigger === 'manual' && r.status === 'completed'));
      assert.equal(manual.body.meta.total, all.filter((r) => r.trigger === 'manual' && r.status === 'completed').length);

      const today = new Date().toISOString().slice(0, 10);
      const inRange = await stack.admin.get(`/api/v1/integrations/kaseya-bms/runs?from=${today}&to=${today}`);
      assert.equal(inRange.body.meta.total, all.length, 'every run started today');
      const future = await stack.admin.get('/api/v1/integrations/kaseya-bms/runs?from=2999-01-01T00:00:00Z');
      assert.equal(future.body.meta.total, 0);

      const bad = await stack.admin.get('/api/v1/integrations/kaseya-bms/runs?status=exploded&from=yesterday');
      assert.equal(bad.status, 400);
      const fields = (bad.body.error.details.issues as Array<{ field: string }>).map((i) => i.field).sort();
      assert.deepEqual(fields, ['from', 'status']);
      const backwards = await stack.admin.get(`/api/v1/integrations/kaseya-bms/runs?from=${today}&to=2000-01-01`);
      assert.equal(backwards.status, 400);
      assert.equal(backwards.body.error.details.issues[0].field, 'to');
    });

    it('exports runs as CSV (format or Accept) and JSON', async () => {
      const csv = await stack.admin.get('/api/v1/integrations/kaseya-bms/runs?format=csv&status=failed');
      assert.equal(csv.status, 200);
      assert.match(String(csv.headers['content-type']), /^text\/csv/);
      assert.match(String(csv.headers['content-disposition']), /^attachment; filename="sync-runs-.*\.csv"$/);
      const lines = (csv.body as string).trim().split('\r\n');
      assert.equal(lines[0], 'id,startedAt,finishedAt,status,trigger,durationSeconds,seen,created,updated,linked,unchanged,orphaned,failed,skipped,error,workflowId');
      assert.equal(lines.length - 1, Number(csv.headers['x-export-total']));
      assert.ok(lines.slice(1).every((l) => l.includes(',failed,manual,') || l.includes(',failed,schedule,')));

      const byAccept = await stack.admin.call('GET', '/api/v1/integrations/kaseya-bms/runs', undefined, { accept: 'text/csv' });
      assert.match(String(byAccept.headers['content-type']), /^text\/csv/);

      const json = await stack.admin.get('/api/v1/integrations/kaseya-bms/runs?format=json');
      assert.equal(json.status, 200);
      assert.match(String(json.headers['content-disposition']), /\.json"$/);
      assert.equal(json.body.meta.truncated, false);
      assert.equal(json.body.data.length, json.body.meta.total);
    });

    it('filters the history log by kind (push, pull, conflict, failure) and exports it; read-only may read it', async () => {
      const push = await stack.admin.get('/api/v1/integrations/kaseya-bms/history?kind=push');
      assert.equal(push.status, 200);
      assert.ok(push.body.data.length > 0);
      assert.ok(push.body.data.every((h: any) => h.kind === 'queued' || h.kind === 'pushed'));
      const failure = await stack.admin.get('/api/v1/integrations/kaseya-bms/history?kind=failure&recordType=organization');
      assert.ok(failure.body.data.length >= 1 && failure.body.data.every((h: any) => h.kind === 'error' && h.recordType === 'organization'));
      const pull = await stack.admin.get('/api/v1/integrations/kaseya-bms/history?kind=pull');
      assert.ok(pull.body.data.every((h: any) => ['pulled', 'linked', 'orphaned'].includes(h.kind)));
      const conflict = await stack.admin.get('/api/v1/integrations/kaseya-bms/history?kind=conflict');
      assert.equal(conflict.status, 200);
      assert.ok(conflict.body.data.every((h: any) => h.kind === 'conflict'));

      const csv = await stack.admin.get('/api/v1/integrations/kaseya-bms/history?kind=failure&format=csv');
      const lines = (csv.body as string).trim().split('\r\n');
      assert.equal(lines[0], 'id,at,recordType,recordId,kind,origin,summary,changes,workflowId');
      assert.equal(lines.length - 1, failure.body.meta.total);

      const org = failure.body.data[0];
      const own = await stack.admin.get(`/api/v1/organizations/${org.recordId}/history?kind=failure`);
      assert.ok(own.body.data.length >= 1 && own.body.data.every((h: any) => h.kind === 'error'));
      const ownCsv = await stack.admin.get(`/api/v1/organizations/${org.recordId}/history?format=csv`);
      assert.match(String(ownCsv.headers['content-type']), /^text\/csv/);

      const readOnly = await stack.userWithRole('read-only');
      assert.equal((await readOnly.get('/api/v1/integrations/kaseya-bms/history?kind=push')).status, 200);
      assert.equal((await stack.anonymous.get('/api/v1/integrations/kaseya-bms/history')).status, 401);
      const bad = await stack.admin.get('/api/v1/integrations/kaseya-bms/history?kind=everything');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.details.issues[0].field, 'kind');
    });

    it('keeps one account\'s logs from another', async () => {
      const other = await stack.otherAccount();
      const runs = await other.admin.get('/api/v1/integrations/kaseya-bms/runs?format=json');
      assert.equal(runs.body.data.length, 0);
      const history = await other.admin.get('/api/v1/integrations/kaseya-bms/history');
      assert.equal(history.body.meta.total, 0);
    });
  });
});
