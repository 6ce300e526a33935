/**
 * The chaos run on the cluster shape (`npm run test:cluster`): two worker processes and two API processes
 * on the mTLS Temporal cluster (PostgreSQL persistence), a steady stream of saves through both APIs (new
 * organizations, and edits of new and pulled ones), and meanwhile: one worker killed (SIGKILL) and a new one
 * started, the Temporal server process restarted (same databases, same certificates), and the databases cut
 * for a few seconds (the product's and the Temporal server's: connections refused, open ones terminated).
 * Then, with deadlines: 0 lost (every record's last acknowledged save is what BMS holds), 0 duplicated
 * (each new organization created once in BMS and once in the documentation), 0 stuck (every record synced,
 * no push workflow with a save it has not pushed, a pull runs to completion).
 */
import assert from 'node:assert/strict';
import { createDb } from '../../db';
import { pushStatusQuery } from '../../workflows/definitions';
import { AccountIdKey } from '../../workflows/search-attributes';
import { duplicates, listAll, persist } from '../helpers/chaos';
import { SIM_CREDENTIALS } from '../helpers/stack';
import { syncNowAndWait, waitFor, waitForIdlePulls } from '../helpers/sync';
import { type ClusterStack, startClusterStack } from './cluster-stack';

/** How long saves keep coming, and when each fault strikes (ms after the first save). */
const STREAM_MS = 60_000;
const FAULTS_AT = { killWorker: 8_000, restartTemporal: 20_000, cutDatabases: 40_000 };
const DATABASE_CUT_MS = 4_000;
const RUNNERS = 3;
const PAUSE_MS = 300;
const CREATES = 24;
const PULLED_TARGETS = 20;

describe('chaos on the cluster shape (2 workers, 2 APIs, mTLS, PostgreSQL persistence)', function () {
  this.timeout(15 * 60_000);
  let stack: ClusterStack | undefined;

  before(async () => {
    stack = await startClusterStack({
      workers: 2,
      apis: 2,
      simulator: { seed: { accounts: 30, contactsPerAccount: 1, assetsPerAccount: 0, locationsPerAccount: 1 }, rateLimit: null },
      env: { BMS_REQUEST_TIMEOUT_MS: '2000', WORKER_SHUTDOWN_GRACE_SECONDS: '1', BMS_RATE_LIMIT_PER_WINDOW: '0' },
    });
  });

  after(async function () {
    this.timeout(120_000);
    await stack?.stop();
    for (const line of stack?.timings ?? []) console.log(`      ${line}`);
  });

  it('loses, duplicates and sticks nothing through a worker kill, a Temporal server restart and a database cut', async () => {
    const s = stack!;
    const { admins, simAdmin, suffix } = s;
    const started = Date.now();

    const connect = await admins[0]!.put('/api/v1/integrations/kaseya-bms', { apiUrl: s.sim.url, v1Url: s.sim.url, ...SIM_CREDENTIALS });
    assert.equal(connect.status, 200, JSON.stringify(connect.body));
    assert.equal((await admins[1]!.patch('/api/v1/integrations/kaseya-bms/sync-settings', { twoWayEnabled: true })).status, 200);
    await waitForIdlePulls(admins[1]!, 180_000);
    const pulled = (await listAll(admins[0]!, 'organizations', 'synced')).slice(0, PULLED_TARGETS);
    assert.equal(pulled.length, PULLED_TARGETS, 'organizations pulled from BMS');

    // The stream: saves through both APIs, each acknowledged save remembered with the version it made.
    const counts = { saves: 0, creates: 0, refused: 0, sentAgain: 0, workerKills: 0, temporalRestarts: 0, databaseCuts: 0 };
    const targets: string[] = pulled.map((o) => o.id as string);
    const created: string[] = [];
    const lastSaved = new Map<string, { version: number; value: string }>();
    let saveNo = 0;
    const retried = { onRetry: () => void counts.sentAgain++ };
    const save = async () => {
      const n = ++saveNo;
      const api = admins[n % admins.length]!;
      if (created.length < CREATES && n % 3 === 0) {
        const name = `Chaos ${suffix} ${String(created.length).padStart(2, '0')}`;
        created.push(name);
        const res = await persist(`create ${name}`, () => api.post('/api/v1/organizations', { name, type: 'Client', status: 'Active' }), retried);
        assert.equal(res.status, 201, JSON.stringify(res.body));
        targets.push(res.body.data.id);
        counts.creates++;
        return;
      }
      const id = targets[(n * 7919) % targets.length]!;
      const value = `chaos ${n}`;
      const res = await persist(`edit ${n}`, () => api.patch(`/api/v1/organizations/${id}`, { shortName: value }), retried);
      if (res.status !== 200) {
        counts.refused++;
        return;
      }
      counts.saves++;
      const version = res.body.data.version as number;
      if ((lastSaved.get(id)?.version ?? 0) < version) lastSaved.set(id, { version, value });
    };

    const streamStart = Date.now();
    const runners = Array.from({ length: RUNNERS }, async () => {
      while (Date.now() - streamStart < STREAM_MS || created.length < CREATES) {
        await save();
        await new Promise((r) => setTimeout(r, PAUSE_MS));
      }
    });
    const at = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, streamStart + ms - Date.now())));
    const adminDb = createDb({ url: s.adminUrl, poolMax: 1 });
    const cutDatabases = [s.database, s.cluster.databases.temporal, s.cluster.databases.visibility];
    const allowConnections = async (allow: boolean) => {
      for (const name of cutDatabases) await adminDb.raw(`ALTER DATABASE ?? ALLOW_CONNECTIONS ${allow ? 'true' : 'false'}`, [name]);
    };
    const faults = (async () => {
      await at(FAULTS_AT.killWorker);
      const victim = s.workers[0]!;
      await s.killWorker(victim);
      counts.workerKills++;
      console.log(`      ${((Date.now() - streamStart) / 1000).toFixed(0)} s: killed ${victim.name} (SIGKILL), starting a new worker`);
      await s.startWorker();

      await at(FAULTS_AT.restartTemporal);
      const t = Date.now();
      await s.cluster.restart();
      counts.temporalRestarts++;
      console.log(`      ${((t - streamStart) / 1000).toFixed(0)} s: restarted the Temporal server (answering again after ${((Date.now() - t) / 1000).toFixed(1)} s)`);

      await at(FAULTS_AT.cutDatabases);
      try {
        await allowConnections(false);
        const { rows } = (await adminDb.raw('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = ANY(?)', [cutDatabases])) as {
          rows: Array<{ n: number }>;
        };
        console.log(`      ${((Date.now() - streamStart) / 1000).toFixed(0)} s: cut the product's and Temporal's databases for ${DATABASE_CUT_MS / 1000} s (${rows[0]!.n} connections terminated)`);
        await new Promise((r) => setTimeout(r, DATABASE_CUT_MS));
      } finally {
        await allowConnections(true);
      }
      counts.databaseCuts++;
    })();
    try {
      await Promise.all([...runners, faults]);
    } finally {
      await allowConnections(true).catch(() => undefined);
      await adminDb.destroy();
    }
    const streamSeconds = (Date.now() - streamStart) / 1000;

    // 0 lost and 0 stuck: every record synced, with its last acknowledged save in BMS, within a deadline.
    const drainStart = Date.now();
    const ids = [...new Set(targets)];
    const inBms = async (id: string) => {
      const record = (await persist('read', () => admins[0]!.get(`/api/v1/organizations/${id}`))).body.data;
      const saved = lastSaved.get(id);
      if (record.sync.state !== 'synced' || !record.sync.bmsId) return { ok: false, why: `sync state ${record.sync.state}` };
      if (!saved) return { ok: true, why: '' };
      const bms = (await simAdmin.get(`/_sim/accounts/${record.sync.bmsId}`)).body;
      const ok = record.shortName === saved.value && bms.accountCode === saved.value;
      return { ok, why: `saved ${saved.value}, docs ${record.shortName}, BMS ${bms.accountCode}` };
    };
    let behind: string[] = [];
    await waitFor(
      async () => {
        behind = [];
        for (const id of ids) {
          const r = await inBms(id);
          if (!r.ok) behind.push(`${id}: ${r.why}`);
        }
        return behind.length === 0;
      },
      { timeoutMs: 120_000, intervalMs: 1_000, what: 'every record synced with its last save in BMS' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; ${behind.length} not there: ${behind.slice(0, 10).join('; ')}`);
    });
    const drainSeconds = (Date.now() - drainStart) / 1000;

    // No push workflow holds a save it has not pushed, and a pull still runs to completion.
    let stuck = 0;
    for await (const wf of s.temporal.workflow.list({ query: `${AccountIdKey.name} = "${s.accountId}" AND ExecutionStatus = "Running"` })) {
      if (wf.type === 'pullWorkflow') continue;
      const status = await s.temporal.workflow.getHandle(wf.workflowId).query(pushStatusQuery);
      if (status.requestedVersion > status.pushedVersion) {
        stuck++;
        console.log(`      stuck: ${wf.workflowId} requested ${status.requestedVersion}, pushed ${status.pushedVersion}`);
      }
    }
    const pull = await syncNowAndWait(admins[1]!, 120_000);

    // 0 duplicated: each new organization once in BMS and once in the documentation.
    const accounts = ((await simAdmin.get('/_sim/accounts')).body as Array<{ accountName: string }>).filter((a) => a.accountName.startsWith(`Chaos ${suffix} `));
    const docs = await listAll(admins[0]!, 'organizations', undefined, `Chaos ${suffix}`);
    const bmsDuplicates = duplicates(accounts.map((a) => a.accountName));
    const docsDuplicates = duplicates(docs.map((o) => o.name as string));

    console.log(
      [
        `      ${counts.saves} edits and ${counts.creates} creates acknowledged in ${streamSeconds.toFixed(0)} s through ${admins.length} APIs (${counts.sentAgain} sent again after a 5xx or a dropped connection, ${counts.refused} refused), ${lastSaved.size} records edited`,
        `      worker killed ${counts.workerKills}×, Temporal server restarted ${counts.temporalRestarts}×, databases cut ${counts.databaseCuts}×`,
        `      all synced ${drainSeconds.toFixed(0)} s after the stream; lost 0, duplicated ${bmsDuplicates} in BMS + ${docsDuplicates} in the docs, stuck ${stuck}; total ${((Date.now() - started) / 1000).toFixed(0)} s`,
      ].join('\n'),
    );
    assert.ok(counts.saves >= 100, `at least 100 edits acknowledged (${counts.saves})`);
    assert.equal(counts.creates, CREATES);
    assert.equal(counts.workerKills, 1);
    assert.equal(counts.temporalRestarts, 1);
    assert.equal(counts.databaseCuts, 1);
    assert.equal(accounts.length, CREATES, 'each new organization in BMS');
    assert.equal(bmsDuplicates, 0, 'no duplicates in BMS');
    assert.equal(docs.length, CREATES, 'each new organization in the documentation');
    assert.equal(docsDuplicates, 0, 'no duplicates in the documentation');
    assert.equal(stuck, 0, 'no push workflow stuck');
    assert.equal(pull.status, 'completed', JSON.stringify(pull));
  });
});
