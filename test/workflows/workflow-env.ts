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

/** The activities the workflows call; the tests' worker answers them with each test's stubs. */
const ACTIVITY_NAMES = [
  'pushRecord',
  'markPushFailed',
  'requestPush',
  'beginPull',
  'pullChunk',
  'finishPull',
  'resumeQueuedPushes',
  'syncRequestedSince',
  'completePull',
  'deliverNotification',
  'markNotificationFailed',
] as const satisfies ReadonlyArray<keyof Activities>;

export interface WorkflowTestEnv {
  env: TestWorkflowEnvironment;
  workflowBundle: WorkflowBundle;
  /** One worker for every test (creating one costs seconds); each test gives it its stubs. */
  worker: { taskQueue: string; running: Promise<void>; stubs: Partial<Activities>; stop(): Promise<void> };
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
    const taskQueue = uniqueId('wf-test');
    const stubbed: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const name of ACTIVITY_NAMES) {
      stubbed[name] = (...args) => {
        const stub = shared.worker.stubs[name] as ((...a: unknown[]) => Promise<unknown>) | undefined;
        if (!stub) throw new Error(`activity ${name} is not stubbed in this test`);
        return stub(...args);
      };
    }
    const worker = await Worker.create({ connection: env.nativeConnection, workflowBundle, activities: stubbed, taskQueue });
    const running = worker.run();
    // A worker that fails is reported by the test running at the time (see withWorker), or at teardown.
    running.catch(() => undefined);
    const shared: WorkflowTestEnv = {
      env,
      workflowBundle,
      worker: {
        taskQueue,
        running,
        stubs: {},
        async stop() {
          worker.shutdown();
          await running;
        },
      },
    };
    return shared;
  })();
  return starting;
}

export async function stopWorkflowTestEnv(): Promise<void> {
  if (!starting) return;
  const started = await starting.catch(() => undefined);
  starting = undefined;
  await started?.worker.stop();
  await started?.env.teardown();
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * Runs `body` with the tests' worker answering activities with `stubs`; `body` gets the task queue to
 * start workflows on.
 */
export async function withWorker<T>(stubs: Partial<Activities>, body: (taskQueue: string) => Promise<T>): Promise<T> {
  const { worker } = await workflowTestEnv();
  worker.stubs = stubs;
  const stopped = worker.running.then(() => {
    throw new Error('the test worker stopped');
  });
  stopped.catch(() => undefined);
  try {
    return await Promise.race([body(worker.taskQueue), stopped]);
  } finally {
    worker.stubs = {};
  }
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

/** Milliseconds of a protobuf duration or timestamp. */
export function toMs(value: { seconds?: number | { toNumber(): number } | null; nanos?: number | null }): number {
  return Number(value.seconds ?? 0) * 1000 + Math.round((value.nanos ?? 0) / 1e6);
}

/**
 * Workflow time (ms) of each local push attempt: the start of the workflow task it ran in, which is
 * what the workflow's clock read when it decided to push.
 */
export function localActivityTimesMs(events: HistoryEvent[]): number[] {
  let taskStartedAt = 0;
  const times: number[] = [];
  for (const event of events) {
    if (event.workflowTaskStartedEventAttributes && event.eventTime) taskStartedAt = toMs(event.eventTime);
    if (event.markerRecordedEventAttributes) times.push(taskStartedAt);
  }
  return times;
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
      if (start?.timerId && start.startToFireTimeout) started.set(start.timerId, toMs(start.startToFireTimeout));
      const timerId = event.timerFiredEventAttributes?.timerId;
      if (timerId) fired.push(started.get(timerId)!);
    }
  }
  return fired;
}

/** `promise`, or a failure naming `what` once `ms` have passed without it settling. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The run's result, or a failure if it has not ended within a deadline (e.g. a workflow that never goes idle). */
export function ended<T>(handle: { workflowId: string; result(): Promise<T> }, ms = 15_000): Promise<T> {
  return within(ms, `end of ${handle.workflowId}`, handle.result());
}

/** A promise with its resolver, to hold a stub activity until the test lets it go. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}
