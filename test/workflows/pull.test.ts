/**
 * The pull workflow on a real Temporal server with stub activities: the chunk loop over entities and
 * pages, the extra pass for a "Sync now" pressed during a run, skipped runs and failures.
 */
import assert from 'node:assert/strict';
import { activityInfo } from '@temporalio/activity';
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities';
import { addCounts, type PullCounts } from '../../domain/pull-counts';
import type { BeginPullResult, PullChunkInput, PullChunkResult, PullEntity } from '../../workflows/definitions';
import { pullWorkflow } from '../../workflows/pull';
import { ended, uniqueId, withWorker, workflowTestEnv } from './workflow-env';

const counts = (seen: number): PullCounts => ({ seen, created: seen, updated: 0, linked: 0, unchanged: 0, orphaned: 0, failed: 0, skipped: 0, held: 0 });

/**
 * Stub pull activities over a fake BMS with `pages[entity]` pages per entity; page n reports n records
 * seen. `chunk` may replace a chunk's answer (throw to fail it).
 */
function pullStubs(options: {
  pages?: Partial<Record<PullEntity, number>>;
  begin?: (n: number) => Partial<BeginPullResult>;
  syncRequested?: (n: number) => boolean;
  chunk?: (input: PullChunkInput, attempt: number) => PullChunkResult | undefined;
  /** Pages one chunk reads (default 1). */
  pagesPerChunk?: number;
} = {}) {
  const pages = options.pages ?? { accounts: 3, contacts: 1, assets: 2 };
  const calls: string[] = [];
  const chunks: Array<{ entity: PullEntity; page: number | null; attempt: number }> = [];
  const finished: Array<{ syncRunId: string; status: string; error?: string; errorType?: string }> = [];
  let begins = 0;
  let syncChecks = 0;
  const activities: Partial<Activities> = {
    beginPull() {
      calls.push('beginPull');
      begins++;
      return Promise.resolve({ syncRunId: `run-${begins}`, startedAt: new Date().toISOString(), entities: ['accounts', 'contacts', 'assets'], ...options.begin?.(begins) });
    },
    pullChunk(input) {
      const { attempt } = activityInfo();
      chunks.push({ entity: input.entity, page: input.cursor?.page ?? null, attempt });
      calls.push(`pullChunk ${input.entity} ${input.cursor?.page ?? 'start'}`);
      const replaced = options.chunk?.(input, attempt);
      if (replaced) return Promise.resolve(replaced);
      // Reads `pagesPerChunk` pages, going on to the entities of `then` when one is done.
      const queue = [input.entity, ...(input.then ?? [])];
      const byEntity: Partial<Record<PullEntity, PullCounts>> = {};
      let page = input.cursor?.page ?? 1;
      let budget = options.pagesPerChunk ?? 1;
      for (;;) {
        const entity = queue[0]!;
        byEntity[entity] = addCounts(byEntity[entity], counts(page));
        budget--;
        const more = page < (pages[entity] ?? 0);
        const chained = input.then ? { entity, countsByEntity: byEntity } : {};
        if (more && budget > 0) {
          page++;
          continue;
        }
        if (more) return Promise.resolve({ next: { page: page + 1, from: null, maxModifiedOn: null }, counts: byEntity[entity], ...chained });
        if (!input.then || queue.length === 1 || budget === 0) return Promise.resolve({ next: null, counts: byEntity[entity], ...chained });
        queue.shift();
        page = 1;
      }
    },
    resumeQueuedPushes() {
      calls.push('resumeQueuedPushes');
      return Promise.resolve(0);
    },
    finishPull(input) {
      calls.push(`finishPull ${input.status}`);
      finished.push({ syncRunId: input.syncRunId, status: input.status, error: input.error, ...(input.errorType ? { errorType: input.errorType } : {}) });
      return Promise.resolve();
    },
    syncRequestedSince() {
      calls.push('syncRequestedSince');
      return Promise.resolve(options.syncRequested?.(++syncChecks) ?? false);
    },
    completePull(input) {
      calls.push('completePull');
      finished.push({ syncRunId: input.syncRunId, status: 'completed' });
      return Promise.resolve({ again: options.syncRequested?.(++syncChecks) ?? false });
    },
  };
  return { activities, calls, chunks, finished };
}

describe('pull workflow', function () {
  this.timeout(60_000);
  let client: Client;

  before(async () => {
    client = (await workflowTestEnv()).env.client;
  });

  const start = (taskQueue: string) =>
    client.workflow.start(pullWorkflow, { workflowId: uniqueId('bms-pull:acct-1'), taskQueue, args: [{ accountId: 'acct-1' }] });

  it('reads every entity page by page in dependency order, sums the counts and finishes the run', async () => {
    const { activities, calls } = pullStubs();
    await withWorker(activities, async (taskQueue) => {
      const summary = await ended(await start(taskQueue));
      assert.deepEqual(calls, [
        'beginPull',
        'pullChunk accounts start',
        'pullChunk accounts 2',
        'pullChunk accounts 3',
        'pullChunk contacts start',
        'pullChunk assets start',
        'pullChunk assets 2',
        'completePull',
      ]);
      assert.deepEqual(summary, {
        syncRunId: 'run-1',
        counts: { accounts: counts(1 + 2 + 3), contacts: counts(1), assets: counts(1 + 2) },
      });
    });
  });

  it("goes on from entity to entity within a chunk, so a small account's pass is three activities", async () => {
    const { activities, calls } = pullStubs({ pagesPerChunk: 4 });
    await withWorker(activities, async (taskQueue) => {
      const summary = await ended(await start(taskQueue));
      // 3 + 1 + 2 pages, 4 a chunk: accounts 1-3 and contacts 1, then assets 1-2.
      assert.deepEqual(calls, ['beginPull', 'pullChunk accounts start', 'pullChunk assets start', 'completePull']);
      assert.deepEqual(summary, {
        syncRunId: 'run-1',
        counts: { accounts: counts(1 + 2 + 3), contacts: counts(1), assets: counts(1 + 2) },
      });
    });
  });

  it('runs one more pass when "Sync now" was pressed during the run', async () => {
    const { activities, calls, finished } = pullStubs({ pages: { accounts: 1 }, syncRequested: (n) => n === 1 });
    await withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue);
      const summary = await ended(handle);
      const pass = ['beginPull', 'pullChunk accounts start', 'pullChunk contacts start', 'pullChunk assets start', 'completePull'];
      assert.deepEqual(calls, [...pass, ...pass]);
      assert.deepEqual(finished.map((f) => f.syncRunId), ['run-1', 'run-2']);
      assert.equal(summary.syncRunId, 'run-2');
      const firstRun = await client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe();
      assert.equal(firstRun.status.name, 'CONTINUED_AS_NEW', 'the extra pass is the same workflow, so it never overlaps another pull');
    });
  });

  it('does nothing but report why when the run is skipped', async () => {
    const { activities, calls } = pullStubs({ begin: () => ({ skip: 'sync is paused', entities: [] }) });
    await withWorker(activities, async (taskQueue) => {
      const summary = await ended(await start(taskQueue));
      assert.deepEqual(calls, ['beginPull']);
      assert.deepEqual(summary, { syncRunId: 'run-1', skipped: 'sync is paused', counts: {} });
    });
  });

  it('fails the run on a refusal without retrying it, and records the failure in the run log', async () => {
    const { activities, calls, chunks, finished } = pullStubs({
      chunk: (input) => {
        if (input.entity === 'contacts') throw ApplicationFailure.create({ type: 'BmsAuthError', message: 'BMS refused the credentials' });
        return undefined;
      },
    });
    await withWorker(activities, async (taskQueue) => {
      const handle = await start(taskQueue);
      const failure = await ended(handle).then(
        () => assert.fail('the pull should fail'),
        (err: unknown) => err,
      );
      assert.ok(failure instanceof WorkflowFailedError);
      assert.ok(failure.cause instanceof ApplicationFailure);
      assert.equal(failure.cause.type, 'PullFailed');
      assert.equal(failure.cause.message, 'Pull failed while reading contacts: BMS refused the credentials');
      assert.deepEqual(chunks.filter((c) => c.entity === 'contacts').map((c) => c.attempt), [1], 'a refusal is not retried');
      assert.deepEqual(calls.slice(-2), ['pullChunk contacts start', 'finishPull failed']);
      // The cause's type goes with it: it decides the notification and the automatic pause.
      assert.deepEqual(finished, [{ syncRunId: 'run-1', status: 'failed', error: 'BMS refused the credentials', errorType: 'BmsAuthError' }]);
    });
  });

  it('retries a failing chunk from the same cursor and carries on when it succeeds', async () => {
    const { activities, chunks, finished } = pullStubs({
      chunk: (input, attempt) => {
        if (input.entity === 'accounts' && input.cursor?.page === 2 && attempt < 3) {
          throw ApplicationFailure.create({ type: 'BmsUnavailableError', message: 'BMS answered 503', nextRetryDelay: 10 });
        }
        return undefined;
      },
    });
    await withWorker(activities, async (taskQueue) => {
      await ended(await start(taskQueue));
      const accountPages = chunks.filter((c) => c.entity === 'accounts').map((c) => [c.page, c.attempt]);
      assert.deepEqual(accountPages, [
        [null, 1],
        [2, 1],
        [2, 2],
        [2, 3],
        [3, 1],
      ]);
      assert.deepEqual(finished.map((f) => f.status), ['completed']);
    });
  });

  it('gives up after five attempts of a chunk and fails the run with the reason', async () => {
    const { activities, chunks, finished } = pullStubs({
      chunk: (input) => {
        if (input.entity === 'assets') throw ApplicationFailure.create({ type: 'BmsUnavailableError', message: 'BMS answered 503', nextRetryDelay: 10 });
        return undefined;
      },
    });
    await withWorker(activities, async (taskQueue) => {
      const failure = await ended(await start(taskQueue)).then(
        () => assert.fail('the pull should fail'),
        (err: unknown) => err as WorkflowFailedError,
      );
      assert.equal((failure.cause as ApplicationFailure).type, 'PullFailed');
      assert.deepEqual(chunks.filter((c) => c.entity === 'assets').map((c) => c.attempt), [1, 2, 3, 4, 5]);
      assert.deepEqual(finished, [{ syncRunId: 'run-1', status: 'failed', error: 'BMS answered 503', errorType: 'BmsUnavailableError' }]);
    });
  });
});
