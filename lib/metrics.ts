/**
 * The service's Prometheus metrics: the one registry, every metric name, and the listener that serves them.
 * Each process (API, worker) keeps its own registry and serves it on its own port; the worker's Temporal
 * SDK exports its own metrics beside them (worker/main.ts). docs/operations.md lists every metric with
 * example PromQL and alert rules.
 *
 * Labels are bounded: record types, outcomes, statuses, triggers and BMS endpoint templates are fixed
 * sets; account and BMS tenant labels appear only on gauges computed on scrape, capped at
 * `maxAccountSeries` series (the worst first). No record id is ever a label.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const METRIC_PREFIX = 'docsync_';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });

/** Outcomes of one push attempt: the push activity's results, plus failures (retried or final). */
export const PUSH_OUTCOMES = ['created', 'updated', 'linked', 'unchanged', 'excluded', 'waiting', 'orphaned', 'skipped', 'retrying', 'failed'] as const;
export type PushOutcome = (typeof PUSH_OUTCOMES)[number];

export const pushesTotal = new Counter({
  name: `${METRIC_PREFIX}pushes_total`,
  help: 'Push attempts of records to Kaseya BMS, by record type and outcome (retrying: failed, Temporal retries it; failed: refused, not retried)',
  labelNames: ['record_type', 'outcome'] as const,
  registers: [registry],
});

export const pushLatencySeconds = new Histogram({
  name: `${METRIC_PREFIX}push_latency_seconds`,
  help: 'From the save of the version pushed (the record\'s stored updated_at) to Kaseya BMS accepting it, by record type',
  labelNames: ['record_type'] as const,
  buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 7200],
  registers: [registry],
});

export const pullRunsTotal = new Counter({
  name: `${METRIC_PREFIX}pull_runs_total`,
  help: 'Finished pull runs, by status (completed, failed, skipped) and trigger (schedule, manual)',
  labelNames: ['status', 'trigger'] as const,
  registers: [registry],
});

export const pullDurationSeconds = new Histogram({
  name: `${METRIC_PREFIX}pull_duration_seconds`,
  help: 'Duration of finished pull runs (start to finish), by status',
  labelNames: ['status'] as const,
  buckets: [0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
  registers: [registry],
});

export const bmsRequestsTotal = new Counter({
  name: `${METRIC_PREFIX}bms_requests_total`,
  help: 'Requests sent to Kaseya BMS, by endpoint ("METHOD /path/{template}") and status (the HTTP status, or network_error)',
  labelNames: ['endpoint', 'status'] as const,
  registers: [registry],
});

export const BMS_AUTH_KINDS = ['v2_login', 'v2_refresh', 'v1_login'] as const;
export const BMS_AUTH_OUTCOMES = ['success', 'refused', 'error'] as const;
export const bmsAuthCallsTotal = new Counter({
  name: `${METRIC_PREFIX}bms_auth_calls_total`,
  help: 'Kaseya BMS logins and token refreshes, by kind and outcome (refused: BMS turned the credentials down)',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});

export const retentionPrunedRowsTotal = new Counter({
  name: `${METRIC_PREFIX}retention_pruned_rows_total`,
  help: 'Rows deleted by retention pruning, by table',
  labelNames: ['table'] as const,
  registers: [registry],
});

export const retentionPrunesTotal = new Counter({
  name: `${METRIC_PREFIX}retention_prunes_total`,
  help: 'Finished retention prunes, by status (completed, failed)',
  labelNames: ['status'] as const,
  registers: [registry],
});

export const retentionLastPruneDurationSeconds = new Gauge({
  name: `${METRIC_PREFIX}retention_last_prune_duration_seconds`,
  help: 'How long the last finished retention prune took (start to finish)',
  registers: [registry],
});

export const retentionLastPruneFinishedSeconds = new Gauge({
  name: `${METRIC_PREFIX}retention_last_prune_finished_timestamp_seconds`,
  help: 'When the last retention prune finished (Unix time), failed or not',
  registers: [registry],
});

/** What the database tells on a scrape (read by `db/operations.ts`, cached `snapshotTtlMs`). */
export interface OperationsSnapshot {
  /** Linked records of every account, by type and sync state. */
  records: Array<{ recordType: string; state: string; n: number }>;
  /** Per connected account: when its latest completed pull started (null: none completed yet). */
  freshness: Array<{ accountId: string; lastCompletedPullStart: Date | null; connectedAt: Date }>;
  /** Rate budget use per (tenant, endpoint) with requests in the current window. */
  budget: Array<{ tenant: string; endpoint: string; used: number }>;
  /** Connected accounts by the last known reachability of Kaseya BMS. */
  reachability: Array<{ status: string; n: number }>;
  /** Connected accounts whose sync is paused. */
  paused: number;
  /** The newest finished retention prune (undefined or null: none yet). */
  lastPrune?: { finishedAt: Date; failed: boolean } | null;
}

export interface SnapshotSource {
  read(): Promise<OperationsSnapshot>;
  /** Requests allowed per (tenant, endpoint) per window; 0: no budget (the remaining gauge is not exported). */
  budgetLimit: number;
  /** At most this many series for a label of accounts or tenants (the worst first). */
  maxAccountSeries: number;
  snapshotTtlMs?: number;
}

let source: SnapshotSource | undefined;
let cached: { at: number; value: Promise<OperationsSnapshot> } | undefined;

/**
 * Makes this process export the database-derived gauges (records by state, freshness, rate budget,
 * reachability, paused accounts). The API process does; the worker does not, so they are not doubled.
 */
export function exportDatabaseGauges(from: SnapshotSource): void {
  source = from;
  cached = undefined;
  registerDatabaseGauges();
}

async function snapshot(): Promise<OperationsSnapshot | undefined> {
  if (!source) return undefined;
  const now = Date.now();
  if (!cached || now - cached.at > (source.snapshotTtlMs ?? 5_000)) {
    const value = source.read();
    cached = { at: now, value };
    // A failed read is not kept: the next scrape tries again.
    value.catch(() => {
      if (cached?.value === value) cached = undefined;
    });
  }
  return cached.value;
}

function worstFirst<T>(items: T[], badness: (item: T) => number, max: number): T[] {
  return [...items].sort((a, b) => badness(b) - badness(a)).slice(0, max);
}

/** Seconds since the account's data is known complete: the start of its latest completed pull (else since it connected). */
export function freshnessSeconds(row: OperationsSnapshot['freshness'][number], now = Date.now()): number {
  const since = row.lastCompletedPullStart ?? row.connectedAt;
  return Math.max(0, (now - since.getTime()) / 1000);
}

/** The database gauges, registered the first time a process exports them. */
let databaseGaugesRegistered = false;
function registerDatabaseGauges(): void {
  if (databaseGaugesRegistered) return;
  databaseGaugesRegistered = true;
  new Gauge({
    name: `${METRIC_PREFIX}records`,
    help: 'Linked records of every account, by record type and sync state (collected on scrape, cached a few seconds)',
    labelNames: ['record_type', 'sync_state'] as const,
    registers: [registry],
    async collect() {
      const snap = await snapshot();
      this.reset();
      for (const r of snap?.records ?? []) this.set({ record_type: r.recordType, sync_state: r.state }, r.n);
    },
  });

  new Gauge({
    name: `${METRIC_PREFIX}pull_freshness_seconds`,
    help: 'Per account: seconds since the start of its latest completed pull; every Kaseya BMS change older than that is stored, a newer one may not be (the stalest accounts, capped)',
    labelNames: ['account'] as const,
    registers: [registry],
    async collect() {
      const snap = await snapshot();
      this.reset();
      if (!snap || !source) return;
      const now = Date.now();
      for (const row of worstFirst(snap.freshness, (r) => freshnessSeconds(r, now), source.maxAccountSeries)) {
        this.set({ account: row.accountId }, freshnessSeconds(row, now));
      }
    },
  });

  new Gauge({
    name: `${METRIC_PREFIX}pull_freshness_max_seconds`,
    help: 'The largest pull freshness of any connected account (not capped)',
    registers: [registry],
    async collect() {
      const snap = await snapshot();
      const now = Date.now();
      this.set(Math.max(0, ...(snap?.freshness ?? []).map((r) => freshnessSeconds(r, now))));
    },
  });

  new Gauge({
    name: `${METRIC_PREFIX}bms_rate_budget_remaining`,
    help: 'Requests left in the current window per (BMS tenant, endpoint) that sent any in it (absent: the whole budget is left); the lowest first, capped',
    labelNames: ['tenant', 'endpoint'] as const,
    registers: [registry],
    async collect() {
      const snap = await snapshot();
      this.reset();
      if (!snap || !source || source.budgetLimit <= 0) return;
      const limit = source.budgetLimit;
      for (const b of worstFirst(snap.budget, (r) => r.used, source.maxAccountSeries)) {
        this.set({ tenant: b.tenant, endpoint: b.endpoint }, Math.max(0, limit - b.used));
      }
    },
  });

  new Gauge({
    name: `${METRIC_PREFIX}bms_accounts`,
    help: 'Connected accounts by the last known reachability of Kaseya BMS (ok, failed, unchecked), from the last connection test, pull or push',
    labelNames: ['reachability'] as const,
    registers: [registry],
    async collect() {
      const snap = await snapshot();
      this.reset();
      for (const status of ['ok', 'failed', 'unchecked']) this.set({ reachability: status }, 0);
      for (const r of snap?.reachability ?? []) this.set({ reachability: r.status }, r.n);
    },
  });

  new Gauge({
    name: `${METRIC_PREFIX}retention_last_prune_age_seconds`,
    help: 'Seconds since the newest retention prune finished, by whether it failed (absent until one has finished), from retention_prunes',
    labelNames: ['failed'] as const,
    registers: [registry],
    async collect() {
      const last = (await snapshot())?.lastPrune;
      this.reset();
      if (last) this.set({ failed: String(last.failed) }, Math.max(0, (Date.now() - last.finishedAt.getTime()) / 1000));
    },
  });

  new Gauge({
    name: `${METRIC_PREFIX}sync_paused_accounts`,
    help: 'Connected accounts whose sync is paused',
    registers: [registry],
    async collect() {
      this.set((await snapshot())?.paused ?? 0);
    },
  });
}

/** The BMS endpoint label: the route template, never a filled-in path (bounded). */
export function countBmsRequest(endpoint: string, status: number | 'network_error' | 'refused'): void {
  bmsRequestsTotal.inc({ endpoint, status: String(status) });
}

export function countPush(recordType: string, outcome: PushOutcome): void {
  pushesTotal.inc({ record_type: recordType, outcome });
}

export function observePushLatency(recordType: string, savedAt: string): void {
  const ms = Date.now() - Date.parse(savedAt);
  if (Number.isFinite(ms)) pushLatencySeconds.observe({ record_type: recordType }, Math.max(0, ms) / 1000);
}

export function countPullRun(run: { status: string; trigger: string; startedAt: string; finishedAt: string | null }): void {
  pullRunsTotal.inc({ status: run.status, trigger: run.trigger });
  const ms = Date.parse(run.finishedAt ?? '') - Date.parse(run.startedAt);
  if (Number.isFinite(ms)) pullDurationSeconds.observe({ status: run.status }, Math.max(0, ms) / 1000);
}

export function countBmsAuth(kind: (typeof BMS_AUTH_KINDS)[number], outcome: (typeof BMS_AUTH_OUTCOMES)[number]): void {
  bmsAuthCallsTotal.inc({ kind, outcome });
}

/** Rows one retention step deleted, per table (the table names are a fixed set). */
export function countPruned(deleted: Partial<Record<string, number>>): void {
  for (const [table, n] of Object.entries(deleted)) if (n) retentionPrunedRowsTotal.inc({ table }, n);
}

export function observePrune(prune: { startedAt: string; finishedAt: string | null; error: string | null }): void {
  retentionPrunesTotal.inc({ status: prune.error ? 'failed' : 'completed' });
  const finished = Date.parse(prune.finishedAt ?? '');
  if (!Number.isFinite(finished)) return;
  retentionLastPruneFinishedSeconds.set(finished / 1000);
  const ms = finished - Date.parse(prune.startedAt);
  if (Number.isFinite(ms)) retentionLastPruneDurationSeconds.set(Math.max(0, ms) / 1000);
}

/** `host:port` for a listener address (IPv6 hosts in brackets). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text format) on its own listener: nothing else, no user login. It binds
 * to loopback unless told otherwise; expose it only to the Prometheus that scrapes it.
 */
export async function startMetricsServer(options: { host: string; port: number }): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${hostPort(options.host, port)}/metrics`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
