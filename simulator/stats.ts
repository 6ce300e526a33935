/** What one tenant's API saw: per-route counters, the latest requests, and contract violations. */
import type { RateLimiter } from './rate-limit';

export interface RouteStats {
  /** Requests the rate limiter let through (whatever happened to them afterwards). */
  served: number;
  /** Requests refused by the rate limiter. */
  rejected429: number;
  /** Requests an injected fault answered or disturbed. */
  faulted: number;
}

export interface RecentRequest {
  at: string;
  method: string;
  route: string | null;
  path: string;
  /** 0 when the connection was dropped without an answer. */
  status: number;
}

export interface Violation {
  at: string;
  method: string;
  path: string;
  problems: string[];
}

/** One served API request, as `GET /_sim/events` sends it. */
export interface RequestEvent extends Omit<RecentRequest, 'at'> {
  /** 1, 2, 3, … per tenant. */
  seq: number;
  /** The tenant whose API was asked. */
  tenant: string;
  /** When the answer went out: the simulator's clock, epoch milliseconds with a fraction. */
  at: number;
}

export type RequestListener = (event: RequestEvent) => void;

const RECENT_LIMIT = 200;
const VIOLATION_LIMIT = 1000;

export class RequestStats {
  total = 0;
  private readonly byRoute = new Map<string, RouteStats>();
  /** `at` kept as epoch ms and formatted when asked for: cheaper per request, and smaller across many tenants. */
  private recent: (Omit<RecentRequest, 'at'> & { at: number })[] = [];
  private violations: Violation[] = [];
  violationCount = 0;
  private seq = 0;
  private readonly listeners = new Set<RequestListener>();

  /**
   * `tenant` names the events; `bus` is a listener set shared by every tenant (the simulator's one
   * event stream), called after this tenant's own listeners.
   */
  constructor(
    private readonly tenant = '',
    private readonly bus: ReadonlySet<RequestListener> = new Set(),
  ) {}

  /** Calls `listener` for every request recorded from now on; returns the way to stop. */
  onRequest(listener: RequestListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  route(key: string): RouteStats {
    let stats = this.byRoute.get(key);
    if (!stats) {
      stats = { served: 0, rejected429: 0, faulted: 0 };
      this.byRoute.set(key, stats);
    }
    return stats;
  }

  record(entry: Omit<RecentRequest, 'at'>): void {
    this.total++;
    this.recent.push({ at: Date.now(), ...entry });
    if (this.recent.length > RECENT_LIMIT * 2) this.recent = this.recent.slice(-RECENT_LIMIT);
    this.seq++;
    if (this.listeners.size === 0 && this.bus.size === 0) return;
    const event: RequestEvent = { seq: this.seq, at: performance.timeOrigin + performance.now(), tenant: this.tenant, ...entry };
    for (const listener of this.listeners) listener(event);
    for (const listener of this.bus) listener(event);
  }

  addViolation(method: string, path: string, problems: string[]): void {
    this.violationCount++;
    this.violations.push({ at: new Date().toISOString(), method, path, problems });
    if (this.violations.length > VIOLATION_LIMIT) this.violations.shift();
  }

  listViolations(): Violation[] {
    return [...this.violations];
  }

  clearViolations(): void {
    this.violations = [];
    this.violationCount = 0;
  }

  snapshot(limiter: RateLimiter): {
    total: number;
    byRoute: Record<string, RouteStats & { maxInWindow: number }>;
    recent: RecentRequest[];
  } {
    const byRoute: Record<string, RouteStats & { maxInWindow: number }> = {};
    for (const [key, stats] of this.byRoute) byRoute[key] = { ...stats, maxInWindow: limiter.maxInWindow(key) };
    return { total: this.total, byRoute, recent: this.recent.slice(-RECENT_LIMIT).map((r) => ({ ...r, at: new Date(r.at).toISOString() })) };
  }

  /** Counters per route, as they stand (not copies). */
  routes(): ReadonlyMap<string, Readonly<RouteStats>> {
    return this.byRoute;
  }

  reset(): void {
    this.total = 0;
    this.byRoute.clear();
    this.recent = [];
  }
}

export interface AggregateRouteStats extends RouteStats {
  /** The largest number of requests any one tenant had inside one rate window. */
  maxInWindow: number;
  /** The largest `served` of any one tenant. */
  maxTenantServed: number;
}

/** Every tenant's counters summed per route (`GET /_sim/requests?scope=all`). */
export function aggregateRequestStats(tenants: Iterable<{ stats: RequestStats; limiter: RateLimiter }>): {
  tenants: number;
  total: number;
  byRoute: Record<string, AggregateRouteStats>;
} {
  let count = 0;
  let total = 0;
  const byRoute: Record<string, AggregateRouteStats> = {};
  for (const { stats, limiter } of tenants) {
    count++;
    total += stats.total;
    for (const [key, route] of stats.routes()) {
      const sum = (byRoute[key] ??= { served: 0, rejected429: 0, faulted: 0, maxInWindow: 0, maxTenantServed: 0 });
      sum.served += route.served;
      sum.rejected429 += route.rejected429;
      sum.faulted += route.faulted;
      sum.maxInWindow = Math.max(sum.maxInWindow, limiter.maxInWindow(key));
      sum.maxTenantServed = Math.max(sum.maxTenantServed, route.served);
    }
  }
  return { tenants: count, total, byRoute };
}
