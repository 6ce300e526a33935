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
  notifications?: { smtpUrl: string | undefined; smtpFrom: string; webhookTimeoutMs: number };
  /** BMS tokens per account, shared by this worker's pushes and pulls (default: each `BmsClients` its own). */
  bmsTokens?: BmsTokenShelf;
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

  constructor(private readonly deps: ActivityDeps) {
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
      budget: this.deps.budget,
      policy: this.deps.outbound,
      logger: this.deps.logger,
      tokens,
    });
  }
}
