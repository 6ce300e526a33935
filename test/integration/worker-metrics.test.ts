/**
 * The worker process's own metrics: its `GET /metrics` (pushes, BMS requests) and the Temporal SDK's worker
 * metrics, which the SDK's core serves once `Runtime.install` names a Prometheus address. Runs the real
 * `worker/main.ts` as a child process (the test process's runtime is installed without metrics).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { request } from 'undici';
import { ServiceProcess } from '../../devstack/service-process';
import getPort from '../helpers/ports';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor, waitForSyncState } from '../helpers/sync';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => Array<{ name: string; metrics: Array<{ value?: string; labels?: Record<string, string> }> }>;

async function scrape(url: string): Promise<string | undefined> {
  try {
    const res = await request(url);
    const text = await res.body.text();
    return res.statusCode === 200 ? text : undefined;
  } catch {
    return undefined;
  }
}

describe('worker metrics', function () {
  this.timeout(180_000);
  let stack: Stack;
  let worker: ServiceProcess;
  let workerUrl: string;
  let temporalUrl: string;

  before(async () => {
    stack = await startStack({ twoWay: true, worker: false });
    const [workerPort, temporalPort] = [await getPort(), await getPort()];
    workerUrl = `http://127.0.0.1:${workerPort}/metrics`;
    temporalUrl = `http://127.0.0.1:${temporalPort}/metrics`;
    worker = new ServiceProcess('metrics-worker', path.join(__dirname, '..', '..', 'worker', 'main.ts'), {
      ...stack.processEnv,
      WORKER_METRICS_PORT: String(workerPort),
      TEMPORAL_METRICS_PORT: String(temporalPort),
    }, { output: { file: path.join(stack.env.tmpDir, 'metrics-worker.log') } });
    worker.start();
  });
  after(async () => {
    await worker?.stop();
    await stack?.stop();
  });

  it('serves its own /metrics and the Temporal SDK\'s worker metrics on their own ports', async () => {
    // The connection's first pull runs on this worker.
    await waitFor(async () => {
      const runs = await stack.admin.get('/api/v1/integrations/kaseya-bms/runs');
      return runs.body.data.some((r: any) => r.status === 'completed');
    }, { timeoutMs: 120_000, what: 'the first pull on the worker process' });
    const org = await stack.admin.post('/api/v1/organizations', { name: 'Worker Metrics Ltd', type: 'Client', status: 'Active' });
    assert.equal(org.status, 201);
    await waitForSyncState(stack.admin, 'organizations', org.body.data.id, 'synced', 60_000);

    const text = await waitFor(() => scrape(workerUrl), { timeoutMs: 10_000, what: 'the worker metrics' });
    const parsed = parsePrometheus(text);
    const value = (name: string, labels: Record<string, string>) =>
      Number(parsed.find((f) => f.name === name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? 0);
    assert.equal(value('docsync_pushes_total', { record_type: 'organization', outcome: 'created' }), 1);
    assert.equal(value('docsync_pull_runs_total', { status: 'completed', trigger: 'schedule' }), 1);
    assert.ok(value('docsync_bms_requests_total', { endpoint: 'GET /v2/crm/accounts/summary', status: '200' }) >= 1);
    assert.ok(!parsed.some((f) => f.name === 'docsync_records'), 'the database gauges are the API\'s, not doubled by workers');

    const sdk = await waitFor(() => scrape(temporalUrl), { timeoutMs: 10_000, what: 'the Temporal SDK metrics' });
    const sdkParsed = parsePrometheus(sdk);
    const names = sdkParsed.map((f) => f.name);
    assert.ok(names.some((n) => n.startsWith('temporal_workflow_task_') || n.startsWith('temporal_activity_')), `SDK worker metrics: ${names.slice(0, 10).join(', ')}`);
    assert.ok(names.some((n) => n.startsWith('temporal_worker_task_slots_available')), 'slot gauges');
  });
});
