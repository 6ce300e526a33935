/**
 * The service's configuration, read from the environment once, in one place, with explicit defaults.
 * Every listener binds to 127.0.0.1 unless told otherwise.
 */
import path from 'node:path';
import { z } from 'zod';
import { AllowListError, type AllowedDestination, parseAllowList } from '../lib/outbound';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65535);
/** A port that may be left unset (or empty): the listener is then off. */
const optionalPort = z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), port.optional());
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

/** Milliseconds of each duration unit a setting may use. */
const DURATION_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration such as `90d`, `12h`, `10m` or `30s` (a whole number and one unit) into milliseconds. */
export function parseDuration(value: string): number | undefined {
  const match = /^\s*(\d+)\s*([smhd])\s*$/.exec(value);
  if (!match) return undefined;
  const ms = Number(match[1]) * DURATION_UNITS[match[2]!]!;
  return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
}

/** A duration setting (see `parseDuration`) of at least `minMs`, read as milliseconds; unset or empty: `fallback`. */
function duration(fallback: string, minMs: number) {
  const text = z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration: a whole number and a unit, s, m, h or d (e.g. 90d, 12h, 10m)` });
        return z.NEVER;
      }
      if (ms < minMs) {
        ctx.addIssue({ code: 'custom', message: `"${v}" is too short: at least ${minMs / 1000} seconds` });
        return z.NEVER;
      }
      return ms;
    });
  return z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), text);
}

const EnvSchema = z.object({
  DATA_DIR: z.string().default('.data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DATABASE_URL: optionalString,
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).default(10),
  EMBEDDED_PG_PORT: port.default(54329),

  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS: bool.optional(),
  TEMPORAL_TLS_CERT_PATH: optionalString,
  TEMPORAL_TLS_KEY_PATH: optionalString,
  TEMPORAL_TLS_CA_PATH: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  TEMPORAL_UI_URL: z.string().default('http://127.0.0.1:8233'),
  TEMPORAL_TASK_QUEUE_PREFIX: z.string().default('docsync'),

  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: port.default(3000),
  PUBLIC_URL: optionalString,
  API_TRUST_PROXY: optionalString,

  SIMULATOR_HOST: z.string().default('127.0.0.1'),
  SIMULATOR_PORT: port.default(4010),

  SECRET_KEY: optionalString,

  BMS_API_URL: optionalString,
  BMS_V1_URL: optionalString,
  BMS_TENANT: optionalString,
  BMS_USERNAME: optionalString,
  BMS_PASSWORD: optionalString,
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),

  BMS_ALLOWED_HOSTS: optionalString,
  BMS_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
  BMS_RATE_LIMIT_PER_WINDOW: z.coerce.number().int().min(0).default(1500),
  BMS_RATE_WINDOW_SECONDS: z.coerce.number().min(0.1).default(3600),

  METRICS_HOST: z.string().default('127.0.0.1'),
  METRICS_PORT: optionalPort,
  WORKER_METRICS_PORT: optionalPort,
  TEMPORAL_METRICS_PORT: optionalPort,
  METRICS_MAX_ACCOUNT_SERIES: z.coerce.number().int().min(1).max(10_000).default(100),
  SMTP_URL: optionalString,
  SMTP_FROM: z.string().default('bms-docsync <docsync@localhost>'),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  NOTIFY_BUDGET_EXHAUSTED_SECONDS: z.coerce.number().min(1).default(900),

  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).default(100),
  WORKER_SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).default(20),

  RETENTION_PERIOD: duration('90d', 60_000),
  RETENTION_PRUNE_EVERY: duration('1h', 60_000),
});

export interface TemporalConfig {
  address: string;
  namespace: string;
  /** Temporal Cloud API key; when set, TLS is on. */
  apiKey: string | undefined;
  /** mTLS / TLS settings; undefined means a plain connection (the local dev server). */
  tls:
    | { clientCertPath?: string; clientKeyPath?: string; caPath?: string; serverName?: string }
    | undefined;
  uiUrl: string;
  taskQueues: { push: string; pull: string };
}

export interface Config {
  dataDir: string;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  logFormat: 'json' | 'pretty';
  database: {
    /** undefined: start the embedded PostgreSQL under `dataDir`. */
    url: string | undefined;
    poolMax: number;
    embeddedPort: number;
  };
  temporal: TemporalConfig;
  api: {
    host: string;
    port: number;
    publicUrl: string;
    /**
     * Express's `trust proxy`: which proxies' X-Forwarded-For names the client (the login throttles' key).
     * false (default): none; the connection's address is the client.
     */
    trustProxy: false | number | string;
  };
  simulator: { host: string; port: number };
  /** Key that encrypts BMS passwords at rest; undefined: a generated key file in `dataDir`. */
  secretKey: string | undefined;
  /** A real Kaseya BMS for the demo account of `npm start`; undefined: the simulator is started instead. */
  demoBms: { apiUrl: string; v1Url: string | undefined; tenant: string; username: string; password: string } | undefined;
  bms: {
    /** Destinations allowed besides Kaseya's published BMS hosts (lib/outbound.ts). */
    allowedHosts: AllowedDestination[];
    requestTimeoutMs: number;
    /** Requests allowed per (BMS tenant, endpoint) per window; 0 disables the budget. */
    rateLimitPerWindow: number;
    rateWindowSeconds: number;
  };
  worker: { maxConcurrentActivities: number; shutdownGraceSeconds: number };
  /**
   * Prometheus metrics (lib/metrics.ts), each on its own listener with no login. Every port unset (the
   * default) means that listener is off; all bind to `host` (default 127.0.0.1).
   */
  metrics: {
    host: string;
    /** The API process's `GET /metrics` (HTTP, application and database gauges). */
    apiPort: number | undefined;
    /** The worker process's `GET /metrics` (pushes, pulls, BMS requests). */
    workerPort: number | undefined;
    /** The Temporal SDK's own worker metrics (the worker's Rust core serves them). */
    temporalPort: number | undefined;
    /** At most this many series for a label of accounts or BMS tenants (the worst first). */
    maxAccountSeries: number;
  };
  notifications: {
    /** The operator's SMTP server (`smtp://` or `smtps://`, credentials in the URL); undefined: no email channels. */
    smtpUrl: string | undefined;
    /** The From of notification emails. */
    smtpFrom: string;
    /** How long a webhook receiver has to answer. */
    webhookTimeoutMs: number;
    /** A BMS request that has waited this long for the rate budget raises `budget.exhausted`. */
    budgetExhaustedMs: number;
  };
  /** How long history, runs and logs are kept (db/retention.ts says what is never pruned). */
  retention: {
    /** Rows older than this are pruned. */
    periodMs: number;
    /** How often the `retention-prune` Schedule prunes. */
    pruneEveryMs: number;
  };
}

/**
 * `API_TRUST_PROXY`: unset or `false` trusts no proxy; a number trusts that many hops; else a list of
 * addresses, subnets or names (`loopback`, `uniquelocal`) as Express reads them. Trusting every proxy is
 * not offered: any client could then name its own address and walk past the login throttles.
 */
function trustProxySetting(value: string | undefined): false | number | string {
  const setting = value?.trim();
  if (setting === undefined || setting === 'false') return false;
  if (/^\d+$/.test(setting)) return Number(setting);
  return setting;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const tlsWanted =
    e.TEMPORAL_TLS ?? Boolean(e.TEMPORAL_TLS_CERT_PATH || e.TEMPORAL_TLS_CA_PATH || e.TEMPORAL_API_KEY);
  const apiHostForUrl = e.API_HOST === '0.0.0.0' ? '127.0.0.1' : e.API_HOST;
  return {
    dataDir: path.resolve(e.DATA_DIR),
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    database: { url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX, embeddedPort: e.EMBEDDED_PG_PORT },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      apiKey: e.TEMPORAL_API_KEY,
      tls: tlsWanted
        ? {
            clientCertPath: e.TEMPORAL_TLS_CERT_PATH,
            clientKeyPath: e.TEMPORAL_TLS_KEY_PATH,
            caPath: e.TEMPORAL_TLS_CA_PATH,
            serverName: e.TEMPORAL_TLS_SERVER_NAME,
          }
        : undefined,
      uiUrl: e.TEMPORAL_UI_URL.replace(/\/+$/, ''),
      taskQueues: { push: `${e.TEMPORAL_TASK_QUEUE_PREFIX}-push`, pull: `${e.TEMPORAL_TASK_QUEUE_PREFIX}-pull` },
    },
    api: {
      host: e.API_HOST,
      port: e.API_PORT,
      publicUrl: (e.PUBLIC_URL ?? `http://${apiHostForUrl}:${e.API_PORT}`).replace(/\/+$/, ''),
      trustProxy: trustProxySetting(e.API_TRUST_PROXY),
    },
    simulator: { host: e.SIMULATOR_HOST, port: e.SIMULATOR_PORT },
    secretKey: e.SECRET_KEY,
    demoBms:
      e.BMS_API_URL && e.BMS_TENANT && e.BMS_USERNAME && e.BMS_PASSWORD
        ? { apiUrl: e.BMS_API_URL, v1Url: e.BMS_V1_URL, tenant: e.BMS_TENANT, username: e.BMS_USERNAME, password: e.BMS_PASSWORD }
        : undefined,
    bms: {
      allowedHosts: readAllowList(e.BMS_ALLOWED_HOSTS),
      requestTimeoutMs: e.BMS_REQUEST_TIMEOUT_MS,
      rateLimitPerWindow: e.BMS_RATE_LIMIT_PER_WINDOW,
      rateWindowSeconds: e.BMS_RATE_WINDOW_SECONDS,
    },
    worker: {
      maxConcurrentActivities: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
      shutdownGraceSeconds: e.WORKER_SHUTDOWN_GRACE_SECONDS,
    },
    metrics: {
      host: e.METRICS_HOST,
      apiPort: e.METRICS_PORT,
      workerPort: e.WORKER_METRICS_PORT,
      temporalPort: e.TEMPORAL_METRICS_PORT,
      maxAccountSeries: e.METRICS_MAX_ACCOUNT_SERIES,
    },
    notifications: {
      smtpUrl: e.SMTP_URL,
      smtpFrom: e.SMTP_FROM,
      webhookTimeoutMs: e.WEBHOOK_TIMEOUT_MS,
      budgetExhaustedMs: e.NOTIFY_BUDGET_EXHAUSTED_SECONDS * 1000,
    },
    retention: { periodMs: e.RETENTION_PERIOD, pruneEveryMs: e.RETENTION_PRUNE_EVERY },
  };
}

function readAllowList(list: string | undefined): AllowedDestination[] {
  try {
    return parseAllowList(list);
  } catch (err) {
    if (err instanceof AllowListError) throw new ConfigError(`Invalid configuration: BMS_ALLOWED_HOSTS: ${err.message}`);
    throw err;
  }
}
