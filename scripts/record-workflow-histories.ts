/**
 * Records the replay fixtures of `test/workflows/histories/`: runs the real workflows on a
 * whole test stack (dev server, PostgreSQL, worker, API, BMS simulator), drives each scenario through the
 * API and the simulator the way a user and BMS would, fetches each run's history and writes it, once it
 * shows what its scenario claims.
 *
 *   npm run record-histories                                  # every scenario, as <scenario>.json
 *   npm run record-histories -- --label v2 push-coalesced     # one scenario, as push-coalesced.v2.json
 *
 * Existing files are never overwritten: a fixture stays as the proof that histories of its time replay.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Command } from 'commander';
import { notificationWorkflowId, pullScheduleId, recordPushWorkflowId, RETENTION_SCHEDULE_ID } from '../workflows/definitions';
import { ensureRetentionSchedule } from '../lib/temporal';
import { startWebhookReceiver } from '../test/helpers/receivers';
import type { RecordType } from '../domain/records';
import { sharedEnv, stopSharedEnv } from '../test/helpers/env';
import { startStack, type Stack } from '../test/helpers/stack';
import { waitFor, waitForIdlePulls, waitForSyncState } from '../test/helpers/sync';
import { type History, HISTORIES_DIR, isScenario, SCENARIOS, type Scenario, summarize } from '../test/workflows/history-fixtures';

/** Low enough that a few pushes of one record reach it; above what the other push scenarios use. */
const SUGGEST_CONTINUE_AS_NEW_AT_EVENTS = 60;

type Recorded = Partial<Record<Scenario, History>>;

async function runHistory(client: Client, workflowId: string, runId?: string): Promise<History> {
  return client.workflow.getHandle(workflowId, runId).fetchHistory();
}

/** Waits for the record's push workflow to end idle; returns the histories of its runs, oldest first. */
async function pushRuns(stack: Stack, recordType: RecordType, recordId: string): Promise<History[]> {
  const workflowId = recordPushWorkflowId(stack.accountId, recordType, recordId);
  await stack.temporal.workflow.getHandle(workflowId).result();
  const runs = [await runHistory(stack.temporal, workflowId)];
  for (;;) {
    const previous = runs[0]!.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!previous) return runs;
    runs.unshift(await runHistory(stack.temporal, workflowId, previous));
  }
}

interface Created {
  data: { id: string };
}
interface RunList {
  data: Array<{ id: string; status: string }>;
}

async function createOrganization(stack: Stack, name: string, api = stack.admin): Promise<string> {
  const res = await api.post<Created>('/api/v1/organizations', { name, type: 'Client', status: 'Active' });
  if (res.status !== 201) throw new Error(`creating ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data.id;
}

async function rename(stack: Stack, id: string, name: string): Promise<void> {
  const res = await stack.admin.patch(`/api/v1/organizations/${id}`, { name });
  if (res.status !== 200) throw new Error(`renaming ${id}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** A person saves a new organization and edits it three times right away. */
async function pushCoalesced(stack: Stack): Promise<Recorded> {
  const id = await createOrganization(stack, 'Replay Coalesce Ltd');
  for (let i = 1; i <= 3; i++) await rename(stack, id, `Replay Coalesce Ltd v${i}`);
  const runs = await pushRuns(stack, 'organization', id);
  return { 'push-coalesced': runs.at(-1) };
}

/** BMS refuses the create with a validation problem. */
async function pushRefused(stack: Stack): Promise<Recorded> {
  await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'POST /v2/crm/accounts', mode: 'problem-details', count: 1 }] });
  try {
    const id = await createOrganization(stack, 'Replay Refused Ltd');
    await waitForSyncState(stack.admin, 'organizations', id, 'failed');
    return { 'push-refused': (await pushRuns(stack, 'organization', id)).at(-1) };
  } finally {
    await stack.simAdmin.delete('/_sim/faults');
  }
}

/** A contact saved under an organization that came in through the API and is not in BMS yet. */
async function pushDependencyWait(stack: Stack): Promise<Recorded> {
  const orgId = await createOrganization(stack, 'Replay Parent Ltd', await stack.apiKey('editor'));
  const res = await stack.admin.post<Created>('/api/v1/contacts', {
    organizationId: orgId,
    firstName: 'Rita',
    lastName: 'Replay',
    emails: [{ value: 'rita@replay.example', label: 'Work', primary: true }],
    phones: [{ value: '555 0700', label: 'Office', primary: true }],
  });
  if (res.status !== 201) throw new Error(`creating the contact: ${res.status} ${JSON.stringify(res.body)}`);
  await waitForSyncState(stack.admin, 'contacts', res.body.data.id, 'synced', 40_000);
  return { 'push-dependency-wait': (await pushRuns(stack, 'contact', res.body.data.id)).at(-1) };
}

/** One record saved again after each push until its run continues as new. */
async function pushContinuedAsNew(stack: Stack): Promise<Recorded> {
  const id = await createOrganization(stack, 'Replay Long Lived Ltd');
  const handle = stack.temporal.workflow.getHandle(recordPushWorkflowId(stack.accountId, 'organization', id));
  await waitForSyncState(stack.admin, 'organizations', id, 'synced');
  const firstRunId = (await handle.describe()).runId;
  await waitFor(
    async () => {
      if ((await handle.describe()).runId !== firstRunId) return true;
      await rename(stack, id, `Replay Long Lived Ltd ${Date.now()}`);
      await waitForSyncState(stack.admin, 'organizations', id, 'synced');
      return false;
    },
    { timeoutMs: 120_000, intervalMs: 0, what: 'the push run to continue as new' },
  );
  const runs = await pushRuns(stack, 'organization', id);
  return { 'push-continued-as-new': runs.at(-2), 'push-after-continue-as-new': runs.at(-1) };
}

/** The first pull after connecting, which reads everything. */
async function pullFullPass(stack: Stack): Promise<Recorded> {
  const { recentActions } = (await stack.temporal.schedule.getHandle(pullScheduleId(stack.accountId)).describe()).info;
  const first = recentActions[0]?.action.workflow;
  if (!first) throw new Error('the first pull after connecting was not found');
  await stack.temporal.workflow.getHandle(first.workflowId, first.firstExecutionRunId).result();
  return { 'pull-full-pass': await runHistory(stack.temporal, first.workflowId, first.firstExecutionRunId) };
}

/** "Sync now" pressed again while the pull it started is still reading. */
async function pullSyncNowDuringRun(stack: Stack): Promise<Recorded> {
  await waitForIdlePulls(stack.admin);
  const schedule = stack.temporal.schedule.getHandle(pullScheduleId(stack.accountId));
  const actionsBefore = (await schedule.describe()).info.numActionsTaken;
  const runLog = async () => (await stack.admin.get<RunList>('/api/v1/integrations/kaseya-bms/runs?pageSize=200')).body.data;
  const runsBefore = new Set((await runLog()).map((r) => r.id));
  await stack.simAdmin.put('/_sim/faults', { rules: [{ route: 'GET /v2/crm/accounts/summary', mode: 'slow', delayMs: 1500, count: 1 }] });
  try {
    if ((await stack.admin.post('/api/v1/integrations/kaseya-bms/sync')).status !== 202) throw new Error('Sync now was refused');
    const started = await waitFor(
      async () => {
        const info = (await schedule.describe()).info;
        return info.numActionsTaken > actionsBefore ? info.recentActions.at(-1)?.action.workflow : undefined;
      },
      { timeoutMs: 20_000, what: 'the pull to start' },
    );
    // Pressed once the pass has begun (its run is in the run log), so the pass sees the press.
    await waitFor(
      async () => {
        return (await runLog()).some((r) => !runsBefore.has(r.id) && r.status === 'running');
      },
      { timeoutMs: 20_000, what: 'the pull to begin its pass' },
    );
    if ((await stack.admin.post('/api/v1/integrations/kaseya-bms/sync')).status !== 202) throw new Error('Sync now was refused');
    await stack.temporal.workflow.getHandle(started.workflowId, started.firstExecutionRunId).result();
    const first = await runHistory(stack.temporal, started.workflowId, started.firstExecutionRunId);
    // The run it continued as, by its id: the Schedule's buffered trigger may already have started a newer
    // run of the same workflow id.
    const next = first.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!next) throw new Error('the pass did not continue as new');
    return {
      'pull-sync-now-during-run': first,
      'pull-after-sync-now': await runHistory(stack.temporal, started.workflowId, next),
    };
  } finally {
    await stack.simAdmin.delete('/_sim/faults');
  }
}

/** The BMS password is changed in BMS: the next pull fails (credentials refused); then it is changed back. */
async function pullFailed(stack: Stack): Promise<Recorded> {
  await waitForIdlePulls(stack.admin);
  const schedule = stack.temporal.schedule.getHandle(pullScheduleId(stack.accountId));
  const actionsBefore = (await schedule.describe()).info.numActionsTaken;
  await stack.simAdmin.put('/_sim/credentials', { password: 'changed-in-bms' });
  try {
    if ((await stack.admin.post('/api/v1/integrations/kaseya-bms/sync')).status !== 202) throw new Error('Sync now was refused');
    const started = await waitFor(
      async () => {
        const info = (await schedule.describe()).info;
        return info.numActionsTaken > actionsBefore ? info.recentActions.at(-1)?.action.workflow : undefined;
      },
      { timeoutMs: 20_000, what: 'the pull to start' },
    );
    await stack.temporal.workflow
      .getHandle(started.workflowId, started.firstExecutionRunId)
      .result()
      .catch(() => undefined);
    return { 'pull-failed': await runHistory(stack.temporal, started.workflowId, started.firstExecutionRunId) };
  } finally {
    await stack.simAdmin.put('/_sim/credentials', { password: 'demo-password' });
  }
}

/** "Send test" on a webhook channel, delivered at the first attempt. */
async function notificationDelivered(stack: Stack): Promise<Recorded> {
  const receiver = await startWebhookReceiver();
  try {
    const channel = await stack.admin.post<{ data: { id: string; secret: string } }>('/api/v1/notifications/channels', { kind: 'webhook', name: 'Recorder', url: receiver.url });
    if (channel.status !== 201) throw new Error(`adding the channel: ${channel.status} ${JSON.stringify(channel.body)}`);
    receiver.secret = channel.body.data.secret;
    const sent = await stack.admin.post<{ data: { deliveryIds: string[] } }>(`/api/v1/notifications/channels/${channel.body.data.id}/test`);
    const workflowId = notificationWorkflowId(sent.body.data.deliveryIds[0]!);
    await stack.temporal.workflow.getHandle(workflowId).result();
    return { 'notification-delivered': await runHistory(stack.temporal, workflowId) };
  } finally {
    await receiver.close();
  }
}

/** The retention Schedule, triggered once: a prune of every table (the stack's data is young: little goes). */
async function retentionPrune(stack: Stack): Promise<Recorded> {
  await ensureRetentionSchedule(stack.temporal, stack.config.temporal.taskQueues.pull, 24 * 3_600_000);
  const schedule = stack.temporal.schedule.getHandle(RETENTION_SCHEDULE_ID);
  try {
    await schedule.trigger();
    const started = await waitFor(async () => (await schedule.describe()).info.recentActions[0]?.action, { timeoutMs: 30_000, what: 'the triggered retention prune' });
    await stack.temporal.workflow.getHandle(started.workflow.workflowId, started.workflow.firstExecutionRunId).result();
    return { 'retention-prune': await runHistory(stack.temporal, started.workflow.workflowId, started.workflow.firstExecutionRunId) };
  } finally {
    await schedule.delete();
  }
}

const RECORDERS: Array<{ scenarios: Scenario[]; record: (stack: Stack) => Promise<Recorded> }> = [
  { scenarios: ['pull-full-pass'], record: pullFullPass },
  { scenarios: ['push-coalesced'], record: pushCoalesced },
  { scenarios: ['push-refused'], record: pushRefused },
  { scenarios: ['push-dependency-wait'], record: pushDependencyWait },
  { scenarios: ['push-continued-as-new', 'push-after-continue-as-new'], record: pushContinuedAsNew },
  { scenarios: ['pull-sync-now-during-run', 'pull-after-sync-now'], record: pullSyncNowDuringRun },
  { scenarios: ['pull-failed'], record: pullFailed },
  { scenarios: ['notification-delivered'], record: notificationDelivered },
  { scenarios: ['retention-prune'], record: retentionPrune },
];

async function main(): Promise<void> {
  const program = new Command()
    .description('Record the workflow histories the replay test replays')
    .option('--label <label>', 'written as <scenario>.<label>.json, beside the fixtures already there')
    .option('--out <dir>', 'where to write', HISTORIES_DIR)
    .argument('[scenarios...]', `some of: ${Object.keys(SCENARIOS).join(', ')} (default all)`)
    .parse();
  const options = program.opts<{ label?: string; out: string }>();
  const wanted = program.args.length ? program.args : Object.keys(SCENARIOS);
  const unknown = wanted.filter((s) => !isScenario(s));
  if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(', ')}`);
  if (options.label !== undefined && !/^[a-z0-9-]+$/.test(options.label)) throw new Error('--label: lowercase letters, digits and dashes only');
  /** Stack traces in a history name files by where this checkout lies; the fixtures keep them relative. */
  const checkout = path.resolve(__dirname, '..');
  const withoutCheckoutPaths = (json: string) => json.split(JSON.stringify(checkout).slice(1, -1) + '/').join('./');
  const fileOf = (scenario: string) => path.join(options.out, `${scenario}${options.label ? `.${options.label}` : ''}.json`);
  const taken = wanted.filter((s) => existsSync(fileOf(s)));
  if (taken.length) throw new Error(`already recorded (give a --label): ${taken.map(fileOf).join(', ')}`);
  mkdirSync(options.out, { recursive: true });

  await sharedEnv({ temporalDynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_CONTINUE_AS_NEW_AT_EVENTS } });
  const stack = await startStack({ twoWay: true, pushIdleTimeoutMs: 1_000 });
  try {
    for (const recorder of RECORDERS) {
      if (!recorder.scenarios.some((s) => wanted.includes(s))) continue;
      const recorded = await recorder.record(stack);
      for (const scenario of recorder.scenarios.filter((s) => wanted.includes(s))) {
        const history = recorded[scenario];
        const missing = history ? SCENARIOS[scenario](summarize(history)) : 'no history';
        if (missing) throw new Error(`${scenario}: the recorded history is not ${missing}: ${JSON.stringify(history && summarize(history))}`);
        writeFileSync(fileOf(scenario), `${withoutCheckoutPaths(JSON.stringify(JSON.parse(historyToJSON(history!)), null, 1))}\n`);
        console.log(`${path.relative(process.cwd(), fileOf(scenario))}: ${history!.events?.length} events`);
      }
    }
  } finally {
    await stack.stop();
    await stopSharedEnv();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
