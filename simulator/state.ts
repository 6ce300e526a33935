/** Everything one running simulator holds, shared by the API pipeline and the admin routes. */
import type { Logger } from '../lib/logger';
import { AuthService } from './auth';
import { type Contract, getContract } from './contract';
import { FaultInjector } from './faults';
import { createEmployees, type Employee } from './lookups';
import { type RateLimitConfig, RateLimiter } from './rate-limit';
import { applySeed, type SeedSpec } from './seed';
import { RequestStats } from './stats';
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

export interface TenantLookupRow {
  id: number;
  name: string;
  description: string | null;
  isActive: boolean;
  isDefault: boolean;
}

export class SimulatorState {
  readonly store: Store;
  readonly auth: AuthService;
  readonly limiter: RateLimiter;
  readonly faults: FaultInjector;
  readonly stats = new RequestStats();
  readonly contract: Contract;
  readonly employees: readonly Employee[];
  /** `/v2/system/tenantlookup/{tableName}` tables, keyed by lower-case name; empty until a client adds rows. */
  readonly tenantLookups = new Map<string, TenantLookupRow[]>();
  maxPageSize: number;
  v1LocationShape: V1LocationShape;
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private closed = false;

  constructor(readonly options: ResolvedOptions) {
    this.contract = getContract();
    this.employees = createEmployees(options.username);
    this.store = new Store(options.tenant, this.employees);
    this.auth = new AuthService(
      { tenant: options.tenant, username: options.username, password: options.password },
      { accessSeconds: options.tokenTtlSeconds, refreshSeconds: options.refreshTokenTtlSeconds },
    );
    this.limiter = new RateLimiter(options.rateLimit);
    this.faults = new FaultInjector(options.faultSeed);
    this.maxPageSize = options.maxPageSize;
    this.v1LocationShape = options.v1LocationShape;
    applySeed(this.store, options.seed);
  }

  get logger(): Logger {
    return this.options.logger;
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
