/**
 * The measured phases. Each product figure is taken beside its floor in the same run: the floor is what
 * the BMS client (`bms/client.ts`) alone achieves against the same simulator, same records.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { BmsClient } from '../bms/client';
import { OutboundPolicy, parseAllowList } from '../lib/outbound';
import { signalRecordPush } from '../lib/temporal';
import { createAccount, createUser, login } from '../services/accounts';
import { HttpClient } from '../test/helpers/api-client';
import { recordPushWorkflowId } from '../workflows/definitions';
import { CpuMeter, type CpuUsage, type Distribution, distribution, MemorySampler, type MemorySummary, round, settledTableWrites, sleep, type TableWrites, writesBetween } from './measure';
import type { SimEvent, SimEventStream } from './sim-events';
import type { SqlProfile, StatementLog } from './sql-log';
import { type BenchStack, SIM_CREDENTIALS, SIMULATOR_ALLOWED_HOSTS } from './stack';

export const ROUTES = {
  accounts: 'GET /v2/crm/accounts/summary',
  contacts: 'GET /v2/crm/contacts/summary',
  assets: 'GET /v2/servicedesk/hardwareasset/searchselect',
  patchAccount: 'PATCH /v2/crm/accounts/{id}',
} as const;
export const AUTH_ROUTES = new Set(['POST /v2/security/authenticate', 'POST /v2/security/refreshtoken', 'POST /api/token']);
/** Tables that hold synced data: a pull that found nothing new should not write to them. */
export const DATA_TABLES = new Set(['organizations', 'locations', 'contacts', 'configurations', 'sync_links', 'record_history', 'bms_asset_snapshots']);

/** A cron that fires once a year (1 January 00:00): the bench triggers every pull itself. */
const NEVER_CRON = '0 0 1 1 *';

export interface BenchContext {
  stack: BenchStack;
  sim: HttpClient;
  events: SimEventStream;
  temporal: Client;
  /** Set by `--sql-log`: every statement of the bench's database, per phase. */
  sqlLog?: StatementLog;
  log: (line: string) => void;
}

type ByRoute = Record<string, { served: number }>;

export async function simRequests(ctx: BenchContext): Promise<ByRoute> {
  const res = await ctx.sim.get('/_sim/requests');
  return (res.body as { byRoute: ByRoute }).byRoute;
}

export async function resetSimRequests(ctx: BenchContext): Promise<void> {
  await ctx.sim.delete('/_sim/requests');
}

function served(byRoute: ByRoute, route: string): number {
  return byRoute[route]?.served ?? 0;
}

function nonAuthRequests(byRoute: ByRoute): number {
  return Object.entries(byRoute)
    .filter(([route]) => !AUTH_ROUTES.has(route))
    .reduce((n, [, s]) => n + s.served, 0);
}

function servedByRoute(byRoute: ByRoute): Record<string, number> {
  return Object.fromEntries(Object.entries(byRoute).map(([route, s]) => [route, s.served]));
}

function check(res: { status: number; body: unknown }, what: string, expected = 200): void {
  if (res.status !== expected) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
}

/** CPU time of the stack's processes from now until `read()`. */
function cpuMeter(ctx: BenchContext): CpuMeter {
  return new CpuMeter({ worker: ctx.stack.worker?.pid, api: ctx.stack.api?.pid, simulator: ctx.stack.sim.pid }, ctx.stack.database);
}

/** "worker 0.9, temporal 0.5, … (machine 1.8 of 2)": CPUs kept busy on average. */
export function cpuLine(u: CpuUsage): string {
  const parts = Object.entries(u.byProcess)
    .sort((a, b) => b[1].cores - a[1].cores)
    .map(([name, v]) => `${name} ${v.cores}`);
  return `CPUs busy: ${parts.join(', ')}; other work on the machine ${u.others.cores} (machine ${u.machine.cores} of ${u.machine.of})`;
}

let simulatorPolicy: OutboundPolicy | undefined;

function newBmsClient(ctx: BenchContext): BmsClient {
  simulatorPolicy ??= new OutboundPolicy(parseAllowList(SIMULATOR_ALLOWED_HOSTS));
  return new BmsClient({
    connection: { apiUrl: ctx.stack.simUrl, v1Url: ctx.stack.simUrl, ...SIM_CREDENTIALS },
    timeoutMs: 30_000,
    policy: simulatorPolicy,
  });
}

// ---------------------------------------------------------------- accounts and runs

export interface BenchAccount {
  accountId: string;
  api: HttpClient;
}

/** An Enterprise account with an administrator, logged in (a session: its saves are UI saves). */
export async function newAccount(ctx: BenchContext, label: string): Promise<BenchAccount> {
  const { db } = ctx.stack;
  const account = await createAccount(db, { name: `Bench ${label}`, plan: 'enterprise' });
  const email = `bench-admin-${account.id}@bench.example`;
  const password = 'bench-password';
  await createUser(db, { accountId: account.id, email, name: 'Bench Admin', role: 'administrator', password });
  const session = await login(db, email, password);
  if (!session) throw new Error('login failed');
  return { accountId: account.id, api: new HttpClient(ctx.stack.apiUrl, session.token) };
}

interface RunView {
  id: string;
  status: string;
  counts: Record<string, Record<string, number>>;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

async function runIds(api: HttpClient): Promise<Set<string>> {
  const res = await api.get<{ data: RunView[] }>('/api/v1/integrations/kaseya-bms/runs?pageSize=200');
  if (res.status === 404) return new Set();
  check(res, 'list runs');
  return new Set(res.body.data.map((r) => r.id));
}

/** Polls the runs (every 200 ms) until the first run not in `known` has finished; when it was seen done. */
async function waitForRun(api: HttpClient, known: Set<string>, timeoutMs: number): Promise<{ run: RunView; doneAt: number }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const res = await api.get<{ data: RunView[] }>('/api/v1/integrations/kaseya-bms/runs?pageSize=10');
    if (res.status === 200) {
      const run = res.body.data.filter((r) => !known.has(r.id)).at(-1);
      if (run && run.status !== 'running') {
        const doneAt = performance.now();
        if (run.status !== 'completed') throw new Error(`the pull ended ${run.status}: ${run.error ?? ''}`);
        return { run, doneAt };
      }
    }
    if (performance.now() > deadline) throw new Error(`the pull did not finish within ${timeoutMs} ms`);
    await sleep(200);
  }
}

async function syncNow(account: BenchAccount, timeoutMs: number): Promise<{ run: RunView; seconds: number }> {
  const known = await runIds(account.api);
  const t0 = performance.now();
  check(await account.api.post('/api/v1/integrations/kaseya-bms/sync'), 'sync now', 202);
  const { run, doneAt } = await waitForRun(account.api, known, timeoutMs);
  return { run, seconds: (doneAt - t0) / 1000 };
}

// ---------------------------------------------------------------- pull

export interface PageTimeline {
  pages: number;
  /** From the first to the last page served, seconds. */
  spanSeconds: number;
  /** Median time between two pages served: one product cycle (fetch + store + bookkeeping). */
  medianGapMs: number;
  p95GapMs: number;
}

function timeline(times: number[]): PageTimeline {
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  return {
    pages: times.length,
    spanSeconds: times.length > 1 ? round((times.at(-1)! - times[0]!) / 1000, 2) : 0,
    medianGapMs: gaps.length ? round(distribution(gaps).p50, 1) : NaN,
    p95GapMs: gaps.length ? round(distribution(gaps).p95, 1) : NaN,
  };
}

export interface PullFloor {
  accounts: number;
  contacts: number;
  pages: number;
  seconds: number;
  recordsPerSecond: number;
  medianPageMs: number;
  cpu: CpuUsage;
}

/** The floor: paging the account and contact summaries with the client alone, sequentially, no database. */
export async function pullFloor(ctx: BenchContext): Promise<PullFloor> {
  const client = newBmsClient(ctx);
  await client.userInfo(); // log in first, outside the timing
  const pageMs: number[] = [];
  const cpu = cpuMeter(ctx);
  const t0 = performance.now();
  /** Pages one list to its end, as the pull does; returns how many items it held. */
  const pageAll = async (fetch: (pageNumber: number) => Promise<{ items: unknown[]; total: number | undefined }>) => {
    let count = 0;
    for (let page = 1; ; page++) {
      const p0 = performance.now();
      const { items, total } = await fetch(page);
      pageMs.push(performance.now() - p0);
      count += items.length;
      if (items.length < 100 || (total !== undefined && page * 100 >= total)) return count;
    }
  };
  const accounts = await pageAll((pageNumber) => client.accountsPage({ pageNumber }));
  const contacts = await pageAll((pageNumber) => client.contactsPage({ pageNumber }));
  const seconds = (performance.now() - t0) / 1000;
  return {
    accounts,
    contacts,
    pages: pageMs.length,
    seconds: round(seconds, 2),
    recordsPerSecond: round((accounts + contacts) / seconds, 0),
    medianPageMs: round(distribution(pageMs).p50, 2),
    cpu: cpu.read(),
  };
}

export interface PullResult {
  label: string;
  seeded: { accounts: number; contacts: number; locations: number; assets: number };
  /** Connect → run seen completed (the connection starts the first pull). */
  seconds: number;
  /** accounts + contacts per second (locations come inside the account summaries and are not counted). */
  recordsPerSecond: number;
  /** accounts + contacts + locations per second, for reference. */
  recordsPerSecondWithLocations: number;
  floor: PullFloor;
  ratioToFloor: number;
  run: { id: string; counts: RunView['counts']; startedAt: string; finishedAt: string | null; runSeconds: number };
  stages: {
    connectMs: number;
    /** Connect answered → first account page served (schedule start, workflow and activity dispatch, lookups). */
    toFirstPageMs: number;
    accounts: PageTimeline;
    /** Last account page → first contact page (the accounts pass finishing: references, counts). */
    accountsToContactsMs: number;
    contacts: PageTimeline;
    /** Last contact page → first asset page. */
    contactsToAssetsMs: number;
    assets: PageTimeline;
    /** Last page served → run seen completed (finish, reference resolution, run bookkeeping, 200 ms polling). */
    afterLastPageMs: number;
  };
  requests: { total: number; nonAuth: number; perRecord: number; byRoute: Record<string, number> };
  memory: Record<string, MemorySummary>;
  cpu: CpuUsage;
  sql?: SqlProfile & { perPage: number };
  account: BenchAccount;
}

/**
 * Seeds the simulator afresh with `n` accounts (one contact and one location each), measures the floor,
 * then connects a new account (which starts its first pull) and times it until the run completes.
 */
export async function pullPhase(ctx: BenchContext, n: number, label: string, timeoutMs: number): Promise<PullResult> {
  const seed = await ctx.sim.post('/_sim/reset', { seed: { accounts: n, contactsPerAccount: 1, locationsPerAccount: 1 } });
  check(seed, 'seed the simulator');
  const counts = (seed.body as { counts: PullResult['seeded'] }).counts;
  ctx.log(`${label}: simulator holds ${JSON.stringify(counts)}; floor (client paging alone)`);
  const floor = await pullFloor(ctx);
  ctx.log(`${label}: floor ${floor.recordsPerSecond} records/s over ${floor.pages} pages`);

  const account = await newAccount(ctx, label);
  await resetSimRequests(ctx);
  const pageTimes: Record<'accounts' | 'contacts' | 'assets', number[]> = { accounts: [], contacts: [], assets: [] };
  const off = ctx.events.on((e) => {
    if (e.route === ROUTES.accounts) pageTimes.accounts.push(e.arrivedAt);
    else if (e.route === ROUTES.contacts) pageTimes.contacts.push(e.arrivedAt);
    else if (e.route === ROUTES.assets) pageTimes.assets.push(e.arrivedAt);
  });
  const sampler = new MemorySampler({ worker: ctx.stack.worker?.pid, api: ctx.stack.api?.pid, simulator: ctx.stack.sim.pid }).start();
  let result: { run: RunView; doneAt: number };
  const cpu = cpuMeter(ctx);
  ctx.sqlLog?.read();
  const t0 = performance.now();
  let connected: number;
  try {
    const res = await account.api.put('/api/v1/integrations/kaseya-bms', { apiUrl: ctx.stack.simUrl, v1Url: ctx.stack.simUrl, ...SIM_CREDENTIALS });
    check(res, 'connect');
    connected = performance.now();
    const settings = await account.api.patch('/api/v1/integrations/kaseya-bms/sync-settings', {
      twoWayEnabled: true,
      settings: { pull: { cron: NEVER_CRON } },
    });
    check(settings, 'sync settings');
    result = await waitForRun(account.api, new Set(), timeoutMs);
  } finally {
    off();
  }
  const memory = sampler.stop();
  const cpuUsage = cpu.read();
  const sql = ctx.sqlLog?.read();
  const byRoute = await simRequests(ctx);
  const seconds = (result.doneAt - t0) / 1000;
  const records = counts.accounts + counts.contacts;
  const lastPage = Math.max(...Object.values(pageTimes).map((t) => t.at(-1) ?? 0));
  const nonAuth = nonAuthRequests(byRoute);
  const out: PullResult = {
    label,
    seeded: counts,
    seconds: round(seconds, 2),
    recordsPerSecond: round(records / seconds, 0),
    recordsPerSecondWithLocations: round((records + counts.locations) / seconds, 0),
    floor,
    ratioToFloor: round(records / seconds / floor.recordsPerSecond, 3),
    run: {
      id: result.run.id,
      counts: result.run.counts,
      startedAt: result.run.startedAt,
      finishedAt: result.run.finishedAt,
      runSeconds: result.run.finishedAt ? round((Date.parse(result.run.finishedAt) - Date.parse(result.run.startedAt)) / 1000, 2) : NaN,
    },
    stages: {
      connectMs: round(connected - t0, 0),
      toFirstPageMs: pageTimes.accounts[0] ? round(pageTimes.accounts[0] - connected, 0) : NaN,
      accounts: timeline(pageTimes.accounts),
      accountsToContactsMs: round((pageTimes.contacts[0] ?? NaN) - (pageTimes.accounts.at(-1) ?? NaN), 0),
      contacts: timeline(pageTimes.contacts),
      contactsToAssetsMs: round((pageTimes.assets[0] ?? NaN) - (pageTimes.contacts.at(-1) ?? NaN), 0),
      assets: timeline(pageTimes.assets),
      afterLastPageMs: round(result.doneAt - lastPage, 0),
    },
    requests: { total: Object.values(byRoute).reduce((a, s) => a + s.served, 0), nonAuth, perRecord: round(nonAuth / records, 4), byRoute: servedByRoute(byRoute) },
    memory,
    cpu: cpuUsage,
    sql: sql && { ...sql, perPage: round(sql.statements / Math.max(1, pageTimes.accounts.length + pageTimes.contacts.length + pageTimes.assets.length), 1) },
    account,
  };
  ctx.log(`${label}: ${out.recordsPerSecond} records/s (${out.seconds} s), ${out.requests.nonAuth} requests, worker peak ${memory.worker?.peakMb} MB; ${cpuLine(cpuUsage)}`);
  return out;
}

/** Stops an account's pulls and pushes for good (its BMS data is about to be replaced). */
export async function retireAccount(account: BenchAccount): Promise<void> {
  check(await account.api.post('/api/v1/integrations/kaseya-bms/pause'), 'pause');
}

// ---------------------------------------------------------------- no-change pull

export interface NoChangeResult {
  assetsAdded: number;
  settlePull: { seconds: number; counts: RunView['counts']; byRoute: Record<string, number> };
  seconds: number;
  counts: RunView['counts'];
  listRequests: { accounts: number; contacts: number; assets: number };
  expected: { accounts: number; contacts: number; assets: number };
  otherRequests: Record<string, number>;
  writes: TableWrites;
  dataWrites: number;
  bookkeepingWrites: number;
  cpu: CpuUsage;
  sql?: SqlProfile;
}

/**
 * Adds `assets` hardware assets (one per active account) and pulls them in ("settle"), then measures a
 * pull with nothing changed: list requests per route and database row writes per table.
 */
export async function noChangePhase(ctx: BenchContext, account: BenchAccount, assets: number, timeoutMs: number): Promise<NoChangeResult> {
  // Active accounts to hang the assets on (generated accounts are numbered from 1001; some are inactive).
  const owners: number[] = [];
  for (let from = 1001; owners.length < assets; from += 500) {
    const ids = Array.from({ length: 500 }, (_, i) => from + i).join(',');
    const res = await ctx.sim.get(`/_sim/accounts?ids=${ids}`);
    check(res, 'list simulator accounts');
    const list = res.body as Array<{ id: number; isActive: boolean }>;
    if (list.length === 0) break;
    owners.push(...list.filter((a) => a.isActive).map((a) => a.id));
  }
  const targets = owners.slice(0, assets);
  for (let i = 0; i < targets.length; i += 20) {
    await Promise.all(
      targets.slice(i, i + 20).map(async (accountId, j) => {
        check(await ctx.sim.post('/_sim/assets', { name: `BENCH-${i + j + 1}`, accountId, categoryId: 21 }), 'create asset', 201);
      }),
    );
  }
  ctx.log(`no-change pull: ${targets.length} assets added; settle pull`);
  await resetSimRequests(ctx);
  const settle = await syncNow(account, timeoutMs);
  const settleRoutes = servedByRoute(await simRequests(ctx));

  ctx.log('no-change pull: waiting for PostgreSQL statistics to settle');
  const before = await settledTableWrites(ctx.stack.db);
  await resetSimRequests(ctx);
  const cpu = cpuMeter(ctx);
  ctx.sqlLog?.read();
  const pull = await syncNow(account, timeoutMs);
  const cpuUsage = cpu.read();
  const sql = ctx.sqlLog?.read();
  const byRoute = await simRequests(ctx);
  const after = await settledTableWrites(ctx.stack.db);
  const writes = writesBetween(before, after);
  let dataWrites = 0;
  let bookkeepingWrites = 0;
  for (const [table, w] of Object.entries(writes)) {
    const n = w.inserted + w.updated + w.deleted;
    if (DATA_TABLES.has(table)) dataWrites += n;
    else bookkeepingWrites += n;
  }
  const listRoutes: string[] = [ROUTES.accounts, ROUTES.contacts, ROUTES.assets];
  const result: NoChangeResult = {
    assetsAdded: targets.length,
    settlePull: { seconds: round(settle.seconds, 2), counts: settle.run.counts, byRoute: settleRoutes },
    seconds: round(pull.seconds, 2),
    counts: pull.run.counts,
    listRequests: { accounts: served(byRoute, ROUTES.accounts), contacts: served(byRoute, ROUTES.contacts), assets: served(byRoute, ROUTES.assets) },
    expected: { accounts: 1, contacts: 1, assets: Math.max(1, Math.ceil(targets.length / 100)) },
    otherRequests: Object.fromEntries(Object.entries(servedByRoute(byRoute)).filter(([r]) => !listRoutes.includes(r))),
    writes,
    dataWrites,
    bookkeepingWrites,
    cpu: cpuUsage,
    sql,
  };
  ctx.log(`no-change pull: list requests ${JSON.stringify(result.listRequests)}, data writes ${dataWrites}, bookkeeping writes ${bookkeepingWrites}`);
  return result;
}

// ---------------------------------------------------------------- push

interface SyncedOrganization {
  id: string;
  name: string;
  bmsId: number;
}

/** Synced organizations of the account, through the API (`count` of them, in the API's order). */
export async function syncedOrganizations(account: BenchAccount, count: number): Promise<SyncedOrganization[]> {
  const out: SyncedOrganization[] = [];
  for (let page = 1; out.length < count; page++) {
    const res = await account.api.get<{ data: Array<{ id: string; name: string; sync: { bmsId: number | null } }> }>(
      `/api/v1/organizations?syncState=synced&pageSize=200&page=${page}`,
    );
    check(res, 'list organizations');
    const data = res.body.data;
    if (data.length === 0) break;
    for (const r of data) if (r.sync.bmsId) out.push({ id: r.id, name: r.name, bmsId: r.sync.bmsId });
  }
  if (out.length < count) throw new Error(`only ${out.length} synced organizations; the push phases need ${count}`);
  return out.slice(0, count);
}

const patchOf = (bmsId: number) => (e: SimEvent) => e.method === 'PATCH' && e.path === `/v2/crm/accounts/${bmsId}`;

export interface PushStageSample {
  /** Save sent → API answered. */
  apiMs: number;
  /** API answered → the push workflow's first workflow task started on the worker. */
  toWorkflowTaskMs: number;
  /** Workflow task started → completed (the worker ran the workflow code, answered the server). */
  workflowTaskMs: number;
  /** Workflow task completed → pushRecord activity started (NaN when the push ran as a local activity). */
  toActivityMs: number;
  /** Activity started → the simulator applied the write (database reads, lookups, the BMS request); NaN for a local activity. */
  activityToWriteMs: number;
  /**
   * Workflow task started → the simulator applied the write: for a push run as a local activity, inside
   * the first workflow task, this is the workflow code plus the whole activity up to the BMS write.
   */
  taskToWriteMs: number;
  /** Simulator applied → the bench got the event. */
  eventDeliveryMs: number;
  /** History events of the run so far, and how many workflow / activity tasks that took. */
  historyEvents: number;
  workflowTasks: number;
  activityTasks: number;
  /** Local activities (MarkerRecorded events). */
  localActivities: number;
}

export interface PushLatencyResult {
  saves: number;
  /** API answer → simulator applied, ms. */
  latency: Distribution;
  /** p50 of the latency over consecutive tenths of the saves (drift over the run). */
  latencyP50ByTenth: number[];
  /** Save sent → API answered, ms. */
  apiResponse: Distribution;
  /** Save sent → simulator applied, ms. */
  endToEnd: Distribution;
  floor: { latency: Distribution; clientResponse: Distribution };
  ratioP50: number;
  ratioP99: number;
  requests: { nonAuth: number; perUpdate: number; byRoute: Record<string, number> };
  /** Saves and floor writes together (the floor's share is small). */
  cpu: CpuUsage;
  /** Statements of the saves and their pushes (`--sql-log`). */
  sql?: SqlProfile & { perSave: number };
  stages?: {
    sampled: number;
    median: Record<keyof PushStageSample, number>;
    p95: Record<keyof PushStageSample, number>;
    /** The first sampled saves, event by event: ms after the API answered. */
    examples: Array<Array<[string, number]>>;
  };
}

/** temporal.api.enums.v1.EventType values that a push's history holds. */
const EVENT_NAMES: Record<number, string> = {
  1: 'WorkflowExecutionStarted',
  5: 'WorkflowTaskScheduled',
  6: 'WorkflowTaskStarted',
  7: 'WorkflowTaskCompleted',
  10: 'ActivityTaskScheduled',
  11: 'ActivityTaskStarted',
  12: 'ActivityTaskCompleted',
  17: 'TimerStarted',
  25: 'MarkerRecorded',
  26: 'WorkflowExecutionSignaled',
};

interface TimedSave {
  record: SyncedOrganization;
  answeredEpoch: number;
  appliedEpoch: number;
  appliedSimEpoch: number;
  apiMs: number;
}

/** One UI save: PATCH through the API; resolves when the simulator applied the resulting BMS write. */
async function uiSave(ctx: BenchContext, account: BenchAccount, record: SyncedOrganization, name: string) {
  const applied = ctx.events.next(patchOf(record.bmsId), 60_000, `the push of organization ${record.id}`);
  const t0 = performance.now();
  const res = await account.api.patch(`/api/v1/organizations/${record.id}`, { name });
  const answered = performance.now();
  check(res, 'save');
  const event = await applied;
  if (event.status !== 200) throw new Error(`the simulator answered the push of ${record.id} with ${event.status}`);
  return { sent: t0, answered, applied: event.arrivedAt, event };
}

/** The floor's write: the client patches the same account directly. */
async function directWrite(ctx: BenchContext, client: BmsClient, record: SyncedOrganization, name: string) {
  const applied = ctx.events.next(patchOf(record.bmsId), 60_000, `the direct write of account ${record.bmsId}`);
  const t0 = performance.now();
  await client.patchAccount(record.bmsId, [{ op: 'replace', path: '/AccountName', value: name }]);
  const answered = performance.now();
  const event = await applied;
  return { sent: t0, answered, applied: event.arrivedAt };
}

/**
 * Sequential UI saves of different synced records, each followed at once by the floor's direct write
 * of another name to the same BMS account (interleaved, so drift on a shared machine hits both alike).
 */
export async function pushLatencyPhase(
  ctx: BenchContext,
  account: BenchAccount,
  records: SyncedOrganization[],
  warmup: SyncedOrganization[],
  stageSamples: number,
): Promise<PushLatencyResult> {
  const client = newBmsClient(ctx);
  await client.userInfo();
  for (const [i, r] of warmup.entries()) {
    await directWrite(ctx, client, r, `${r.name} (bench floor warm-up ${i})`);
    await uiSave(ctx, account, r, `${r.name} (bench warm-up ${i})`);
  }
  await sleep(500);
  await resetSimRequests(ctx);
  const latency: number[] = [];
  const api: number[] = [];
  const endToEnd: number[] = [];
  const floorLatency: number[] = [];
  const floorResponse: number[] = [];
  const timed: TimedSave[] = [];
  const cpu = cpuMeter(ctx);
  ctx.sqlLog?.read();
  for (const [i, r] of records.entries()) {
    const f = await directWrite(ctx, client, r, `${r.name} (bench floor ${i})`);
    floorLatency.push(f.applied - f.sent);
    floorResponse.push(f.answered - f.sent);
    const s = await uiSave(ctx, account, r, `${r.name} (bench ${i})`);
    latency.push(s.applied - s.answered);
    api.push(s.answered - s.sent);
    endToEnd.push(s.applied - s.sent);
    timed.push({
      record: r,
      answeredEpoch: performance.timeOrigin + s.answered,
      appliedEpoch: performance.timeOrigin + s.applied,
      appliedSimEpoch: s.event.at,
      apiMs: s.answered - s.sent,
    });
    if ((i + 1) % 100 === 0) ctx.log(`push latency: ${i + 1}/${records.length}`);
  }
  const cpuUsage = cpu.read();
  await sleep(1000);
  const sql = ctx.sqlLog?.read();
  const byRoute = await simRequests(ctx);
  // The floor's own requests (one PATCH each) are on the same counters; take them off.
  const nonAuth = nonAuthRequests(byRoute) - records.length;
  const routes = servedByRoute(byRoute);
  routes[ROUTES.patchAccount] = (routes[ROUTES.patchAccount] ?? 0) - records.length;
  const lat = distribution(latency);
  const floor = distribution(floorLatency);
  const result: PushLatencyResult = {
    saves: records.length,
    latency: lat,
    latencyP50ByTenth: Array.from({ length: 10 }, (_, i) => {
      const size = Math.ceil(latency.length / 10);
      return round(distribution(latency.slice(i * size, (i + 1) * size)).p50, 1);
    }),
    apiResponse: distribution(api),
    endToEnd: distribution(endToEnd),
    floor: { latency: floor, clientResponse: distribution(floorResponse) },
    ratioP50: round(lat.p50 / floor.p50, 2),
    ratioP99: round(lat.p99 / floor.p99, 2),
    requests: { nonAuth, perUpdate: round(nonAuth / records.length, 3), byRoute: routes },
    cpu: cpuUsage,
    sql: sql && { ...sql, perSave: round(sql.statements / records.length, 1) },
  };
  if (stageSamples > 0) {
    try {
      // Spread over the run, so drift shows.
      const step = Math.max(1, Math.floor(timed.length / stageSamples));
      result.stages = await pushStages(ctx, account, timed.filter((_, i) => i % step === 0).slice(0, stageSamples));
    } catch (err) {
      ctx.log(`push latency: stage breakdown failed: ${(err as Error).message}`);
    }
  }
  ctx.log(`push latency: p50 ${lat.p50} ms, p99 ${lat.p99} ms (floor p50 ${floor.p50} ms); ${cpuLine(cpuUsage)}`);
  return result;
}

/**
 * Where a save's time goes, from the push workflows' Temporal histories (the server stamps each event;
 * same machine, same clock): API → workflow task → activity → BMS write.
 */
async function pushStages(ctx: BenchContext, account: BenchAccount, saves: TimedSave[]): Promise<NonNullable<PushLatencyResult['stages']>> {
  const samples: PushStageSample[] = [];
  const examples: Array<Array<[string, number]>> = [];
  for (const save of saves) {
    const workflowId = recordPushWorkflowId(account.accountId, 'organization', save.record.id);
    const history = await ctx.temporal.workflow.getHandle(workflowId).fetchHistory();
    const events = history.events ?? [];
    const ms = (e: (typeof events)[number] | undefined) => {
      const t = e?.eventTime;
      return t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : NaN;
    };
    // Event types by their numeric enum values (temporal.api.enums.v1.EventType).
    const typeOf = (e: (typeof events)[number]) => Number(e.eventType);
    const find = (type: number) => events.find((e) => typeOf(e) === type);
    const wtStarted = find(6);
    const wtCompleted = find(7);
    const actStarted = find(11);
    if (examples.length < 3) {
      const rel = (epoch: number) => round(epoch - save.answeredEpoch, 1);
      examples.push([
        ['save sent', rel(save.answeredEpoch - save.apiMs)],
        ['API answered', 0],
        ...events.map((e): [string, number] => [EVENT_NAMES[typeOf(e)] ?? `event ${typeOf(e)}`, rel(ms(e))]),
        ['simulator applied (its clock)', rel(save.appliedSimEpoch)],
        ['bench got the event', rel(save.appliedEpoch)],
      ]);
    }
    samples.push({
      apiMs: save.apiMs,
      toWorkflowTaskMs: ms(wtStarted) - save.answeredEpoch,
      workflowTaskMs: ms(wtCompleted) - ms(wtStarted),
      toActivityMs: ms(actStarted) - ms(wtCompleted),
      activityToWriteMs: save.appliedSimEpoch - ms(actStarted),
      taskToWriteMs: save.appliedSimEpoch - ms(wtStarted),
      eventDeliveryMs: save.appliedEpoch - save.appliedSimEpoch,
      historyEvents: events.length,
      workflowTasks: events.filter((e) => typeOf(e) === 7).length,
      activityTasks: events.filter((e) => typeOf(e) === 10).length,
      localActivities: events.filter((e) => typeOf(e) === 25).length,
    });
  }
  const keys = Object.keys(samples[0] ?? {}) as Array<keyof PushStageSample>;
  const pick = (p: 'p50' | 'p95') =>
    Object.fromEntries(keys.map((k) => [k, round(distribution(samples.map((s) => s[k]).filter(Number.isFinite))[p], 1)])) as Record<keyof PushStageSample, number>;
  return { sampled: samples.length, median: pick('p50'), p95: pick('p95'), examples };
}

export interface PushThroughputResult {
  saves: number;
  concurrency: number;
  /** First save sent → the simulator applied the last of them. */
  seconds: number;
  recordsPerSecond: number;
  /** First save sent → the API had answered every save. */
  apiSeconds: number;
  apiSavesPerSecond: number;
  apiResponse: Distribution;
  floor: { seconds: number; recordsPerSecond: number; cpu: CpuUsage };
  ratioToFloor: number;
  /**
   * The product's push workflow with activities that do nothing, same dev server, same concurrency: what
   * Temporal and the SDK alone allow on this machine (see `temporalFloor`).
   */
  temporalFloor?: TemporalFloorResult;
  /** The product's rate ÷ the Temporal floor's. */
  ratioToTemporalFloor?: number;
  requests: { nonAuth: number; perUpdate: number; byRoute: Record<string, number> };
  /** First save sent → last write applied. */
  cpu: CpuUsage;
  sql?: SqlProfile & { perSave: number };
}

export interface TemporalFloorResult {
  pushes: number;
  concurrency: number;
  /** First signal-with-start sent → the worker had run the last push. */
  seconds: number;
  recordsPerSecond: number;
  /** First signal-with-start sent → Temporal had answered every one. */
  startsPerSecond: number;
  /** CPU per push, by process (the bench stands in for the API: it sends the signal-with-starts). */
  cpuMsPerPush: Record<string, number>;
  cpu: CpuUsage;
}

/**
 * The Temporal floor of push throughput: `count` signal-with-starts of the product's push workflow (the
 * API's own `signalRecordPush`, for records of an account that does not exist), run by a separate worker
 * process with the product's workflow bundle and push-worker options but activities that do nothing
 * (`bench/temporal-floor-worker.ts`). Time: first start sent → the worker reports the last push run.
 */
export async function temporalFloor(ctx: BenchContext, count: number, concurrency: number, timeoutMs: number): Promise<TemporalFloorResult> {
  const { process: worker, taskQueue } = await ctx.stack.startTemporalFloorWorker();
  try {
    const accountId = randomUUID();
    let off = () => undefined as unknown;
    let timer: NodeJS.Timeout | undefined;
    const allRun = new Promise<number>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`Temporal floor: not every push ran within ${timeoutMs} ms`)), timeoutMs);
      off = worker.listen(
        (message) => {
          if (((message as { pushes?: number }).pushes ?? 0) >= count) resolve(performance.now());
        },
        (code) => reject(new Error(`Temporal floor: the worker exited (code ${code}); see ${ctx.stack.logFile('temporal-floor-worker')}`)),
      );
    });
    allRun.catch(() => undefined);
    const cpu = new CpuMeter({ worker: worker.pid, simulator: ctx.stack.sim.pid }, ctx.stack.database);
    const t0 = performance.now();
    let startsDone: number;
    let doneAt: number;
    try {
      await pool(
        Array.from({ length: count }, (_, i) => i),
        concurrency,
        async (i) => {
          await signalRecordPush(ctx.temporal, taskQueue, { accountId, recordType: 'organization', recordId: randomUUID(), version: i + 1 });
        },
      );
      startsDone = performance.now();
      doneAt = await allRun;
    } finally {
      clearTimeout(timer);
      off();
    }
    const usage = cpu.read();
    const seconds = (doneAt - t0) / 1000;
    const result: TemporalFloorResult = {
      pushes: count,
      concurrency,
      seconds: round(seconds, 2),
      recordsPerSecond: round(count / seconds, 1),
      startsPerSecond: round(count / ((startsDone - t0) / 1000), 1),
      cpuMsPerPush: Object.fromEntries(
        Object.entries(usage.byProcess)
          .filter(([, v]) => v.cpuSeconds > 0)
          .map(([name, v]) => [name, round((v.cpuSeconds * 1000) / count, 2)]),
      ),
      cpu: usage,
    };
    ctx.log(`push throughput: Temporal floor ${result.recordsPerSecond} pushes/s; ${cpuLine(usage)}`);
    return result;
  } finally {
    await worker.stop(30_000);
  }
}

/** Runs `fn` over `items` with `concurrency` loops. */
async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

/** Resolves when a 2xx PATCH of every one of `bmsIds` has been applied; with the moment of the last. */
function allApplied(ctx: BenchContext, bmsIds: number[], timeoutMs: number, what: string): { done: Promise<number>; cancel: () => void } {
  const pending = new Set(bmsIds.map((id) => `/v2/crm/accounts/${id}`));
  let off = () => undefined as unknown;
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<number>((resolve, reject) => {
    timer = setTimeout(() => {
      off();
      reject(new Error(`${what}: ${pending.size} of ${bmsIds.length} writes not applied within ${timeoutMs} ms`));
    }, timeoutMs);
    off = ctx.events.on((e) => {
      if (e.method !== 'PATCH' || e.status < 200 || e.status >= 300 || !pending.delete(e.path)) return;
      if (pending.size === 0) {
        clearTimeout(timer);
        off();
        resolve(e.arrivedAt);
      }
    });
  });
  return {
    done,
    cancel: () => {
      clearTimeout(timer);
      off();
    },
  };
}

/** Saves of different synced records as fast as the API takes them, `concurrency` at a time; floor first. */
export async function pushThroughputPhase(
  ctx: BenchContext,
  account: BenchAccount,
  records: SyncedOrganization[],
  concurrency: number,
  timeoutMs: number,
): Promise<PushThroughputResult> {
  const bmsIds = records.map((r) => r.bmsId);
  // Floor: the client writes the same accounts directly, at the same concurrency.
  const client = newBmsClient(ctx);
  await client.userInfo();
  const floorApplied = allApplied(ctx, bmsIds, timeoutMs, 'push throughput floor');
  const floorCpu = cpuMeter(ctx);
  const f0 = performance.now();
  await pool(records, concurrency, async (r, i) => {
    await client.patchAccount(r.bmsId, [{ op: 'replace', path: '/AccountName', value: `${r.name} (bench floor T${i})` }]);
  });
  const floorSeconds = ((await floorApplied.done) - f0) / 1000;
  const floorCpuUsage = floorCpu.read();
  ctx.log(`push throughput: floor ${round(records.length / floorSeconds, 0)} records/s`);
  const temporal = await temporalFloor(ctx, records.length, concurrency, timeoutMs);

  await sleep(1000);
  await resetSimRequests(ctx);
  const applied = allApplied(ctx, bmsIds, timeoutMs, 'push throughput');
  const api: number[] = [];
  const cpu = cpuMeter(ctx);
  ctx.sqlLog?.read();
  const t0 = performance.now();
  try {
    await pool(records, concurrency, async (r, i) => {
      const s0 = performance.now();
      const res = await account.api.patch(`/api/v1/organizations/${r.id}`, { name: `${r.name} (bench T${i})` });
      api.push(performance.now() - s0);
      check(res, 'save');
    });
  } catch (err) {
    applied.cancel();
    throw err;
  }
  const apiDone = performance.now();
  ctx.log(`push throughput: the API took ${records.length} saves in ${round((apiDone - t0) / 1000, 1)} s; waiting for BMS`);
  const last = await applied.done;
  const cpuUsage = cpu.read();
  await sleep(1000);
  const sql = ctx.sqlLog?.read();
  const byRoute = await simRequests(ctx);
  const nonAuth = nonAuthRequests(byRoute);
  const seconds = (last - t0) / 1000;
  const result: PushThroughputResult = {
    saves: records.length,
    concurrency,
    seconds: round(seconds, 2),
    recordsPerSecond: round(records.length / seconds, 1),
    apiSeconds: round((apiDone - t0) / 1000, 2),
    apiSavesPerSecond: round(records.length / ((apiDone - t0) / 1000), 1),
    apiResponse: distribution(api),
    floor: { seconds: round(floorSeconds, 2), recordsPerSecond: round(records.length / floorSeconds, 1), cpu: floorCpuUsage },
    ratioToFloor: round(records.length / seconds / (records.length / floorSeconds), 3),
    temporalFloor: temporal,
    ratioToTemporalFloor: round(records.length / seconds / temporal.recordsPerSecond, 3),
    requests: { nonAuth, perUpdate: round(nonAuth / records.length, 3), byRoute: servedByRoute(byRoute) },
    cpu: cpuUsage,
    sql: sql && { ...sql, perSave: round(sql.statements / records.length, 1) },
  };
  ctx.log(
    `push throughput: ${result.recordsPerSecond} records/s (floor ${result.floor.recordsPerSecond}, Temporal floor ${temporal.recordsPerSecond}); ${cpuLine(cpuUsage)}`,
  );
  return result;
}
