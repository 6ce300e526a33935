/**
 * The environment of the workflow-level tests: the real workflow bundle on its own Temporal dev server
 * (`TestWorkflowEnvironment.createLocal` on the `temporal` CLI already on disk), with activities stubbed
 * per test. The dev server does not skip time, so the tests use the workflows' short-timeout inputs and
 * assert on timer durations recorded in the history rather than on the clock.
 *
 * The time-skipping server (`createTimeSkipping`) is a separate binary the SDK downloads from the internet
 * on first use; CI machines without internet access cannot get it, so it is not used.
 */
import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { findTemporalCli } from '../../devstack/temporal-cli';
import { installTestRuntime, testWorkflowBundle } from '../helpers/env';

/**
 * The dev server suggests continue-as-new once a run's history has this many events (the default is
 * thousands), so a test reaches it after a few pushes.
 */
export const SUGGEST_CONTINUE_AS_NEW_AT_EVENTS = 40;

export interface WorkflowTestEnv {
  env: TestWorkflowEnvironment;
  workflowBundle: WorkflowBundle;
}

let starting: Promise<WorkflowTestEnv> | undefined;

export function workflowTestEnv(): Promise<WorkflowTestEnv> {
  starting ??= (async () => {
    installTestRuntime();
    const [cli, workflowBundle] = await Promise.all([findTemporalCli(), testWorkflowBundle()]);
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: cli },
        extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_CONTINUE_AS_NEW_AT_EVENTS}`],
      },
    });
    return { env, workflowBundle };
  })();
  return starting;
}

export async function stopWorkflowTestEnv(): Promise<void> {
  if (!starting) return;
  const started = await starting.catch(() => undefined);
  starting = undefined;
  await started?.env.teardown();
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * Runs `body` with a worker of the real workflow bundle and the given stub activities on a task queue of
 * its own; the worker stops when `body` settles.
 */
export async function withWorker<T>(activities: Partial<Activities>, body: (taskQueue: string) => Promise<T>): Promise<T> {
  const { env, workflowBundle } = await workflowTestEnv();
  const taskQueue = uniqueId('wf-test');
  const worker = await Worker.create({ connection: env.nativeConnection, workflowBundle, activities, taskQueue });
  return worker.runUntil(body(taskQueue));
}

export type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

export async function historyEvents(workflowId: string, runId?: string): Promise<HistoryEvent[]> {
  const { env } = await workflowTestEnv();
  const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
  return history.events ?? [];
}

/**
 * The events of every run of a workflow, oldest run first: the low continue-as-new threshold of these
 * tests may split what a test does over several runs.
 */
export async function runHistories(workflowId: string): Promise<HistoryEvent[][]> {
  const runs = [await historyEvents(workflowId)];
  for (;;) {
    const previous = runs[0]![0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!previous) return runs;
    runs.unshift(await historyEvents(workflowId, previous));
  }
}

/**
 * Durations (ms) of the timers that fired, in order. Timers started and cancelled (a wait cut short by a
 * save) are left out: whether they reach the history at all depends on the task they fell in.
 */
export function firedTimerDurationsMs(runs: HistoryEvent[][]): number[] {
  const fired: number[] = [];
  for (const events of runs) {
    const started = new Map<string, number>();
    for (const event of events) {
      const start = event.timerStartedEventAttributes;
      if (start?.timerId && start.startToFireTimeout) {
        const d = start.startToFireTimeout;
        started.set(start.timerId, Number(d.seconds ?? 0) * 1000 + Math.round((d.nanos ?? 0) / 1e6));
      }
      const timerId = event.timerFiredEventAttributes?.timerId;
      if (timerId) fired.push(started.get(timerId)!);
    }
  }
  return fired;
}

/** A promise with its resolver, to hold a stub activity until the test lets it go. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}
