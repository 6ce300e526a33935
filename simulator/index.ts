/**
 * Kaseya BMS simulator: one process-local HTTP server that behaves like the REST API (V2, plus the V1
 * location routes) of one or many BMS tenants, checks every request against the vendor's OpenAPI
 * document, and adds `/_sim` routes for tests. See README.md for the choices made where the real API
 * is unknown.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createLogger, type Logger } from '../lib/logger';
import { createAdminRouter, seedSpecSchema } from './admin';
import { SimulatorOptionsError } from './errors';
import { loadStateFile, startAutosave } from './persist';
import { createApiPipeline } from './pipeline';
import type { RateLimitConfig } from './rate-limit';
import type { GeneratedSeed, SeedSpec } from './seed';
import { type ResolvedOptions, SimulatorHub, type SimulatorState, type V1LocationShape } from './state';
import type { Store } from './store';

export type { GeneratedSeed, RateLimitConfig, SeedSpec, SimulatorHub, SimulatorState };
export { checkRequest, type ContractViolation } from './contract';
export { FAULT_MODES, type FaultMode, type FaultRule } from './faults';
export type { RequestEvent } from './stats';

export interface SimulatorOptions {
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string;
  /** Port; `0` picks a free one. Default `4010`. */
  port?: number;
  /**
   * The default tenant: the BMS company name that `Tenant` must match (case-insensitive). More tenants
   * come with `POST /_sim/tenants` or `tenants`. Default `'Demo MSP'`.
   */
  tenant?: string;
  /** The API user's name (case-insensitive). Default `'api.user'`. */
  username?: string;
  /** The API user's password (exact). Default `'demo-password'`. */
  password?: string;
  /** Initial data: `'demo'`, `'none'`, or generated counts. Default `'demo'`. */
  seed?: SeedSpec;
  /** Access token lifetime (V2 and V1). Default `900` (15 minutes). */
  tokenTtlSeconds?: number;
  /** Refresh token lifetime. Default `604800` (7 days). */
  refreshTokenTtlSeconds?: number;
  /** Per-route rolling-window limit; `null` turns limiting off. Default `{ limit: 1500, windowSeconds: 3600 }`. */
  rateLimit?: RateLimitConfig | null;
  /** Largest page served; larger `PageSize` values are clamped to it. Default `100`. */
  maxPageSize?: number;
  /**
   * How V1 answers carry a location's address: `'nested'` (an `Addresses` list) or `'flat'` (the main
   * address's fields on the location itself); V1's shapes are not documented. Default `'nested'`.
   */
  v1LocationShape?: V1LocationShape;
  /** Seed of the PRNG behind probabilistic faults. Default `1`. */
  faultSeed?: number;
  /** Default: a `bms-simulator` logger at `LOG_LEVEL`. */
  logger?: Logger;
  /**
   * Keep the data in this JSON file: loaded at start when it exists (instead of seeding), saved after
   * changes and on close. Default: none (data lives in memory only).
   */
  stateFile?: string;
  /** Extra tenants `Tenant 1` … `Tenant n` (user and password as the default tenant's, no data). Default `0`. */
  tenants?: number;
}

export interface SimulatorHandle {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:4010`; V2 lives under `/v2`, V1 under `/api`. */
  url: string;
  port: number;
  close(): Promise<void>;
  /** Direct access to the default tenant's data, for tests. */
  store: Store;
  /** The default tenant's whole state (auth, limiter, faults, stats), for tests that need more than `store`. */
  state: SimulatorState;
  /** A tenant's state by name (case-insensitive), the default one included. */
  tenant(name: string): SimulatorState | undefined;
  /** Every tenant and the simulator-wide settings. */
  hub: SimulatorHub;
}

export const DEFAULT_SIMULATOR_OPTIONS = {
  host: '127.0.0.1',
  port: 4010,
  tenant: 'Demo MSP',
  username: 'api.user',
  password: 'demo-password',
  seed: 'demo',
  tokenTtlSeconds: 900,
  refreshTokenTtlSeconds: 7 * 24 * 3600,
  rateLimit: { limit: 1500, windowSeconds: 3600 },
  maxPageSize: 100,
  v1LocationShape: 'nested',
  faultSeed: 1,
} as const satisfies Partial<SimulatorOptions>;

function resolveOptions(options: SimulatorOptions): ResolvedOptions {
  const d = DEFAULT_SIMULATOR_OPTIONS;
  const resolved: ResolvedOptions = {
    host: options.host ?? d.host,
    port: options.port ?? d.port,
    tenant: options.tenant ?? d.tenant,
    username: options.username ?? d.username,
    password: options.password ?? d.password,
    seed: options.seed ?? d.seed,
    tokenTtlSeconds: options.tokenTtlSeconds ?? d.tokenTtlSeconds,
    refreshTokenTtlSeconds: options.refreshTokenTtlSeconds ?? d.refreshTokenTtlSeconds,
    rateLimit: options.rateLimit === undefined ? { ...d.rateLimit } : options.rateLimit,
    maxPageSize: options.maxPageSize ?? d.maxPageSize,
    v1LocationShape: options.v1LocationShape ?? d.v1LocationShape,
    faultSeed: options.faultSeed ?? d.faultSeed,
    logger: options.logger ?? createLogger('bms-simulator'),
  };
  const problems: string[] = [];
  if (!Number.isInteger(resolved.port) || resolved.port < 0 || resolved.port > 65535) problems.push('port must be 0-65535');
  if (resolved.tenant.trim() === '' || resolved.username.trim() === '') problems.push('tenant and username must not be empty');
  if (!(resolved.tokenTtlSeconds > 0) || !(resolved.refreshTokenTtlSeconds > 0)) problems.push('token lifetimes must be positive');
  if (!Number.isInteger(resolved.maxPageSize) || resolved.maxPageSize < 1) problems.push('maxPageSize must be a positive integer');
  if (resolved.rateLimit && (!Number.isInteger(resolved.rateLimit.limit) || resolved.rateLimit.limit < 1 || !(resolved.rateLimit.windowSeconds > 0))) {
    problems.push('rateLimit needs a positive integer limit and a positive windowSeconds');
  }
  const seed = seedSpecSchema.safeParse(resolved.seed);
  if (!seed.success) problems.push(`seed: ${seed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  else resolved.seed = seed.data;
  if (problems.length > 0) throw new SimulatorOptionsError(`Invalid simulator options: ${problems.join('; ')}`);
  return resolved;
}

export async function createSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const resolved = resolveOptions(options);
  const extraTenants = options.tenants ?? 0;
  if (!Number.isInteger(extraTenants) || extraTenants < 0) throw new SimulatorOptionsError('Invalid simulator options: tenants must be a whole number, 0 or more');
  const hub = new SimulatorHub(resolved);
  const sim = hub.defaultTenant;
  const restored = options.stateFile !== undefined && loadStateFile(hub, options.stateFile);
  for (let i = 1; i <= extraTenants; i++) {
    if (!hub.tenant(`Tenant ${i}`)) hub.addTenant({ tenant: `Tenant ${i}`, username: resolved.username, password: resolved.password, seed: 'none' });
  }
  const autosave = options.stateFile === undefined ? undefined : startAutosave(hub, options.stateFile);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use('/_sim', createAdminRouter(hub));
  const pipeline = createApiPipeline(hub);
  app.use((req, res) => pipeline(req, res));

  const server = http.createServer(app);
  // Kestrel keeps idle connections for 130 s; Node's 5 s default would make pooled clients race the close.
  server.keepAliveTimeout = 130_000;
  server.listen(resolved.port, resolved.host);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = resolved.host === '0.0.0.0' ? '127.0.0.1' : resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  const url = `http://${hostForUrl}:${port}`;
  resolved.logger.info({ url, tenant: resolved.tenant, tenants: hub.tenantCount, counts: sim.store.counts(), restored }, 'BMS simulator listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    store: sim.store,
    state: sim,
    hub,
    tenant: (name) => hub.tenant(name),
    close() {
      closing ??= (async () => {
        hub.close();
        const closed = once(server, 'close');
        server.close();
        server.closeAllConnections();
        await closed;
        await autosave?.stop();
      })();
      return closing;
    },
  };
}
