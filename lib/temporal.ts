/**
 * Client-side Temporal operations the API, the worker's activities and the scripts share: connecting
 * (dev server, cluster with mTLS, or Temporal Cloud with an API key), queueing a record push by
 * signal-with-start, keeping each account's pull Schedule in step with its Sync Settings, and starting
 * the read-only BMS work a person waits for (adoption previews, Sync Settings counts).
 */
import { readFileSync } from 'node:fs';
import {
  Client,
  WorkflowExecutionAlreadyStartedError,
  Connection,
  type ConnectionOptions,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
  type TLSConfig,
} from '@temporalio/client';
import type { Priority, Workflow } from '@temporalio/common';
import type { TemporalConfig } from '../config';
import type { RecordType } from '../domain/records';
import type { SyncSettings } from '../domain/settings';
import { createHash, randomUUID } from 'node:crypto';
import type { StartSelection } from '../domain/settings-impact';
import {
  adoptionPreviewWorkflowId,
  notificationWorkflowId,
  pullScheduleId,
  RETENTION_SCHEDULE_ID,
  type RetentionPruneInput,
  recordPushWorkflowId,
  settingsCountWorkflowId,
  type StartCount,
  recordSavedSignal,
  type RecordPushInput,
} from '../workflows/definitions';
import { AccountIdKey, RecordIdKey, RecordTypeKey } from '../workflows/search-attributes';

export function tlsOptions(config: TemporalConfig): TLSConfig | boolean | undefined {
  if (!config.tls) return config.apiKey ? true : undefined;
  const { clientCertPath, clientKeyPath, caPath, serverName } = config.tls;
  return {
    serverNameOverride: serverName,
    serverRootCACertificate: caPath ? readFileSync(caPath) : undefined,
    clientCertPair:
      clientCertPath && clientKeyPath ? { crt: readFileSync(clientCertPath), key: readFileSync(clientKeyPath) } : undefined,
  };
}

/** Options for `Connection.connect` and `NativeConnection.connect` alike. */
export function connectionOptions(config: TemporalConfig): ConnectionOptions & { apiKey?: string } {
  return { address: config.address, tls: tlsOptions(config), apiKey: config.apiKey };
}

export async function connectClient(config: TemporalConfig): Promise<Client> {
  const connection = await Connection.connect(connectionOptions(config));
  return new Client({ connection, namespace: config.namespace });
}

/** The Temporal Web UI page of a workflow (and of a run, when given). */
export function workflowUiUrl(config: TemporalConfig, workflowId: string, runId?: string): string {
  const base = `${config.uiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}` : base;
}

/** The Temporal Web UI list of every workflow of one record, by search attribute. */
export function recordWorkflowsUiUrl(config: TemporalConfig, recordType: RecordType, recordId: string): string {
  const query = `${RecordTypeKey.name}="${recordType}" AND ${RecordIdKey.name}="${recordId}"`;
  return `${config.uiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

/**
 * The Temporal task priority of an account's work: its fairness key is the account, so a server with
 * fairness on (`matching.enableFairness`) hands out each task queue's backlog in turn per account and one
 * account's first pull or bulk adoption cannot hold back everyone else's pushes and pulls. Activities and
 * child workflows inherit it from their workflow.
 */
export function accountPriority(accountId: string): Priority {
  return { fairnessKey: accountId };
}

export interface PushRequest {
  accountId: string;
  recordType: RecordType;
  recordId: string;
  version: number;
}

/**
 * Queues a push: signal-with-start of the record's push workflow. An existing run takes the signal; an
 * idle record gets a new run. Carries ids and a version only, never record data or credentials.
 */
export async function signalRecordPush(
  client: Client,
  taskQueue: string,
  request: PushRequest,
  options: { idleTimeoutMs?: number } = {},
): Promise<string> {
  const workflowId = recordPushWorkflowId(request.accountId, request.recordType, request.recordId);
  const input: RecordPushInput = {
    accountId: request.accountId,
    recordType: request.recordType,
    recordId: request.recordId,
    idleTimeoutMs: options.idleTimeoutMs,
  };
  await client.workflow.signalWithStart('recordPushWorkflow', {
    workflowId,
    taskQueue,
    args: [input],
    signal: recordSavedSignal,
    signalArgs: [{ version: request.version }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [
      { key: AccountIdKey, value: request.accountId },
      { key: RecordTypeKey, value: request.recordType },
      { key: RecordIdKey, value: request.recordId },
    ],
    staticSummary: `Push ${request.recordType} ${request.recordId} to Kaseya BMS`,
    priority: accountPriority(request.accountId),
  });
  return workflowId;
}

/**
 * Where in its interval an account's pulls fall, in whole seconds: a stable hash of the account id spread
 * over the interval. Interval Schedules otherwise all fire on the same epoch-aligned second, so hundreds of
 * accounts on a 5-minute interval would start their pulls together and leave the worker idle in between.
 */
export function pullOffsetSeconds(accountId: string, intervalMinutes: number): number {
  const hash = createHash('sha256').update(accountId).digest().readUInt32BE(0);
  return hash % (intervalMinutes * 60);
}

export function scheduleSpecFor(accountId: string, settings: SyncSettings): ScheduleSpec {
  if (settings.pull.cron) return { cronExpressions: [settings.pull.cron] };
  const minutes = settings.pull.intervalMinutes;
  return { intervals: [{ every: `${minutes} minutes`, offset: `${pullOffsetSeconds(accountId, minutes)} seconds` }] };
}

/**
 * Creates or updates the account's pull Schedule so it matches the settings (and, with `unpauseNote`,
 * resumes it). Overlap BUFFER_ONE: a pull asked for while one runs starts right after it, never beside it.
 */
export async function ensurePullSchedule(
  client: Client,
  taskQueue: string,
  accountId: string,
  settings: SyncSettings,
  options: { unpauseNote?: string } = {},
): Promise<string> {
  const scheduleId = pullScheduleId(accountId);
  const spec = scheduleSpecFor(accountId, settings);
  // The SDK sends a Schedule action's priority (and describes it back) but leaves it out of the create
  // options' type: the action is built apart so the field passes.
  const action: ScheduleOptionsStartWorkflowAction<Workflow> & { priority: Priority } = {
    type: 'startWorkflow',
    workflowType: 'pullWorkflow',
    args: [{ accountId }],
    taskQueue,
    workflowId: scheduleId,
    typedSearchAttributes: [{ key: AccountIdKey, value: accountId }],
    staticSummary: 'Pull changes from Kaseya BMS',
    priority: accountPriority(accountId),
  };
  const handle = client.schedule.getHandle(scheduleId);
  let neverRan: boolean;
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: '5 minutes', pauseOnFailure: false },
      typedSearchAttributes: [{ key: AccountIdKey, value: accountId }],
    });
    neverRan = true;
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    // An update carries the whole Schedule, its paused state too: resuming goes in the same update, since a
    // separate unpause sent beside it may be applied before it and then undone by it.
    neverRan = false;
    await handle.update((previous) => {
      const paused = options.unpauseNote ? false : previous.state.paused;
      neverRan = !paused && previous.info.numActionsTaken === 0 && previous.info.runningActions.length === 0;
      return {
        ...previous,
        spec,
        action: { ...previous.action, priority: accountPriority(accountId) },
        ...(options.unpauseNote ? { state: { ...previous.state, paused: false, note: options.unpauseNote } } : {}),
      };
    });
  }
  // A new connection gets its first full pull at once, not after the first interval (also when the call
  // that made the Schedule failed before this). It is a trigger under the Schedule's own overlap policy,
  // not the create request's `triggerImmediately`: the SDK sends that one as ALLOW_ALL, and the server
  // then does not count the first pull as running, so a long first pull had the next scheduled one
  // started beside it.
  if (neverRan) await handle.trigger(ScheduleOverlapPolicy.BUFFER_ONE);
  return scheduleId;
}

/**
 * Creates the global `retention-prune` Schedule, or updates it to prune every `everyMs` (and with `input`).
 * Overlap SKIP: a prune still running when the next is due lets that one go.
 */
export async function ensureRetentionSchedule(client: Client, taskQueue: string, everyMs: number, input: RetentionPruneInput = {}): Promise<string> {
  const spec: ScheduleSpec = { intervals: [{ every: everyMs }] };
  const action = {
    type: 'startWorkflow',
    workflowType: 'retentionPruneWorkflow',
    args: [input],
    taskQueue,
    workflowId: RETENTION_SCHEDULE_ID,
    staticSummary: 'Prune history, runs and logs older than the retention period',
  } as const;
  try {
    await client.schedule.create({
      scheduleId: RETENTION_SCHEDULE_ID,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute', pauseOnFailure: false },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(RETENTION_SCHEDULE_ID).update((previous) => ({
      ...previous,
      spec,
      action: { ...previous.action, ...action },
      policies: { ...previous.policies, overlap: ScheduleOverlapPolicy.SKIP },
    }));
  }
  return RETENTION_SCHEDULE_ID;
}

/** "Sync now": run the account's pull at once, after any pull already running. */
export async function triggerPull(client: Client, accountId: string): Promise<void> {
  await client.schedule.getHandle(pullScheduleId(accountId)).trigger(ScheduleOverlapPolicy.BUFFER_ONE);
}

export async function deletePullSchedule(client: Client, accountId: string): Promise<void> {
  try {
    await client.schedule.getHandle(pullScheduleId(accountId)).delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}

/** Starts computing an adoption preview (the worker reads BMS and stores the result). */
export async function startAdoptionPreview(client: Client, taskQueue: string, accountId: string, adoptionId: string): Promise<string> {
  const workflowId = adoptionPreviewWorkflowId(accountId, adoptionId);
  await client.workflow.start('adoptionPreviewWorkflow', {
    workflowId,
    taskQueue,
    args: [{ accountId, adoptionId }],
    typedSearchAttributes: [{ key: AccountIdKey, value: accountId }],
    staticSummary: 'Preview pushing existing records to Kaseya BMS',
    priority: accountPriority(accountId),
  });
  return workflowId;
}

/**
 * Counts BMS records of the selections (a Sync Settings preview), waiting at most `timeoutMs`;
 * undefined when the counts did not come in time (the workflow is then cancelled).
 */
export async function countBmsSelections(
  client: Client,
  taskQueue: string,
  accountId: string,
  selections: StartSelection[],
  timeoutMs: number,
): Promise<StartCount[] | undefined> {
  const handle = await client.workflow.start('settingsCountWorkflow', {
    workflowId: settingsCountWorkflowId(accountId, randomUUID()),
    taskQueue,
    args: [{ accountId, selections }],
    typedSearchAttributes: [{ key: AccountIdKey, value: accountId }],
    staticSummary: 'Count Kaseya BMS records for a Sync Settings preview',
    priority: accountPriority(accountId),
  });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    const counts = await Promise.race([handle.result() as Promise<StartCount[]>, late]);
    if (counts === undefined) await handle.cancel().catch(() => undefined);
    return counts;
  } finally {
    clearTimeout(timer);
  }
}

/** Pauses the account's pull Schedule with a note (shown in the Temporal UI); absent Schedule: nothing to do. */
export async function pausePullSchedule(client: Client, accountId: string, note: string): Promise<void> {
  try {
    await client.schedule.getHandle(pullScheduleId(accountId)).pause(note);
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}

export async function unpausePullSchedule(client: Client, accountId: string, note: string): Promise<void> {
  try {
    await client.schedule.getHandle(pullScheduleId(accountId)).unpause(note);
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}

/**
 * Starts the delivery workflow of one notification delivery (ids only in its history). Starting one that
 * already runs, or ran, does nothing: the delivery row is the outbox, and a retried step starts it again.
 */
export async function startNotificationDelivery(client: Client, taskQueue: string, deliveryId: string): Promise<void> {
  try {
    await client.workflow.start('notificationDeliveryWorkflow', {
      workflowId: notificationWorkflowId(deliveryId),
      taskQueue,
      args: [{ deliveryId }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: 'Deliver a notification',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
