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
import { BmsClient } from '../bms/client';
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
}

export class NotConnectedError extends Error {
  override readonly name = 'NotConnectedError';
}

/** BMS clients per account, rebuilt when the integration's connection changes. */
export class BmsClients {
  private readonly cache = new Map<string, { stamp: string; client: BmsClient }>();

  constructor(private readonly deps: ActivityDeps) {}

  async forAccount(accountId: string, integration?: Integration): Promise<BmsClient> {
    const current = integration ?? (await getIntegration(this.deps.db, accountId));
    if (!current) throw new NotConnectedError(`Account ${accountId} has no Kaseya BMS connection`);
    const stamp = current.connectionStamp;
    const cached = this.cache.get(accountId);
    if (cached?.stamp === stamp) return cached.client;
    const connection = await getBmsConnection(this.deps.db, accountId, this.deps.secrets);
    if (!connection) throw new NotConnectedError(`Account ${accountId} has no Kaseya BMS connection`);
    const client = new BmsClient({
      connection,
      timeoutMs: this.deps.bmsTimeoutMs,
      budget: this.deps.budget,
      policy: this.deps.outbound,
      logger: this.deps.logger,
    });
    this.cache.set(accountId, { stamp, client });
    return client;
  }
}
