/**
 * Retention against real PostgreSQL (a database of its own: pruning reaches every row of a table): rows
 * older than the cutoff go and newer ones stay, the never-prune rules hold, small batches walk a table in
 * many steps, and a prune through the activities records its row in `retention_prunes`.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db';
import { getPrune, listPrunes, pruneStep, type PruneOptions } from '../../db/retention';
import { addDeleted, type DeletedCounts, RETENTION_TASKS, type RetentionTask } from '../../domain/retention';
import { MockActivityEnvironment } from '@temporalio/testing';
import { type BeginPruneResult, createRetentionActivities, type PruneTableResult } from '../../activities/retention';
import { createLogger } from '../../lib/logger';
import { registry } from '../../lib/metrics';
import { isolatedDatabase } from '../helpers/env';

const DAY = 86_400_000;
const CUTOFF = new Date(Date.now() - 90 * DAY);

/** Prunes `task` to the end, step by step; returns the total deleted and the number of steps. */
async function pruneAll(db: Db, task: RetentionTask, options: PruneOptions): Promise<{ deleted: DeletedCounts; steps: number }> {
  let deleted: DeletedCounts = {};
  let cursor: string | null = null;
  for (let steps = 1; steps <= 10_000; steps++) {
    const step = await pruneStep(db, task, options, cursor);
    deleted = addDeleted(deleted, step.deleted);
    if (step.done) return { deleted, steps };
    cursor = step.cursor;
  }
  throw new Error(`pruning ${task} did not end`);
}

async function newAccount(db: Db): Promise<string> {
  const [row] = (await db('accounts').insert({ name: `Retention ${randomUUID()}` }).returning('id')) as Array<{ id: string }>;
  return row!.id;
}

async function newOrganization(db: Db, accountId: string): Promise<string> {
  const [row] = (await db('organizations').insert({ account_id: accountId, name: 'Kept Org' }).returning('id')) as Array<{ id: string }>;
  return row!.id;
}

function at(daysAgo: number, minutes = 0): Date {
  return new Date(Date.now() - daysAgo * DAY + minutes * 60_000);
}

describe('retention pruning', function () {
  this.timeout(120_000);
  let db: Db;

  before(async () => {
    db = await isolatedDatabase('docsync_retention');
  });

  describe('record history', () => {
    it('deletes old entries in many small batches, keeping each live record\'s created entry, its newest entries and undigested push refusals', async () => {
      const accountId = await newAccount(db);
      await db('integrations').insert({ account_id: accountId, api_url: 'https://bms.example', tenant: 't', username: 'u', password_enc: 'x', push_digest_at: at(150) });
      const live = await newOrganization(db, accountId);
      const gone = randomUUID(); // a record deleted since: nothing of it is kept once old
      const entry = (recordId: string, kind: string, when: Date, origin: string | null = 'ui') => ({
        account_id: accountId,
        record_type: 'organization',
        record_id: recordId,
        kind,
        origin,
        summary: `${kind} at ${when.toISOString()}`,
        at: when,
      });
      const rows = [
        entry(live, 'created', at(300)),
        ...Array.from({ length: 30 }, (_, i) => entry(live, 'updated', at(290, i))),
        entry(live, 'error', at(160), 'push'), // refused before the last digest: reported, may go
        entry(live, 'error', at(140), 'push'), // refused after it: the next digest lists it
        ...Array.from({ length: 4 }, (_, i) => entry(live, 'updated', at(120, i))),
        entry(gone, 'created', at(300)),
        ...Array.from({ length: 20 }, (_, i) => entry(gone, 'updated', at(280, i))),
        entry(live, 'updated', at(10)),
        entry(gone, 'deleted', at(5)),
      ];
      await db('record_history').insert(rows);

      const { deleted, steps } = await pruneAll(db, 'record_history', { cutoff: CUTOFF, batchSize: 7, keepPerRecord: 3 });

      const left = (await db('record_history').where({ account_id: accountId }).orderBy('id').select('record_id', 'kind', 'origin', 'at')) as Array<{
        record_id: string;
        kind: string;
        origin: string | null;
        at: Date;
      }>;
      const liveLeft = left.filter((r) => r.record_id === live);
      const goneLeft = left.filter((r) => r.record_id === gone);
      // Live record: created, the push refusal after the digest, and the newest 3 (two old updates + the new one).
      assert.deepEqual(
        liveLeft.map((r) => `${r.kind}:${Math.round((Date.now() - r.at.getTime()) / DAY)}`),
        ['created:300', 'error:140', 'updated:120', 'updated:120', 'updated:10'],
      );
      // Deleted record: only what is newer than the cutoff.
      assert.deepEqual(goneLeft.map((r) => r.kind), ['deleted']);
      assert.equal(deleted.record_history, rows.length - left.length);
      assert.ok(steps > 3, `walked in ${steps} steps of 7 rows`);
    });
    it('walks on from where the last walk ended and re-examines only the records that got entries since; a full walk a day catches deleted records', async () => {
      // A database of its own: a walk ends at the first entry newer than the cutoff, which the test above leaves.
      const db = await isolatedDatabase('docsync_retention_walk');
      const accountId = await newAccount(db);
      const quiet = await Promise.all(Array.from({ length: 40 }, () => newOrganization(db, accountId)));
      const busy = await newOrganization(db, accountId);
      const doomed = await newOrganization(db, accountId);
      const entry = (recordId: string, kind: string, when: Date) => ({
        account_id: accountId,
        record_type: 'organization',
        record_id: recordId,
        kind,
        origin: 'ui',
        summary: `${kind} at ${when.toISOString()}`,
        at: when,
      });
      await db('record_history').insert([
        ...quiet.map((id) => entry(id, 'created', at(300))), // kept forever: what a full walk walks again
        entry(busy, 'created', at(300)),
        ...Array.from({ length: 5 }, (_, i) => entry(busy, 'updated', at(290, i))),
        entry(doomed, 'created', at(300)),
        ...Array.from({ length: 2 }, (_, i) => entry(doomed, 'updated', at(280, i))),
      ]);
      const options = { cutoff: CUTOFF, batchSize: 5, keepPerRecord: 3 };
      const kinds = async (recordId: string) =>
        ((await db('record_history').where({ record_id: recordId }).orderBy('id').select('kind', 'at')) as Array<{ kind: string; at: Date }>).map(
          (r) => `${r.kind}:${Math.round((Date.now() - r.at.getTime()) / DAY)}`,
        );

      // The first prune walks every entry; it keeps busy's created entry and newest 3.
      const first = await pruneAll(db, 'record_history', options);
      assert.ok(first.steps >= 10, `a full walk in windows of 5: ${first.steps} steps`);
      assert.deepEqual(await kinds(busy), ['created:300', 'updated:290', 'updated:290', 'updated:290']);
      const cursor = (await db('retention_cursors').where({ task: 'record_history' }).first()) as { walked_to: string; full_walk_at: Date | null };
      assert.ok(cursor?.full_walk_at, 'the full walk is recorded');
      const newest = (await db('record_history').max('id as id').first()) as { id: string };
      assert.equal(String(cursor.walked_to), String(newest.id), 'it walked to the last entry');

      // busy gets two new entries (its older updates leave its newest 3); doomed's organization is deleted.
      await db('record_history').insert([entry(busy, 'updated', at(0)), entry(busy, 'updated', at(0, 1))]);
      await db('organizations').where({ id: doomed }).del();
      const second = await pruneAll(db, 'record_history', options);
      assert.ok(second.steps <= 3, `the recheck and the walk on from the last entry: ${second.steps} steps`);
      assert.equal(second.deleted.record_history, 2);
      assert.deepEqual(await kinds(busy), ['created:300', 'updated:290', 'updated:0', 'updated:0']);
      assert.equal((await kinds(doomed)).length, 3, 'a deleted record waits for the next full walk');

      // A day after the last full walk, the next prune walks everything again.
      await db('retention_cursors').where({ task: 'record_history' }).update({ full_walk_at: at(2) });
      const third = await pruneAll(db, 'record_history', options);
      assert.ok(third.steps >= 10, `a full walk: ${third.steps} steps`);
      assert.deepEqual(await kinds(doomed), []);
      assert.deepEqual(await kinds(busy), ['created:300', 'updated:290', 'updated:0', 'updated:0']);
      assert.equal((await kinds(quiet[0]!)).length, 1);
    });
  });

  describe('runs and their logs', () => {
    it('keeps running runs, each account\'s newest run and newest completed run, and the failure streak\'s run', async () => {
      const accountId = await newAccount(db);
      const other = await newAccount(db);
      const run = async (account: string, status: string, startedDaysAgo: number, logs = 0): Promise<string> => {
        const [row] = (await db('sync_runs')
          .insert({ account_id: account, workflow_id: `wf-${randomUUID()}`, run_id: randomUUID(), trigger: 'schedule', status, started_at: at(startedDaysAgo) })
          .returning('id')) as Array<{ id: string }>;
        if (logs > 0) {
          await db('sync_run_logs').insert(Array.from({ length: logs }, (_, i) => ({ sync_run_id: row!.id, level: 'info', message: `line ${i}`, at: at(startedDaysAgo) })));
        }
        return row!.id;
      };
      const oldCompleted = await run(accountId, 'completed', 300, 12);
      const stillRunning = await run(accountId, 'running', 250, 3);
      const oldFailed = await run(accountId, 'failed', 240, 5);
      const streakRun = await run(accountId, 'failed', 230, 2);
      const newestCompleted = await run(accountId, 'completed', 200, 4); // old, but the account's last completed pull
      const newestFailed = await run(accountId, 'failed', 100, 1); // old, but the account's newest run
      const recent = await run(other, 'completed', 10, 2);
      const otherOld = await run(other, 'completed', 150, 9);
      await db('integrations').insert({ account_id: accountId, api_url: 'https://bms.example', tenant: 't', username: 'u', password_enc: 'x', failure_last_run: streakRun });

      const { deleted, steps } = await pruneAll(db, 'sync_runs', { cutoff: CUTOFF, batchSize: 2 });

      const left = (await db('sync_runs').whereIn('account_id', [accountId, other]).pluck('id')) as string[];
      assert.deepEqual(new Set(left), new Set([stillRunning, streakRun, newestCompleted, newestFailed, recent]));
      for (const id of [oldCompleted, oldFailed, otherOld]) assert.ok(!left.includes(id));
      const logsLeft = (await db('sync_run_logs').whereIn('sync_run_id', [oldCompleted, oldFailed, otherOld]).count({ n: '*' })) as Array<{ n: string }>;
      assert.equal(Number(logsLeft[0]!.n), 0);
      const keptLogs = (await db('sync_run_logs').whereIn('sync_run_id', [stillRunning, streakRun, newestCompleted, newestFailed, recent]).count({ n: '*' })) as Array<{ n: string }>;
      assert.equal(Number(keptLogs[0]!.n), 3 + 2 + 4 + 1 + 2);
      assert.deepEqual({ runs: deleted.sync_runs, logs: deleted.sync_run_logs }, { runs: 3, logs: 12 + 5 + 9 });
      assert.ok(steps >= 2);
    });
  });

  describe('other tables', () => {
    it('keeps pending deliveries, live adoptions, the rate window, unexpired keys and sessions', async () => {
      const accountId = await newAccount(db);
      const [channel] = (await db('notification_channels')
        .insert({ account_id: accountId, kind: 'webhook', name: 'hook', url: 'https://hooks.example', events: JSON.stringify(['push.failed']) })
        .returning('id')) as Array<{ id: string }>;
      const delivery = (kind: string, status: string, daysAgo: number) => ({
        account_id: accountId,
        channel_id: channel!.id,
        event_kind: kind,
        event_key: randomUUID(),
        event: JSON.stringify({ kind }),
        status,
        created_at: at(daysAgo),
      });
      await db('notification_deliveries').insert([
        delivery('push.failed', 'delivered', 300), // goes
        delivery('push.failed', 'pending', 290), // stays: still to deliver
        delivery('push.failed', 'failed', 280), // goes
        delivery('push.failed', 'delivered', 200), // stays: the newest of its kind
        delivery('sync.paused', 'delivered', 250), // stays: the newest of its kind
      ]);

      const org = await newOrganization(db, accountId);
      await db('sync_links').insert({ record_type: 'organization', record_id: org, account_id: accountId, state: 'queued', pushed_version: 1 });
      const adoption = async (status: string, daysAgo: number, queuedVersion: number | null): Promise<string> => {
        const [row] = (await db('adoptions').insert({ account_id: accountId, status, requested_by_name: 'Ann', created_at: at(daysAgo), computed_at: at(daysAgo) }).returning('id')) as Array<{ id: string }>;
        await db('adoption_items').insert({ adoption_id: row!.id, position: 0, record_type: 'organization', record_id: org, version: 1, queued_version: queuedVersion });
        return row!.id;
      };
      await adoption('ready', 200, null); // an expired preview: goes
      await adoption('confirmed', 190, 1); // its push went through (pushed version 1): goes
      const stillPushing = await adoption('confirmed', 180, 2);
      const computing = await adoption('computing', 170, null);

      const tenant = `tenant-${randomUUID()}`;
      await db('bms_request_log').insert([
        { tenant_key: tenant, endpoint: 'GET /x', at: at(200) },
        { tenant_key: tenant, endpoint: 'GET /x', at: new Date() },
      ]);
      await db('idempotency_keys').insert([
        { account_id: accountId, key: 'expired', fingerprint: 'f', status: 201, answer: '{}', expires_at: at(1) },
        { account_id: accountId, key: 'valid', fingerprint: 'f', status: 201, answer: '{}', expires_at: at(-1) },
      ]);
      const email = `${randomUUID()}@example.com`;
      const [user] = (await db('users').insert({ account_id: accountId, email, email_normalized: email, name: 'Ann', role: 'administrator', password_hash: 'x' }).returning('id')) as Array<{
        id: string;
      }>;
      await db('sessions').insert([
        { token_hash: `expired-${randomUUID()}`, user_id: user!.id, expires_at: at(1) },
        { token_hash: `valid-${randomUUID()}`, user_id: user!.id, expires_at: at(-1) },
      ]);

      const options = { cutoff: CUTOFF, batchSize: 1 };
      const deliveries = await pruneAll(db, 'notification_deliveries', options);
      const adoptions = await pruneAll(db, 'adoptions', options);
      const requests = await pruneAll(db, 'bms_request_log', options);
      const keys = await pruneAll(db, 'idempotency_keys', options);
      const sessions = await pruneAll(db, 'sessions', options);

      assert.equal(deliveries.deleted.notification_deliveries, 2);
      assert.deepEqual(
        ((await db('notification_deliveries').where({ account_id: accountId }).orderBy('created_at').select('event_kind', 'status')) as Array<Record<string, string>>).map(
          (d) => `${d.event_kind}:${d.status}`,
        ),
        ['push.failed:pending', 'sync.paused:delivered', 'push.failed:delivered'],
      );
      assert.deepEqual(new Set((await db('adoptions').where({ account_id: accountId }).pluck('id')) as string[]), new Set([stillPushing, computing]));
      assert.deepEqual({ adoptions: adoptions.deleted.adoptions, items: adoptions.deleted.adoption_items }, { adoptions: 2, items: 2 });
      assert.equal(requests.deleted.bms_request_log, 1);
      assert.equal(((await db('bms_request_log').where({ tenant_key: tenant })) as unknown[]).length, 1);
      assert.deepEqual((await db('idempotency_keys').where({ account_id: accountId }).pluck('key')) as string[], ['valid']);
      assert.equal(keys.deleted.idempotency_keys, 1);
      assert.equal(sessions.deleted.sessions, 1);
      assert.equal(((await db('sessions').where({ user_id: user!.id })) as unknown[]).length, 1);
    });
  });

  describe('a prune through the activities', () => {
    it('records its cutoff and what it deleted per table in retention_prunes, and counts the rows pruned', async () => {
      const accountId = await newAccount(db);
      const runs = await Promise.all(
        [300, 200, 1].map(async (daysAgo) => {
          const [row] = (await db('sync_runs')
            .insert({ account_id: accountId, workflow_id: `wf-${randomUUID()}`, run_id: randomUUID(), trigger: 'schedule', status: 'completed', started_at: at(daysAgo) })
            .returning('id')) as Array<{ id: string }>;
          return row!.id;
        }),
      );
      const activities = createRetentionActivities({ db, logger: createLogger('test', 'silent'), retention: { periodMs: 90 * DAY } });
      const before = await prunedCounter('sync_runs');
      // Outside a worker there is no activity context: run them in the SDK's mock activity environment.
      const env = new MockActivityEnvironment();
      const { pruneId, cutoff }: BeginPruneResult = await env.run(activities.beginRetentionPrune);
      assert.ok(Math.abs(Date.parse(cutoff) - (Date.now() - 90 * DAY)) < 60_000);
      let deleted: DeletedCounts = {};
      for (const task of RETENTION_TASKS) {
        let cursor: string | null = null;
        for (;;) {
          const step: PruneTableResult = await env.run(activities.pruneRetentionTable, { task, cutoff, cursor, batchSize: 1 });
          deleted = addDeleted(deleted, step.deleted);
          if (step.done) break;
          cursor = step.cursor;
        }
      }
      await env.run(activities.finishRetentionPrune, { pruneId, deleted, error: null });

      const prune = await getPrune(db, pruneId);
      assert.ok(prune?.finishedAt, 'the prune is finished');
      assert.equal(prune.error, null);
      assert.equal(prune.cutoff, cutoff);
      assert.deepEqual(prune.deleted, deleted);
      assert.ok((prune.deleted.sync_runs ?? 0) >= 2);
      assert.deepEqual((await db('sync_runs').where({ account_id: accountId }).pluck('id')) as string[], [runs[2]]);
      assert.equal((await prunedCounter('sync_runs')) - before, prune.deleted.sync_runs);
      assert.equal((await listPrunes(db, 1))[0]?.id, pruneId);
    });
  });
});

describe('a retried table prune', function () {
  this.timeout(120_000);

  it('continues from the cursor its last attempt heartbeated', async () => {
    const db = await isolatedDatabase('docsync_retention_retry');
    const tenant = `tenant-${randomUUID()}`;
    const ids = (await db('bms_request_log')
      .insert(Array.from({ length: 6 }, (_, i) => ({ tenant_key: tenant, endpoint: 'GET /x', at: at(200, i) })))
      .returning('id')) as Array<{ id: string }>;
    const activities = createRetentionActivities({ db, logger: createLogger('test', 'silent') });
    // The last attempt reported it was past the first three rows before it died: they are not walked again.
    const env = new MockActivityEnvironment({ heartbeatDetails: { cursor: String(ids[2]!.id) } });
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => heartbeats.push(details));
    const step: PruneTableResult = await env.run(activities.pruneRetentionTable, { task: 'bms_request_log' as const, cutoff: CUTOFF.toISOString(), batchSize: 2 });
    assert.equal(step.done, true);
    assert.equal(step.deleted.bms_request_log, 3);
    assert.deepEqual(
      ((await db('bms_request_log').where({ tenant_key: tenant }).orderBy('id').pluck('id')) as string[]).map(String),
      ids.slice(0, 3).map((r) => String(r.id)),
    );
    assert.ok(heartbeats.length >= 1);
  });
});

async function prunedCounter(table: string): Promise<number> {
  const metric = await registry.getSingleMetric('docsync_retention_pruned_rows_total')?.get();
  return metric?.values.find((v) => v.labels.table === table)?.value ?? 0;
}
