/**
 * What activities need, built once per worker process and injected: the database, the secret box, the
 * Temporal client (to queue pushes), the rate budget, and a cache of BMS clients per account so tokens
 * are reused across activity calls. Credentials never enter workflow inputs or history.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db';
import { getBmsConnection, getIntegration, type Integration } from '../db/integrations';
import type { Logger } from '../lib/logger';
import type { OutboundPolicy } from '../lib/outbound';
import type { SecretBox } from '../lib/secrets';
import { BmsClient, BmsTokens } from '../bms/client';
import type { RateBudget } from '../bms/rate-budget';

/** Told when a request of `accountId` has waited `waitedMs` for the rate budget and is still waiting. */
export type BudgetExhaustedListener = (accountId: string, endpoint: string, waitedMs: number) => void;

/**
 * The budget as one account's client sees it: a request still waiting for its slot after `afterMs` means
 * the budget has stayed exhausted that long (every try found no slot), which `listener` is told, once per
 * request. The budget itself is unchanged: throttled work still waits.
 */
export function watchedBudget(budget: RateBudget, accountId: string, afterMs: number, listener: BudgetExhaustedListener): RateBudget {
  return {
    async acquire(tenantKey, endpoint, signal, maxWaitMs) {
      if (maxWaitMs !== undefined && maxWaitMs < afterMs) return budget.acquire(tenantKey, endpoint, signal, maxWaitMs);
      const timer = setTimeout(() => listener(accountId, endpoint, afterMs), afterMs);
      try {
        await budget.acquire(tenantKey, endpoint, signal, maxWaitMs);
      } finally {
        clearTimeout(timer);
      }
    },
    backOff: (tenantKey, endpoint, ms) => budget.backOff(tenantKey, endpoint, ms),
  };
}

export interface ActivityDeps {
  db: Db;
  secrets: SecretBox;
  temporal: Client;
  taskQueues: { push: string; pull: string };
  budget: RateBudget;
  bmsTimeoutMs: number;
  /** Where BMS clients may connect (the outbound destination policy). */
  outbound: OutboundPolicy;
  logger: Logger;
  /** Idle timeout passed to push workflows started from activities (tests shorten it). */
  pushIdleTimeoutMs?: number;
  /** How notifications are sent (default: no SMTP, webhooks time out after 10 s). */
  notifications?: { smtpUrl: string | undefined; smtpFrom: string; webhookTimeoutMs: number; budgetExhaustedMs: number };
  /** BMS tokens per account, shared by this worker's pushes and pulls (default: each `BmsClients` its own). */
  bmsTokens?: BmsTokenShelf;
  /**
   * Retention: how long history, runs and logs are kept (default 90 days), and the BMS rate budget's
   * window, whose request log is kept whatever the period (default one hour).
   */
  retention?: { periodMs: number; rateWindowSeconds?: number };
}

/** Each account's BMS tokens, for the connection they were issued to; a changed connection starts afresh. */
export class BmsTokenShelf {
  private readonly byAccount = new Map<string, { stamp: string; tokens: BmsTokens }>();

  for(accountId: string, stamp: string): BmsTokens {
    const held = this.byAccount.get(accountId);
    if (held?.stamp === stamp) return held.tokens;
    const tokens = new BmsTokens();
    this.byAccount.set(accountId, { stamp, tokens });
    return tokens;
  }
}

export class NotConnectedError extends Error {
  override readonly name = 'NotConnectedError';
}

/**
 * BMS clients per account, rebuilt when the integration's connection changes. Callers that ask at the
 * same time share one client (the first one's build); clients of one account share its tokens, so a
 * worker logs in once per connection however many activities start together.
 */
export class BmsClients {
  private readonly cache = new Map<string, { stamp: string; client: Promise<BmsClient> }>();
  private readonly tokens: BmsTokenShelf;

  constructor(
    private readonly deps: ActivityDeps,
    private readonly onBudgetExhausted?: BudgetExhaustedListener,
  ) {
    this.tokens = deps.bmsTokens ?? new BmsTokenShelf();
  }

  async forAccount(accountId: string, integration?: Integration): Promise<BmsClient> {
    const current = integration ?? (await getIntegration(this.deps.db, accountId));
    if (!current) throw new NotConnectedError(`Account ${accountId} has no Kaseya BMS connection`);
    const stamp = current.connectionStamp;
    const cached = this.cache.get(accountId);
    if (cached?.stamp === stamp) return cached.client;
    const entry = { stamp, client: this.build(accountId, this.tokens.for(accountId, stamp)) };
    this.cache.set(accountId, entry);
    // A failed build is not kept: the next caller tries again.
    entry.client.catch(() => {
      if (this.cache.get(accountId) === entry) this.cache.delete(accountId);
    });
    return entry.client;
  }

  private async build(accountId: string, tokens: BmsTokens): Promise<BmsClient> {
    const connection = await getBmsConnection(this.deps.db, accountId, this.deps.secrets);
    if (!connection) throw new NotConnectedError(`Account ${accountId} has no Kaseya BMS connection`);
    return new BmsClient({
      connection,
      timeoutMs: this.deps.bmsTimeoutMs,
      budget:
        this.onBudgetExhausted && this.deps.notifications
          ? watchedBudget(this.deps.budget, accountId, this.deps.notifications.budgetExhaustedMs, this.onBudgetExhausted)
          : this.deps.budget,
      policy: this.deps.outbound,
      logger: this.deps.logger,
      tokens,
    });
  }
}
