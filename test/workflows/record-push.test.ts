/**
 * The record push workflow on a real Temporal server with stub activities: what it pushes, when, how
 * often, what it does with refusals and missing dependencies, and what it carries into a new run.
 */
import assert from 'node:assert/strict';
import { activityInfo } from '@temporalio/activity';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import type { Activities } from '../../activities';
import { RATE_BUDGET_BUSY_ERROR } from '../../bms/errors';
import { pushStatusQuery, recordSavedSignal, type PushFailure, type PushResult, type RecordPushInput, type RequestPushResult } from '../../workflows/definitions';
import { recordPushWorkflow } from '../../workflows/record-push';
import { waitFor } from '../helpers/sync';
import { ended, firedTimerDurationsMs, gate, historyEvents, localActivityTimesMs, runHistories, uniqueId, withWorker, workflowTestEnv } from './workflow-env';

interface PushCall {
  local: boolean;
  /** The saved version the push read. */
  version: number;
}

/**
 * Stub push activities over an in-memory "database": `saved` is the record's latest saved version, which
 * a push reads and reports as pushed (like the real activity, which reads the record when it runs).
 */
function pushStubs(
  behaviour: { push?: (call: PushCall, n: number) => Promise<PushResult> | PushResult; request?: () => RequestPushResult | undefined } = {},
) {
  const state = {
    saved: 1,
    calls: [] as PushCall[],
    failures: [] as PushFailure[],
    requested: [] as Array<{ accountId: string; recordType: string; recordId: string }>,
  };
  const activities: Partial<Activities> = {
    async pushRecord() {
      const call = { local: activityInfo().isLocal, version: state.saved };
      state.calls.push(call);
      if (behaviour.push) return behaviour.push(call, state.calls.length);
      return { outcome: 'updated', pushedVersion: call.version };
    },
    markPushFailed(input) {
      state.failures.push(input);
      return Promise.resolve();
    },
    requestPush(input) {
      state.requested.push(input);
      return Promise.resolve(behaviour.request?.() as RequestPushResult);
    },
  };
  return { state, activities };
}

const refusal = () => ApplicationFailure.nonRetryable('Account name is required', 'BmsValidationError');

describe('record push workflow', function () {
  this.timeout(60_000);
  let client: Client;

  before(async () => {
    client = (await workflowTestEnv()).env.client;
  });

  function input(overrides: Partial<RecordPushInput> = {}): RecordPushInput {
    return { accountId: 'acct-1', recordType: 'organization', recordId: uniqueId('org'), idleTimeoutMs: 500, minPushIntervalMs: 0, ...overrides };
  }

  /** A save, the way the API queues it: signal-with-start of the record's workflow. */
  function save(taskQueue: string, args: RecordPushInput, version: number): Promise<WorkflowHandle<typeof recordPushWorkflow>> {
    return client.workflow.signalWithStart(recordPushWorkflow, {
      workflowId: `record-push:${args.accountId}:${args.recordType}:${args.recordId}`,
      taskQueue,
      args: [args],
      signal: recordSavedSignal,
      signalArgs: [{ version }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  }

  const pushed = (handle: WorkflowHandle, version: number) =>
    waitFor(async () => (await handle.query(pushStatusQuery)).pushedVersion >= version, { what: `version ${version} pushed` });

  it('pushes the first save at once and folds the saves made during that push into one push of the latest version', async () => {
    const firstPush = gate();
    const { state, activities } = pushStubs({
      push: async (call, n) => {
        if (n === 1) await firstPush.opened;
        return { outcome: 'updated', pushedVersion: call.version };
      },
    });
    await withWorker(activities, async (taskQueue) => {
      const args = input();
      const handle = await save(taskQueue, args, 1);
      await waitFor(() => state.calls.length === 1, { what: 'the first push to start' });
      for (let version = 2; version <= 5; version++) {
        state.saved = version;
        await save(taskQueue, args, version);
      }
      firstPush.open();
      await ended(handle);
      assert.deepEqual(state.calls.map((c) => c.version), [1, 5], 'one push of v1, then one of the latest saved version');
      const status = await handle.query(pushStatusQuery);
      assert.deepEqual(status, { requestedVersion: 5, pushedVersion: 5, pushes: 2, lastOutcome: 'updated' });
    });
  });

  it('keeps the least interval between two pushes and pushes the saves made meanwhile once', async () => {
    const minPushIntervalMs = 1_500;
    const { state, activities } = pushStubs();
    await withWorker(activities, async (taskQueue) => {
      const args = input({ minPushIntervalMs });
      const handle = await save(taskQueue, args, 1);
      await pushed(handle, 1);
      for (const version of [2, 3]) {
        state.saved = version;
        await save(taskQueue, args, version);
      }
      await ended(handle);
      assert.deepEqual(state.calls.map((c) => c.version), [1, 3]);
      const [first, second] = localActivityTimesMs((await runHistories(handle.workflowId)).flat());
      assert.ok(second! - first! >= minPushIntervalMs, `second push ${second! - first!} ms after the first (workflow time)`);
      const [intervalWait, idleWait, ...more] = firedTimerDurationsMs(await runHistories(handle.workflowId));
      assert.ok(intervalWait! > 0 && intervalWait! <= minPushIntervalMs, `waited ${intervalWait} ms for the interval`);
      assert.equal(idleWait, args.idleTimeoutMs);
      assert.deepEqual(more, []);
    });
  });

  it('ends when idle, and the next save starts it again', async () => {
    const { state, activities } = pushStubs();
    await withWorker(activities, async (taskQueue) => {
      const args = input({ idleTimeoutMs: 300 });
      const first = await save(taskQueue, args, 1);
      await ended(first, 5_000);
      const firstRun = await first.describe();
      assert.equal(firstRun.status.name, 'COMPLETED');
      assert.deepEqual(firedTimerDurationsMs([await historyEvents(first.workflowId, firstRun.runId)]), [300], 'ended on the idle timeout');

      state.saved = 2;
      const second = await save(taskQueue, args, 2);
      await ended(second, 5_000);
      const secondRun = await second.describe();
      assert.notEqual(secondRun.runId, firstRun.runId);
      assert.deepEqual(state.calls.map((c) => c.version), [1, 2]);
    });
  });

  it('records a refusal as the failure of the saved version, does not retry it, and pushes the next save', async () => {
    const { state, activities } = pushStubs({
      push: (call, n) => {
        if (n === 1) throw refusal();
        return { outcome: 'updated', pushedVersion: call.version };
      },
    });
    await withWorker(activities, async (taskQueue) => {
      const args = input();
      const handle = await save(taskQueue, args, 1);
      await waitFor(() => state.failures.length === 1, { what: 'the failure to be recorded' });
      assert.deepEqual(state.failures, [
        { accountId: args.accountId, recordType: args.recordType, recordId: args.recordId, version: 1, error: { type: 'BmsValidationError', message: 'Account name is required' } },
      ]);
      const afterRefusal = await handle.query(pushStatusQuery);
      assert.deepEqual(afterRefusal, { requestedVersion: 1, pushedVersion: 1, pushes: 1, lastOutcome: 'failed' });

      state.saved = 2;
      await save(taskQueue, args, 2);
      await ended(handle);
      assert.deepEqual(
        state.calls.map((c) => [c.version, c.local]),
        [
          [1, true],
          [2, true],
        ],
        'the refused version was tried once; the next save was pushed',
      );
      assert.equal((await handle.describe()).status.name, 'COMPLETED', 'a refusal does not fail the workflow');
    });
  });

  it('does not retry a refusal from the push activity that took over from the local attempt', async () => {
    const { state, activities } = pushStubs({
      push: (call) => {
        if (call.local) throw ApplicationFailure.create({ type: RATE_BUDGET_BUSY_ERROR, message: 'rate budget busy' });
        // Retryable as thrown: the workflow's retry policy knows the type as a refusal.
        throw ApplicationFailure.create({ type: 'BmsValidationError', message: 'Account name is required' });
      },
    });
    await withWorker(activities, async (taskQueue) => {
      const args = input();
      const handle = await save(taskQueue, args, 1);
      await ended(handle);
      assert.deepEqual(state.calls.map((c) => c.local), [true, false], 'one local attempt, one activity attempt');
      assert.equal(state.failures.length, 1);
      assert.equal(state.failures[0]!.error.type, 'BmsValidationError');
      assert.deepEqual(firedTimerDurationsMs(await runHistories(handle.workflowId)), [args.idleTimeoutMs], 'a busy budget hands over without a wait');
    });
  });

  it('hands a transient failure of the local attempt to the push activity after the first backoff step', async () => {
    const { state, activities } = pushStubs({
      push: (call) => {
        if (call.local) throw ApplicationFailure.create({ type: 'BmsUnavailableError', message: 'BMS answered 503' });
        return { outcome: 'updated', pushedVersion: call.version };
      },
    });
    await withWorker(activities, async (taskQueue) => {
      const args = input();
      const handle = await save(taskQueue, args, 1);
      await ended(handle);
      assert.deepEqual(state.calls.map((c) => c.local), [true, false]);
      assert.equal((await handle.query(pushStatusQuery)).lastOutcome, 'updated');
      assert.deepEqual(firedTimerDurationsMs(await runHistories(handle.workflowId)), [1_000, args.idleTimeoutMs]);
    });
  });

  it('waits for a record it depends on with a doubling backoff, asking for that record to be pushed each time', async function () {
    this.timeout(30_000);
    const needs = { recordType: 'organization' as const, recordId: 'org-parent' };
    const waitingOn = new Set([1, 2, 4]);
    const { state, activities } = pushStubs({
      push: (call, n): PushResult => (waitingOn.has(n) ? { outcome: 'waiting', pushedVersion: 0, needs } : { outcome: 'created', pushedVersion: call.version }),
    });
    await withWorker(activities, async (taskQueue) => {
      const args = input({ recordType: 'contact' });
      const handle = await save(taskQueue, args, 1);
      await pushed(handle, 1);
      assert.equal(state.calls.length, 3);
      // Once the dependency is in, the backoff starts over.
      state.saved = 2;
      await save(taskQueue, args, 2);
      await ended(handle);
      assert.deepEqual(state.calls.map((c) => c.version), [1, 1, 1, 2, 2]);
      assert.deepEqual(state.requested, Array(3).fill({ accountId: args.accountId, ...needs }));
      assert.deepEqual(firedTimerDurationsMs(await runHistories(handle.workflowId)), [1_000, 2_000, 1_000, args.idleTimeoutMs]);
      const { requestedVersion, pushedVersion } = await handle.query(pushStatusQuery);
      assert.deepEqual({ requestedVersion, pushedVersion }, { requestedVersion: 2, pushedVersion: 2 });
    });
  });

  it('stops waiting on a dependency only a person can fix (its push was refused) and ends when idle, instead of asking again every minute', async function () {
    this.timeout(30_000);
    const needs = { recordType: 'organization' as const, recordId: 'org-refused' };
    const { state, activities } = pushStubs({
      push: (): PushResult => ({ outcome: 'waiting', pushedVersion: 0, needs }),
      request: () => ({ queued: false, blocked: "its organization's push was refused: Account name is required" }),
    });
    await withWorker(activities, async (taskQueue) => {
      const args = input({ recordType: 'contact' });
      const handle = await save(taskQueue, args, 1);
      await ended(handle);
      assert.equal(state.calls.length, 1, 'one push, then no more until a save or a retry');
      assert.deepEqual(state.requested, [{ accountId: args.accountId, ...needs }]);
      assert.deepEqual(firedTimerDurationsMs(await runHistories(handle.workflowId)), [args.idleTimeoutMs]);
      assert.equal((await handle.query(pushStatusQuery)).lastOutcome, 'waiting');
    });
  });

  it('continues as new when the server suggests it, carrying the versions so nothing is pushed twice or lost', async () => {
    const { state, activities } = pushStubs();
    await withWorker(activities, async (taskQueue) => {
      const args = input({ idleTimeoutMs: 5_000 });
      const handle = await save(taskQueue, args, 1);
      const firstRunId = (await handle.describe()).runId;
      let version = 1;
      const deadline = Date.now() + 20_000;
      for (;;) {
        await pushed(handle, version);
        if ((await handle.describe()).runId !== firstRunId) break;
        assert.ok(Date.now() < deadline, `no continue-as-new after ${version} pushes`);
        state.saved = ++version;
        await save(taskQueue, args, version);
      }
      const firstRun = await historyEvents(handle.workflowId, firstRunId);
      const carriedInput = firstRun.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.input?.payloads?.[0];
      assert.ok(carriedInput, 'the first run ended in continue-as-new');
      const carried = defaultPayloadConverter.fromPayload<RecordPushInput>(carriedInput);
      assert.deepEqual(carried, { ...args, carried: { requestedVersion: version, pushedVersion: version } });

      const fresh = await handle.query(pushStatusQuery);
      assert.deepEqual(fresh, { requestedVersion: version, pushedVersion: version, pushes: 0, lastOutcome: null }, 'the new run pushes nothing already pushed');
      assert.equal(state.calls.length, version);

      state.saved = version + 1;
      await save(taskQueue, args, version + 1);
      await pushed(handle, version + 1);
      assert.deepEqual(state.calls.map((c) => c.version), Array.from({ length: version + 1 }, (_, i) => i + 1));
      await handle.terminate('test done');
    });
  });
});
