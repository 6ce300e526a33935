/**
 * Everything one running simulator holds, shared by the API pipeline and the admin routes.
 *
 * One process serves many BMS tenants. `SimulatorHub` is the process-wide part: the contract, the
 * settings (token lifetime, rate limit, page size, V1 location shape), the event stream and the tenants.
 * `SimulatorState` is one tenant: its data, credentials and tokens, rate windows, counters, faults and
 * tenant lookups. The tenant given in the start options is the default one.
 */
import type { Logger } from '../lib/logger';
import { AuthService } from './auth';
import { type Contract, getContract } from './contract';
import { FaultInjector } from './faults';
import { createEmployees, type Employee } from './lookups';
import { type RateLimitConfig, RateLimiter, RateLimitSettings } from './rate-limit';
import { applySeed, type SeedSpec } from './seed';
import { type RequestListener, RequestStats } from './stats';
import { Store, type StoreCounts } from './store';

/** How V1 answers carry a location's address (see `SimulatorOptions.v1LocationShape`). */
export const V1_LOCATION_SHAPES = ['nested', 'flat'] as const;
export type V1LocationShape = (typeof V1_LOCATION_SHAPES)[number];

export interface ResolvedOptions {
  host: string;
  port: number;
  tenant: string;
  username: string;
  password: string;
  seed: SeedSpec;
  tokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  rateLimit: RateLimitConfig | null;
  maxPageSize: number;
  v1LocationShape: V1LocationShape;
  faultSeed: number;
  logger: Logger;
}

/** What makes one tenant: the company name logins give, its API user, and its initial data. */
export interface TenantSettings {
  tenant: string;
  username: string;
  password: string;
  seed: SeedSpec;
}

/** What `POST /_sim/tenants` gives a tenant when the request leaves it out. */
export const NEW_TENANT_DEFAULTS = { username: 'api.user', password: 'demo-password', seed: 'none' } as const satisfies Omit<TenantSettings, 'tenant'>;

export interface TenantLookupRow {
  id: number;
  name: string;
  description: string | null;
  isActive: boolean;
  isDefault: boolean;
}

export class TenantExistsError extends Error {
  override readonly name = 'TenantExistsError';
}

/** Tenant names compare case-insensitively, ignoring surrounding blanks (as logins do). */
export function tenantKey(name: string): string {
  return name.trim().toLowerCase();
}

export class SimulatorHub {
  readonly contract: Contract;
  /** Keyed by `tenantKey(name)`. */
  private readonly tenantsByKey = new Map<string, SimulatorState>();
  /** Every live token (access and refresh) → its tenant. */
  private readonly tokenOwners = new Map<string, SimulatorState>();
  /** Listeners of every tenant's requests (`GET /_sim/events`). */
  readonly events = new Set<RequestListener>();
  readonly rateLimit: RateLimitSettings;
  /** Shared by every tenant's AuthService. */
  readonly tokenTtl: { accessSeconds: number; refreshSeconds: number };
  maxPageSize: number;
  v1LocationShape: V1LocationShape;
  readonly defaultTenant: SimulatorState;
  private readonly employeesByUser = new Map<string, readonly Employee[]>();
  /** Grows when a tenant is added or removed. */
  private membershipVersion = 0;
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private closed = false;

  constructor(readonly options: ResolvedOptions) {
    this.contract = getContract();
    this.rateLimit = new RateLimitSettings(options.rateLimit);
    this.tokenTtl = { accessSeconds: options.tokenTtlSeconds, refreshSeconds: options.refreshTokenTtlSeconds };
    this.maxPageSize = options.maxPageSize;
    this.v1LocationShape = options.v1LocationShape;
    this.defaultTenant = this.addTenant(options);
  }

  get logger(): Logger {
    return this.options.logger;
  }

  /** The tenant of that name (case-insensitive), if any. */
  tenant(name: string): SimulatorState | undefined {
    return this.tenantsByKey.get(tenantKey(name));
  }

  tenants(): IterableIterator<SimulatorState> {
    return this.tenantsByKey.values();
  }

  get tenantCount(): number {
    return this.tenantsByKey.size;
  }

  /** Adds a tenant and seeds it; throws `TenantExistsError` when the name is taken. */
  addTenant(settings: TenantSettings): SimulatorState {
    const key = tenantKey(settings.tenant);
    if (this.tenantsByKey.has(key)) throw new TenantExistsError(`tenant '${settings.tenant.trim()}' already exists`);
    const state = new SimulatorState(this, { ...this.options, ...settings, tenant: settings.tenant.trim() });
    this.tenantsByKey.set(key, state);
    this.membershipVersion++;
    return state;
  }

  /** Removes a tenant with its data and tokens; the default tenant stays. False when there is none of that name. */
  removeTenant(name: string): boolean {
    const state = this.tenant(name);
    if (!state) return false;
    if (state === this.defaultTenant) throw new Error('the default tenant cannot be removed');
    state.auth.reset();
    this.tenantsByKey.delete(tenantKey(name));
    // Keeps `dataVersion` growing: the removed store's version stays counted.
    this.membershipVersion += state.store.version + 1;
    return true;
  }

  /** The tenant that issued this token (access or refresh), if it is still known. */
  tokenOwner(token: string): SimulatorState | undefined {
    return this.tokenOwners.get(token);
  }

  /** @internal for `SimulatorState`: the token index of one tenant. */
  indexTokensOf(state: SimulatorState): { add(token: string): void; remove(token: string): void } {
    return {
      add: (token) => this.tokenOwners.set(token, state),
      remove: (token) => this.tokenOwners.delete(token),
    };
  }

  /** Employees depend only on the API user's name; tenants with the same one share the list. */
  employeesFor(username: string): readonly Employee[] {
    let employees = this.employeesByUser.get(username);
    if (!employees) {
      employees = createEmployees(username);
      this.employeesByUser.set(username, employees);
    }
    return employees;
  }

  get tokenTtlSeconds(): number {
    return this.tokenTtl.accessSeconds;
  }

  set tokenTtlSeconds(seconds: number) {
    this.tokenTtl.accessSeconds = seconds;
  }

  /** A new limit for every tenant; every tenant's windows start fresh. */
  configureRateLimit(config: RateLimitConfig | null): void {
    this.rateLimit.set(config);
    for (const state of this.tenants()) state.limiter.reset();
  }

  /** Changes whenever any tenant's data changes or a tenant comes or goes (for saving the state file). */
  get dataVersion(): number {
    let version = this.membershipVersion;
    for (const state of this.tenants()) version += state.store.version;
    return version;
  }

  /** A delay that `close()` ends early, so a pending `slow` fault cannot hold the process open. */
  sleep(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.set(timer, resolve);
    });
  }

  close(): void {
    this.closed = true;
    for (const [timer, resolve] of this.timers) {
      clearTimeout(timer);
      resolve();
    }
    this.timers.clear();
  }
}

/** One tenant. Its settings that are really the simulator's (`maxPageSize`, …) read through to the hub. */
export class SimulatorState {
  readonly store: Store;
  readonly auth: AuthService;
  readonly limiter: RateLimiter;
  readonly faults: FaultInjector;
  readonly stats: RequestStats;
  readonly employees: readonly Employee[];
  /** `/v2/system/tenantlookup/{tableName}` tables, keyed by lower-case name; empty until a client adds rows. */
  readonly tenantLookups = new Map<string, TenantLookupRow[]>();

  constructor(
    readonly hub: SimulatorHub,
    /** The simulator's options with this tenant's name, user, password and seed. */
    readonly options: ResolvedOptions,
  ) {
    this.employees = hub.employeesFor(options.username);
    this.store = new Store(options.tenant, this.employees);
    this.auth = new AuthService(
      { tenant: options.tenant, username: options.username, password: options.password },
      hub.tokenTtl,
      hub.indexTokensOf(this),
    );
    this.limiter = new RateLimiter(hub.rateLimit);
    this.faults = new FaultInjector(options.faultSeed);
    this.stats = new RequestStats(options.tenant, hub.events);
    applySeed(this.store, options.seed);
  }

  /** The tenant's name (the BMS company name logins give). */
  get name(): string {
    return this.options.tenant;
  }

  get contract(): Contract {
    return this.hub.contract;
  }

  get logger(): Logger {
    return this.hub.logger;
  }

  get maxPageSize(): number {
    return this.hub.maxPageSize;
  }

  set maxPageSize(value: number) {
    this.hub.maxPageSize = value;
  }

  get v1LocationShape(): V1LocationShape {
    return this.hub.v1LocationShape;
  }

  set v1LocationShape(value: V1LocationShape) {
    this.hub.v1LocationShape = value;
  }

  /** Wipes data, tokens, counters, faults and violations, then seeds again. */
  reset(seed: SeedSpec): void {
    this.store.reset();
    this.auth.reset();
    this.limiter.reset();
    this.faults.clear();
    this.stats.reset();
    this.stats.clearViolations();
    this.tenantLookups.clear();
    applySeed(this.store, seed);
  }

  /** Adds seed data to what is already there. */
  seed(spec: SeedSpec): StoreCounts {
    return applySeed(this.store, spec);
  }

  sleep(ms: number): Promise<void> {
    return this.hub.sleep(ms);
  }

  /** Closes the whole simulator's pending delays (kept for callers holding a tenant). */
  close(): void {
    this.hub.close();
  }
}
