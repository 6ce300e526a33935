/**
 * Per-route rate limit over a rolling window, as the BMS documents it ("1500 per hour per endpoint").
 * Each tenant has its own limiter (own windows), keyed by METHOD + route template; the limit itself
 * (`RateLimitSettings`) is one for the whole simulator, so changing it changes every tenant's.
 *
 * Each route keeps an exact log of accepted request times, which gives both the decision and the
 * largest number of accepted requests ever seen inside one window (`maxInWindow`). Any window's count
 * peaks at an arrival, so checking at arrivals is exact. Rejected requests are not logged.
 */

export interface RateLimitConfig {
  limit: number;
  windowSeconds: number;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

class RouteLog {
  times: number[] = [];
  head = 0;
  maxInWindow = 0;

  countSince(cutoff: number): number {
    while (this.head < this.times.length && (this.times[this.head] ?? 0) <= cutoff) this.head++;
    // Compact now and then so the log does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }
}

/** The limit and window, shared by every tenant's limiter. */
export class RateLimitSettings {
  config: RateLimitConfig | null;
  /** The window used for `maxInWindow` even while limiting is off. */
  windowMs: number;

  constructor(config: RateLimitConfig | null) {
    this.config = config;
    this.windowMs = (config?.windowSeconds ?? 3600) * 1000;
  }

  set(config: RateLimitConfig | null): void {
    this.config = config;
    if (config) this.windowMs = config.windowSeconds * 1000;
  }
}

export class RateLimiter {
  private readonly logs = new Map<string, RouteLog>();
  private readonly settings: RateLimitSettings;

  /** A config gives the limiter settings of its own; `RateLimitSettings` shares them with other limiters. */
  constructor(config: RateLimitConfig | null | RateLimitSettings) {
    this.settings = config instanceof RateLimitSettings ? config : new RateLimitSettings(config);
  }

  get current(): RateLimitConfig | null {
    return this.settings.config;
  }

  /** Changing the limit starts a fresh budget: logs and maxima are cleared (shared settings change for every limiter sharing them). */
  configure(config: RateLimitConfig | null): void {
    this.settings.set(config);
    this.logs.clear();
  }

  acquire(key: string, now = Date.now()): RateDecision {
    let log = this.logs.get(key);
    if (!log) {
      log = new RouteLog();
      this.logs.set(key, log);
    }
    const { config, windowMs } = this.settings;
    const inWindow = log.countSince(now - windowMs);
    if (config && inWindow >= config.limit) {
      const oldest = log.times[log.head] ?? now;
      const waitMs = oldest + windowMs - now;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    }
    log.times.push(now);
    log.maxInWindow = Math.max(log.maxInWindow, inWindow + 1);
    return { ok: true };
  }

  maxInWindow(key: string): number {
    return this.logs.get(key)?.maxInWindow ?? 0;
  }

  reset(): void {
    this.logs.clear();
  }
}
