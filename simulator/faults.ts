/**
 * Injected failures, so a client's handling of each plausible failure of the real service can be
 * tested on demand. A rule names a route (`METHOD /template`, or `*` for every route), a mode, and
 * when it fires: with a probability, on the next `count` matching requests, both (each matching
 * request fires with the probability until `count` have fired), or, with neither, on every request.
 * The first rule that fires wins. Probabilities draw from a seeded PRNG, so runs are reproducible.
 */
import { createRandom, type Random } from './prng';

export const FAULT_MODES = [
  'http-500',
  'http-503',
  'http-429',
  'drop',
  'drop-after-commit',
  'slow',
  'success-false',
  'html',
  'truncated-json',
  'wrong-envelope',
  'problem-details',
  'unauthorized',
] as const;

export type FaultMode = (typeof FAULT_MODES)[number];

/** Modes that let the request be processed before they act on the answer. */
export const FAULT_MODES_AFTER_COMMIT: ReadonlySet<FaultMode> = new Set<FaultMode>(['drop-after-commit', 'truncated-json', 'slow']);

export interface FaultRule {
  route: string;
  mode: FaultMode;
  probability?: number;
  count?: number;
  /** For `slow`: how long to wait between processing the request and answering (default 2000 ms). */
  delayMs?: number;
  /** For `http-429` and `http-503`: adds a `Retry-After` header with this many seconds. */
  retryAfterSeconds?: number;
}

export interface FaultRuleState extends FaultRule {
  fired: number;
}

export const DEFAULT_SLOW_MS = 2000;

export class FaultInjector {
  private rules: FaultRuleState[] = [];
  private random: Random;

  constructor(private seed: number) {
    this.random = createRandom(seed);
  }

  /** Replaces the rules and restarts the PRNG, so the same rules give the same sequence. */
  setRules(rules: FaultRule[], seed?: number): void {
    if (seed !== undefined) this.seed = seed;
    this.random = createRandom(this.seed);
    this.rules = rules.map((r) => ({ ...r, route: normalizeRoute(r.route), fired: 0 }));
  }

  list(): FaultRuleState[] {
    return this.rules.map((r) => ({ ...r }));
  }

  clear(): void {
    this.setRules([]);
  }

  /** The rule that fires for this request, if any (and counts it as fired). */
  pick(routeKey: string): FaultRuleState | undefined {
    if (this.rules.length === 0) return undefined;
    const key = normalizeRoute(routeKey);
    for (const rule of this.rules) {
      if (rule.route !== '*' && rule.route !== key) continue;
      if (rule.count !== undefined && rule.fired >= rule.count) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      rule.fired++;
      return rule;
    }
    return undefined;
  }
}

/** `get /v2/Crm/Accounts/summary` and `GET /v2/crm/accounts/summary` are the same route. */
export function normalizeRoute(route: string): string {
  const trimmed = route.trim();
  if (trimmed === '*') return '*';
  const space = trimmed.indexOf(' ');
  if (space < 0) return trimmed.toLowerCase();
  return `${trimmed.slice(0, space).toUpperCase()} ${trimmed.slice(space + 1).trim().toLowerCase()}`;
}
