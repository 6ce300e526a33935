/**
 * The chaos run (`npm run test:chaos`): pushes hundreds of record edits of all four types and pulls
 * thousands of BMS changes while the worker is killed twice, the Temporal server restarts, PostgreSQL
 * connections are cut and BMS answers with 5xx, dropped connections, 429s and answers slower than the
 * client waits. At the end, with faults off and the queues drained, both sides must agree record by
 * record, nothing may be duplicated or lost, and no workflow may be stuck. Prints the figures.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  accountLocationToLocation,
  accountToOrganization,
  assetToConfiguration,
  bmsContactToContact,
  type Lookups,
} from '../../domain/mapping';
import { sameValue } from '../../domain/merge';
import { syncedFieldNames, fieldSpecs, type RecordType } from '../../domain/records';
import { ServiceProcess } from '../../devstack/service-process';
import { normalizeKeys } from '../../bms/wire';
import type { HttpClient } from '../helpers/api-client';
import { duplicates, listAll, persist } from '../helpers/chaos';
import { startStack, type Stack } from '../helpers/stack';
import { syncNowAndWait, waitFor, waitForIdlePulls } from '../helpers/sync';

const SEED = { accounts: 600, contactsPerAccount: 2, assetsPerAccount: 1, locationsPerAccount: 1 };
const EDITS = 520;
const CREATES_PER_TYPE = 10;
const BMS_CHANGES = 300;
const CONCURRENCY = 8;

type Collection = 'organizations' | 'locations' | 'contacts' | 'configurations';
const TYPE_OF: Record<Collection, RecordType> = {
  organizations: 'organization',
  locations: 'location',
  contacts: 'contact',
  configurations: 'configuration',
};
/** The synced field each edit writes. */
const EDIT_FIELD: Record<Collection, string> = {
  organizations: 'shortName',
  locations: 'city',
  contacts: 'title',
  configurations: 'notes',
};
const SIM_PATH: Record<Collection, string> = { organizations: 'accounts', locations: 'locations', contacts: 'contacts', configurations: 'assets' };

const FAULTS = [
  { route: '*', mode: 'http-500', probability: 0.06 },
  { route: '*', mode: 'http-503', probability: 0.04 },
  { route: '*', mode: 'drop', probability: 0.03 },
  { route: '*', mode: 'drop-after-commit', probability: 0.02 },
  { route: '*', mode: 'http-429', probability: 0.02, retryAfterSeconds: 1 },
  { route: '*', mode: 'slow', probability: 0.02, delayMs: 2_500 },
];

describe('chaos', function () {
  this.timeout(20 * 60_000);
  let stack: Stack;
  let worker: ServiceProcess;
  const counts = { edits: 0, creates: 0, failedSaves: 0, workerKills: 0, temporalRestarts: 0, databaseCuts: 0, bmsChanges: 0 };

  const startWorker = () => {
    worker = new ServiceProcess('chaos-worker', path.join(__dirname, '..', '..', 'worker', 'main.ts'), stack.processEnv, {
      output: { file: path.join(stack.env.tmpDir, 'chaos-worker.log') },
    });
    worker.start();
  };

  before(async () => {
    stack = await startStack({
      simulator: { seed: SEED, rateLimit: null },
      worker: false,
      connect: false,
      env: { BMS_REQUEST_TIMEOUT_MS: '2000', WORKER_SHUTDOWN_GRACE_SECONDS: '1' },
    });
    startWorker();
  });

  after(async () => {
    await worker?.stop().catch(() => undefined);
    await stack?.stop();
  });

  it('survives faults without losing, duplicating or sticking anything', async () => {
    const admin = stack.admin;
    const started = Date.now();

    // 1. Connect (checked against BMS, so before the faults) and pull everything, through the faults.
    const connect = await admin.put('/api/v1/integrations/kaseya-bms', {
      apiUrl: stack.sim.url,
      v1Url: stack.sim.url,
      tenant: 'Demo MSP',
      username: 'api.user',
      password: 'demo-password',
    });
    assert.equal(connect.status, 200, JSON.stringify(connect.body));
    await stack.simAdmin.put('/_sim/faults', { rules: FAULTS });
    await persist('two-way', () => admin.patch('/api/v1/integrations/kaseya-bms/sync-settings', { twoWayEnabled: true }));
    await waitForCompletedPull(admin);

    const lists: Record<Collection, any[]> = { organizations: [], locations: [], contacts: [], configurations: [] };
    for (const c of Object.keys(lists) as Collection[]) lists[c] = await listAll(admin, c, 'synced');
    const pulledCount = Object.values(lists).reduce((n, l) => n + l.length, 0);
    console.log(`      first pull: ${pulledCount} records (${Object.entries(lists).map(([c, l]) => `${l.length} ${c}`).join(', ')})`);
    assert.ok(pulledCount >= 2_000, `at least 2,000 BMS changes pulled (got ${pulledCount})`);

    // Records edited here (set A) and records changed in BMS meanwhile (set B) are kept apart, so a
    // BMS change never meets a local edit of the same field and "lost edit" has one meaning.
    const organizations = lists.organizations;
    const setB = organizations.slice(0, BMS_CHANGES / 2);
    const setA = new Set(organizations.slice(BMS_CHANGES / 2).map((o) => o.id));
    const editable = (Object.keys(lists) as Collection[]).flatMap((c) =>
      lists[c].filter((r) => (c === 'organizations' ? setA.has(r.id) : setA.has(r.organizationId))).map((r) => ({ collection: c, id: r.id as string })),
    );

    /** The last value a save of ours was acknowledged with, per record. */
    const lastSaved = new Map<string, { collection: Collection; id: string; field: string; value: string }>();
    let editNo = 0;
    const edit = async () => {
      const n = ++editNo;
      const target = editable[(n * 7919) % editable.length]!;
      const field = EDIT_FIELD[target.collection];
      const value = `chaos ${n}`;
      const res = await persist(`edit ${n}`, () => admin.patch(`/api/v1/${target.collection}/${target.id}`, { [field]: value }));
      if (res.status === 200) {
        lastSaved.set(`${target.collection}/${target.id}`, { ...target, field, value });
        counts.edits++;
      } else counts.failedSaves++;
    };

    // 2. Edits and creates, with the infrastructure faults spread over them.
    const disruptions: Array<[number, () => Promise<void>]> = [
      [0.15, async () => {
        await worker.kill();
        counts.workerKills++;
        startWorker();
      }],
      [0.35, async () => {
        await stack.env.temporal.restart();
        counts.temporalRestarts++;
      }],
      [0.55, async () => {
        const { rows } = (await stack.env.db.raw(
          'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        )) as { rows: Array<{ n: number }> };
        counts.databaseCuts++;
        console.log(`      cut ${rows[0]!.n} PostgreSQL connections`);
      }],
      [0.75, async () => {
        await worker.kill();
        counts.workerKills++;
        startWorker();
      }],
    ];
    const createdIds: Record<Collection, string[]> = { organizations: [], locations: [], contacts: [], configurations: [] };
    const creates: Array<() => Promise<void>> = [];
    for (let i = 0; i < CREATES_PER_TYPE; i++) {
      creates.push(async () => {
        const org = await persist('create org', () => admin.post('/api/v1/organizations', { name: `Chaos Org ${i}`, type: 'Client', status: 'Active' }));
        createdIds.organizations.push(org.body.data.id);
        const orgId = org.body.data.id as string;
        const loc = await persist('create location', () => admin.post('/api/v1/locations', { organizationId: orgId, name: `Chaos Site ${i}`, city: 'Austin' }));
        createdIds.locations.push(loc.body.data.id);
        const contact = await persist('create contact', () =>
          admin.post('/api/v1/contacts', {
            organizationId: orgId,
            firstName: `Chaos${i}`,
            lastName: 'Person',
            emails: [{ value: `chaos${i}@example.com`, label: 'Work', primary: true }],
            phones: [{ value: `+1 512 555 01${String(i).padStart(2, '0')}`, label: 'Office', primary: true }],
          }),
        );
        createdIds.contacts.push(contact.body.data.id);
        const config = await persist('create configuration', () =>
          admin.post('/api/v1/configurations', { organizationId: orgId, name: `Chaos Box ${i}`, type: 'Workstation', status: 'Active', serialNumber: `CH-${i}` }),
        );
        createdIds.configurations.push(config.body.data.id);
        counts.creates += 4;
      });
    }

    let done = 0;
    let nextDisruption = 0;
    const work: Array<() => Promise<void>> = [...creates, ...Array.from({ length: EDITS }, () => edit)];
    const runners = Array.from({ length: CONCURRENCY }, async () => {
      while (work.length > 0) {
        const task = work.shift()!;
        await task();
        done++;
        while (nextDisruption < disruptions.length && done / (EDITS + CREATES_PER_TYPE) >= disruptions[nextDisruption]![0]) {
          const [, disrupt] = disruptions[nextDisruption++]!;
          await disrupt();
        }
        if (done % 100 === 0) {
          // BMS-side changes to set B, and a Sync now, while everything else is going on.
          for (const org of setB.splice(0, 40)) {
            await stack.simAdmin.patch(`/_sim/accounts/${org.sync.bmsId}`, { accountName: `${org.name} (changed in BMS)` });
            counts.bmsChanges++;
          }
          await persist('sync now', () => admin.post('/api/v1/integrations/kaseya-bms/sync'));
        }
      }
    });
    await Promise.all(runners);
    for (const org of setB.splice(0)) {
      await stack.simAdmin.patch(`/_sim/accounts/${org.sync.bmsId}`, { accountName: `${org.name} (changed in BMS)` });
      counts.bmsChanges++;
    }
    const faults = (await stack.simAdmin.get('/_sim/faults')).body.rules as Array<{ mode: string; fired: number }>;

    // 3. Faults off; drain: pulls until nothing is queued or running.
    await stack.simAdmin.delete('/_sim/faults');
    const drainStarted = Date.now();
    await waitFor(
      async () => {
        await persist('sync now', () => admin.post('/api/v1/integrations/kaseya-bms/sync'));
        await waitForIdlePulls(admin, 120_000);
        const summary = (await admin.get('/api/v1/integrations/kaseya-bms/summary')).body.data as Record<string, Record<string, number>>;
        return Object.values(summary).every((s) => s.queued === 0);
      },
      { timeoutMs: 8 * 60_000, intervalMs: 5_000, what: 'the push queue to drain' },
    );
    // One more pull that starts now and reads everything BMS changed, before comparing.
    await waitForIdlePulls(admin, 120_000);
    const finalPull = await syncNowAndWait(admin, 180_000);
    assert.equal(finalPull.status, 'completed');
    const drainSeconds = (Date.now() - drainStarted) / 1000;

    // 4. Verify, record by record.
    const lookups = (await admin.get('/api/v1/integrations/kaseya-bms/lookups')).body.data as Lookups;
    let compared = 0;
    const mismatches: string[] = [];
    const failedWithReason: string[] = [];
    for (const collection of Object.keys(TYPE_OF) as Collection[]) {
      for (const record of await listAll(admin, collection)) {
        if (!record.sync.bmsId) continue;
        if (record.sync.state === 'failed') {
          failedWithReason.push(`${collection}/${record.id}: ${record.sync.message}`);
          continue;
        }
        const bms = await stack.simAdmin.get(`/_sim/${SIM_PATH[collection]}/${record.sync.bmsId}`);
        if (bms.status === 404) {
          if (record.sync.state !== 'orphaned') mismatches.push(`${collection}/${record.id}: BMS record gone but not orphaned`);
          continue;
        }
        const dto = normalizeKeys(bms.body) as never;
        const remote = (
          collection === 'organizations'
            ? accountToOrganization(dto, lookups).fields
            : collection === 'locations'
              ? accountLocationToLocation(dto, lookups).fields
              : collection === 'contacts'
                ? bmsContactToContact(dto, lookups).fields
                : assetToConfiguration(dto, lookups).fields
        ) as unknown as Record<string, unknown>;
        for (const field of syncedFieldNames(TYPE_OF[collection])) {
          if (fieldSpecs(TYPE_OF[collection])[field]!.kind === 'ref' || !(field in remote)) continue;
          const local = record[field];
          const theirs = remote[field];
          const same =
            Array.isArray(local) && Array.isArray(theirs)
              ? sameValue((local as Array<{ value: string }>).map((e) => e.value).sort(), (theirs as Array<{ value: string }>).map((e) => e.value).sort())
              : sameValue(local, theirs);
          if (!same) mismatches.push(`${collection}/${record.id} ${field}: docs ${JSON.stringify(local)} vs BMS ${JSON.stringify(theirs)}`);
        }
        compared++;
      }
    }

    let lost = 0;
    for (const saved of lastSaved.values()) {
      const record = (await admin.get(`/api/v1/${saved.collection}/${saved.id}`)).body.data;
      const bms = (await stack.simAdmin.get(`/_sim/${SIM_PATH[saved.collection]}/${record.sync.bmsId}`)).body;
      const bmsValue = saved.collection === 'organizations' ? bms.accountCode : saved.collection === 'locations' ? bms.addresses?.find((a: any) => a.isMain)?.city ?? bms.addresses?.[0]?.city : saved.collection === 'contacts' ? bms.jobTitle : bms.description;
      if (record[saved.field] !== saved.value || bmsValue !== saved.value) {
        lost++;
        console.log(`      lost: ${saved.collection}/${saved.id} ${saved.field}: saved ${saved.value}, docs ${record[saved.field]}, BMS ${bmsValue}`);
      }
    }

    const accounts = (await stack.simAdmin.get('/_sim/accounts')).body as Array<{ accountName: string }>;
    const locations = (await stack.simAdmin.get('/_sim/locations')).body as Array<{ locationName: string }>;
    const contacts = (await stack.simAdmin.get('/_sim/contacts')).body as Array<{ accountId: number; firstName: string; lastName: string }>;
    const assets = (await stack.simAdmin.get('/_sim/assets')).body as Array<{ accountId: number; name: string; serialNumber: string }>;
    const bmsDuplicates =
      duplicates(accounts.filter((a) => a.accountName.startsWith('Chaos Org ')).map((a) => a.accountName)) +
      duplicates(locations.filter((l) => l.locationName?.startsWith('Chaos Site ')).map((l) => l.locationName)) +
      duplicates(contacts.filter((c) => c.firstName?.startsWith('Chaos')).map((c) => `${c.accountId}|${c.firstName}|${c.lastName}`)) +
      duplicates(assets.filter((a) => a.name?.startsWith('Chaos Box ')).map((a) => `${a.accountId}|${a.name}|${a.serialNumber}`));
    // In the documentation: every record is linked to a BMS record of its own (the links are unique),
    // so a record without a link (and not failed with a reason) would be a copy nobody linked.
    const unlinked = (
      (await stack.env.db.raw(
        `SELECT count(*)::int AS n FROM (
           SELECT id, 'organization' AS t FROM organizations WHERE account_id = ?
           UNION ALL SELECT id, 'location' FROM locations WHERE account_id = ?
           UNION ALL SELECT id, 'contact' FROM contacts WHERE account_id = ?
           UNION ALL SELECT id, 'configuration' FROM configurations WHERE account_id = ?
         ) r LEFT JOIN sync_links l ON l.record_id = r.id AND l.record_type = r.t
         WHERE l.bms_id IS NULL AND coalesce(l.state, 'not_pushed') NOT IN ('failed', 'excluded')`,
        [stack.accountId, stack.accountId, stack.accountId, stack.accountId],
      )) as { rows: Array<{ n: number }> }
    ).rows[0]!.n;
    const docsDuplicates =
      unlinked +
      duplicates((await listAll(admin, 'organizations')).filter((o) => o.name.startsWith('Chaos Org ')).map((o) => o.name as string));

    let stuck = 0;
    for await (const wf of stack.temporal.workflow.list({ query: `AccountId = "${stack.accountId}" AND ExecutionStatus = "Running"` })) {
      if (wf.type === 'pullWorkflow') stuck++;
      else {
        const status = await stack.temporal.workflow.getHandle(wf.workflowId).query<{ requestedVersion: number; pushedVersion: number }>('pushStatus');
        if (status.requestedVersion > status.pushedVersion) stuck++;
      }
    }

    const injected = faults.reduce((n, f) => n + f.fired, 0);
    console.log(
      [
        `      edits saved ${counts.edits} (+${counts.creates} creates, ${counts.failedSaves} saves refused under faults), BMS changes pulled ${pulledCount} + ${counts.bmsChanges}`,
        `      faults injected: ${injected} BMS faults (${faults.map((f) => `${f.mode} ${f.fired}`).join(', ')}), worker killed ${counts.workerKills}×, Temporal restarted ${counts.temporalRestarts}×, PostgreSQL connections cut ${counts.databaseCuts}×`,
        `      after faults: drained in ${drainSeconds.toFixed(0)} s; compared ${compared} records; mismatched ${mismatches.length}; failed with a reason ${failedWithReason.length}`,
        `      lost ${lost}, duplicated ${bmsDuplicates} in BMS + ${docsDuplicates} in the docs, stuck ${stuck}; total ${((Date.now() - started) / 1000).toFixed(0)} s`,
      ].join('\n'),
    );
    for (const m of mismatches.slice(0, 20)) console.log(`      mismatch: ${m}`);
    for (const f of failedWithReason.slice(0, 20)) console.log(`      failed: ${f}`);

    assert.ok(counts.edits >= 500, `at least 500 edits saved (${counts.edits})`);
    assert.ok(injected > 100, 'BMS faults were injected');
    assert.equal(counts.workerKills, 2);
    assert.equal(counts.temporalRestarts, 1);
    assert.equal(counts.databaseCuts, 1);
    assert.deepEqual(mismatches, []);
    assert.equal(lost, 0, 'no lost edits');
    assert.equal(bmsDuplicates, 0, 'no duplicates in BMS');
    assert.equal(docsDuplicates, 0, 'no duplicates in the documentation');
    assert.equal(stuck, 0, 'no workflow stuck');
    for (const f of failedWithReason) assert.match(f, /Push to Kaseya BMS failed: .{10,}/);
  });
});

async function waitForCompletedPull(api: HttpClient): Promise<void> {
  await waitFor(
    async () => {
      const runs = (await api.get('/api/v1/integrations/kaseya-bms/runs?pageSize=5')).body.data as Array<{ status: string }> | undefined;
      if (!runs || runs.length === 0 || runs.some((r) => r.status === 'running')) return false;
      if (runs[0]!.status === 'completed') return true;
      await persist('sync now', () => api.post('/api/v1/integrations/kaseya-bms/sync'));
      return false;
    },
    { timeoutMs: 5 * 60_000, intervalMs: 2_000, what: 'a completed pull' },
  );
}
