/**
 * The product on a real Temporal server shaped like an operator's cluster (`npm run test:cluster`): the
 * server built from go.temporal.io/server on PostgreSQL persistence and SQL visibility, 4 history shards,
 * mTLS everywhere with certificates made for the run; two worker processes and two API processes of the
 * product connected to it with TEMPORAL_TLS_*, and the BMS simulator. Checks what an operator must provide,
 * that a save is pushed exactly once, that Sync now runs a pull, that a record's push workflow is found by
 * its search attributes, that the workers share one BMS request budget, and that a client without the
 * client certificate is refused.
 */
import assert from 'node:assert/strict';
import { Connection } from '@temporalio/client';
import type { TemporalCluster } from '../../devstack/temporal-cluster';
import type { SimulatorHandle } from '../../simulator';
import { pushStatusQuery } from '../../workflows/definitions';
import { AccountIdKey, RecordIdKey } from '../../workflows/search-attributes';
import type { HttpClient } from '../helpers/api-client';
import { SIM_CREDENTIALS } from '../helpers/stack';
import { served, simRequests, syncNowAndWait, waitFor, waitForIdlePulls, waitForSyncState } from '../helpers/sync';
import { type ClusterStack, startClusterStack } from './cluster-stack';

const WORKERS = 2;
const APIS = 2;
const ACCOUNT_WRITES = ['POST /v2/crm/accounts', 'PATCH /v2/crm/accounts/{id}', 'PUT /v2/crm/accounts/{id}'];
/** The BMS request budget of every process, and the simulator's own limit: requests per window per endpoint. */
const RATE = { limit: 20, windowSeconds: 2 };
const BUDGET_RECORDS = 60;

describe('the product on a Temporal cluster (PostgreSQL persistence, mTLS)', function () {
  this.timeout(30 * 60_000);
  let stack: ClusterStack | undefined;
  let suffix: string;
  let namespace: string;
  let cluster: TemporalCluster;
  let temporal: ClusterStack['temporal'];
  let sim: SimulatorHandle;
  let simAdmin: HttpClient;
  let accountId: string;
  /** The same administrator's session on each API process. */
  let admins: HttpClient[];

  before(async () => {
    stack = await startClusterStack({
      workers: WORKERS,
      apis: APIS,
      simulator: { seed: 'demo', rateLimit: RATE },
      env: { BMS_RATE_LIMIT_PER_WINDOW: String(RATE.limit), BMS_RATE_WINDOW_SECONDS: String(RATE.windowSeconds) },
    });
    ({ suffix, namespace, cluster, temporal, sim, simAdmin, accountId, admins } = stack);
  });

  after(async function () {
    this.timeout(120_000);
    await stack?.stop();
    for (const line of stack?.timings ?? []) console.log(`      ${line}`);
  });

  it('gives the product what it needs: PostgreSQL, several shards, the namespace with a retention, the search attributes, mTLS only', async () => {
    const checks = await cluster.verify();
    for (const c of checks) console.log(`      ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    assert.deepEqual(checks.filter((c) => !c.ok), []);
    assert.ok(checks.some((c) => c.name.includes('without a client certificate')));
    const described = await temporal.workflowService.describeNamespace({ namespace });
    assert.equal(Number(described.config?.workflowExecutionRetentionTtl?.seconds), 3 * 86_400);
  });

  it('connects through one API and pulls; the other API sees the same runs', async () => {
    const res = await admins[0]!.put('/api/v1/integrations/kaseya-bms', { apiUrl: sim.url, v1Url: sim.url, ...SIM_CREDENTIALS });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await waitForIdlePulls(admins[1]!, 180_000);
    const runs = (await admins[1]!.get('/api/v1/integrations/kaseya-bms/runs?pageSize=5')).body.data as Array<{ status: string }>;
    assert.equal(runs[0]?.status, 'completed', JSON.stringify(runs));
    const orgs = (await admins[0]!.get('/api/v1/organizations?pageSize=5')).body;
    assert.ok(orgs.data.length > 0, 'organizations pulled from BMS');
  });

  it('pushes a save exactly once, and the record’s push workflow is found by its search attributes', async () => {
    const settings = await admins[1]!.patch('/api/v1/integrations/kaseya-bms/sync-settings', { twoWayEnabled: true });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    const writesBefore = await simRequests(simAdmin);

    const name = `Cluster Org ${suffix}`;
    const created = await admins[0]!.post('/api/v1/organizations', { name, type: 'Client', status: 'Active' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const org = await waitForSyncState(admins[1]!, 'organizations', created.body.data.id, 'synced', 60_000);
    const edited = await admins[1]!.patch(`/api/v1/organizations/${org.id}`, { shortName: `CL${suffix}` });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    await waitFor(async () => (await simAdmin.get(`/_sim/accounts/${org.sync.bmsId}`)).body.accountCode === `CL${suffix}`, {
      timeoutMs: 60_000,
      what: 'the edit in BMS',
    });
    await waitForSyncState(admins[0]!, 'organizations', org.id, 'synced', 60_000);

    // The record's push workflow has pushed the latest version and waits for the next save (asked over
    // mTLS, answered by one of the workers): nothing more will be written for these two saves.
    const workflowId = org.sync.workflowId as string;
    assert.ok(workflowId, 'the record names its push workflow');
    const version = (await admins[0]!.get(`/api/v1/organizations/${org.id}`)).body.data.version as number;
    const status = await waitFor(
      async () => {
        const s = await temporal.workflow.getHandle(workflowId).query(pushStatusQuery);
        return s.pushedVersion >= version && s.requestedVersion === s.pushedVersion ? s : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'the push workflow to have pushed the last save' },
    );
    assert.equal(status.pushes, 2, 'two saves, two pushes');
    const writesAfter = await simRequests(simAdmin);
    const delta = (route: string) => served(writesAfter, route) - served(writesBefore, route);
    assert.equal(delta('POST /v2/crm/accounts'), 1, 'created in BMS once');
    assert.equal(delta('PATCH /v2/crm/accounts/{id}') + delta('PUT /v2/crm/accounts/{id}'), 1, 'the edit written once');
    assert.equal(ACCOUNT_WRITES.reduce((n, r) => n + delta(r), 0), 2);
    const inBms = ((await simAdmin.get('/_sim/accounts')).body as Array<{ accountName: string }>).filter((a) => a.accountName === name);
    assert.equal(inBms.length, 1, 'one account of that name in BMS');

    // What the Temporal UI runs: the product's own query (AccountId and RecordId), and the query of the
    // record's "history" link into the Temporal UI (RecordType and RecordId), on SQL visibility.
    const linked = new URL(org.sync.historyUrl as string).searchParams.get('query');
    assert.ok(linked, `the record's history link carries a query: ${org.sync.historyUrl}`);
    for (const query of [`${AccountIdKey.name} = "${accountId}" AND ${RecordIdKey.name} = "${org.id}"`, linked]) {
      const found = await waitFor(
        async () => {
          const ids: string[] = [];
          for await (const wf of temporal.workflow.list({ query })) ids.push(wf.workflowId);
          return ids.includes(workflowId) ? ids : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500, what: `workflows matching ${query}` },
      );
      assert.ok(found.every((id) => id === workflowId), `only the record's workflow matches ${query}: ${found.join(', ')}`);
    }
  });

  it('Sync now runs a pull that brings a BMS change in', async () => {
    const orgs = (await admins[0]!.get('/api/v1/organizations?pageSize=50')).body.data as any[];
    const target = orgs.find((o) => o.sync?.bmsId && o.sync.state === 'synced' && !String(o.name).startsWith('Cluster Org'));
    assert.ok(target, 'a pulled organization');
    const renamed = `${target.name} (renamed in BMS ${suffix})`;
    assert.equal((await simAdmin.patch(`/_sim/accounts/${target.sync.bmsId}`, { accountName: renamed })).status, 200);
    const run = await syncNowAndWait(admins[1]!, 120_000);
    assert.equal(run.status, 'completed', JSON.stringify(run));
    const after = await admins[0]!.get(`/api/v1/organizations/${target.id}`);
    assert.equal(after.body.data.name, renamed);
  });

  it(`shares one BMS budget between the workers: at most ${RATE.limit} requests per ${RATE.windowSeconds} s per endpoint, every record once`, async () => {
    await simAdmin.delete('/_sim/requests');
    const names = Array.from({ length: BUDGET_RECORDS }, (_, i) => `Budget ${suffix} ${String(i).padStart(2, '0')}`);
    for (let i = 0; i < names.length; i += 10) {
      const batch = await Promise.all(
        names.slice(i, i + 10).map((name, j) => admins[j % APIS]!.post('/api/v1/organizations', { name, type: 'Client', status: 'Active' })),
      );
      for (const res of batch) assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    await waitFor(
      async () => (await admins[0]!.get(`/api/v1/organizations?syncState=synced&search=${encodeURIComponent(`Budget ${suffix}`)}&pageSize=1`)).body.meta.total === BUDGET_RECORDS,
      { timeoutMs: 180_000, intervalMs: 500, what: `all ${BUDGET_RECORDS} organizations to be synced` },
    );
    const inBms = ((await simAdmin.get('/_sim/accounts')).body as Array<{ accountName: string }>).filter((a) => a.accountName.startsWith(`Budget ${suffix} `));
    assert.equal(inBms.length, BUDGET_RECORDS, 'each record in BMS');
    assert.equal(new Set(inBms.map((a) => a.accountName)).size, BUDGET_RECORDS, 'none twice');
    const byRoute = await simRequests(simAdmin);
    for (const [route, c] of Object.entries(byRoute)) {
      assert.ok(c.maxInWindow <= RATE.limit, `${route}: ${c.maxInWindow} requests in one window (limit ${RATE.limit})`);
      assert.equal(c.rejected429, 0, `${route}: refused by the simulator's rate limit`);
    }
    assert.ok(Object.values(byRoute).some((c) => c.served > RATE.limit), 'the budget was exercised');
  });

  it('refuses a client without the client certificate', async () => {
    const { serverNameOverride, serverRootCACertificate } = await cluster.clientTls();
    await assert.rejects(async () => {
      const connection = await Connection.connect({ address: cluster.address, tls: { serverNameOverride, serverRootCACertificate }, connectTimeout: 5000 });
      try {
        await connection.withDeadline(Date.now() + 5000, () => connection.workflowService.describeNamespace({ namespace }));
      } finally {
        await connection.close();
      }
    });
  });
});
