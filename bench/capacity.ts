/**
 * The capacity run (`npm run bench -- --capacity`): N tenants at steady state on one stack, each a
 * simulator tenant with its own records and a product account connected to it, two-way on, its own pull
 * Schedule at the interval asked for (the product spreads the Schedules' start times; the bench sets only
 * `pull.intervalMinutes`), for T minutes of BMS-side edits and UI saves. One fresh stack per N, so each
 * size's CPU, memory and storage start from the same place. See bench/README.md ("Capacity").
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, type Connection } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import pLimit from 'p-limit';
import { HttpClient } from '../test/helpers/api-client';
import { pullScheduleId } from '../workflows/definitions';
import { CAPACITY_TARGETS, type CapacityRun, evaluateCapacity, type FairnessRun } from './capacity-report';
import {
  CpuMeter,
  type CpuUsage,
  type Distribution,
  distribution,
  machineInfo,
  MemorySampler,
  type MemorySummary,
  postgresPssMb,
  round,
  sleep,
  temporalPid,
} from './measure';
import { AUTH_ROUTES, type BenchAccount, type BenchContext, newAccount } from './phases';
import { formatTable } from './report';
import { type SimEvent, SimEventStream } from './sim-events';
import { BenchStack, SIM_CREDENTIALS, TEMPORAL_ENGINES, type TemporalEngine } from './stack';

// ---------------------------------------------------------------- options

export interface SeedSize {
  accounts: number;
  contacts: number;
  locations: number;
  assets: number;
}

export interface CapacityOptions {
  tenants: number[];
  size: SeedSize;
  intervalMinutes: number;
  minutes: number;
  bmsEditsPerMinute: number;
  savesPerMinute: number;
  fairness: boolean;
  big: SeedSize;
  /** Tenants set up at once (simulator tenant, account, connection). */
  setupConcurrency: number;
  /** Deadline for every tenant's first pull, minutes. */
  setupMinutes: number;
  /** Freshness polls in flight at once, and the time between two polls of one edit. */
  pollConcurrency: number;
  pollEveryMs: number;
}

// ---------------------------------------------------------------- simulator tenants

export interface SimTenant {
  name: string;
  /** What the product connects with (`PUT /api/v1/integrations/kaseya-bms`). */
  credentials: { tenant: string; username: string; password: string };
  /** Headers of the simulator's admin routes for this tenant. */
  headers: Record<string, string>;
  counts: Record<string, number>;
}

/**
 * The simulator's tenants. A multi-tenant simulator makes each one (`POST /_sim/tenants`, admin routes
 * picked by `X-Sim-Tenant`, events and request counts naming the tenant); a simulator without that route
 * serves one tenant, its default one, which is then reseeded for the first tenant asked for.
 */
export class SimTenants {
  /** undefined until the first tenant is made. */
  multiTenant: boolean | undefined;
  private defaultUsed = false;

  constructor(private readonly sim: HttpClient) {}

  async create(name: string, size: SeedSize): Promise<SimTenant> {
    const seed = {
      accounts: size.accounts,
      contactsPerAccount: size.accounts ? Math.round(size.contacts / size.accounts) : 0,
      locationsPerAccount: Math.max(1, size.accounts ? Math.round(size.locations / size.accounts) : 1),
    };
    if (this.multiTenant !== false) {
      const res = await this.sim.post('/_sim/tenants', { name, seed: { ...seed, assets: size.assets } });
      if (res.status === 201) {
        this.multiTenant = true;
        const body = res.body as { name: string; username?: string; counts: Record<string, number> };
        return {
          name: body.name,
          credentials: { tenant: body.name, username: body.username ?? SIM_CREDENTIALS.username, password: SIM_CREDENTIALS.password },
          headers: { 'X-Sim-Tenant': body.name },
          counts: body.counts,
        };
      }
      if (res.status !== 404 || this.multiTenant === true) throw new Error(`create simulator tenant ${name}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      this.multiTenant = false;
    }
    if (this.defaultUsed) {
      throw new Error('this simulator serves one tenant (no POST /_sim/tenants): more than one tenant needs the multi-tenant simulator');
    }
    this.defaultUsed = true;
    const reset = await this.sim.post('/_sim/reset', { seed });
    if (reset.status !== 200) throw new Error(`seed the simulator: HTTP ${reset.status} ${JSON.stringify(reset.body).slice(0, 300)}`);
    await this.addAssets(size.assets, {});
    const counts = await this.sim.get('/_sim/counts');
    return { name: SIM_CREDENTIALS.tenant, credentials: { ...SIM_CREDENTIALS }, headers: {}, counts: counts.body as Record<string, number> };
  }

  /** `count` hardware assets, one per active account in turn (for a simulator that seeds assets per account only). */
  private async addAssets(count: number, headers: Record<string, string>): Promise<void> {
    const owners: number[] = [];
    for (let from = 1001; owners.length < count; from += 500) {
      const ids = Array.from({ length: 500 }, (_, i) => from + i).join(',');
      const res = await this.sim.call('GET', `/_sim/accounts?ids=${ids}`, undefined, headers);
      const list = res.body as Array<{ id: number; isActive: boolean }>;
      if (res.status !== 200 || list.length === 0) break;
      owners.push(...list.filter((a) => a.isActive).map((a) => a.id));
    }
    if (owners.length === 0) return;
    const limit = pLimit(10);
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        limit(async () => {
          const res = await this.sim.call('POST', '/_sim/assets', { name: `CAP-${i + 1}`, accountId: owners[i % owners.length], categoryId: 21 }, headers);
          if (res.status !== 201) throw new Error(`create asset: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
        }),
      ),
    );
  }

  /** Zeroes the request counters of every tenant. */
  async resetRequests(): Promise<void> {
    const res = await this.sim.delete('/_sim/requests?scope=all');
    if (res.status !== 200) throw new Error(`reset the simulator's request counters: HTTP ${res.status}`);
  }

  async requests(): Promise<SimRequests> {
    const res = await this.sim.get('/_sim/requests?scope=all');
    if (res.status !== 200) throw new Error(`read the simulator's request counters: HTTP ${res.status}`);
    return res.body as SimRequests;
  }

  /** One tenant's requests served per route since the last reset. */
  async requestsOf(tenant: SimTenant): Promise<Record<string, number>> {
    const res = await this.sim.call('GET', '/_sim/requests', undefined, tenant.headers);
    if (res.status !== 200) throw new Error(`read the request counters of simulator tenant ${tenant.name}: HTTP ${res.status}`);
    const body = res.body as { byRoute?: Record<string, { served?: number }> };
    return Object.fromEntries(Object.entries(body.byRoute ?? {}).map(([route, r]) => [route, r.served ?? 0]));
  }
}

export interface SimRequests {
  tenants?: number;
  total: number;
  byRoute: Record<string, { served: number; rejected429?: number; faulted?: number; maxInWindow?: number; maxTenantServed?: number }>;
}

// ---------------------------------------------------------------- tenants

type RecordKind = 'organization' | 'contact';

interface SyncedRecord {
  kind: RecordKind;
  id: string;
  bmsId: number;
}

export interface Tenant {
  index: number;
  sim: SimTenant;
  account: BenchAccount;
  scheduleId: string;
  /** Records BMS-side edits change, and records UI saves change: never the same, so no edit meets a save. */
  editRecords: SyncedRecord[];
  saveRecords: SyncedRecord[];
  edits: number;
  saves: number;
}

const API_PATH: Record<RecordKind, string> = { organization: '/api/v1/organizations', contact: '/api/v1/contacts' };
const BMS_PATH: Record<RecordKind, string> = { organization: '/v2/crm/accounts', contact: '/v2/crm/contacts' };
/** The field each kind's edits and saves change, as the product names it and as the simulator's admin routes do. */
const FIELD: Record<RecordKind, { product: string; sim: string; simPath: string }> = {
  organization: { product: 'name', sim: 'accountName', simPath: '/_sim/accounts' },
  contact: { product: 'lastName', sim: 'lastName', simPath: '/_sim/contacts' },
};

function check(res: { status: number; body: unknown }, what: string, expected = 200): void {
  if (res.status !== expected) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
}

async function syncedRecords(account: BenchAccount, kind: RecordKind): Promise<SyncedRecord[]> {
  const res = await account.api.get<{ data: Array<{ id: string; sync: { bmsId: number | null } }> }>(`${API_PATH[kind]}?syncState=synced&pageSize=200`);
  check(res, `list synced ${kind}s`);
  return res.body.data.filter((r) => r.sync.bmsId).map((r) => ({ kind, id: r.id, bmsId: r.sync.bmsId! }));
}

export interface SetupResult {
  tenants: number;
  /** First tenant asked for → every first pull completed. */
  seconds: number;
  /** Setting up (simulator tenant, account, connection, settings), per tenant. */
  connectSeconds: Distribution;
  firstPullSeconds: Distribution;
  simulator: 'multi-tenant' | 'single tenant';
}

/**
 * Makes `count` tenants (numbered from `from`): each a seeded simulator tenant and an account connected to
 * it with two-way on and the pull interval set; waits until every first pull completed.
 */
export async function setupTenants(
  ctx: BenchContext,
  simTenants: SimTenants,
  opts: { from: number; count: number; size: SeedSize; intervalMinutes: number; concurrency: number; deadlineMinutes: number; label: string },
): Promise<{ tenants: Tenant[]; setup: SetupResult }> {
  const t0 = performance.now();
  const limit = pLimit(opts.concurrency);
  const connectMs: number[] = [];
  const connected = new Map<string, number>();
  let made = 0;
  const pending = await Promise.all(
    Array.from({ length: opts.count }, (_, i) =>
      limit(async () => {
        const index = opts.from + i;
        const s0 = performance.now();
        const sim = await simTenants.create(`${opts.label}-${index}`, opts.size);
        const account = await newAccount(ctx, `${opts.label} ${index}`);
        check(await account.api.put('/api/v1/integrations/kaseya-bms', { apiUrl: ctx.stack.simUrl, v1Url: ctx.stack.simUrl, ...sim.credentials }), 'connect');
        connected.set(account.accountId, performance.now());
        check(
          await account.api.patch('/api/v1/integrations/kaseya-bms/sync-settings', { twoWayEnabled: true, settings: { pull: { intervalMinutes: opts.intervalMinutes } } }),
          'sync settings',
        );
        connectMs.push(performance.now() - s0);
        if (++made % 50 === 0) ctx.log(`setup: ${made}/${opts.count} tenants connected`);
        return { index, sim, account };
      }),
    ),
  );
  ctx.log(`setup: ${opts.count} tenants connected in ${round((performance.now() - t0) / 1000, 1)} s; waiting for their first pulls`);
  const firstPullMs = await waitForFirstPulls(ctx.stack, connected, opts.deadlineMinutes * 60_000, ctx.log);
  const tenants: Tenant[] = await Promise.all(
    pending.map(({ index, sim, account }) =>
      limit(async () => {
        const [orgs, contacts] = await Promise.all([syncedRecords(account, 'organization'), syncedRecords(account, 'contact')]);
        // Interleaved, then split: edits and saves each get organizations and contacts.
        const all: SyncedRecord[] = [];
        for (let i = 0; i < Math.max(orgs.length, contacts.length); i++) {
          if (orgs[i]) all.push(orgs[i]!);
          if (contacts[i]) all.push(contacts[i]!);
        }
        return {
          index,
          sim,
          account,
          scheduleId: pullScheduleId(account.accountId),
          editRecords: all.filter((_, i) => i % 4 < 2),
          saveRecords: all.filter((_, i) => i % 4 >= 2),
          // Tenants start at different records, so organizations and contacts are both edited and saved
          // even when each tenant makes only one of each.
          edits: index,
          saves: index,
        };
      }),
    ),
  );
  const setup: SetupResult = {
    tenants: opts.count,
    seconds: round((performance.now() - t0) / 1000, 1),
    connectSeconds: distribution(connectMs.map((ms) => ms / 1000)),
    firstPullSeconds: distribution(firstPullMs.map((ms) => ms / 1000)),
    simulator: simTenants.multiTenant ? 'multi-tenant' : 'single tenant',
  };
  ctx.log(`setup: every first pull completed (${setup.seconds} s in all, first pull p50 ${setup.firstPullSeconds.p50} s)`);
  return { tenants, setup };
}

/** Until each account's first run finished (from the product's `sync_runs`); a failed first pull fails the setup. */
async function waitForFirstPulls(stack: BenchStack, connected: Map<string, number>, timeoutMs: number, log: (line: string) => void): Promise<number[]> {
  const deadline = performance.now() + timeoutMs;
  const done = new Map<string, number>();
  let lastLog = performance.now();
  while (done.size < connected.size) {
    const waiting = [...connected.keys()].filter((id) => !done.has(id));
    const rows = (await stack.db('sync_runs')
      .whereIn('account_id', waiting)
      .whereNot('status', 'running')
      .select('account_id', 'status', 'error')) as Array<{ account_id: string; status: string; error: string | null }>;
    const now = performance.now();
    for (const r of rows) {
      if (done.has(r.account_id)) continue;
      if (r.status !== 'completed') throw new Error(`the first pull of account ${r.account_id} ended ${r.status}: ${r.error ?? ''}`);
      done.set(r.account_id, now - connected.get(r.account_id)!);
    }
    if (done.size === connected.size) break;
    if (now > deadline) throw new Error(`${connected.size - done.size} of ${connected.size} first pulls did not complete within ${round(timeoutMs / 60_000, 1)} min`);
    if (now - lastLog > 30_000) {
      log(`setup: ${done.size}/${connected.size} first pulls completed`);
      lastLog = now;
    }
    await sleep(1000);
  }
  return [...done.values()];
}

// ---------------------------------------------------------------- steady state

export interface SteadyResult {
  tenants: number;
  minutes: number;
  intervalMinutes: number;
  /** Save answered by the API → the simulator's event of the BMS write, ms. */
  push: Distribution & { sent: number; notApplied: number; failed: number };
  /** BMS-side edit answered → the new value readable through the product's API, seconds. */
  freshness: Distribution & {
    edits: number;
    unseen: number;
    pollEveryMs: number;
    targetSeconds: number;
    /**
     * From the first read (the next scheduled pull's start, or the edit when a pull was running) to the value
     * seen, seconds: the pull's own share, without the wait for the Schedule that the edit's moment decides.
     */
    afterPullStart: Distribution;
  };
  /** Schedule actions in the window: taken − scheduled, ms. */
  lateness: Distribution & { skippedOverlap: number; missedCatchupWindow: number };
  runs: { byStatus: Record<string, number>; byTrigger: Record<string, number>; pullSeconds: Distribution; stillRunning: number };
  cpu: CpuUsage & { perTenantHour: Record<string, number> };
  memory: { byProcess: Record<string, MemorySummary>; postgresPssPeakMb: number };
  storage: StorageResult;
  requests: RequestsResult;
  /** Each sample with its moment (epoch ms), so a part of the window can be looked at (the fairness run's big pull). */
  timeline: SteadyTimeline;
}

export interface SteadyTimeline {
  /** [save answered, push latency ms] */
  push: Array<[number, number]>;
  /** [first read, seen, freshness s, after the pull's start s] */
  freshness: Array<[number, number, number, number]>;
  /** [scheduled, lateness ms] */
  lateness: Array<[number, number]>;
}

export interface StorageResult {
  productTablesStart: Record<string, number>;
  productTablesEnd: Record<string, number>;
  /** Growth per tenant-day, bytes, by table (and `total`). */
  productGrowthPerTenantDay: Record<string, number>;
  temporalStartBytes: number;
  temporalEndBytes: number;
  temporalGrowthPerTenantDay: number;
  temporalWhat: string;
  retention: RetentionResult;
  /**
   * What the product database would hold per tenant if everything that grew were kept only for the
   * retention period (growth per tenant-day × period): the run's period and the product's default.
   */
  keptPerTenantBytes: Record<string, number>;
  /**
   * Rows of the tables that grow with time, at the window's start and end, and at the end how many are
   * older than the retention period (what pruning leaves behind: the rows it never prunes, and what
   * arrived since its last run). Rows, not bytes, are what retention bounds: PostgreSQL reuses a deleted
   * row's space only after a vacuum.
   */
  rows: Record<string, { start: number; end: number; olderThanPeriodAtEnd: number }>;
}

/** The tables that grow with time, and the column that dates a row. */
const DATED_TABLES: Record<string, string> = {
  record_history: 'at',
  sync_runs: 'started_at',
  sync_run_logs: 'at',
  bms_request_log: 'at',
  notification_deliveries: 'created_at',
};

async function datedRows(stack: BenchStack, period: string): Promise<Record<string, { total: number; old: number }>> {
  const out: Record<string, { total: number; old: number }> = {};
  const cutoff = new Date(Date.now() - periodDays(period) * 86_400_000);
  for (const [table, column] of Object.entries(DATED_TABLES)) {
    const { rows } = (await stack.db.raw(`SELECT count(*)::bigint AS total, count(*) FILTER (WHERE ?? < ?)::bigint AS old FROM ??`, [column, cutoff, table])) as {
      rows: Array<{ total: string; old: string }>;
    };
    out[table] = { total: Number(rows[0]?.total ?? 0), old: Number(rows[0]?.old ?? 0) };
  }
  return out;
}

/** A retention period ("15m", "1h", "90d") in days. */
export function periodDays(period: string): number {
  const m = /^(\d+)([smhd])$/.exec(period);
  if (!m) return NaN;
  return (Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as 's' | 'm' | 'h' | 'd']) / 86_400;
}

export interface RetentionResult {
  available: boolean;
  period?: string;
  pruneEvery?: string;
  prunes?: number;
  failed?: number;
  deleted?: Record<string, number>;
  durationMs?: Distribution;
}

export interface RequestsResult {
  hours: number;
  /**
   * Per route: served per tenant-hour (mean); the busiest tenant's per hour over the window (a tenant whose
   * Schedule fired once more than the window's length holds reads high), and per pull × pulls an hour
   * (its requests ÷ its pulls that finished while counted, × 60 / interval: steady state whatever the
   * window's edges); the share of the budget is the latter's.
   */
  byRoute: Record<
    string,
    { kind: 'pull' | 'push' | 'other'; served: number; perTenantHour: number; maxTenantPerHour: number; maxTenantPerHourByPulls: number | null; shareOfBudget: number }
  >;
  budgetPerHour: number;
}

export const BMS_BUDGET_PER_HOUR = 1500;

/** A pull's requests: list and lookup GETs; writes are pushes. */
function routeKind(route: string): 'pull' | 'push' | 'other' {
  if (route.startsWith('GET ')) return 'pull';
  if (/^(PATCH|PUT|POST|DELETE) /.test(route)) return 'push';
  return 'other';
}

interface PendingEdit {
  tenant: Tenant;
  record: SyncedRecord;
  value: string;
  answeredAt: number;
  pollFrom: number;
  nextPoll: number;
  seenAt?: number;
  polls: number;
}

interface Action {
  at: number;
  tenant: Tenant;
  kind: 'edit' | 'save';
}

/** Evenly spaced per tenant at `perMinute`, each tenant at a random phase, over `ms`; in time order. */
function timeline(tenants: Tenant[], ms: number, editsPerMinute: number, savesPerMinute: number): Action[] {
  const out: Action[] = [];
  for (const tenant of tenants) {
    for (const [kind, rate] of [['edit', editsPerMinute], ['save', savesPerMinute]] as const) {
      if (rate <= 0) continue;
      const period = 60_000 / rate;
      for (let at = Math.random() * period; at < ms; at += period) out.push({ at, tenant, kind });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

/** Sizes (bytes) and live rows of the product's tables. */
async function tableSizes(stack: BenchStack): Promise<Record<string, number>> {
  const { rows } = (await stack.db.raw(
    `SELECT relname, pg_total_relation_size(relid) AS bytes FROM pg_stat_user_tables WHERE schemaname = 'public' ORDER BY relname`,
  )) as { rows: Array<{ relname: string; bytes: string }> };
  return Object.fromEntries(rows.map((r) => [r.relname, Number(r.bytes)]));
}

async function temporalBytes(stack: BenchStack): Promise<{ bytes: number; what: string }> {
  if (stack.temporalDatabases.length) {
    let bytes = 0;
    for (const name of stack.temporalDatabases) {
      const { rows } = (await stack.db.raw('SELECT pg_database_size(?) AS bytes', [name])) as { rows: Array<{ bytes: string }> };
      bytes += Number(rows[0]?.bytes ?? 0);
    }
    return { bytes, what: `PostgreSQL databases ${stack.temporalDatabases.join(', ')}` };
  }
  const files = stack.temporalFiles();
  return { bytes: files.reduce((a, f) => a + statSync(f).size, 0), what: 'dev server SQLite files (database, WAL)' };
}

/** The product's prune runs (table `retention_prunes`) since `since`, if the product has the table. */
async function retention(stack: BenchStack, since: Date, env: { period: string; pruneEvery: string }): Promise<RetentionResult> {
  const { rows: exists } = (await stack.db.raw(`SELECT to_regclass('public.retention_prunes') IS NOT NULL AS present`)) as { rows: Array<{ present: boolean }> };
  if (!exists[0]?.present) return { available: false };
  const rows = (await stack.db('retention_prunes').where('started_at', '>=', since).select('started_at', 'finished_at', 'deleted', 'error')) as Array<{
    started_at: Date;
    finished_at: Date | null;
    deleted: Record<string, number> | null;
    error: string | null;
  }>;
  const deleted: Record<string, number> = {};
  for (const r of rows) for (const [table, n] of Object.entries(r.deleted ?? {})) deleted[table] = (deleted[table] ?? 0) + Number(n);
  return {
    available: true,
    period: env.period,
    pruneEvery: env.pruneEvery,
    prunes: rows.length,
    failed: rows.filter((r) => r.error).length,
    deleted,
    durationMs: distribution(rows.filter((r) => r.finished_at).map((r) => new Date(r.finished_at!).getTime() - new Date(r.started_at).getTime())),
  };
}

function sumValues(x: Record<string, number>): number {
  return Object.values(x).reduce((a, b) => a + b, 0);
}

/**
 * T minutes of steady state over `tenants`: BMS-side edits and UI saves paced per tenant; push latency,
 * freshness, Schedule lateness, runs, CPU, memory, storage and BMS requests measured over the window.
 * `during` runs beside the window (the fairness run's big tenant).
 */
export async function steadyState(
  ctx: BenchContext,
  simTenants: SimTenants,
  tenants: Tenant[],
  opts: CapacityOptions & { retentionEnv: { period: string; pruneEvery: string }; stackStartedAt: Date },
): Promise<SteadyResult> {
  const { stack, log } = ctx;
  const windowMs = opts.minutes * 60_000;
  const n = tenants.length;
  const schedules = new Map<string, ScheduleCounters>();
  await describeAll(ctx.temporal, tenants, schedules, 0);
  const skippedAtStart = sumSchedules(schedules);
  const countersFrom = new Date();
  await simTenants.resetRequests();
  const storageStart = await tableSizes(stack);
  const rowsStart = await datedRows(stack, opts.retentionEnv.period);
  const temporalStart = await temporalBytes(stack);
  const pids = { api: stack.api?.pid, worker: stack.worker?.pid, simulator: stack.sim.pid };
  const cpu = new CpuMeter(pids, stack.database, { trees: true, allPostgres: true });
  const memory = new MemorySampler({ ...pids, temporal: temporalPid() }, 5000).start();
  let pgPssPeak = postgresPssMb();
  const pssTimer = setInterval(() => {
    const v = postgresPssMb();
    if (v > pgPssPeak || !Number.isFinite(pgPssPeak)) pgPssPeak = v;
  }, 15_000);

  const windowStart = performance.now();
  const windowStartDate = new Date();
  // The window's runs, read every minute: retention may prune a run a few minutes after it ends.
  type RunRow = { id: string; account_id: string; status: string; trigger: string; started_at: Date; finished_at: Date | null };
  const runsSeen = new Map<string, RunRow>();
  const accountIds = tenants.map((t) => t.account.accountId);
  const collectRuns = async () => {
    const rows = (await stack.db('sync_runs')
      .whereIn('account_id', accountIds)
      // A few minutes early too: the pulls that finished after the request counters were reset.
      .where('started_at', '>=', new Date(countersFrom.getTime() - 5 * 60_000))
      .select('id', 'account_id', 'status', 'trigger', 'started_at', 'finished_at')) as RunRow[];
    for (const r of rows) runsSeen.set(r.id, r);
  };
  const runsTimer = setInterval(() => void collectRuns().catch((err: unknown) => log(`reading the runs failed: ${(err as Error).message}`)), 60_000);
  const windowEnd = windowStart + windowMs;
  /** [save answered (epoch ms), push latency ms] of each applied push. */
  const pushes: Array<[number, number]> = [];
  let pushFailed = 0;
  let pushNotApplied = 0;
  const edits: PendingEdit[] = [];
  const inFlight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  /** Requests of the driver in flight at once (saves, edits and their Schedule reads). */
  const apiLimit = pLimit(32);
  let seq = 0;

  const save = async (tenant: Tenant) => {
    const record = tenant.saveRecords[tenant.saves++ % tenant.saveRecords.length];
    if (!record) return;
    const value = `cap save ${tenant.index}-${++seq}`;
    const base = `${BMS_PATH[record.kind]}/${record.bmsId}`;
    const applied = ctx.events.next(
      (e: SimEvent) => (e.tenant === undefined || e.tenant === tenant.sim.name) && e.method !== 'GET' && e.path.split('?')[0]!.startsWith(base) && /^(\/|$)/.test(e.path.split('?')[0]!.slice(base.length)),
      120_000,
      `the push of ${record.kind} ${record.id}`,
    );
    applied.catch(() => undefined);
    const res = await apiLimit(() => tenant.account.api.patch(`${API_PATH[record.kind]}/${record.id}`, { [FIELD[record.kind].product]: value }));
    const answered = performance.now();
    if (res.status !== 200) {
      pushFailed++;
      log(`save of ${record.kind} ${record.id} refused: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      return;
    }
    try {
      const event = await applied;
      if (event.status < 200 || event.status >= 300) pushFailed++;
      else pushes.push([Math.round(performance.timeOrigin + answered), event.arrivedAt - answered]);
    } catch {
      pushNotApplied++;
    }
  };

  const edit = async (tenant: Tenant) => {
    const record = tenant.editRecords[tenant.edits++ % tenant.editRecords.length];
    if (!record) return;
    const value = `cap edit ${tenant.index}-${++seq}`;
    const field = FIELD[record.kind];
    const res = await apiLimit(() => ctx.sim.call('PATCH', `${field.simPath}/${record.bmsId}`, { [field.sim]: value }, tenant.sim.headers));
    const answeredAt = performance.now();
    check(res, `BMS-side edit of ${record.kind} ${record.bmsId}`);
    // Polling starts at the tenant's next scheduled pull (at once when one is running): the value cannot
    // show before a pull has read it, and hundreds of tenants cannot all be polled all the time.
    const info = (await apiLimit(() => ctx.temporal.schedule.getHandle(tenant.scheduleId).describe())).info;
    const next = info.nextActionTimes[0];
    const pollFrom = info.runningActions.length > 0 || !next ? answeredAt : Math.max(answeredAt, next.getTime() - performance.timeOrigin);
    edits.push({ tenant, record, value, answeredAt, pollFrom, nextPoll: pollFrom, polls: 0 });
  };

  // Freshness poller: due edits, `pollConcurrency` at a time, each again `pollEveryMs` later until seen.
  const pollLimit = pLimit(opts.pollConcurrency);
  const polling = new Set<PendingEdit>();
  let pollerStopped = false;
  const poller = (async () => {
    while (!pollerStopped) {
      const now = performance.now();
      for (const e of edits) {
        if (e.seenAt !== undefined || polling.has(e) || e.nextPoll > now) continue;
        polling.add(e);
        void pollLimit(async () => {
          try {
            const res = await e.tenant.account.api.get<{ data: Record<string, unknown> }>(`${API_PATH[e.record.kind]}/${e.record.id}`);
            e.polls++;
            if (res.status === 200 && res.body.data[FIELD[e.record.kind].product] === e.value) e.seenAt = performance.now();
          } catch (err) {
            log(`freshness poll failed: ${(err as Error).message}`);
          } finally {
            e.nextPoll = performance.now() + opts.pollEveryMs;
            polling.delete(e);
          }
        });
      }
      await sleep(250);
    }
  })();

  // Lateness: recentActions keeps the last 10 actions of a Schedule, so it is read every few intervals.
  const readEvery = Math.max(60_000, opts.intervalMinutes * 60_000 * 5);
  let nextRead = windowStart + readEvery;

  log(`steady state: ${n} tenants for ${opts.minutes} min (interval ${opts.intervalMinutes} min, ${opts.bmsEditsPerMinute} edits and ${opts.savesPerMinute} saves per tenant per minute)`);
  const actions = timeline(tenants, windowMs, opts.bmsEditsPerMinute, opts.savesPerMinute);
  let lastLog = windowStart;
  try {
    for (const action of actions) {
      for (;;) {
        const now = performance.now();
        if (now >= nextRead) {
          nextRead = now + readEvery;
          track(describeAll(ctx.temporal, tenants, schedules, windowStartDate.getTime()).catch((err: unknown) => log(`reading the Schedules failed: ${(err as Error).message}`)));
        }
        if (now - lastLog > 60_000) {
          lastLog = now;
          log(`steady state: ${round((now - windowStart) / 60_000, 1)}/${opts.minutes} min, ${pushes.length} pushes applied, ${edits.filter((e) => e.seenAt).length}/${edits.length} edits seen`);
        }
        const wait = windowStart + action.at - now;
        if (wait <= 0) break;
        await sleep(Math.min(wait, 1000));
      }
      const run = action.kind === 'save' ? save : edit;
      track(run(action.tenant).catch((err: unknown) => log(`${action.kind} failed: ${(err as Error).message}`)));
    }
    while (performance.now() < windowEnd) await sleep(Math.min(1000, windowEnd - performance.now()));
  } finally {
    clearInterval(pssTimer);
  }
  const cpuUsage = cpu.read();
  const memoryUsage = memory.stop();
  const windowEndDate = new Date();
  const hours = (performance.now() - windowStart) / 3_600_000;
  const requests = await simTenants.requests();
  const readLimit = pLimit(10);
  const requestsByTenant = await Promise.all(tenants.map((t) => readLimit(() => simTenants.requestsOf(t.sim))));
  const storageEnd = await tableSizes(stack);
  const rowsEnd = await datedRows(stack, opts.retentionEnv.period);
  const temporalEnd = await temporalBytes(stack);
  await describeAll(ctx.temporal, tenants, schedules, windowStartDate.getTime());
  const skippedAtEnd = sumSchedules(schedules);

  // Drain: saves and edits sent in the window get their answers (bounded), outside the measured window.
  log(`steady state: window over; waiting for the last pushes and for edits to show (at most ${opts.intervalMinutes * 2 + 2} min)`);
  const drainDeadline = performance.now() + (opts.intervalMinutes * 2 + 2) * 60_000;
  await Promise.race([Promise.allSettled([...inFlight]), sleep(180_000)]);
  while (edits.some((e) => e.seenAt === undefined) && performance.now() < drainDeadline) await sleep(500);
  pollerStopped = true;
  await poller;

  await collectRuns();
  clearInterval(runsTimer);
  const runs = [...runsSeen.values()].filter((r) => r.started_at >= windowStartDate && r.started_at < windowEndDate);
  // Pulls per tenant that finished while the request counters counted, for the per-pull request rates.
  const pullsCounted = new Map<string, number>();
  for (const r of runsSeen.values()) {
    if (r.finished_at && new Date(r.finished_at) >= countersFrom && new Date(r.finished_at) <= windowEndDate) {
      pullsCounted.set(r.account_id, (pullsCounted.get(r.account_id) ?? 0) + 1);
    }
  }
  const count = (xs: string[]) => xs.reduce<Record<string, number>>((acc, x) => ({ ...acc, [x]: (acc[x] ?? 0) + 1 }), {});
  const seen = edits.filter((e) => e.seenAt !== undefined);
  /** [scheduled (epoch ms), lateness ms] of each Schedule action due in the window. */
  const lateness: Array<[number, number]> = [];
  for (const c of schedules.values()) {
    for (const [scheduledAt, takenAt] of c.actions) {
      if (scheduledAt >= windowStartDate.getTime() && scheduledAt < windowEndDate.getTime()) lateness.push([scheduledAt, takenAt - scheduledAt]);
    }
  }
  const epoch = (t: number) => Math.round(performance.timeOrigin + t);

  const perTenantHour = Object.fromEntries(Object.entries(cpuUsage.byProcess).map(([name, v]) => [name, round(v.cpuSeconds / (n * hours), 2)]));
  const growth: Record<string, number> = {};
  const days = hours / 24;
  for (const [table, bytes] of Object.entries(storageEnd)) {
    const d = bytes - (storageStart[table] ?? 0);
    if (d !== 0) growth[table] = round(d / (n * days), 0);
  }
  growth.total = round((sumValues(storageEnd) - sumValues(storageStart)) / (n * days), 0);
  const byRoute: RequestsResult['byRoute'] = {};
  for (const [route, s] of Object.entries(requests.byRoute)) {
    if (AUTH_ROUTES.has(route)) continue;
    const maxTenantPerHour = (s.maxTenantServed ?? (n === 1 ? s.served : NaN)) / hours;
    const kind = routeKind(route);
    let byPulls: number | null = null;
    if (kind === 'pull') {
      tenants.forEach((t, i) => {
        const pulls = pullsCounted.get(t.account.accountId) ?? 0;
        const served = requestsByTenant[i]![route] ?? 0;
        if (pulls > 0) byPulls = Math.max(byPulls ?? 0, (served / pulls) * (60 / opts.intervalMinutes));
      });
    }
    // Pull routes are judged per pull; the rest (pushes, other) over the window.
    const judged = kind === 'pull' && byPulls !== null ? byPulls : maxTenantPerHour;
    byRoute[route] = {
      kind,
      served: s.served,
      perTenantHour: round(s.served / (n * hours), 1),
      maxTenantPerHour: round(maxTenantPerHour, 1),
      maxTenantPerHourByPulls: byPulls === null ? null : round(byPulls, 1),
      shareOfBudget: round(judged / BMS_BUDGET_PER_HOUR, 4),
    };
  }
  const result: SteadyResult = {
    tenants: n,
    minutes: opts.minutes,
    intervalMinutes: opts.intervalMinutes,
    push: { ...distribution(pushes.map(([, ms]) => ms)), sent: pushes.length + pushFailed + pushNotApplied, notApplied: pushNotApplied, failed: pushFailed },
    freshness: {
      ...distribution(seen.map((e) => (e.seenAt! - e.answeredAt) / 1000)),
      edits: edits.length,
      unseen: edits.length - seen.length,
      pollEveryMs: opts.pollEveryMs,
      targetSeconds: opts.intervalMinutes * 60 + 60,
      afterPullStart: distribution(seen.map((e) => (e.seenAt! - e.pollFrom) / 1000)),
    },
    lateness: {
      ...distribution(lateness.map(([, ms]) => ms)),
      skippedOverlap: skippedAtEnd.skippedOverlap - skippedAtStart.skippedOverlap,
      missedCatchupWindow: skippedAtEnd.missedCatchupWindow - skippedAtStart.missedCatchupWindow,
    },
    runs: {
      byStatus: count(runs.map((r) => r.status)),
      byTrigger: count(runs.map((r) => r.trigger)),
      pullSeconds: distribution(runs.filter((r) => r.finished_at).map((r) => (new Date(r.finished_at!).getTime() - new Date(r.started_at).getTime()) / 1000)),
      stillRunning: runs.filter((r) => !r.finished_at).length,
    },
    cpu: { ...cpuUsage, perTenantHour },
    memory: { byProcess: memoryUsage, postgresPssPeakMb: pgPssPeak },
    storage: {
      productTablesStart: storageStart,
      productTablesEnd: storageEnd,
      productGrowthPerTenantDay: growth,
      temporalStartBytes: temporalStart.bytes,
      temporalEndBytes: temporalEnd.bytes,
      temporalGrowthPerTenantDay: round((temporalEnd.bytes - temporalStart.bytes) / (n * days), 0),
      temporalWhat: temporalStart.what,
      retention: await retention(stack, opts.stackStartedAt, opts.retentionEnv),
      rows: Object.fromEntries(
        Object.entries(rowsEnd).map(([table, end]) => [table, { start: rowsStart[table]?.total ?? 0, end: end.total, olderThanPeriodAtEnd: end.old }]),
      ),
      keptPerTenantBytes: Object.fromEntries(
        [...new Set([opts.retentionEnv.period, '90d'])].map((p) => [p, round(Math.max(0, growth.total ?? 0) * periodDays(p), 0)]),
      ),
    },
    requests: { hours: round(hours, 4), byRoute, budgetPerHour: BMS_BUDGET_PER_HOUR },
    timeline: {
      push: pushes.map(([at, ms]) => [at, round(ms, 1)]),
      freshness: seen.map((e) => [epoch(e.pollFrom), epoch(e.seenAt!), round((e.seenAt! - e.answeredAt) / 1000, 2), round((e.seenAt! - e.pollFrom) / 1000, 2)]),
      lateness,
    },
  };
  log(
    `steady state: push p99 ${result.push.p99} ms (${result.push.n}), freshness p99 ${result.freshness.p99} s (${seen.length}/${edits.length} seen), ` +
      `lateness p99 ${result.lateness.p99} ms (${lateness.length} actions), runs ${JSON.stringify(result.runs.byStatus)}`,
  );
  return result;
}

interface ScheduleCounters {
  /** scheduledAt → takenAt, epoch ms. */
  actions: Map<number, number>;
  skippedOverlap: number;
  missedCatchupWindow: number;
}

/** Reads every tenant's Schedule (8 at a time): its recent actions and its skip counters. */
async function describeAll(temporal: Client, tenants: Tenant[], into: Map<string, ScheduleCounters>, since: number): Promise<void> {
  const limit = pLimit(8);
  await Promise.all(
    tenants.map((t) =>
      limit(async () => {
        const { info } = await temporal.schedule.getHandle(t.scheduleId).describe();
        const c = into.get(t.scheduleId) ?? { actions: new Map(), skippedOverlap: 0, missedCatchupWindow: 0 };
        for (const a of info.recentActions) if (a.scheduledAt.getTime() >= since) c.actions.set(a.scheduledAt.getTime(), a.takenAt.getTime());
        c.skippedOverlap = info.numActionsSkippedOverlap;
        c.missedCatchupWindow = info.numActionsMissedCatchupWindow;
        into.set(t.scheduleId, c);
      }),
    ),
  );
}

function sumSchedules(schedules: Map<string, ScheduleCounters>): { skippedOverlap: number; missedCatchupWindow: number } {
  let skippedOverlap = 0;
  let missedCatchupWindow = 0;
  for (const c of schedules.values()) {
    skippedOverlap += c.skippedOverlap;
    missedCatchupWindow += c.missedCatchupWindow;
  }
  return { skippedOverlap, missedCatchupWindow };
}

// ---------------------------------------------------------------- fairness

export interface BigTenantResult {
  seeded: Record<string, number>;
  /** Connect → first pull completed, seconds; null when it had not finished by the end of the window. */
  firstPullSeconds: number | null;
  /** When it connected, and when its first pull ended (epoch ms; null while it runs). */
  connectedAt: number;
  firstPullEndedAt: number | null;
  status: string;
}

/** Makes and connects the big tenant; returns a probe that reports its first pull. */
export async function startBigTenant(ctx: BenchContext, simTenants: SimTenants, size: SeedSize, intervalMinutes: number): Promise<() => Promise<BigTenantResult>> {
  const sim = await simTenants.create('capacity-big', size);
  ctx.log(`fairness: big tenant seeded ${JSON.stringify(sim.counts)}`);
  const account = await newAccount(ctx, 'capacity big');
  const connectedAt = Date.now();
  check(await account.api.put('/api/v1/integrations/kaseya-bms', { apiUrl: ctx.stack.simUrl, v1Url: ctx.stack.simUrl, ...sim.credentials }), 'connect the big tenant');
  check(
    await account.api.patch('/api/v1/integrations/kaseya-bms/sync-settings', { twoWayEnabled: true, settings: { pull: { intervalMinutes } } }),
    'sync settings of the big tenant',
  );
  // The first run is watched while it runs: retention may prune its row minutes after it ends.
  type FirstRun = { status: string; started_at: Date; finished_at: Date | null };
  let first: FirstRun | undefined;
  let watching = true;
  const watcher = (async () => {
    while (watching && !(first?.finished_at && first.status !== 'running')) {
      try {
        first = ((await ctx.stack.db('sync_runs').where('account_id', account.accountId).orderBy('started_at').first('status', 'started_at', 'finished_at')) as FirstRun | undefined) ?? first;
      } catch (err) {
        ctx.log(`fairness: reading the big tenant's first run failed: ${(err as Error).message}`);
      }
      await sleep(1000);
    }
  })();
  return async () => {
    watching = false;
    await watcher;
    return {
      seeded: sim.counts,
      firstPullSeconds: first?.finished_at && first.status === 'completed' ? round((new Date(first.finished_at).getTime() - connectedAt) / 1000, 1) : null,
      connectedAt,
      firstPullEndedAt: first?.finished_at ? new Date(first.finished_at).getTime() : null,
      status: first?.status ?? 'not started',
    };
  };
}

// ---------------------------------------------------------------- the run

function wholeNumber(value: string): number {
  const x = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(x) || x < 0) throw new InvalidArgumentError('must be a whole number');
  return x;
}

function positiveNumber(value: string): number {
  const x = Number(value);
  if (!Number.isFinite(x) || x < 0) throw new InvalidArgumentError('must be a number ≥ 0');
  return x;
}

function tenantList(value: string): number[] {
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.length === 0 || list.some((x) => !Number.isInteger(x) || x < 1)) throw new InvalidArgumentError('must be a comma-separated list of tenant counts ≥ 1, e.g. 10,100,500');
  return list;
}

function duration(value: string): string {
  if (!/^\d+[smhd]$/.test(value)) throw new InvalidArgumentError('must be a duration such as 15m, 1h or 90d');
  return value;
}

interface RunOptions extends CapacityOptions {
  temporal: TemporalEngine;
  fairnessTenants: number;
  retention: string;
  pruneEvery: string;
  out?: string;
  keep: boolean;
}

function parseCapacityOptions(argv: string[]): RunOptions {
  const program = new Command()
    .name('bench --capacity')
    .description('Capacity of bms-docsync: N tenants at steady state, each with its own records and pull Schedule (bench/README.md, "Capacity")')
    .option('--capacity', 'the capacity run (this one)')
    .option('--tenants <list>', 'tenant counts, one fresh stack each', tenantList, [10, 100, 500])
    .option('--accounts <n>', 'accounts per tenant', wholeNumber, 300)
    .option('--contacts <n>', 'contacts per tenant (whole contacts per account)', wholeNumber, 300)
    .option('--locations <n>', 'locations per tenant (whole locations per account, at least one each)', wholeNumber, 300)
    .option('--assets <n>', 'hardware assets per tenant', wholeNumber, 100)
    .option('--interval <minutes>', "each tenant's pull interval (Sync Settings pull.intervalMinutes)", wholeNumber, 5)
    .option('--minutes <n>', 'steady state, minutes (≥ 10 at full size)', positiveNumber, 10)
    .option('--bms-edits-per-min <n>', 'BMS-side edits per tenant per minute', positiveNumber, 0.2)
    .option('--saves-per-min <n>', 'UI saves per tenant per minute', positiveNumber, 0.2)
    .option('--fairness', 'instead of --tenants: small tenants at steady state without, then with, one big tenant doing its first pull', false)
    .option('--fairness-tenants <n>', 'small tenants of the fairness run', wholeNumber, 100)
    .option('--big-accounts <n>', "the big tenant's accounts", wholeNumber, 100_000)
    .option('--big-contacts <n>', "the big tenant's contacts", wholeNumber, 100_000)
    .option('--big-assets <n>', "the big tenant's hardware assets", wholeNumber, 10_000)
    .option('--retention <period>', "the product's RETENTION_PERIOD for the run", duration, '15m')
    .option('--prune-every <period>', "the product's RETENTION_PRUNE_EVERY for the run", duration, '5m')
    .option('--setup-concurrency <n>', 'tenants set up at once', wholeNumber, 4)
    .option('--setup-minutes <n>', 'deadline for every first pull [10 + N/10]', positiveNumber)
    .option('--poll-concurrency <n>', 'freshness reads in flight at once', wholeNumber, 8)
    .option('--poll-every <ms>', 'time between two freshness reads of one edit', wholeNumber, 2000)
    .option(
      '--temporal <engine>',
      `what runs Temporal: ${TEMPORAL_ENGINES.join(' or ')}`,
      (value: string) => {
        if (!(TEMPORAL_ENGINES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${TEMPORAL_ENGINES.join(', ')}`);
        return value as TemporalEngine;
      },
      'dev',
    )
    .option('--out <file>', 'JSON result file [bench/results/<timestamp>-capacity.json]')
    .option('--keep', 'keep the temporary folders (process logs, Temporal database) afterwards', false)
    .parse(argv);
  const o = program.opts<{
    tenants: number[];
    accounts: number;
    contacts: number;
    locations: number;
    assets: number;
    interval: number;
    minutes: number;
    bmsEditsPerMin: number;
    savesPerMin: number;
    fairness: boolean;
    fairnessTenants: number;
    bigAccounts: number;
    bigContacts: number;
    bigAssets: number;
    retention: string;
    pruneEvery: string;
    setupConcurrency: number;
    setupMinutes?: number;
    pollConcurrency: number;
    pollEvery: number;
    temporal: TemporalEngine;
    out?: string;
    keep: boolean;
  }>();
  if (o.interval < 1) program.error('--interval must be at least 1 minute');
  if (o.accounts < 1) program.error('--accounts must be at least 1');
  return {
    tenants: o.tenants,
    size: { accounts: o.accounts, contacts: o.contacts, locations: o.locations, assets: o.assets },
    intervalMinutes: o.interval,
    minutes: o.minutes,
    bmsEditsPerMinute: o.bmsEditsPerMin,
    savesPerMinute: o.savesPerMin,
    fairness: o.fairness,
    fairnessTenants: Math.max(1, o.fairnessTenants),
    big: { accounts: o.bigAccounts, contacts: o.bigContacts, locations: o.bigAccounts, assets: o.bigAssets },
    setupConcurrency: Math.max(1, o.setupConcurrency),
    setupMinutes: o.setupMinutes ?? NaN,
    pollConcurrency: Math.max(1, o.pollConcurrency),
    pollEveryMs: Math.max(100, o.pollEvery),
    retention: o.retention,
    pruneEvery: o.pruneEvery,
    temporal: o.temporal,
    out: o.out,
    keep: o.keep,
  };
}

/** One fresh stack: started, its event stream and Temporal client open; `use` runs on it; everything stopped after. */
async function withStack<T>(
  opts: RunOptions,
  log: (line: string) => void,
  current: { stop?: () => Promise<void> },
  use: (ctx: BenchContext, startedAt: Date) => Promise<T>,
): Promise<T> {
  const stack = new BenchStack({ log, temporal: opts.temporal, serviceEnv: { RETENTION_PERIOD: opts.retention, RETENTION_PRUNE_EVERY: opts.pruneEvery } });
  let events: SimEventStream | undefined;
  let connection: Connection | undefined;
  let failed = false;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      events?.close();
      await connection?.close().catch(() => undefined);
      const keep = opts.keep || failed;
      if (keep) log(`keeping ${stack.tmpDir} (process logs: simulator.log, worker.log, api.log, temporal.log)`);
      await stack.stop(keep);
    })());
  current.stop = stop;
  try {
    const startedAt = new Date();
    await stack.start();
    // Writes only: every pull's pages would be events too, hundreds of tenants' worth.
    events = await SimEventStream.open(stack.simUrl, 'POST,PUT,PATCH,DELETE');
    connection = await stack.connectTemporal();
    const ctx: BenchContext = { stack, sim: new HttpClient(stack.simUrl), events, temporal: new Client({ connection, namespace: stack.namespace }), log };
    return await use(ctx, startedAt);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    await stop();
    current.stop = undefined;
  }
}

/** `npm run bench -- --capacity …`: every tenant count (one stack each) or the fairness run; a table and a JSON file. */
export async function runCapacity(argv: string[]): Promise<number> {
  const opts = parseCapacityOptions(argv);
  const startedAt = new Date();
  const t0 = performance.now();
  const log = (line: string) => process.stderr.write(`[capacity ${((performance.now() - t0) / 1000).toFixed(1).padStart(7)} s] ${line}\n`);
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const outFile = path.resolve(opts.out ?? path.join(__dirname, 'results', `${stamp}-capacity${opts.fairness ? '-fairness' : ''}${opts.temporal === 'cluster' ? '-cluster' : ''}.json`));
  const machineBefore = machineInfo();
  const errors: Array<{ stage: string; error: string }> = [];
  const current: { stop?: () => Promise<void> } = {};
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the stack`);
      void (current.stop?.() ?? Promise.resolve()).then(() => process.exit(130));
    });
  }
  const failure = (stage: string, err: unknown) => {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    errors.push({ stage, error: message });
    log(`${stage}: FAILED: ${message}`);
  };
  const retentionEnv = { period: opts.retention, pruneEvery: opts.pruneEvery };
  const setupMinutes = (count: number) => (Number.isFinite(opts.setupMinutes) ? opts.setupMinutes : 10 + count / 10);
  let engineLabel = '';
  let postgres: string | undefined;

  /** Sets up `count` tenants on the stack, as the options say. */
  const setupOn = (ctx: BenchContext, simTenants: SimTenants, count: number, label: string) =>
    setupTenants(ctx, simTenants, {
      from: 1,
      count,
      size: opts.size,
      intervalMinutes: opts.intervalMinutes,
      concurrency: opts.setupConcurrency,
      deadlineMinutes: setupMinutes(count),
      label,
    });

  const runs: CapacityRun[] = [];
  let fairness: FairnessRun | undefined;
  if (!opts.fairness) {
    for (const count of opts.tenants) {
      const run: CapacityRun = { tenants: count };
      runs.push(run);
      try {
        await withStack(opts, log, current, async (ctx, stackStartedAt) => {
          engineLabel = ctx.stack.engineLabel;
          postgres = ctx.stack.postgresVersion;
          const simTenants = new SimTenants(ctx.sim);
          const { tenants, setup } = await setupOn(ctx, simTenants, count, 'capacity');
          run.setup = setup;
          run.steady = await steadyState(ctx, simTenants, tenants, { ...opts, retentionEnv, stackStartedAt });
        });
      } catch (err) {
        failure(`${count} tenants`, err);
      }
    }
  } else {
    const f: FairnessRun = { tenants: opts.fairnessTenants };
    fairness = f;
    try {
      await withStack(opts, log, current, async (ctx, stackStartedAt) => {
        engineLabel = ctx.stack.engineLabel;
        postgres = ctx.stack.postgresVersion;
        const simTenants = new SimTenants(ctx.sim);
        const { tenants, setup } = await setupOn(ctx, simTenants, opts.fairnessTenants, 'fairness');
        f.setup = setup;
        log('fairness: steady state without the big tenant');
        f.without = await steadyState(ctx, simTenants, tenants, { ...opts, retentionEnv, stackStartedAt });
        log('fairness: the big tenant connects (its first pull starts); steady state again');
        const probe = await startBigTenant(ctx, simTenants, opts.big, opts.intervalMinutes);
        f.with = await steadyState(ctx, simTenants, tenants, { ...opts, retentionEnv, stackStartedAt });
        f.big = await probe();
      });
    } catch (err) {
      failure('fairness', err);
    }
  }

  const { figures, rows } = evaluateCapacity(runs, fairness);
  const report = {
    mode: opts.fairness ? 'capacity-fairness' : 'capacity',
    temporal: { engine: opts.temporal, label: engineLabel },
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationSeconds: Math.round((performance.now() - t0) / 100) / 10,
    options: opts,
    machine: { ...machineBefore, loadAverageAtEnd: machineInfo().loadAverage, postgres },
    targets: CAPACITY_TARGETS,
    figures,
    table: rows,
    details: { runs, fairness },
    errors,
  };
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  const m = report.machine;
  process.stdout.write(
    [
      '',
      `bms-docsync capacity (${opts.fairness ? `fairness, ${opts.fairnessTenants} small tenants` : `${opts.tenants.join(', ')} tenants`}; ${opts.minutes} min steady state, interval ${opts.intervalMinutes} min) on the ${engineLabel} — ${m.cpuModel} × ${m.cpuCount}, Node ${m.node}, PostgreSQL ${m.postgres ?? '?'}, load ${m.loadAverage.join(' ')} → ${m.loadAverageAtEnd.join(' ')}`,
      '',
      formatTable(rows, { floor: 'detail', ratio: 'per' }),
      '',
      errors.length ? `stages that failed: ${errors.map((e) => e.stage).join(', ')}` : 'every stage ran',
      `results: ${outFile}`,
      '',
    ].join('\n'),
  );
  return errors.length ? 1 : 0;
}
